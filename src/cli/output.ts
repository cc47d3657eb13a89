/** One line of a command's result on stdout; logs and errors go to stderr. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

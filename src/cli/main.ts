#!/usr/bin/env node
import { isSitepubError } from '../core/errors.js';
import type { AdminCommand } from './admin.js';
import { HELP } from './help.js';
import { findCommand, parseCommand, parseWithoutCommand, type Command, type Parsed } from './options.js';
import { out } from './output.js';
import { UsageError } from './usage-error.js';

type Run<C extends Command> = (parsed: Parsed<C>) => Promise<number>;

// Each command's module loads only when it runs: the HTTP stack stays out of `sitepub mcp`,
// which clients start on every session, and neither server loads for a one-shot admin command.
const admin =
  <C extends AdminCommand>(command: C) =>
  async (): Promise<Run<C>> => {
    const { runAdmin } = await import('./admin.js');
    return (parsed) => runAdmin(command, parsed);
  };

const RUN: { [C in Command]: () => Promise<Run<C>> } = {
  serve: async () => (await import('./serve.js')).runServe,
  mcp: async () => (await import('./stdio.js')).runStdio,
  'project create': admin('project create'),
  'project list': admin('project list'),
  'project quota': admin('project quota'),
  'token create': admin('token create'),
  'token revoke': admin('token revoke'),
  'token list': admin('token list'),
  'owner create': admin('owner create'),
  'owner login-link': admin('owner login-link'),
  migrate: admin('migrate'),
  export: admin('export'),
  import: admin('import'),
};

async function run<C extends Command>(command: C, argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(command, argv);
  if (parsed.values.help) {
    out(HELP[command]);
    return 0;
  }
  const runCommand: Run<C> = await RUN[command]();
  return runCommand(parsed);
}

async function main(argv: readonly string[]): Promise<number> {
  const { command, words } = findCommand(argv);
  if (command) return run(command, argv);
  const { help } = parseWithoutCommand(argv);
  if (help || words.length === 0) {
    out(HELP.main);
    return 0;
  }
  throw new UsageError(`Unknown command "${words.join(' ')}". Run "sitepub --help".`);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`sitepub: ${e.message}\n`);
      process.exitCode = 2;
    } else if (isSitepubError(e)) {
      process.stderr.write(`sitepub: ${e.type}: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`sitepub: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);

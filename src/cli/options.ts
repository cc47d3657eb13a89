import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

type OptionTable = NonNullable<ParseArgsConfig['options']>;

const help = { type: 'boolean', short: 'h' } as const;
const text = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;
const texts = { type: 'string', multiple: true } as const;

/**
 * Each command's own options (the names are part of the documented interface, docs/commands.md).
 * Anything else on a command's line is refused, so `project list --workers 3` or a typo fails
 * loudly instead of being ignored. An option shared by several commands has one type everywhere.
 */
export const COMMAND_OPTIONS = {
  serve: { help, data: text, port: text, host: text, workers: text, toolsets: text, 'read-only': flag },
  mcp: { help, data: text, project: text, toolsets: text, 'read-only': flag, 'allow-dir': texts },
  'project create': { help, data: text, name: text, subdomain: text, json: flag },
  'project list': { help, data: text, json: flag },
  'project quota': { help, data: text, project: text, mb: text, default: flag, json: flag },
  'token create': { help, data: text, project: text, account: flag, 'read-only': flag, json: flag },
  'token revoke': { help, data: text },
  'token list': { help, data: text, project: text, json: flag },
  'owner create': { help, data: text, email: text, 'password-stdin': flag, json: flag },
  'owner login-link': { help, data: text, email: text, json: flag },
  migrate: { help, data: text },
  export: { help, data: text, out: text },
  import: { help, data: text, in: text },
} as const satisfies Record<string, OptionTable>;

export type Command = keyof typeof COMMAND_OPTIONS;

/** Arguments after the command words; only `token revoke TOKEN_PREFIX_OR_ID` takes one. */
const OPERANDS: Partial<Record<Command, number>> = { 'token revoke': 1 };

/** Every option some command takes: what `sitepub --help` (no command) accepts. */
const ANY_OPTION: OptionTable = Object.assign({}, ...Object.values(COMMAND_OPTIONS));

type Values<O> = { -readonly [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string };

export interface Parsed<C extends Command> {
  values: Values<(typeof COMMAND_OPTIONS)[C]>;
  /** The positional arguments after the command words. */
  operands: string[];
}

export interface CommandLine {
  /** undefined when the words name no command (or there are none). */
  command: Command | undefined;
  /** Every positional argument, the command words first. */
  words: string[];
}

const isCommand = (key: string): key is Command => Object.hasOwn(COMMAND_OPTIONS, key);

/**
 * Finds the command in its words (`serve`, `project list`...), wherever options stand around
 * them. Options are not judged yet: that needs the command's own table.
 */
export function findCommand(argv: readonly string[]): CommandLine {
  const { positionals } = parseArgs({ args: [...argv], options: ANY_OPTION, allowPositionals: true, strict: false });
  const [cmd, sub] = positionals;
  const key = cmd === 'project' || cmd === 'token' || cmd === 'owner' ? `${cmd} ${sub ?? ''}`.trim() : (cmd ?? '');
  return { command: isCommand(key) ? key : undefined, words: positionals };
}

/** Parses a line without a known command: only `--help` means anything, but a flag no command has is still a typo. */
export function parseWithoutCommand(argv: readonly string[]): { help: boolean } {
  const values = strictParse(argv, ANY_OPTION, 'Run "sitepub --help" for the commands.', (option) => `Unknown option ${option}.`);
  return { help: values.values.help === true };
}

/** Parses a command's line against its own table; an option it does not take, or a stray argument, is a UsageError (exit 2). */
export function parseCommand<C extends Command>(command: C, argv: readonly string[]): Parsed<C> {
  const options: OptionTable = COMMAND_OPTIONS[command];
  const hint = `Run "sitepub ${command} --help" for its options.`;
  const { values, positionals } = strictParse(argv, options, hint, (option, name) => {
    const owners = (Object.keys(COMMAND_OPTIONS) as Command[]).filter((c) => Object.hasOwn(COMMAND_OPTIONS[c], name));
    return owners.length ? `Option ${option} is not for "sitepub ${command}" (it is for: ${owners.join(', ')}).` : `Unknown option ${option} for "sitepub ${command}".`;
  });
  const operands = positionals.slice(command.split(' ').length);
  const extra = operands[OPERANDS[command] ?? 0];
  if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}" for "sitepub ${command}". ${hint}`);
  return { values: values as Values<(typeof COMMAND_OPTIONS)[C]>, operands };
}

/**
 * node:util's strict mode refuses an unknown option too, but its message names neither the
 * command nor where to look; tokens let us name both before the strict pass checks the values.
 */
function strictParse(
  argv: readonly string[],
  options: OptionTable,
  hint: string,
  unknown: (option: string, name: string) => string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) if (t.kind === 'option' && !Object.hasOwn(options, t.name)) throw new UsageError(`${unknown(t.rawName, t.name)} ${hint}`);
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    // A missing value (`--port` last) or a value given to a boolean (`--json=yes`).
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${e.message.replace(/\.$/, '')}. ${hint}`);
    throw e;
  }
}

/** What a command's run returns instead of an exit code when it serves until a signal or the end of stdin. */
export const KEEP_RUNNING = -1;

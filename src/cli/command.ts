// The shape of one CLI command: a name, a one-line summary, help text, and run(argv) → exit code.
// Exit codes scripts can rely on: 0 ok, 1 runtime failure, 2 usage error (bad flag or argument).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BertchatError } from '../util/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  name: string;
  summary: string;
  /** Full --help text (usage line, flags, examples). */
  help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** A usage error: printed with the command's help hint, exit code 2. */
export class UsageError extends BertchatError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'UsageError';
  }
}

/** node:util parseArgs with strict checking; unknown flags become UsageErrors naming the flag. */
export interface ParsedFlags {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export function parseFlags(argv: string[], options: NonNullable<ParseArgsConfig['options']>, allowPositionals = true): ParsedFlags {
  try {
    return parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' }, ...options }, strict: true, allowPositionals }) as ParsedFlags;
  } catch (e) {
    throw new UsageError(usageMessage(e as Error & { code?: string }));
  }
}

/** node's parseArgs messages, rewritten to say what is wrong and how to fix it (names kept verbatim). */
function usageMessage(e: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(e.message)?.[1];
  // "'--max-tokens'", "'-m, --model <value>'": the long name when there is one
  const names = quoted?.split(/[ ,]+/).filter((w) => w.startsWith('-')) ?? [];
  const flag = names.find((w) => w.startsWith('--')) ?? names[0];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ?? e.message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted ?? e.message)}: this command takes no positional arguments`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (flag && /ambiguous/.test(e.message)) return `${flag}: a value that starts with '-' must be written as ${flag}=VALUE (e.g. ${flag}=-1)`;
      if (flag && /argument missing/.test(e.message)) return `${flag} needs a value`;
      if (flag && /does not take an argument/.test(e.message)) return `${flag} is a switch and takes no value`;
      return e.message;
    default:
      return e.message;
  }
}

/** Parses a numeric flag, naming it on error. */
export function numberFlag(value: string | undefined, flag: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const { min, max } = opts;
    const range = min !== undefined && max !== undefined ? ` in [${min}, ${max}]` : min !== undefined ? ` ≥ ${min}` : max !== undefined ? ` ≤ ${max}` : '';
    throw new UsageError(`--${flag} must be ${opts.int ? 'an integer' : 'a number'}${range}, got "${value}"`);
  }
  return n;
}

/** Reads all of stdin as UTF-8. */
export async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

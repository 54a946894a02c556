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
    throw new UsageError((e as Error).message);
  }
}

/** Parses a numeric flag, naming it on error. */
export function numberFlag(value: string | undefined, flag: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const range = opts.min !== undefined || opts.max !== undefined ? ` in [${opts.min ?? '-inf'}, ${opts.max ?? 'inf'}]` : '';
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

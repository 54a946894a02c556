// `bertchat classify`: text classification over texts from arguments, --file or stdin; one JSON line per input.
// Also the input/flag helpers the other encoder commands (fill-mask, embed, tokenize) share.
import { readFileSync } from 'node:fs';
import { numberFlag, parseFlags, readStdin, UsageError, EXIT_OK, type CliIO, type Command, type ParsedFlags } from '../command.js';
import { pipeline } from '../../pipelines/index.js';
import type { ClassificationFunction } from '../../pipelines/text-classification.js';
import { getLogLevel, setLogLevel, setLogSink } from '../../util/logging.js';
import { BertchatError } from '../../util/errors.js';

/** Flags every encoder command takes. */
export const INPUT_FLAGS = {
  model: { type: 'string', short: 'm' },
  file: { type: 'string', short: 'f' },
} as const;
export const BATCH_FLAGS = {
  'batch-size': { type: 'string' },
  truncation: { type: 'boolean' },
} as const;

export const INPUT_HELP = `Input: texts as arguments, or --file F (one text per line), or stdin (one text per line).
Output: one JSON line per input, in input order.`;

/** Routes library warnings (e.g. a newly initialised head) to stderr unless BERTCHAT_LOG chose a level. */
export function cliLogging(io: CliIO): void {
  if (!process.env.BERTCHAT_LOG && getLogLevel() === 'silent') setLogLevel('warn');
  setLogSink((lvl, msg) => io.stderr.write(`bertchat ${lvl}: ${msg}\n`));
}

/** The --model flag, required. */
export function modelFlag(f: ParsedFlags): string {
  const m = f.values.model;
  if (typeof m !== 'string' || m === '') throw new UsageError('--model is required (a model folder or a hub id)');
  return m;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Texts from positionals, else --file, else stdin (one per line; empty lines are empty inputs). */
export async function readInputs(f: ParsedFlags, io: CliIO): Promise<string[]> {
  const file = f.values.file;
  if (f.positionals.length > 0) {
    if (typeof file === 'string') throw new UsageError('give texts as arguments or with --file, not both');
    return f.positionals;
  }
  if (typeof file === 'string') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      throw new BertchatError('NOT_FOUND', `--file ${file}: ${why}`);
    }
    return splitLines(text);
  }
  if ((io.stdin as NodeJS.ReadStream).isTTY) throw new UsageError('no input: give texts as arguments, --file F, or pipe lines on stdin');
  return splitLines(await readStdin(io.stdin));
}

/** --batch-size and --truncation. */
export function batchOptions(f: ParsedFlags): { batchSize: number; truncation: boolean } {
  const bs = numberFlag(f.values['batch-size'] as string | undefined, 'batch-size', { int: true, min: 1 });
  return { batchSize: bs ?? 8, truncation: f.values.truncation === true };
}

export function writeJsonLines(io: CliIO, rows: readonly unknown[]): void {
  io.stdout.write(rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

const FUNCTIONS = ['softmax', 'sigmoid', 'none'] as const;

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'Classify texts (sentiment, topics...) with a sequence-classification model',
  help: `Usage: bertchat classify --model M [options] [TEXT...]

Runs text classification (HF "text-classification" pipeline).
${INPUT_HELP}
Each line is {"label", "score"} for the best label, or with --top-k a list of them, best first.

Options:
  -m, --model M          model folder or hub id (required)
  -f, --file F           read texts from F, one per line
      --top-k N|all      print the N best labels (all: every label) as a list
      --function F       score function: softmax, sigmoid or none (default: from the config's problem_type)
      --batch-size N     inputs per forward pass (default 8; results do not depend on it)
      --truncation       cut inputs longer than the model's limit instead of failing
  -h, --help             show this help

Example:
  bertchat classify --model ./my-sst2-model "What a great film" "Dull and too long"
`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const f = parseFlags(argv, { ...INPUT_FLAGS, ...BATCH_FLAGS, 'top-k': { type: 'string' }, function: { type: 'string' } });
    const model = modelFlag(f);
    const topRaw = f.values['top-k'] as string | undefined;
    const topK = topRaw === undefined ? undefined : topRaw === 'all' ? null : numberFlag(topRaw, 'top-k', { int: true, min: 1 });
    const fn = f.values.function as string | undefined;
    if (fn !== undefined && !(FUNCTIONS as readonly string[]).includes(fn)) throw new UsageError(`--function must be one of ${FUNCTIONS.join(', ')}, got "${fn}"`);
    const texts = await readInputs(f, io);
    cliLogging(io);
    if (texts.length === 0) return EXIT_OK;
    const classifier = await pipeline('text-classification', model);
    const opts = { ...batchOptions(f), ...(fn ? { functionToApply: fn as ClassificationFunction } : {}), ...(topK !== undefined ? { topK } : {}) };
    writeJsonLines(io, await classifier(texts, opts));
    return EXIT_OK;
  },
};

// `bertchat embed`: sentence embeddings (mean or [CLS] pooling, optional L2 normalisation) or token vectors;
// one JSON line per input.
import { parseFlags, UsageError, EXIT_OK, type CliIO, type Command } from '../command.js';
import { pipeline } from '../../pipelines/index.js';
import { BATCH_FLAGS, INPUT_FLAGS, INPUT_HELP, batchOptions, cliLogging, modelFlag, readInputs, writeJsonLines } from './classify.js';

const POOLINGS = ['mean', 'cls', 'none'] as const;

export const embedCommand: Command = {
  name: 'embed',
  summary: 'Embed texts as vectors with an encoder (mean/[CLS] pooling)',
  help: `Usage: bertchat embed --model M [options] [TEXT...]

Runs the encoder and pools its last hidden states into one vector per input.
${INPUT_HELP}
Each line is a JSON array of numbers (the vector); with --pooling none, a (T, C) array of token vectors.

Options:
  -m, --model M          model folder or hub id (required)
  -f, --file F           read texts from F, one per line
      --pooling P        mean (default; over real tokens), cls, or none (token vectors)
      --normalize        L2-normalise each vector
      --batch-size N     inputs per forward pass (default 8)
      --truncation       cut inputs longer than the model's limit instead of failing
  -h, --help             show this help

Example:
  bertchat embed --model sentence-transformers/all-MiniLM-L6-v2 --normalize --file sentences.txt
`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const f = parseFlags(argv, { ...INPUT_FLAGS, ...BATCH_FLAGS, pooling: { type: 'string' }, normalize: { type: 'boolean' } });
    const model = modelFlag(f);
    const pooling = (f.values.pooling as string | undefined) ?? 'mean';
    if (!(POOLINGS as readonly string[]).includes(pooling)) throw new UsageError(`--pooling must be one of ${POOLINGS.join(', ')}, got "${pooling}"`);
    const normalize = f.values.normalize === true;
    if (pooling === 'none' && normalize) throw new UsageError('--normalize applies to pooled vectors; it cannot be used with --pooling none');
    const texts = await readInputs(f, io);
    cliLogging(io);
    if (texts.length === 0) return EXIT_OK;
    const opts = batchOptions(f);
    if (pooling === 'none') {
      const fe = await pipeline('feature-extraction', model);
      writeJsonLines(io, (await fe(texts, opts)).map((x) => x[0]));
    } else {
      const embedder = await pipeline('embeddings', model);
      writeJsonLines(io, await embedder(texts, { ...opts, pooling: pooling as 'mean' | 'cls', normalize }));
    }
    return EXIT_OK;
  },
};

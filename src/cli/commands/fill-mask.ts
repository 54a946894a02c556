// `bertchat fill-mask`: predicts the [MASK] tokens of each input text; one JSON line per input.
import { numberFlag, parseFlags, EXIT_OK, type CliIO, type Command } from '../command.js';
import { pipeline } from '../../pipelines/index.js';
import { BATCH_FLAGS, INPUT_FLAGS, INPUT_HELP, batchOptions, cliLogging, modelFlag, readInputs, writeJsonLines } from './classify.js';

export const fillMaskCommand: Command = {
  name: 'fill-mask',
  summary: 'Predict the [MASK] tokens of texts with a masked-LM model',
  help: `Usage: bertchat fill-mask --model M [options] [TEXT...]

Runs the HF "fill-mask" pipeline. Every input must contain the tokenizer's mask token (e.g. [MASK]).
${INPUT_HELP}
Each line is a list of {"score", "token", "token_str", "sequence"}, best first; with several masks
in one text, a list of such lists (one per mask).

Options:
  -m, --model M          model folder or hub id (required)
  -f, --file F           read texts from F, one per line
      --top-k N          candidates per mask (default 5)
      --targets A,B,...  rank only these tokens (a word outside the vocabulary: its first sub-token)
      --batch-size N     inputs per forward pass (default 8)
      --truncation       cut inputs longer than the model's limit instead of failing
  -h, --help             show this help

Example:
  bertchat fill-mask --model bert-base-uncased "Paris is the [MASK] of France."
`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const f = parseFlags(argv, { ...INPUT_FLAGS, ...BATCH_FLAGS, 'top-k': { type: 'string' }, targets: { type: 'string' } });
    const model = modelFlag(f);
    const topK = numberFlag(f.values['top-k'] as string | undefined, 'top-k', { int: true, min: 1 }) ?? 5;
    const texts = await readInputs(f, io);
    cliLogging(io);
    if (texts.length === 0) return EXIT_OK;
    const unmasker = await pipeline('fill-mask', model);
    const targets = (f.values.targets as string | undefined)?.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
    const res = await unmasker(texts, { ...batchOptions(f), topK, ...(targets ? { targets } : {}) });
    writeJsonLines(io, texts.length === 1 ? [res] : (res as unknown[])); // HF returns a one-element list bare
    return EXIT_OK;
  },
};

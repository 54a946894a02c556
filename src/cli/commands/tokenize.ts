// `bertchat tokenize`: a model folder's tokenizer on texts; one JSON line per input with tokens and ids.
import { parseFlags, EXIT_OK, type CliIO, type Command } from '../command.js';
import { AutoTokenizer } from '../../models/auto.js';
import { INPUT_FLAGS, INPUT_HELP, cliLogging, modelFlag, readInputs, writeJsonLines } from './classify.js';

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'Show how a model\'s tokenizer splits texts (tokens and ids)',
  help: `Usage: bertchat tokenize --model M [options] [TEXT...]

${INPUT_HELP}
Each line is {"tokens": [...], "input_ids": [...], "attention_mask": [...]} (plus "token_type_ids" when the
tokenizer returns them), with special tokens such as [CLS]/[SEP] unless --no-special.

Options:
  -m, --model M          model or tokenizer folder, or hub id (required)
  -f, --file F           read texts from F, one per line
      --no-special       do not add special tokens
      --decode           also print "decoded": the ids decoded back to text
  -h, --help             show this help

Example:
  bertchat tokenize --model bert-base-uncased "Hello, world!"
`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const f = parseFlags(argv, { ...INPUT_FLAGS, 'no-special': { type: 'boolean' }, decode: { type: 'boolean' } });
    const model = modelFlag(f);
    const texts = await readInputs(f, io);
    cliLogging(io);
    const tok = await AutoTokenizer.fromPretrained(model);
    const addSpecialTokens = f.values['no-special'] !== true;
    writeJsonLines(
      io,
      texts.map((t) => {
        const e = tok.encode(t, { addSpecialTokens });
        const row: Record<string, unknown> = { tokens: e.tokens ?? tok.convertIdsToTokens(e.inputIds), input_ids: e.inputIds, attention_mask: e.attentionMask };
        if (e.tokenTypeIds) row.token_type_ids = e.tokenTypeIds;
        if (f.values.decode === true) row.decoded = tok.decode(e.inputIds, { skipSpecialTokens: true });
        return row;
      }),
    );
    return EXIT_OK;
  },
};

// `bertchat train-tokenizer`: learns a WordPiece (BERT) or byte-level BPE (GPT-2) vocabulary from text files
// with src/tokenizers' trainers and writes an HF tokenizer folder (tokenizer.json, vocab files, configs).
import { numberFlag, parseFlags, UsageError, type CliIO, type Command } from '../command.js';
import { trainWordPiece } from '../../tokenizers/train-wordpiece.js';
import { trainByteLevelBpe } from '../../tokenizers/train-bpe.js';
import { saveTokenizer } from '../../tokenizers/save.js';
import { readRecords } from '../../train/data/records.js';
import type { DataFormat } from '../../train/config.js';

const HELP = `Usage: bertchat train-tokenizer --type wordpiece|bpe --vocab-size N --input FILE [--input FILE ...] --output DIR [options]

Learns a tokenizer from text and writes tokenizer.json, vocab.txt (WordPiece) or vocab.json + merges.txt (BPE),
tokenizer_config.json and special_tokens_map.json into DIR.

Options:
  --type T                 wordpiece (BERT, lower-cased by default) or bpe (GPT-2 byte-level)
  --vocab-size N           total vocabulary size, special tokens included
  --input FILE             text file (repeatable; extra positional arguments are inputs too)
  --format FMT             text (every line, default) | label-text ('<label> <text>') | csv | tsv | jsonl
  --text-column COL        column name or index (csv/tsv/jsonl)
  --min-frequency N        pairs seen fewer times are not merged (default 2)
  --cased                  wordpiece: keep case (default lower-cases)
  --special-tokens A,B     override the special tokens
  --model-max-length N     written to tokenizer_config.json (default 512)

Example:
  bertchat train-tokenizer --type wordpiece --vocab-size 8000 --input train.txt --output tok/
`;

const OPTIONS = {
  type: { type: 'string' },
  'vocab-size': { type: 'string' },
  input: { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  'text-column': { type: 'string' },
  'min-frequency': { type: 'string' },
  cased: { type: 'boolean' },
  'special-tokens': { type: 'string' },
  'model-max-length': { type: 'string' },
} as const;

export const trainTokenizerCommand: Command = {
  name: 'train-tokenizer',
  summary: 'Train a WordPiece or byte-level BPE tokenizer from text files',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values: v, positionals } = parseFlags(argv, OPTIONS, true);
    const type = v['type'] as string | undefined;
    if (type !== 'wordpiece' && type !== 'bpe') throw new UsageError(`--type must be wordpiece or bpe${type ? `, got "${type}"` : ''}`);
    const vocabSize = numberFlag(v['vocab-size'] as string | undefined, 'vocab-size', { int: true, min: 2 });
    if (vocabSize === undefined) throw new UsageError('--vocab-size is required');
    const inputs = [...((v['input'] as string[] | undefined) ?? []), ...positionals];
    if (inputs.length === 0) throw new UsageError('--input FILE is required');
    const output = v['output'] as string | undefined;
    if (!output) throw new UsageError('--output DIR is required');
    const format = ((v['format'] as string | undefined) ?? 'text') as DataFormat;
    if (!['text', 'label-text', 'csv', 'tsv', 'jsonl'].includes(format)) throw new UsageError(`--format must be text, label-text, csv, tsv or jsonl, got "${format}"`);
    const minFrequency = numberFlag(v['min-frequency'] as string | undefined, 'min-frequency', { int: true, min: 1 });
    const maxLen = numberFlag(v['model-max-length'] as string | undefined, 'model-max-length', { int: true, min: 1 }) ?? 512;
    const specials = (v['special-tokens'] as string | undefined)?.split(',').map((s) => s.trim()).filter(Boolean);

    const texts: string[] = [];
    for (const f of inputs) {
      const recs = readRecords(f, { objective: 'masked-lm', format, textColumn: (v['text-column'] as string | undefined) ?? null, textPairColumn: null, labelColumn: null });
      for (const r of recs) texts.push(r.text);
    }
    const t0 = performance.now();
    const tok =
      type === 'wordpiece'
        ? trainWordPiece(texts, { vocabSize, minFrequency, doLowerCase: v['cased'] !== true, specialTokens: specials, config: { model_max_length: maxLen } })
        : trainByteLevelBpe(texts, { vocabSize, minFrequency, specialTokens: specials, config: { model_max_length: maxLen } });
    const files = saveTokenizer(tok, output);
    io.stderr.write(`trained a ${type} tokenizer on ${texts.length} lines in ${((performance.now() - t0) / 1000).toFixed(1)}s: ${tok.vocabSize} tokens\n`);
    io.stdout.write(`${JSON.stringify({ output, type, vocab_size: tok.vocabSize, lines: texts.length, files })}\n`);
    return 0;
  },
};

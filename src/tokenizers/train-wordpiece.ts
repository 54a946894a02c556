// Trains a BERT WordPiece vocabulary from text: BERT's BasicTokenizer, word counts, BPE-style merges over
// `##` continuation symbols (frequency like HF's trainer, or the WordPiece likelihood score), special tokens first.
import { BertchatError } from '../util/errors.js';
import { BasicTokenizer } from './bert-basic.js';
import { parseTokenizerSettings } from './config.js';
import { learnMerges } from './train-merges.js';
import { BertTokenizer } from './wordpiece.js';

export interface TrainWordPieceOptions {
  /** Total vocabulary size including special tokens and the alphabet. */
  vocabSize: number;
  /** Default [PAD], [UNK], [CLS], [SEP], [MASK] (ids 0–4). */
  specialTokens?: string[];
  doLowerCase?: boolean;
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
  /** Keep at most this many distinct characters (most frequent first; default 1000, as HF). */
  limitAlphabet?: number;
  /** Pairs seen fewer times are not merged (default 2). */
  minFrequency?: number;
  /** 'frequency' (HF's trainer, fast) or 'wordpiece' (count(ab)/(count(a)·count(b)); rescans, slower). */
  score?: 'frequency' | 'wordpiece';
  /** Extra tokenizer_config.json fields (model_max_length, ...). */
  config?: Record<string, unknown>;
}

const DEFAULT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/**
 * Learns a WordPiece vocabulary from lines of text.
 * @example const tok = trainWordPiece(lines, { vocabSize: 8000 }); tok.encode('hello world').inputIds
 */
export function trainWordPiece(texts: Iterable<string>, opts: TrainWordPieceOptions): BertTokenizer {
  const specials = opts.specialTokens ?? DEFAULT_SPECIALS;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize <= specials.length) {
    throw new BertchatError('INVALID_ARGUMENT', `trainWordPiece: vocabSize must be an integer > ${specials.length}, got ${opts.vocabSize}`);
  }
  const doLowerCase = opts.doLowerCase ?? true;
  const basic = new BasicTokenizer({ doLowerCase, stripAccents: opts.stripAccents ?? null, tokenizeChineseChars: opts.tokenizeChineseChars ?? true });
  const wordCounts = new Map<string, number>();
  for (const line of texts) for (const w of basic.tokenize(line, specials)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  for (const s of specials) wordCounts.delete(s);

  const charCounts = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
  const chars = [...charCounts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, opts.limitAlphabet ?? 1000)
    .map(([ch]) => ch)
    .sort();
  // Every character both word-initially and as a `##` continuation, so no known character becomes [UNK].
  const alphabet = [...specials, ...chars, ...chars.map((c) => `##${c}`)];
  const id = new Map(alphabet.map((s, i) => [s, i]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    const syms: number[] = [];
    let ok = true;
    let first = true;
    for (const ch of w) {
      const s = id.get(first ? ch : `##${ch}`);
      if (s === undefined) { ok = false; break; }
      syms.push(s);
      first = false;
    }
    if (ok) { words.push(syms); counts.push(c); }
  }
  const join = (a: string, b: string): string => a + (b.startsWith('##') ? b.slice(2) : b);
  const learned = learnMerges(words, counts, alphabet, join, opts.vocabSize, { minFrequency: opts.minFrequency, score: opts.score });
  const names: Record<string, string> = { '[PAD]': 'pad_token', '[UNK]': 'unk_token', '[CLS]': 'cls_token', '[SEP]': 'sep_token', '[MASK]': 'mask_token' };
  const cfg: Record<string, unknown> = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: doLowerCase,
    do_basic_tokenize: true,
    tokenize_chinese_chars: opts.tokenizeChineseChars ?? true,
    strip_accents: opts.stripAccents ?? null,
    clean_up_tokenization_spaces: true,
  };
  for (const s of specials) if (names[s]) cfg[names[s]] = s;
  const extra = specials.filter((s) => !names[s]);
  if (extra.length) cfg['additional_special_tokens'] = extra;
  return new BertTokenizer(learned.symbols, parseTokenizerSettings({ ...cfg, ...opts.config }));
}

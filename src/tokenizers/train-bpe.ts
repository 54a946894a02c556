// Trains a GPT-2 style byte-level BPE tokenizer from text: GPT-2 regex pre-tokenizer, the 256 byte symbols
// first (GPT-2's order), then merges, then special tokens such as <|endoftext|> at the end (as in GPT-2).
import { BertchatError } from '../util/errors.js';
import { GPT2Tokenizer } from './bpe.js';
import { AddedTokenSplitter } from './added-tokens.js';
import { BYTE_TO_UNICODE, gpt2PreTokenize, toByteLevel } from './byte-level.js';
import { parseTokenizerSettings } from './config.js';
import { learnMerges } from './train-merges.js';
import { Vocab } from './vocab.js';

export interface TrainBpeOptions {
  /** Total vocabulary size including the 256 bytes and the special tokens. */
  vocabSize: number;
  /** Default ['<|endoftext|>']; the first is also bos/eos/unk. */
  specialTokens?: string[];
  /** Pairs seen fewer times are not merged (default 2). */
  minFrequency?: number;
  /** Settings written to tokenizer_config.json (model_max_length, chat_template, ...). */
  config?: Record<string, unknown>;
}

/**
 * Learns a byte-level BPE vocabulary from lines of text.
 * @example const tok = trainByteLevelBpe(lines, { vocabSize: 8000 }); saveTokenizer(tok, 'out/')
 */
export function trainByteLevelBpe(texts: Iterable<string>, opts: TrainBpeOptions): GPT2Tokenizer {
  const specials = opts.specialTokens ?? ['<|endoftext|>'];
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < 256 + specials.length) {
    throw new BertchatError('INVALID_ARGUMENT', `trainByteLevelBpe: vocabSize must be an integer ≥ ${256 + specials.length}, got ${opts.vocabSize}`);
  }
  const splitter = new AddedTokenSplitter(specials);
  const wordCounts = new Map<string, number>();
  for (const line of texts) {
    for (const seg of splitter.split(line)) {
      if (seg.added) continue;
      for (const piece of gpt2PreTokenize(seg.text)) {
        const w = toByteLevel(piece);
        wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
      }
    }
  }
  // GPT-2's byte order is the byte-level characters sorted by code point.
  const alphabet = BYTE_TO_UNICODE.slice().sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!);
  const charId = new Map(alphabet.map((c, i) => [c, i]));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push(Array.from(w, (ch) => charId.get(ch)!));
    counts.push(c);
  }
  const learned = learnMerges(words, counts, alphabet, (a, b) => a + b, opts.vocabSize - specials.length, {
    minFrequency: opts.minFrequency,
  });
  const vocab = Vocab.fromList(learned.symbols);
  for (const s of specials) if (!vocab.has(s)) vocab.set(s, vocab.size);
  const first = specials[0];
  const settings = parseTokenizerSettings({
    tokenizer_class: 'GPT2Tokenizer',
    add_prefix_space: false,
    add_bos_token: false,
    clean_up_tokenization_spaces: false,
    ...(first !== undefined ? { bos_token: first, eos_token: first, unk_token: first } : {}),
    ...(specials.length > 1 ? { additional_special_tokens: specials.slice(1) } : {}),
    ...opts.config,
  });
  return new GPT2Tokenizer(vocab, learned.merges, settings);
}

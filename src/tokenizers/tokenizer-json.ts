// Builds HF `tokenizer.json` objects (tokenizers 0.1x+ format) for our WordPiece and byte-level BPE tokenizers,
// loadable by @huggingface/tokenizers and Python `tokenizers`. Reading tokenizer.json is hf-json.ts.
import { BertchatError } from '../util/errors.js';
import type { GPT2Tokenizer } from './bpe.js';
import type { Tokenizer } from './tokenizer.js';
import type { BertTokenizer } from './wordpiece.js';

type Json = Record<string, unknown>;

function addedTokens(tok: Tokenizer, extra: Map<string, number>): Json[] {
  const seen = new Map<number, Json>();
  for (const t of tok.allSpecialTokens) {
    const id = tok.tokenToId(t);
    if (id !== undefined) seen.set(id, { id, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  }
  for (const [t, id] of extra) {
    if (!seen.has(id)) seen.set(id, { id, content: t, single_word: false, lstrip: false, rstrip: false, normalized: true, special: false });
  }
  return [...seen.values()].sort((a, b) => (a['id'] as number) - (b['id'] as number));
}

function template(parts: Array<string | 'A' | 'B'>, typeOf: (i: number) => number, specials: Set<string>): Json[] {
  return parts.map((p, i) =>
    specials.has(p) ? { SpecialToken: { id: p, type_id: typeOf(i) } } : { Sequence: { id: p, type_id: typeOf(i) } },
  );
}

function specialTokensEntry(tok: Tokenizer, names: string[]): Json {
  const o: Json = {};
  for (const n of names) {
    const id = tok.tokenToId(n);
    if (id === undefined) throw new BertchatError('TOKENIZER', `special token ${n} is not in the vocabulary`);
    o[n] = { id: n, ids: [id], tokens: [n] };
  }
  return o;
}

/**
 * tokenizer.json for a BERT WordPiece tokenizer (BertNormalizer, BertPreTokenizer, [CLS] A [SEP] B [SEP]).
 * @example writeFileSync('tokenizer.json', JSON.stringify(wordPieceTokenizerJson(bert)))
 */
export function wordPieceTokenizerJson(tok: BertTokenizer): Json {
  const cls = tok.clsToken!;
  const sep = tok.sepToken!;
  const sp = new Set([cls, sep]);
  const pairParts = [cls, 'A', sep, 'B', sep];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(tok, tok.addedTokens),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: tok.basic.tokenizeChineseChars,
      strip_accents: tok.basic.stripAccents,
      lowercase: tok.basic.doLowerCase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: template([cls, 'A', sep], () => 0, sp),
      pair: template(pairParts, (i) => (i >= 3 ? 1 : 0), sp),
      special_tokens: specialTokensEntry(tok, [cls, sep]),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: tok.unkToken ?? '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: tok.maxInputCharsPerWord,
      vocab: tok.vocab.toObject(),
    },
  };
}

/**
 * tokenizer.json for a GPT-2 style byte-level BPE tokenizer (ByteLevel pre-tokenizer/decoder, BPE model).
 * @example writeFileSync('tokenizer.json', JSON.stringify(byteLevelBpeTokenizerJson(gpt2)))
 */
export function byteLevelBpeTokenizerJson(tok: GPT2Tokenizer): Json {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: tok.addPrefixSpace, trim_offsets: true, use_regex: true };
  let post: Json = { ...byteLevel, trim_offsets: false };
  if (tok.addBosToken && tok.bosToken !== null) {
    const bos = tok.bosToken;
    const sp = new Set([bos]);
    post = {
      type: 'TemplateProcessing',
      single: template([bos, 'A'], () => 0, sp),
      pair: template([bos, 'A', bos, 'B'], (i) => (i >= 2 ? 1 : 0), sp),
      special_tokens: specialTokensEntry(tok, [bos]),
    };
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(tok, tok.addedTokens),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: post,
    decoder: { ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: tok.vocab.toObject(),
      merges: tok.model.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

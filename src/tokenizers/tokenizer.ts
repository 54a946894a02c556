// The common Tokenizer base class (HF PreTrainedTokenizer semantics): encode with pairs, truncation and
// padding, batch encode, decode, special tokens. Subclasses supply tokenize/vocab/decode of one sequence.
import { BertchatError } from '../util/errors.js';
import { cleanUpTokenization } from './added-tokens.js';
import type { TokenizerSettings } from './config.js';
import { normalizePadding, normalizeTruncation, padRow, targetPadLength, truncateSequences } from './truncation.js';
import type { BatchEncodeOptions, BatchEncoding, DecodeOptions, EncodeOptions, Encoding, SpecialTokenKey } from './types.js';

export type TokenizerKind = 'wordpiece' | 'bpe' | 'llama2c' | 'tokenizer.json';

/** Ids of one or two sequences with special tokens added, and their segment ids. */
export interface BuiltInputs {
  ids: number[];
  typeIds: number[];
}

export abstract class Tokenizer {
  abstract readonly kind: TokenizerKind;
  /** Settings from tokenizer_config.json / special_tokens_map.json. */
  readonly settings: TokenizerSettings;
  /** HF `model_input_names`; token_type_ids are returned only when listed. */
  modelInputNames: string[] = ['input_ids', 'attention_mask'];

  constructor(settings: TokenizerSettings) {
    this.settings = settings;
  }

  // ---- what a subclass supplies -------------------------------------------------------------
  /** Number of ids (base vocabulary plus added tokens): the largest id + 1. */
  abstract get vocabSize(): number;
  /** Splits text into vocabulary tokens, without special tokens added (HF `tokenize`). */
  abstract tokenize(text: string): string[];
  /** The id of one token, or undefined when it is not in the vocabulary. */
  abstract tokenToId(token: string): number | undefined;
  /** The token of one id, or undefined when out of range. */
  abstract idToToken(id: number): string | undefined;
  /** Joins tokens back into text (HF `convert_tokens_to_string`), before clean-up. */
  protected abstract tokensToString(tokens: string[]): string;

  /** Ids of one text without special tokens. */
  protected encodeText(text: string): number[] {
    return this.convertTokensToIds(this.tokenize(text));
  }
  /** Adds special tokens around one or two sequences (HF build_inputs_with_special_tokens). */
  protected buildInputs(ids: number[], pair: number[] | null): BuiltInputs {
    return pair === null
      ? { ids: ids.slice(), typeIds: new Array<number>(ids.length).fill(0) }
      : { ids: ids.concat(pair), typeIds: new Array<number>(ids.length).fill(0).concat(new Array<number>(pair.length).fill(1)) };
  }
  /** Whether decode removes spaces before punctuation by default (HF clean_up_tokenization_spaces). */
  get cleanUpTokenizationSpaces(): boolean {
    return this.settings.cleanUpTokenizationSpaces ?? false;
  }

  // ---- special tokens -----------------------------------------------------------------------
  private special(key: SpecialTokenKey): string | null {
    return this.settings.specialTokens[key] ?? null;
  }
  private specialId(key: SpecialTokenKey): number | null {
    const t = this.special(key);
    return t === null ? null : (this.tokenToId(t) ?? null);
  }
  get padToken(): string | null { return this.special('pad_token'); }
  get padTokenId(): number | null { return this.specialId('pad_token'); }
  get clsToken(): string | null { return this.special('cls_token'); }
  get clsTokenId(): number | null { return this.specialId('cls_token'); }
  get sepToken(): string | null { return this.special('sep_token'); }
  get sepTokenId(): number | null { return this.specialId('sep_token'); }
  get maskToken(): string | null { return this.special('mask_token'); }
  get maskTokenId(): number | null { return this.specialId('mask_token'); }
  get unkToken(): string | null { return this.special('unk_token'); }
  get unkTokenId(): number | null { return this.specialId('unk_token'); }
  get bosToken(): string | null { return this.special('bos_token'); }
  get bosTokenId(): number | null { return this.specialId('bos_token'); }
  get eosToken(): string | null { return this.special('eos_token'); }
  get eosTokenId(): number | null { return this.specialId('eos_token'); }
  /** null when tokenizer_config.json has no limit (or HF's huge sentinel). */
  get modelMaxLength(): number | null { return this.settings.modelMaxLength; }
  get chatTemplate(): string | null { return this.settings.chatTemplate; }
  get paddingSide(): 'left' | 'right' { return this.settings.paddingSide; }

  /** All special token strings (standard ones, then additional_special_tokens), without duplicates. */
  get allSpecialTokens(): string[] {
    const out = new Set<string>(Object.values(this.settings.specialTokens));
    for (const t of this.settings.additionalSpecialTokens) out.add(t);
    return [...out];
  }
  /** Ids of all special tokens that are in the vocabulary. */
  get allSpecialIds(): Set<number> {
    const ids = new Set<number>();
    for (const t of this.allSpecialTokens) {
      const id = this.tokenToId(t);
      if (id !== undefined) ids.add(id);
    }
    return ids;
  }

  // ---- conversions --------------------------------------------------------------------------
  /** Tokens → ids; unknown tokens become the unk id (TOKENIZER error when there is none). */
  convertTokensToIds(tokens: string[]): number[] {
    const unk = this.unkTokenId;
    return tokens.map((t) => {
      const id = this.tokenToId(t) ?? unk;
      if (id === null) throw new BertchatError('TOKENIZER', `token ${JSON.stringify(t)} is not in the vocabulary and there is no unk_token`);
      return id;
    });
  }
  /** Ids → tokens; an id outside the vocabulary throws INDEX_OUT_OF_RANGE. */
  convertIdsToTokens(ids: number[], skipSpecialTokens = false): string[] {
    const special = skipSpecialTokens ? this.allSpecialIds : null;
    const out: string[] = [];
    for (const id of ids) {
      if (special?.has(id)) continue;
      const t = this.idToToken(id);
      if (t === undefined) throw new BertchatError('INDEX_OUT_OF_RANGE', `token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      out.push(t);
    }
    return out;
  }
  /** Number of special tokens added to a single sequence or a pair. */
  numSpecialTokensToAdd(pair = false): number {
    return this.buildInputs([], pair ? [] : null).ids.length;
  }

  // ---- encode -------------------------------------------------------------------------------
  /**
   * Encodes one text (or a pair) like HF `tokenizer(text, text_pair)`.
   * @example tok.encode('hello world') // { inputIds: [101, 7592, 2088, 102], attentionMask: [1,1,1,1], tokenTypeIds: [0,0,0,0], ... }
   * @example tok.encode('a', { textPair: 'b', truncation: 'only_second', maxLength: 8 })
   */
  encode(text: string, opts: EncodeOptions = {}): Encoding {
    const pair = opts.textPair ?? null;
    const ids = this.encodeText(this.checkText(text));
    const pairIds = pair === null ? null : this.encodeText(this.checkText(pair));
    const truncation = opts.truncation === undefined && opts.maxLength !== undefined ? 'longest_first' : opts.truncation;
    return this.prepareForModel(ids, pairIds, opts.addSpecialTokens ?? true, truncation, opts.maxLength, opts.returnTokenTypeIds);
  }

  /**
   * Encodes a batch of texts or [text, pair] tuples into rectangular arrays (when padding is on).
   * @example tok.encodeBatch(['hi', 'hello world'], { padding: true }).attentionMask // [[1,1,1,0], [1,1,1,1]]
   */
  encodeBatch(texts: Array<string | [string, string]>, opts: BatchEncodeOptions = {}): BatchEncoding {
    const padding = normalizePadding(opts.padding);
    const truncation =
      opts.truncation === undefined && opts.maxLength !== undefined && padding === 'do_not_pad' ? 'longest_first' : opts.truncation;
    const rows = texts.map((t) => {
      const [a, b] = typeof t === 'string' ? [t, null] : t;
      const ids = this.encodeText(this.checkText(a));
      const pairIds = b === null ? null : this.encodeText(this.checkText(b));
      return this.prepareForModel(ids, pairIds, opts.addSpecialTokens ?? true, truncation, opts.maxLength, opts.returnTokenTypeIds);
    });
    const maxLen = opts.maxLength ?? this.modelMaxLength;
    const target = targetPadLength(rows.map((r) => r.inputIds.length), padding, maxLen, opts.padToMultipleOf);
    const side = opts.paddingSide ?? this.paddingSide;
    const out: BatchEncoding = { inputIds: [], attentionMask: [] };
    const wantTypes = rows.some((r) => r.tokenTypeIds !== undefined);
    if (wantTypes) out.tokenTypeIds = [];
    let padId = 0;
    if (target !== null && rows.some((r) => r.inputIds.length < target)) {
      const p = this.padTokenId;
      if (p === null) {
        throw new BertchatError('TOKENIZER', 'asked to pad but the tokenizer has no pad_token (set pad_token in tokenizer_config.json, e.g. to the eos token)');
      }
      padId = p;
    }
    for (const r of rows) {
      const len = target ?? r.inputIds.length;
      out.inputIds.push(padRow(r.inputIds, len, padId, side));
      out.attentionMask.push(padRow(r.attentionMask, len, 0, side));
      if (wantTypes) out.tokenTypeIds!.push(padRow(r.tokenTypeIds ?? [], len, 0, side));
    }
    return out;
  }

  private checkText(text: unknown): string {
    if (typeof text !== 'string') throw new BertchatError('INVALID_ARGUMENT', `tokenizer input must be a string, got ${typeof text}`);
    return text;
  }

  private prepareForModel(
    ids: number[],
    pairIds: number[] | null,
    addSpecial: boolean,
    truncationOpt: EncodeOptions['truncation'],
    maxLength: number | undefined,
    returnTypes: boolean | undefined,
  ): Encoding {
    const strategy = normalizeTruncation(truncationOpt);
    const limit = maxLength ?? this.modelMaxLength;
    if (strategy !== 'do_not_truncate' && limit !== null) {
      const total = ids.length + (pairIds?.length ?? 0) + (addSpecial ? this.numSpecialTokensToAdd(pairIds !== null) : 0);
      ({ ids, pairIds } = truncateSequences(ids, pairIds, total - limit, strategy, this.settings.truncationSide));
    }
    const built: BuiltInputs = addSpecial
      ? this.buildInputs(ids, pairIds)
      : { ids: ids.concat(pairIds ?? []), typeIds: new Array<number>(ids.length + (pairIds?.length ?? 0)).fill(0) };
    const enc: Encoding = {
      inputIds: built.ids,
      attentionMask: new Array<number>(built.ids.length).fill(1),
      tokens: this.convertIdsToTokens(built.ids),
    };
    if (returnTypes ?? this.modelInputNames.includes('token_type_ids')) enc.tokenTypeIds = built.typeIds;
    return enc;
  }

  // ---- decode -------------------------------------------------------------------------------
  /**
   * Decodes ids to text like HF `decode`.
   * @example tok.decode([101, 7592, 2088, 102], { skipSpecialTokens: true }) // 'hello world'
   */
  decode(ids: number[], opts: DecodeOptions = {}): string {
    const tokens = this.convertIdsToTokens(ids, opts.skipSpecialTokens ?? false);
    const text = this.tokensToString(tokens);
    return (opts.cleanUpTokenizationSpaces ?? this.cleanUpTokenizationSpaces) ? cleanUpTokenization(text) : text;
  }

  /** Decodes each row; see `decode`. */
  batchDecode(batch: number[][], opts: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, opts));
  }
}

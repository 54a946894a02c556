// From texts to model inputs: text/pair normalisation, encoding with the context-length check or truncation,
// and batching with dynamic padding (each batch padded to its own longest row, rows sorted by length).
// Also the two helpers of the seed example: tokenizeToTensors and argmax.
import { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import type { Encoding } from '../tokenizers/types.js';
import { BertchatError } from '../util/errors.js';
import type { TraceHook } from '../models/bert/modeling.js';

/** A sentence pair, as HF pipelines take it (`{text, text_pair}`); `textPair` is accepted too. */
export interface TextPair {
  text: string;
  text_pair?: string | null;
  textPair?: string | null;
}
export type TextInput = string | TextPair;

/** Options every pipeline call accepts (camelCase, with HF's snake_case spellings as aliases). */
export interface CommonOptions {
  /** Rows per forward pass (default 8). Results do not depend on it. */
  batchSize?: number;
  batch_size?: number;
  /**
   * Cut inputs to the model's limit (min of the tokenizer's model_max_length and max_position_embeddings, or
   * `maxLength`). Default false: a longer input is rejected with a CONTEXT_LENGTH error naming both lengths.
   */
  truncation?: boolean;
  maxLength?: number;
  max_length?: number;
  /**
   * Called for each named intermediate of each batch's forward pass (BERT: `embeddings`,
   * `encoder.layer.N.attention.probs`, `encoder.layer.N.attention.output`, `encoder.layer.N.output`, `pooler`;
   * DistilBERT: `embeddings`, `transformer.layer.N...`). Tensors are padded (B, T, ...) batches.
   */
  trace?: TraceHook;
}

/** One encoded input, unpadded. */
export interface EncodedText {
  ids: number[];
  typeIds: number[];
  /** Token strings (vocabulary form). */
  tokens: string[];
}

/** Splits a TextInput into (text, pair), validating its type; `where` names the input in errors. */
export function textAndPair(x: TextInput, where: string): [string, string | null] {
  if (typeof x === 'string') return [x, null];
  if (x && typeof x === 'object' && typeof x.text === 'string') {
    const pair = x.text_pair ?? x.textPair ?? null;
    if (pair !== null && typeof pair !== 'string') throw new BertchatError('INVALID_ARGUMENT', `${where}: text_pair must be a string, got ${typeof pair}`);
    return [x.text, pair];
  }
  throw new BertchatError('INVALID_ARGUMENT', `${where}: expected a string or {text, text_pair}, got ${x === null ? 'null' : typeof x}`);
}

/** Model context limit of an encoder config. */
export function maxPositions(config: { max_position_embeddings?: number }): number {
  return config.max_position_embeddings ?? Number.POSITIVE_INFINITY;
}

/**
 * Encodes inputs for an encoder: [CLS] text [SEP] (pair: + text_pair [SEP]). With truncation on, inputs are cut
 * to `maxLength` (default: the smaller of model_max_length and the model's max positions); otherwise an input
 * longer than `limit` is a CONTEXT_LENGTH error naming its index, length and the limit.
 */
export function encodeTexts(tokenizer: Tokenizer, inputs: readonly TextInput[], limit: number, opts: { truncation?: boolean; maxLength?: number } = {}): EncodedText[] {
  const trunc = opts.truncation ?? false;
  const cut = trunc ? Math.min(opts.maxLength ?? tokenizer.modelMaxLength ?? limit, limit) : undefined;
  return inputs.map((x, i) => {
    const where = `input ${i}`;
    const [text, pair] = textAndPair(x, where);
    const enc: Encoding = tokenizer.encode(text, { textPair: pair, truncation: trunc ? 'longest_first' : false, maxLength: cut, returnTokenTypeIds: true });
    if (enc.inputIds.length > limit) {
      throw new BertchatError(
        'CONTEXT_LENGTH',
        `${where} is ${enc.inputIds.length} tokens long, which exceeds the model's limit of ${limit} tokens (max_position_embeddings); pass truncation: true (CLI: --truncation) to cut it`,
        { input: i, length: enc.inputIds.length, limit },
      );
    }
    return { ids: enc.inputIds, typeIds: enc.tokenTypeIds ?? new Array<number>(enc.inputIds.length).fill(0), tokens: enc.tokens ?? tokenizer.convertIdsToTokens(enc.inputIds) };
  });
}

/** A padded batch: which inputs it holds (indices into the encoded list) and its int32 tensors. */
export interface PaddedBatch {
  indices: number[];
  inputIds: Tensor; // int32 (B, T)
  attentionMask: Tensor; // int32 (B, T)
  tokenTypeIds: Tensor; // int32 (B, T)
}

/** Right-pads rows of ids into (B, T) int32 tensors; T is the longest row. */
export function padRows(rows: readonly EncodedText[], padId: number): Omit<PaddedBatch, 'indices'> {
  const B = rows.length;
  const T = Math.max(1, ...rows.map((r) => r.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Int32Array(B * T);
  const types = new Int32Array(B * T);
  rows.forEach((r, b) => {
    ids.set(r.ids, b * T);
    mask.fill(1, b * T, b * T + r.ids.length);
    types.set(r.typeIds, b * T);
  });
  return { inputIds: new Tensor(ids, [B, T]), attentionMask: new Tensor(mask, [B, T]), tokenTypeIds: new Tensor(types, [B, T]) };
}

/**
 * Dynamic padding: inputs sorted by length (longest first), cut into batches of `batchSize`, each padded
 * only to its own longest row. Padding is invisible in the results (pad keys are masked).
 */
export function makeBatches(encoded: readonly EncodedText[], batchSize: number, padId: number): PaddedBatch[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new BertchatError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}`);
  const order = encoded.map((_, i) => i).sort((a, b) => encoded[b]!.ids.length - encoded[a]!.ids.length || a - b);
  const out: PaddedBatch[] = [];
  for (let s = 0; s < order.length; s += batchSize) {
    const indices = order.slice(s, s + batchSize);
    out.push({ indices, ...padRows(indices.map((i) => encoded[i]!), padId) });
  }
  return out;
}

/** The int32 model inputs of the seed example. */
export interface TensorInputs {
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds: Tensor;
}

/**
 * HF `tokenizer(texts, padding=True, return_tensors='pt')`: int32 (B, T) tensors, right-padded to the longest
 * row. A single string gives B = 1. Pairs are `{text, text_pair}` or `[text, pair]`.
 *
 * @example
 * const inputs = tokenizeToTensors(tokenizer, 'This is an example sentence.');
 * const { logits } = model.forward(inputs);
 */
export function tokenizeToTensors(
  tokenizer: Tokenizer,
  texts: TextInput | [string, string] | ReadonlyArray<TextInput | [string, string]>,
  opts: { truncation?: boolean; maxLength?: number } = {},
): TensorInputs {
  const isPairTuple = (x: unknown): x is [string, string] => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string';
  const list: TextInput[] = (typeof texts === 'string' || isPairTuple(texts) || !Array.isArray(texts) ? [texts] : texts).map((x) =>
    isPairTuple(x) ? { text: x[0], text_pair: x[1] } : (x as TextInput),
  );
  const limit = opts.truncation ? (opts.maxLength ?? tokenizer.modelMaxLength ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
  const encoded = encodeTexts(tokenizer, list, limit, opts);
  return padRows(encoded, tokenizer.padTokenId ?? 0);
}

/**
 * Index of the largest element (first on ties) of a tensor or array, over all its elements.
 * @example const label = model.config.id2label[argmax(logits)];
 */
export function argmax(x: Tensor | ArrayLike<number>): number {
  const v = x instanceof Tensor ? x.values() : x;
  if (v.length === 0) throw new BertchatError('INVALID_ARGUMENT', 'argmax: empty input');
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Softmax of a row (float64 accumulation, float32-rounded results like numpy on float32 logits). */
export function softmaxRow(row: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]!);
  const e = Array.from(row, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => Math.fround(x / s));
}

/** Logistic sigmoid per element. */
export function sigmoidRow(row: ArrayLike<number>): number[] {
  return Array.from(row, (x) => Math.fround(1 / (1 + Math.exp(-x))));
}

/** Batch size from the option spellings, default 8. */
export function batchSizeOf(o: CommonOptions): number {
  return o.batchSize ?? o.batch_size ?? 8;
}

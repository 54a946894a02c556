// 'feature-extraction' (HF FeatureExtractionPipeline: the last hidden states, (1, T, C) per input) and
// sentence embeddings: one vector per input, pooled over tokens ('cls' or mask-aware 'mean'), optionally L2-normalised.
import { BertchatError } from '../util/errors.js';
import { asList, runEncoder, type PipelineParts, type RowOutput } from './base.js';
import type { CommonOptions, TextInput } from './inputs.js';

export type Pooling = 'none' | 'cls' | 'mean';

export interface FeatureExtractionOptions extends CommonOptions {
  /** 'none' (default): token vectors; 'cls' / 'mean': one vector per input (see `embed`). */
  pooling?: Pooling;
  /** L2-normalise pooled vectors (default false). */
  normalize?: boolean;
}

export interface EmbedOptions extends CommonOptions {
  /** 'mean' (default; over real tokens, [CLS] and [SEP] included, as sentence-transformers) or 'cls'. */
  pooling?: Exclude<Pooling, 'none'>;
  /** L2-normalise each vector (default false). */
  normalize?: boolean;
}

function tokenVectors(r: RowOutput): number[][] {
  const T = r.enc.ids.length;
  const C = r.hidden.length / T;
  return Array.from({ length: T }, (_, t) => Array.from(r.hidden.subarray(t * C, (t + 1) * C)));
}

/** Pools one input's (T, C) vectors. Padding never enters: rows are already cut to the input's length. */
export function pool(r: RowOutput, pooling: Exclude<Pooling, 'none'>, normalize: boolean): number[] {
  const T = r.enc.ids.length;
  const C = r.hidden.length / T;
  let v: Float64Array;
  if (pooling === 'cls') v = Float64Array.from(r.hidden.subarray(0, C));
  else if (pooling === 'mean') {
    v = new Float64Array(C);
    for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) v[c]! += r.hidden[t * C + c]!;
    for (let c = 0; c < C; c++) v[c]! /= T;
  } else throw new BertchatError('INVALID_ARGUMENT', `pooling must be "cls" or "mean", got ${JSON.stringify(pooling)}`);
  if (normalize) {
    let n = 0;
    for (const x of v) n += x * x;
    n = Math.max(Math.sqrt(n), 1e-12); // torch.nn.functional.normalize's eps
    for (let c = 0; c < C; c++) v[c]! /= n;
  }
  return Array.from(v, (x) => Math.fround(x));
}

/**
 * Token vectors as HF: a string → `[[[...C], ...T]]` (shape (1, T, C)); a list → one (1, T, C) per input.
 * With `pooling` 'cls' | 'mean' the result is one vector per input instead (like `embed`).
 *
 * @example const [[tokens]] = [await extractFeatures(parts, 'hello')]; // tokens: (T, C)
 */
export async function extractFeatures(
  parts: PipelineParts,
  inputs: TextInput | readonly TextInput[],
  opts: FeatureExtractionOptions = {},
): Promise<number[][][] | number[][][][] | number[] | number[][]> {
  const pooling = opts.pooling ?? 'none';
  if (pooling !== 'none') return embed(parts, inputs, { ...opts, pooling });
  const { list, single } = asList(inputs, 'feature-extraction');
  const out = runEncoder(parts, list, opts, false).map((r) => [tokenVectors(r)]);
  return single ? out[0]! : out;
}

/**
 * Sentence embeddings: one vector (C) for a string, a list of vectors for a list.
 * @example const [a, b] = (await embed(parts, ['a cat', 'a dog'], { normalize: true })) as number[][];
 */
export async function embed(parts: PipelineParts, inputs: TextInput | readonly TextInput[], opts: EmbedOptions = {}): Promise<number[] | number[][]> {
  const { list, single } = asList(inputs, 'embeddings');
  const pooling = opts.pooling ?? 'mean';
  const out = runEncoder(parts, list, opts, false).map((r) => pool(r, pooling, opts.normalize ?? false));
  return single ? out[0]! : out;
}

// Choosing the next token from processed logits: greedy argmax or a draw from softmax with a seeded Rng;
// log-probabilities of the chosen token and the top alternatives (log-softmax of the processed logits).
import type { Rng } from '../util/rng.js';

/** Index of the largest logit (the first one on ties, as torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bv = logits[0]!;
  for (let i = 1; i < logits.length; i++) {
    if (logits[i]! > bv) {
      bv = logits[i]!;
      best = i;
    }
  }
  return best;
}

/** Draws an index with probability softmax(logits) (−Infinity entries never); one rng.random() per call. */
export function sample(logits: Float32Array, rng: Rng): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i]! !== -Infinity) sum += Math.exp(logits[i]! - max);
  const u = rng.random() * sum;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! === -Infinity) continue;
    acc += Math.exp(logits[i]! - max);
    last = i;
    if (u < acc) return i;
  }
  return last; // rounding: u landed past the final cumulative sum
}

/** log Σ exp(logits), float64. */
export function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

export interface TokenLogprob {
  tokenId: number;
  logprob: number;
}

/** The k most likely ids with their log-probabilities (descending; ties by lower id), given logSumExp. */
export function topLogprobs(logits: Float32Array, k: number, lse: number): TokenLogprob[] {
  if (k <= 0) return [];
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (ids.length === k && v <= logits[ids[k - 1]!]!) continue;
    let j = ids.length < k ? ids.length : k - 1;
    if (ids.length < k) ids.push(i);
    while (j > 0 && logits[ids[j - 1]!]! < v) {
      ids[j] = ids[j - 1]!;
      j--;
    }
    ids[j] = i;
  }
  return ids.map((id) => ({ tokenId: id, logprob: logits[id]! - lse }));
}

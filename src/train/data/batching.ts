// Batches: a seeded, length-bucketed order per epoch (shuffle, sort by length within chunks, shuffle the
// batches) that is a pure function of (seed, epoch) so a resumed run sees the same batches; and collation
// with dynamic padding into tensors (ids, mask, segment ids, labels; MLM masking; shifted causal targets).
import { Tensor } from '../../tensor/tensor.js';
import { Rng } from '../../util/rng.js';
import type { Example } from './examples.js';
import { maskTokens, type MaskingOptions } from './masking.js';

export interface Batch {
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds: Tensor | null;
  /** int32 (B) class ids, or (B, T) token targets with -100 where no loss. */
  labels: Tensor;
  numExamples: number;
  /** Real (non-pad) tokens. */
  numTokens: number;
  /** Positions (LM) or examples (classification) that carry a loss: the weight in accumulation. */
  numTargets: number;
}

/** A generator stream derived from a seed and a few integers (epoch, step, ...), independent of history. */
export function derivedRng(seed: number, ...parts: number[]): Rng {
  let h = BigInt(seed) & 0xffffffffn;
  for (const p of parts) h = ((h * 0x9e3779b97f4a7c15n) ^ BigInt(p + 1)) & 0xffffffffffffffffn;
  return new Rng(h);
}

/**
 * The batches of one epoch (lists of example indices). Examples are shuffled, cut into chunks of
 * `bucketBatches` batches, sorted by length inside each chunk (so a batch holds similar lengths and pads
 * little), batched, and the batches shuffled.
 */
export function epochBatches(lengths: ArrayLike<number>, batchSize: number, seed: number, epoch: number, bucketBatches: number): number[][] {
  const rng = derivedRng(seed, 1, epoch);
  const order = rng.shuffle(Array.from({ length: lengths.length }, (_, i) => i));
  const chunk = batchSize * bucketBatches;
  const batches: number[][] = [];
  for (let c = 0; c < order.length; c += chunk) {
    const part = order.slice(c, c + chunk).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
    for (let b = 0; b < part.length; b += batchSize) batches.push(part.slice(b, b + batchSize));
  }
  return rng.shuffle(batches);
}

/** Evaluation batches: sorted by length (fast), not shuffled. */
export function evalBatches(lengths: ArrayLike<number>, batchSize: number): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
  const out: number[][] = [];
  for (let b = 0; b < order.length; b += batchSize) out.push(order.slice(b, b + batchSize));
  return out;
}

export type CollateKind = 'classification' | 'masked-lm' | 'causal-lm';

export interface CollateOptions {
  kind: CollateKind;
  padId: number;
  /** Masked LM only. */
  masking?: MaskingOptions;
  /** Masked LM only: the masking stream for this batch. */
  rng?: Rng;
}

/** Pads a batch of examples to its longest row (right padding) and builds the label tensor. */
export function collate(examples: Example[], opts: CollateOptions): Batch {
  const B = examples.length;
  let T = 0;
  for (const e of examples) T = Math.max(T, e.ids.length);
  const ids = new Int32Array(B * T).fill(opts.padId);
  const mask = new Int32Array(B * T);
  const anyTypes = examples.some((e) => e.typeIds !== null);
  const types = anyTypes ? new Int32Array(B * T) : null;
  let numTokens = 0;
  for (let b = 0; b < B; b++) {
    const e = examples[b]!;
    ids.set(e.ids, b * T);
    mask.fill(1, b * T, b * T + e.ids.length);
    if (types && e.typeIds) types.set(e.typeIds, b * T);
    numTokens += e.ids.length;
  }
  let labels: Tensor;
  let numTargets = 0;
  if (opts.kind === 'classification') {
    labels = new Tensor(Int32Array.from(examples, (e) => e.label), [B]);
    numTargets = B;
  } else if (opts.kind === 'masked-lm') {
    const lab = new Int32Array(B * T).fill(-100);
    for (let b = 0; b < B; b++) {
      const e = examples[b]!;
      const row = ids.subarray(b * T, b * T + e.ids.length);
      numTargets += maskTokens(row, e.wordStarts, lab.subarray(b * T, b * T + e.ids.length), opts.masking!, opts.rng!);
    }
    labels = new Tensor(lab, [B, T]);
  } else {
    // targets shifted left by one: position t predicts token t+1 (HF shifts inside the model; same loss)
    const lab = new Int32Array(B * T).fill(-100);
    for (let b = 0; b < B; b++) {
      const e = examples[b]!;
      const src = e.lmLabels ?? e.ids;
      for (let t = 0; t + 1 < e.ids.length; t++) {
        const v = src[t + 1]!;
        lab[b * T + t] = v;
        if (v !== -100) numTargets++;
      }
    }
    labels = new Tensor(lab, [B, T]);
  }
  return {
    inputIds: new Tensor(ids, [B, T]),
    attentionMask: new Tensor(mask, [B, T]),
    tokenTypeIds: types ? new Tensor(types, [B, T]) : null,
    labels,
    numExamples: B,
    numTokens,
    numTargets,
  };
}

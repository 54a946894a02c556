// Inference weight packing. A GEMM packs its B operand into the micro-kernel's panel layout on every call; for a
// model's weights at inference that work repeats for nothing (for BERT-base at batch 1 it is a tenth of the
// forward). A weight marked packable keeps, beside its data, a copy in that layout, made the first time a large
// enough product uses it and reused while the weight stays frozen (requiresGrad false) and keeps the same
// storage. Module.packForInference() marks a model's matrices; train() / requiresGrad_(true) drop the copies.
// Cost: the copy doubles those weights' memory, which is why decoders (whose decode is GEMV) are not packed.
// Writing into a packed weight's storage in place is not detected: call dropPackedWeight (or re-mark) after.
import type { Tensor } from './tensor.js';
import { getBackend } from './backend/index.js';

interface Pack {
  data: Tensor['data'];
  key: string;
  buf: Float32Array | null;
}

const packable = new WeakSet<Tensor>();
const packs = new WeakMap<Tensor, Pack>();

/** Marks a weight as constant for inference: products with it may use a pre-packed copy. */
export function markPackable(w: Tensor): void {
  packable.add(w);
}

/** Unmarks a weight and drops its packed copy. */
export function dropPackedWeight(w: Tensor): void {
  packable.delete(w);
  packs.delete(w);
}

/** Whether a packed copy of `w` exists now (for tests and memory accounting). */
export function hasPackedWeight(w: Tensor): boolean {
  return packs.get(w)?.buf != null;
}

/**
 * The packed op(B) for a product with weight `w` (its storage read from w.offset with row stride ldb), packing it
 * on first use; null when `w` is not marked, requires grad, or the back end does not pack.
 */
export function packedWeight(w: Tensor, transB: boolean, K: number, N: number, ldb: number): Float32Array | null {
  if (!packable.has(w) || w.requiresGrad || w.dtype !== 'float32') return null;
  const be = getBackend();
  if (!be.packWeight) return null;
  const key = `${be.name}:${transB ? 't' : 'n'}:${K}:${N}:${ldb}:${w.offset}`;
  const have = packs.get(w);
  if (have && have.data === w.data && have.key === key) return have.buf;
  const buf = be.packWeight(transB, K, N, w.data as Float32Array, w.offset, ldb);
  packs.set(w, { data: w.data, key, buf });
  return buf;
}

// KV cache for incremental decoding: per layer, preallocated K and V buffers of (B, nkv, maxLength, hs),
// written in place as tokens arrive (no concat of the whole cache per step) and read back as strided views
// that matmul consumes without copies. Its size is fixed at creation and bounded by the model's context.
import { Tensor } from '../tensor/tensor.js';
import { shapeStr } from '../tensor/shape.js';
import { BertchatError } from '../util/errors.js';

export interface KVCacheOptions {
  numLayers: number;
  batch: number;
  numKvHeads: number;
  headDim: number;
  /** Positions the cache can hold (prompt + new tokens); at most the model's context. */
  maxLength: number;
}

/**
 * Preallocated key/value store, one pair of buffers per layer.
 * @example
 * const cache = model.newCache(1, 64); // cache.bytes == 2 · layers · 1 · nkv · 64 · hs · 4
 * model.forward(promptIds, { cache });  // prefill: cache.length == prompt length
 * model.forward(nextId, { cache });     // one step: reads the cached keys, appends one position
 */
export class KVCache {
  readonly numLayers: number;
  readonly batch: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly maxLength: number;
  /** Positions filled so far (the same for every layer between forwards). */
  length = 0;
  private readonly k: Float32Array[];
  private readonly v: Float32Array[];

  constructor(o: KVCacheOptions) {
    for (const [k, v] of Object.entries(o)) {
      if (!Number.isSafeInteger(v) || v < (k === 'numLayers' ? 0 : 1)) throw new BertchatError('INVALID_ARGUMENT', `KVCache: ${k} must be a positive integer, got ${v}`);
    }
    this.numLayers = o.numLayers;
    this.batch = o.batch;
    this.numKvHeads = o.numKvHeads;
    this.headDim = o.headDim;
    this.maxLength = o.maxLength;
    const n = o.batch * o.numKvHeads * o.maxLength * o.headDim;
    this.k = Array.from({ length: o.numLayers }, () => new Float32Array(n));
    this.v = Array.from({ length: o.numLayers }, () => new Float32Array(n));
  }

  /** Memory held by the K and V buffers, in bytes. */
  get bytes(): number {
    return 2 * this.numLayers * this.batch * this.numKvHeads * this.maxLength * this.headDim * 4;
  }

  /** Positions still free. */
  get remaining(): number {
    return this.maxLength - this.length;
  }

  /** Throws CONTEXT_LENGTH when `t` more positions do not fit. */
  checkRoom(t: number): void {
    if (this.length + t > this.maxLength) {
      throw new BertchatError('CONTEXT_LENGTH', `KV cache: ${this.length} cached + ${t} new positions exceed its size ${this.maxLength}`, {
        cached: this.length,
        requested: t,
        maxLength: this.maxLength,
      });
    }
  }

  /**
   * Writes k, v of (B, T, nkv, hs) at positions [length, length + T) of `layer` and returns views of
   * every cached position, (B, nkv, length + T, hs). Call advance(T) once all layers are written.
   */
  update(layer: number, k: Tensor, v: Tensor): { keys: Tensor; values: Tensor } {
    const { batch: B, numKvHeads: nkv, headDim: hs, maxLength: S } = this;
    const T = k.shape[1]!;
    const ok = (x: Tensor) => x.ndim === 4 && x.shape[0] === B && x.shape[2] === nkv && x.shape[3] === hs && x.shape[1] === T;
    if (!ok(k) || !ok(v)) {
      throw new BertchatError('SHAPE_MISMATCH', `KV cache: k ${shapeStr(k.shape)} / v ${shapeStr(v.shape)} do not fit (B=${B}, T, nkv=${nkv}, hs=${hs})`);
    }
    if (layer < 0 || layer >= this.numLayers) throw new BertchatError('INDEX_OUT_OF_RANGE', `KV cache: layer ${layer} out of range [0, ${this.numLayers})`);
    this.checkRoom(T);
    const p0 = this.length;
    const kd = this.k[layer]!;
    const vd = this.v[layer]!;
    const kv = k.floats('kv cache');
    const vv = v.floats('kv cache');
    // (B, T, nkv, hs) rows → (B, nkv, S, hs) slots
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const src = ((b * T + t) * nkv) * hs;
        for (let h = 0; h < nkv; h++) {
          const dst = ((b * nkv + h) * S + p0 + t) * hs;
          kd.set(kv.subarray(src + h * hs, src + (h + 1) * hs), dst);
          vd.set(vv.subarray(src + h * hs, src + (h + 1) * hs), dst);
        }
      }
    }
    const L = p0 + T;
    const strides = [nkv * S * hs, S * hs, hs, 1];
    return { keys: new Tensor(kd, [B, nkv, L, hs], strides, 0), values: new Tensor(vd, [B, nkv, L, hs], strides, 0) };
  }

  /** Marks `t` positions as filled (after every layer has been updated). */
  advance(t: number): void {
    this.checkRoom(t);
    this.length += t;
  }

  /** Empties the cache for reuse (the buffers are kept). */
  reset(): void {
    this.length = 0;
  }
}

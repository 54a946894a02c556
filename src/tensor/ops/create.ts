// Tensor constructors: from arrays, zeros/ones/full, arange, seeded normal/uniform initialisation.
import { Tensor } from '../tensor.js';
import { checkShape, numel, type Shape } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';

type Nested = number | Nested[];

function flatten(x: Nested, shape: number[], depth: number, out: number[]): void {
  if (typeof x === 'number') {
    if (depth !== shape.length) throw new BertchatError('SHAPE_MISMATCH', 'tensor: ragged nested array');
    out.push(x);
    return;
  }
  if (depth === shape.length) shape.push(x.length);
  else if (shape[depth] !== x.length) throw new BertchatError('SHAPE_MISMATCH', `tensor: ragged nested array (length ${x.length} vs ${shape[depth]} at depth ${depth})`);
  for (const e of x) flatten(e, shape, depth + 1, out);
}

/**
 * A float32 tensor from nested arrays or a typed array plus shape.
 * @example tensor([[1, 2], [3, 4]]) // shape [2, 2]
 */
export function tensor(data: Nested | Float32Array, shape?: Shape): Tensor {
  if (data instanceof Float32Array) return new Tensor(data, shape ?? [data.length]);
  const s: number[] = [];
  const flat: number[] = [];
  flatten(data, s, 0, flat);
  const t = new Tensor(Float32Array.from(flat), s);
  return shape ? t.reshape(...shape) : t;
}

/** An int32 tensor (token ids, labels). */
export function intTensor(data: Nested | Int32Array, shape?: Shape): Tensor {
  if (data instanceof Int32Array) return new Tensor(data, shape ?? [data.length]);
  const s: number[] = [];
  const flat: number[] = [];
  flatten(data, s, 0, flat);
  for (const v of flat) if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new BertchatError('DTYPE', `intTensor: ${v} is not a 32-bit integer`);
  const t = new Tensor(Int32Array.from(flat), s);
  return shape ? t.reshape(...shape) : t;
}

export function full(shape: Shape, value: number): Tensor {
  checkShape(shape, 'full');
  return new Tensor(new Float32Array(numel(shape)).fill(value), shape);
}
export const zeros = (shape: Shape): Tensor => full(shape, 0);
export const ones = (shape: Shape): Tensor => full(shape, 1);

export function arange(n: number): Tensor {
  return new Tensor(Int32Array.from({ length: n }, (_, i) => i), [n]);
}

/** N(mean, std) samples from a seeded generator. */
export function randn(shape: Shape, rng: Rng, std = 1, mean = 0): Tensor {
  checkShape(shape, 'randn');
  const out = new Float32Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = rng.normal(mean, std);
  return new Tensor(out, shape);
}

/** U[lo, hi) samples from a seeded generator. */
export function rand(shape: Shape, rng: Rng, lo = 0, hi = 1): Tensor {
  checkShape(shape, 'rand');
  const out = new Float32Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * rng.random();
  return new Tensor(out, shape);
}

// Views: reshape, transpose, permute, narrow, select, (un)squeeze, expand — they share storage and
// record a backward that maps the gradient back to the input's shape. contiguous() copies when needed.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { contiguousStrides, normAxis, numel, shapeStr, type Shape } from '../shape.js';
import { BertchatError } from '../../util/errors.js';

/** Contiguous copy of x (x itself when already contiguous). */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const out = new Tensor(x.dtype === 'int32' ? new Int32Array(x.size) : new Float32Array(x.size), x.shape);
  getBackend().copyStrided(x.shape, x.data, x.offset, x.strides, out.data, 0);
  return attach(out, 'contiguous', [x], (g) => [g]);
}

/** Reshape; one dimension may be -1. Views contiguous tensors, copies otherwise. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = [...shape];
  const neg = target.indexOf(-1);
  if (neg >= 0) {
    const rest = numel(target.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new BertchatError('SHAPE_MISMATCH', `reshape: cannot reshape ${shapeStr(x.shape)} into ${shapeStr(shape)}`);
    target[neg] = x.size / rest;
  }
  if (numel(target) !== x.size || target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new BertchatError('SHAPE_MISMATCH', `reshape: cannot reshape ${shapeStr(x.shape)} (${x.size} elements) into ${shapeStr(shape)}`);
  }
  const src = x.isContiguous() ? x : contiguous(x);
  const out = new Tensor(src.data, target, contiguousStrides(target), src.offset);
  const inShape = x.shape;
  return attach(out, 'reshape', [src], (g) => [reshape(g, inShape)]);
}

export function permute(x: Tensor, axes: readonly number[]): Tensor {
  if (axes.length !== x.ndim) throw new BertchatError('SHAPE_MISMATCH', `permute: ${axes.length} axes given for a tensor of shape ${shapeStr(x.shape)}`);
  const ax = axes.map((a) => normAxis(a, x.ndim, 'permute'));
  if (new Set(ax).size !== ax.length) throw new BertchatError('INVALID_ARGUMENT', `permute: repeated axis in [${axes.join(', ')}]`);
  const out = new Tensor(x.data, ax.map((a) => x.shape[a]!), ax.map((a) => x.strides[a]!), x.offset);
  const inv = new Array<number>(ax.length);
  ax.forEach((a, i) => (inv[a] = i));
  return attach(out, 'permute', [x], (g) => [permute(g, inv)]);
}

export function transpose(x: Tensor, a: number, b: number): Tensor {
  const axes = x.shape.map((_, i) => i);
  const i = normAxis(a, x.ndim, 'transpose');
  const j = normAxis(b, x.ndim, 'transpose');
  axes[i] = j;
  axes[j] = i;
  return permute(x, axes);
}

export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const ax = normAxis(axis, x.ndim, 'narrow');
  const d = x.shape[ax]!;
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > d) {
    throw new BertchatError('INDEX_OUT_OF_RANGE', `narrow: range [${start}, ${start + length}) is outside axis ${ax} of size ${d} (shape ${shapeStr(x.shape)})`);
  }
  const shape = [...x.shape];
  shape[ax] = length;
  const out = new Tensor(x.data, shape, x.strides, x.offset + start * x.strides[ax]!);
  const inShape = x.shape;
  return attach(out, 'narrow', [x], (g) => [padAlong(g, inShape, ax, start)]);
}

export function select(x: Tensor, axis: number, index: number): Tensor {
  const ax = normAxis(axis, x.ndim, 'select');
  const d = x.shape[ax]!;
  const i = index < 0 ? index + d : index;
  if (!Number.isInteger(i) || i < 0 || i >= d) throw new BertchatError('INDEX_OUT_OF_RANGE', `select: index ${index} is out of range for axis ${ax} of size ${d}`);
  return squeeze(narrow(x, ax, i, 1), ax);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = normAxis(axis, x.ndim + 1, 'unsqueeze');
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(ax, 0, 1);
  strides.splice(ax, 0, ax < x.ndim ? x.strides[ax]! * x.shape[ax]! : 1);
  const out = new Tensor(x.data, shape, strides, x.offset);
  return attach(out, 'unsqueeze', [x], (g) => [squeeze(g, ax)]);
}

export function squeeze(x: Tensor, axis: number): Tensor {
  const ax = normAxis(axis, x.ndim, 'squeeze');
  if (x.shape[ax] !== 1) throw new BertchatError('SHAPE_MISMATCH', `squeeze: axis ${ax} of shape ${shapeStr(x.shape)} has size ${x.shape[ax]}, not 1`);
  const shape = x.shape.filter((_, i) => i !== ax);
  const strides = x.strides.filter((_, i) => i !== ax);
  const out = new Tensor(x.data, shape, strides, x.offset);
  return attach(out, 'squeeze', [x], (g) => [unsqueeze(g, ax)]);
}

/** Broadcast view to `shape` (stride 0 on expanded axes); the gradient is summed back. */
export function expand(x: Tensor, shape: Shape): Tensor {
  const n = shape.length;
  if (n < x.ndim) throw new BertchatError('SHAPE_MISMATCH', `expand: cannot expand ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  const strides = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const j = i - (n - x.ndim);
    const d = j >= 0 ? x.shape[j]! : 1;
    if (d !== shape[i] && d !== 1) throw new BertchatError('SHAPE_MISMATCH', `expand: cannot expand ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
    strides[i] = j < 0 || (d === 1 && shape[i] !== 1) ? 0 : x.strides[j]!;
  }
  const out = new Tensor(x.data, shape, strides, x.offset);
  const inShape = x.shape;
  return attach(out, 'expand', [x], (g) => [sumTo(g, inShape)]);
}

/** Zero tensor of `shape` with g written at [start, start+len) along axis (narrow's backward). */
function padAlong(g: Tensor, shape: Shape, axis: number, start: number): Tensor {
  const out = new Float32Array(numel(shape));
  const src = g.floats('narrow backward'); // (outer, len, inner) contiguous
  const outer = numel(shape.slice(0, axis));
  const inner = numel(shape.slice(axis + 1));
  const D = shape[axis]!;
  const chunk = g.shape[axis]! * inner;
  for (let o = 0; o < outer; o++) out.set(src.subarray(o * chunk, (o + 1) * chunk), (o * D + start) * inner);
  return new Tensor(out, shape);
}

/** Sums g over broadcast axes so it has `shape` (the gradient of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (g.ndim === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  let cur = g.contiguous();
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new BertchatError('SHAPE_MISMATCH', `sumTo: cannot reduce ${shapeStr(g.shape)} to ${shapeStr(shape)}`);
  // sum away leading axes: view as (prod(lead), rest) and sum axis 0
  if (lead > 0) {
    const outer = numel(cur.shape.slice(0, lead));
    const rest = cur.shape.slice(lead);
    const out = new Float32Array(numel(rest));
    getBackend().sumAxis(cur.floats('sumTo'), out, 1, outer, numel(rest));
    cur = new Tensor(out, rest);
  }
  for (let ax = 0; ax < shape.length; ax++) {
    if (shape[ax] === 1 && cur.shape[ax] !== 1) {
      const outer = numel(cur.shape.slice(0, ax));
      const inner = numel(cur.shape.slice(ax + 1));
      const out = new Float32Array(outer * inner);
      getBackend().sumAxis(cur.floats('sumTo'), out, outer, cur.shape[ax]!, inner);
      const s = [...cur.shape];
      s[ax] = 1;
      cur = new Tensor(out, s);
    } else if (shape[ax] !== cur.shape[ax]) {
      throw new BertchatError('SHAPE_MISMATCH', `sumTo: cannot reduce ${shapeStr(g.shape)} to ${shapeStr(shape)}`);
    }
  }
  return cur;
}

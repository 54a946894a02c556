// Reductions: sum and mean over one axis (or all elements), with keepdim like PyTorch.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { normAxis, numel } from '../shape.js';
import { expand, reshape } from './views.js';
import { mul } from './elementwise.js';

/**
 * Sum over `axis` (all elements when omitted).
 * @example sum(x, -1, true) // (B, T, 1)
 */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  const xs = x.floats('sum');
  if (axis === undefined) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[i]!;
    const out = new Tensor(new Float32Array([s]), []);
    const inShape = x.shape;
    return attach(out, 'sum', [x], (g) => [expand(reshape(g, inShape.map(() => 1)), inShape)]);
  }
  const ax = normAxis(axis, x.ndim, 'sum');
  const outer = numel(x.shape.slice(0, ax));
  const n = x.shape[ax]!;
  const inner = numel(x.shape.slice(ax + 1));
  const out = new Float32Array(outer * inner);
  getBackend().sumAxis(xs, out, outer, n, inner);
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  const shape = keepdim ? kept : x.shape.filter((_, i) => i !== ax);
  const inShape = x.shape;
  return attach(new Tensor(out, shape), 'sum', [x], (g) => [expand(reshape(g, kept), inShape)]);
}

/** Mean over `axis` (all elements when omitted). */
export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  const n = axis === undefined ? x.size : x.shape[normAxis(axis, x.ndim, 'mean')]!;
  return mul(sum(x, axis, keepdim), 1 / Math.max(n, 1));
}

// Softmax and log-softmax over the last axis, optionally after adding an additive mask
// (0 where attended, a large negative where masked), as attention uses them.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { scaledMaskedSoftmax as scaledMaskedSoftmaxRef } from '../backend/js/attention.js';
import { normAxis, shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import { add } from './elementwise.js';

function lastAxis(x: Tensor, axis: number, op: string): void {
  if (normAxis(axis, x.ndim, op) !== x.ndim - 1) {
    throw new BertchatError('INVALID_ARGUMENT', `${op}: only the last axis is supported (got axis ${axis} of ${shapeStr(x.shape)}); transpose first`);
  }
}

/**
 * softmax(x + mask) over the last axis.
 * @example const probs = softmax(scores, -1, mask); // scores (B, nh, T, T), mask (B, 1, 1, T)
 */
export function softmax(x: Tensor, axis = -1, mask?: Tensor | null): Tensor {
  lastAxis(x, axis, 'softmax');
  const inp = mask ? add(x, mask) : x;
  const cols = inp.shape[inp.ndim - 1]!;
  const rows = inp.size / Math.max(cols, 1);
  const out = new Float32Array(inp.size);
  getBackend().softmax(inp.floats('softmax'), out, rows, cols);
  const y = new Tensor(out, inp.shape);
  return attach(y, 'softmax', [inp], (g) => {
    const dx = new Float32Array(inp.size);
    getBackend().softmaxBackward(out, g.floats('softmax backward'), dx, rows, cols);
    return [new Tensor(dx, inp.shape)];
  });
}

/** log(softmax(x)) over the last axis, computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  lastAxis(x, axis, 'logSoftmax');
  const cols = x.shape[x.ndim - 1]!;
  const rows = x.size / Math.max(cols, 1);
  const out = new Float32Array(x.size);
  getBackend().logSoftmax(x.floats('logSoftmax'), out, rows, cols);
  return attach(new Tensor(out, x.shape), 'logSoftmax', [x], (g) => {
    const dx = new Float32Array(x.size);
    getBackend().logSoftmaxBackward(out, g.floats('logSoftmax backward'), dx, rows, cols);
    return [new Tensor(dx, x.shape)];
  });
}

/** How an additive mask lines up with the rows of scaled masked softmax (see ScaledMaskedSoftmaxArgs). */
export interface MaskLayout {
  /** Rows sharing one mask batch entry (H·T for (B, H, T, L) scores). */
  groupRows: number;
  /** Mask elements between batch entries (0 when the mask is shared by the batch). */
  strideGroup: number;
  /** Rows per mask period (T). */
  period: number;
  /** Mask elements between consecutive rows of a period (L, or 0 when broadcast over T). */
  strideRow: number;
}

/**
 * softmax(scale · x + mask) over the last axis in one pass (no scaled or masked copies). x must be contiguous;
 * the mask (additive, contiguous) is read through `layout`. Backward: dx = scale · y ⊙ (dy − Σ dy ⊙ y).
 * @example const p = scaledMaskedSoftmax(scores, 0.125, mask, { groupRows: nh * T, strideGroup: T * L, period: T, strideRow: L });
 */
export function scaledMaskedSoftmax(x: Tensor, scale: number, mask: Tensor | null, layout: MaskLayout | null): Tensor {
  if (!x.isContiguous()) throw new BertchatError('INVALID_ARGUMENT', 'scaledMaskedSoftmax: x must be contiguous');
  const cols = x.shape[x.ndim - 1]!;
  const rows = x.size / Math.max(cols, 1);
  const out = new Float32Array(x.size);
  const be = getBackend();
  const m = mask && layout ? mask.f32('scaledMaskedSoftmax mask') : null;
  const args = {
    x: x.f32('scaledMaskedSoftmax').subarray(x.offset), out, rows, cols, scale, mask: m, maskOff: mask ? mask.offset : 0,
    groupRows: layout?.groupRows ?? 1, maskStrideGroup: layout?.strideGroup ?? 0, period: layout?.period ?? 1, maskStrideRow: layout?.strideRow ?? 0,
  };
  if (be.scaledMaskedSoftmax) be.scaledMaskedSoftmax(args);
  else scaledMaskedSoftmaxRef(args);
  const y = new Tensor(out, x.shape);
  return attach(y, 'scaledMaskedSoftmax', [x], (g) => {
    const dx = new Float32Array(x.size);
    const bk = getBackend();
    bk.softmaxBackward(out, g.floats('scaledMaskedSoftmax backward'), dx, rows, cols);
    if (scale !== 1) for (let i = 0; i < dx.length; i++) dx[i] *= scale;
    return [new Tensor(dx, x.shape)];
  });
}

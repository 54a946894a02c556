// Softmax and log-softmax over the last axis, optionally after adding an additive mask
// (0 where attended, a large negative where masked), as attention uses them.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
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

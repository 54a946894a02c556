// Normalisation over the last axis: LayerNorm (BERT, GPT-2) and RMSNorm (Llama).
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';

function checkParam(p: Tensor | null, cols: number, op: string, what: string, x: Tensor): void {
  if (p && (p.ndim !== 1 || p.shape[0] !== cols)) {
    throw new BertchatError('SHAPE_MISMATCH', `${op}: ${what} ${shapeStr(p.shape)} does not match the last axis of input ${shapeStr(x.shape)}`);
  }
}

/**
 * LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * weight + bias (biased variance, as torch).
 * @example const h = layerNorm(x, ln.weight, ln.bias, 1e-12);
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const cols = x.shape[x.ndim - 1]!;
  checkParam(weight, cols, 'layerNorm', 'weight', x);
  checkParam(bias, cols, 'layerNorm', 'bias', x);
  const rows = x.size / Math.max(cols, 1);
  const xv = x.floats('layerNorm');
  const out = new Float32Array(x.size);
  const mean = new Float32Array(rows);
  const rstd = new Float32Array(rows);
  const wv = weight ? weight.floats() : null;
  getBackend().layerNorm(xv, wv, bias ? bias.floats() : null, out, mean, rstd, rows, cols, eps);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return attach(new Tensor(out, x.shape), 'layerNorm', inputs, (g) => {
    const dx = new Float32Array(x.size);
    const dw = weight ? new Float32Array(cols) : null;
    const db = bias ? new Float32Array(cols) : null;
    getBackend().layerNormBackward(xv, wv, mean, rstd, g.floats('layerNorm backward'), dx, dw, db, rows, cols);
    const res: Tensor[] = [new Tensor(dx, x.shape)];
    if (dw) res.push(new Tensor(dw, [cols]));
    if (db) res.push(new Tensor(db, [cols]));
    return res;
  });
}

/**
 * RMSNorm over the last axis: x / sqrt(mean(x²) + eps) * weight (Llama's LlamaRMSNorm).
 */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps: number): Tensor {
  const cols = x.shape[x.ndim - 1]!;
  checkParam(weight, cols, 'rmsNorm', 'weight', x);
  const rows = x.size / Math.max(cols, 1);
  const xv = x.floats('rmsNorm');
  const out = new Float32Array(x.size);
  const rstd = new Float32Array(rows);
  const wv = weight ? weight.floats() : null;
  getBackend().rmsNorm(xv, wv, out, rstd, rows, cols, eps);
  const inputs = weight ? [x, weight] : [x];
  return attach(new Tensor(out, x.shape), 'rmsNorm', inputs, (g) => {
    const dx = new Float32Array(x.size);
    const dw = weight ? new Float32Array(cols) : null;
    getBackend().rmsNormBackward(xv, wv, rstd, g.floats('rmsNorm backward'), dx, dw, rows, cols);
    return dw ? [new Tensor(dx, x.shape), new Tensor(dw, [cols])] : [new Tensor(dx, x.shape)];
  });
}

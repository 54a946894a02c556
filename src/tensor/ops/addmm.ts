// addmm: y = x·W + b with W stored [in, out] (torch.addmm, what HF's GPT-2 Conv1D computes). One GEMM with
// the bias preloaded into the output (beta = 1), no transposed copy of W and no separate add. Backward
// next to forward: dx = g·Wᵀ, dW = xᵀ·g, db = Σ g.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import { contiguous } from './views.js';

/**
 * y = x·W + b, W stored [in, out]. x: (..., in) → (..., out).
 * @example const qkv = addmm(h, attn.c_attn.weight, attn.c_attn.bias); // (B, T, 3C)
 */
export function addmm(x: Tensor, w: Tensor, bias: Tensor | null = null): Tensor {
  const inF = x.shape[x.ndim - 1]!;
  if (w.ndim !== 2 || w.shape[0] !== inF) {
    throw new BertchatError('SHAPE_MISMATCH', `addmm: input ${shapeStr(x.shape)} does not match weight ${shapeStr(w.shape)} ([in, out] expected with in = ${inF})`);
  }
  const outF = w.shape[1]!;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new BertchatError('SHAPE_MISMATCH', `addmm: bias ${shapeStr(bias.shape)} does not match weight ${shapeStr(w.shape)}`);
  }
  const xc = contiguous(x);
  const wc = contiguous(w);
  const rows = x.size / Math.max(inF, 1);
  const out = new Float32Array(rows * outF);
  const bv = bias ? bias.floats('addmm') : null;
  if (bv) for (let r = 0; r < rows; r++) out.set(bv, r * outF);
  getBackend().gemm({
    transA: false, transB: false, M: rows, N: outF, K: inF, alpha: 1, beta: bv ? 1 : 0,
    a: xc.f32('addmm'), aOff: xc.offset, lda: inF, strideA: 0,
    b: wc.f32('addmm'), bOff: wc.offset, ldb: outF, strideB: 0,
    c: out, cOff: 0, ldc: outF, strideC: 0, batch: 1,
  });
  const y = new Tensor(out, [...x.shape.slice(0, -1), outF]);
  const inputs = bias ? [xc, wc, bias] : [xc, wc];
  return attach(y, 'addmm', inputs, (g) => {
    const gc = contiguous(g);
    const gv = gc.f32('addmm backward');
    const res: (Tensor | null)[] = [null, null, null];
    if (xc.requiresGrad) {
      // dx = g · Wᵀ : (rows, out) · (out, in), W stored (in, out)
      const dx = new Float32Array(rows * inF);
      getBackend().gemm({
        transA: false, transB: true, M: rows, N: inF, K: outF, alpha: 1, beta: 0,
        a: gv, aOff: gc.offset, lda: outF, strideA: 0, b: wc.f32(), bOff: wc.offset, ldb: outF, strideB: 0,
        c: dx, cOff: 0, ldc: inF, strideC: 0, batch: 1,
      });
      res[0] = new Tensor(dx, x.shape);
    }
    if (wc.requiresGrad) {
      // dW = xᵀ · g : (in, rows) · (rows, out)
      const dw = new Float32Array(inF * outF);
      getBackend().gemm({
        transA: true, transB: false, M: inF, N: outF, K: rows, alpha: 1, beta: 0,
        a: xc.f32(), aOff: xc.offset, lda: inF, strideA: 0, b: gv, bOff: gc.offset, ldb: outF, strideB: 0,
        c: dw, cOff: 0, ldc: outF, strideC: 0, batch: 1,
      });
      res[1] = new Tensor(dw, w.shape);
    }
    if (bias && bias.requiresGrad) {
      const db = new Float32Array(outF);
      getBackend().sumAxis(gv.subarray(gc.offset), db, 1, rows, outF);
      res[2] = new Tensor(db, bias.shape);
    }
    return bias ? res : res.slice(0, 2);
  });
}

// The affine map y = x·op(W) + b behind linear (W stored [out, in], torch.nn.Linear) and addmm
// (W stored [in, out], HF GPT-2 Conv1D): one GEMM with the bias preloaded (beta = 1), no transposed copy
// of W. Backward next to forward: dx = g·op(W)ᵀ, dW from xᵀ·g in W's own layout, db = Σ g.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import { contiguous } from './views.js';
import { packedWeight } from '../weight-packing.js';

/** Rows from which a pre-packed weight pays off (below, GEMV or a few rows read W once anyway). */
const PACKED_MIN_ROWS = 16;

/** How W is stored: 'out-in' = [out, in] (Linear), 'in-out' = [in, out] (Conv1D / addmm). */
export type WeightLayout = 'out-in' | 'in-out';

/** y = x·W' + b where W' is (in, out) read from W in `layout`. x: (..., in) → (..., out). */
export function affine(x: Tensor, w: Tensor, bias: Tensor | null, layout: WeightLayout, op: string): Tensor {
  const inF = x.shape[x.ndim - 1]!;
  const outIn = layout === 'out-in';
  if (w.ndim !== 2 || w.shape[outIn ? 1 : 0] !== inF) {
    throw new BertchatError('SHAPE_MISMATCH', `${op}: input ${shapeStr(x.shape)} does not match weight ${shapeStr(w.shape)} ([${outIn ? 'out, in' : 'in, out'}] expected with in = ${inF})`);
  }
  const outF = w.shape[outIn ? 0 : 1]!;
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new BertchatError('SHAPE_MISMATCH', `${op}: bias ${shapeStr(bias.shape)} does not match weight ${shapeStr(w.shape)}`);
  }
  const xc = contiguous(x);
  const wc = contiguous(w);
  const rows = x.size / Math.max(inF, 1);
  const ldw = outIn ? inF : outF; // row stride of W as stored
  const out = new Float32Array(rows * outF);
  const bv = bias ? bias.floats(op) : null;
  if (bv) for (let r = 0; r < rows; r++) out.set(bv, r * outF);
  getBackend().gemm({
    transA: false, transB: outIn, M: rows, N: outF, K: inF, alpha: 1, beta: bv ? 1 : 0,
    a: xc.f32(op), aOff: xc.offset, lda: inF, strideA: 0,
    b: wc.f32(op), bOff: wc.offset, ldb: ldw, strideB: 0,
    c: out, cOff: 0, ldc: outF, strideC: 0, batch: 1,
    packedB: rows >= PACKED_MIN_ROWS ? packedWeight(wc, outIn, inF, outF, ldw) : null,
  });
  const y = new Tensor(out, [...x.shape.slice(0, -1), outF]);
  const inputs = bias ? [xc, wc, bias] : [xc, wc];
  return attach(y, op, inputs, (g) => {
    const gc = contiguous(g);
    const gv = gc.f32(`${op} backward`);
    const res: (Tensor | null)[] = [null, null, null];
    if (xc.requiresGrad) {
      // dx = g · W'ᵀ : (rows, out) · (out, in)
      const dx = new Float32Array(rows * inF);
      getBackend().gemm({
        transA: false, transB: !outIn, M: rows, N: inF, K: outF, alpha: 1, beta: 0,
        a: gv, aOff: gc.offset, lda: outF, strideA: 0, b: wc.f32(), bOff: wc.offset, ldb: ldw, strideB: 0,
        c: dx, cOff: 0, ldc: inF, strideC: 0, batch: 1,
      });
      res[0] = new Tensor(dx, x.shape);
    }
    if (wc.requiresGrad) {
      const dw = new Float32Array(inF * outF);
      // [out, in]: dW = gᵀ · x ; [in, out]: dW = xᵀ · g — both a transposed-A GEMM over the rows
      const [a, aOff, lda, b, bOff, ldb, M, N] = outIn
        ? [gv, gc.offset, outF, xc.f32(), xc.offset, inF, outF, inF]
        : [xc.f32(), xc.offset, inF, gv, gc.offset, outF, inF, outF];
      getBackend().gemm({
        transA: true, transB: false, M, N, K: rows, alpha: 1, beta: 0,
        a, aOff, lda, strideA: 0, b, bOff, ldb, strideB: 0, c: dw, cOff: 0, ldc: N, strideC: 0, batch: 1,
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

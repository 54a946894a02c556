// Matrix products: matmul (batched, broadcasting batch axes, transposed views read without copies)
// and linear (x·Wᵀ + b with HF's [out, in] weights; see affine.ts). Backward: dA = g·Bᵀ, dB = Aᵀ·g.
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { broadcastShapes, numel, shapeStr, type Shape } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import { contiguous, sumTo, transpose } from './views.js';
import { affine } from './affine.js';

/** How a (R, C) matrix view can be handed to GEMM: row-major (ld) or transposed (ld), or not at all. */
function matrixLayout(rows: number, cols: number, sR: number, sC: number): { trans: boolean; ld: number } | null {
  if ((cols === 1 || sC === 1) && (rows === 1 || sR >= cols)) return { trans: false, ld: rows === 1 ? Math.max(cols, 1) : sR };
  if ((rows === 1 || sR === 1) && (cols === 1 || sC >= rows)) return { trans: true, ld: cols === 1 ? Math.max(rows, 1) : sC };
  return null;
}

/** If batch axes (shape, strides) walk memory with one stride, that stride; else null. */
function uniformBatchStride(shape: Shape, strides: Shape): number | null {
  let stride: number | null = null;
  let span = 0; // stride expected for the next-outer axis
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (stride === null) {
      stride = strides[i]!;
      span = stride * shape[i]!;
    } else {
      if (strides[i] !== span) return null;
      span *= shape[i]!;
    }
  }
  return stride ?? 0;
}

/**
 * Matrix product with PyTorch semantics: (..., M, K) @ (..., K, N) → (..., M, N); 1-D operands are
 * promoted; batch axes broadcast. Transposed views (x.transpose(-1, -2)) are read in place.
 * @example const scores = matmul(q, k.transpose(-1, -2)); // (B, nh, T, T)
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new BertchatError('SHAPE_MISMATCH', `matmul: scalar operands are not allowed (${shapeStr(a.shape)} @ ${shapeStr(b.shape)})`);
  if (a.ndim === 1) return reshapeOut(matmul(a.unsqueeze(0), b), -2);
  if (b.ndim === 1) return reshapeOut(matmul(a, b.unsqueeze(1)), -1);
  const M = a.shape[a.ndim - 2]!;
  const K = a.shape[a.ndim - 1]!;
  const K2 = b.shape[b.ndim - 2]!;
  const N = b.shape[b.ndim - 1]!;
  if (K !== K2) throw new BertchatError('SHAPE_MISMATCH', `matmul: inner dimensions differ: ${shapeStr(a.shape)} @ ${shapeStr(b.shape)}`);
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  const out = new Tensor(new Float32Array(numel(batchShape) * M * N), [...batchShape, M, N]);
  matmulInto(a, b, out, batchShape, M, N, K);
  return attach(out, 'matmul', [a, b], (g) => [
    a.requiresGrad ? sumTo(matmul(g, transpose(b, -1, -2)), a.shape) : null,
    b.requiresGrad ? sumTo(matmul(transpose(a, -1, -2), g), b.shape) : null,
  ]);
}

function reshapeOut(t: Tensor, axis: number): Tensor {
  return t.squeeze(axis);
}

function matmulInto(a0: Tensor, b0: Tensor, out: Tensor, batchShape: number[], M: number, N: number, K: number): void {
  const be = getBackend();
  let a = a0;
  let b = b0;
  let la = matrixLayout(M, K, a.strides[a.ndim - 2]!, a.strides[a.ndim - 1]!);
  if (!la) {
    a = contiguous(a);
    la = { trans: false, ld: K };
  }
  let lb = matrixLayout(K, N, b.strides[b.ndim - 2]!, b.strides[b.ndim - 1]!);
  if (!lb) {
    b = contiguous(b);
    lb = { trans: false, ld: N };
  }
  const nb = batchShape.length;
  const aBatch = broadcastBatch(a, batchShape);
  const bBatch = broadcastBatch(b, batchShape);
  const batch = numel(batchShape);
  const sa = uniformBatchStride(batchShape, aBatch);
  const sb = uniformBatchStride(batchShape, bBatch);
  const common = {
    transA: la.trans, transB: lb.trans, M, N, K, alpha: 1, beta: 0,
    a: a.f32('matmul'), lda: la.ld, b: b.f32('matmul'), ldb: lb.ld,
    c: out.data as Float32Array, ldc: N, strideC: M * N,
  };
  // Fold the batch of A into M when B is shared (x @ W): one big GEMM instead of many small ones.
  if (sb === 0 && !la.trans && sa !== null && batch > 1 && sa === M * la.ld) {
    be.gemm({ ...common, M: M * batch, aOff: a.offset, strideA: 0, bOff: b.offset, strideB: 0, cOff: 0, batch: 1 });
    return;
  }
  if (sa !== null && sb !== null) {
    be.gemm({ ...common, aOff: a.offset, strideA: sa, bOff: b.offset, strideB: sb, cOff: 0, batch });
    return;
  }
  // irregular batch layout: one GEMM per batch element
  const idx = new Array<number>(nb).fill(0);
  for (let i = 0; i < batch; i++) {
    let ao = a.offset;
    let bo = b.offset;
    for (let d = 0; d < nb; d++) {
      ao += idx[d]! * aBatch[d]!;
      bo += idx[d]! * bBatch[d]!;
    }
    be.gemm({ ...common, aOff: ao, strideA: 0, bOff: bo, strideB: 0, cOff: i * M * N, batch: 1 });
    for (let d = nb - 1; d >= 0; d--) {
      if (++idx[d]! < batchShape[d]!) break;
      idx[d] = 0;
    }
  }
}

/** Strides of x's batch axes read as batchShape (0 where broadcast). */
function broadcastBatch(x: Tensor, batchShape: number[]): number[] {
  const xb = x.shape.slice(0, -2);
  const xs = x.strides.slice(0, -2);
  return batchShape.map((_, i) => {
    const j = xb.length - batchShape.length + i;
    return j < 0 || xb[j] === 1 ? 0 : xs[j]!;
  });
}

/**
 * y = x·Wᵀ + b, with W stored [out, in] as in torch.nn.Linear / HF checkpoints. x: (..., in) → (..., out).
 * @example const q = linear(h, this.query.weight, this.query.bias); // (B, T, C)
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null = null): Tensor {
  return affine(x, w, bias, 'out-in', 'linear');
}

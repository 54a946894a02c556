// Reference GEMM in TypeScript: strided, batched C = alpha·op(A)·op(B) + beta·C (see GemmArgs).
// Portable fallback for every platform; the native back end replaces it where it builds.
import type { GemmArgs } from '../backend.js';

export function gemmJs(p: GemmArgs): void {
  for (let bi = 0; bi < p.batch; bi++) {
    gemmOne(p, p.aOff + bi * p.strideA, p.bOff + bi * p.strideB, p.cOff + bi * p.strideC);
  }
}

function gemmOne(p: GemmArgs, aOff: number, bOff: number, cOff: number): void {
  const { M, N, K, a, b, c, lda, ldb, ldc, alpha, beta, transA, transB } = p;
  // A row i, column k: transA ? a[aOff + k*lda + i] : a[aOff + i*lda + k]
  const aRow = transA ? 1 : lda;
  const aCol = transA ? lda : 1;
  const bRow = transB ? 1 : ldb; // B element (k, j)
  const bCol = transB ? ldb : 1;
  for (let i = 0; i < M; i++) {
    const ci = cOff + i * ldc;
    if (beta === 0) for (let j = 0; j < N; j++) c[ci + j] = 0;
    else if (beta !== 1) for (let j = 0; j < N; j++) c[ci + j]! *= beta;
    for (let k = 0; k < K; k++) {
      const av = alpha * a[aOff + i * aRow + k * aCol]!;
      const bk = bOff + k * bRow;
      for (let j = 0; j < N; j++) c[ci + j]! += av * b[bk + j * bCol]!;
    }
  }
}

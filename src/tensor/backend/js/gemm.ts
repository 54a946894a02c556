// GEMM in TypeScript: strided, batched C = alpha·op(A)·op(B) + beta·C (see GemmArgs). Portable fallback for
// every platform; the native back end replaces it where it builds. Not a triple loop: GotoBLAS structure in
// miniature — op(B) packed into KC x 4 column panels, op(A) into 4 x KC row panels (transposes are handled
// by the packing, so the inner loop never strides), and a 4x4 register tile of 16 local accumulators.
// gemmNaive is the plain definition, kept as the reference the tests and the small cases use.
import type { GemmArgs } from '../backend.js';

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 1024;

// Packing buffers, grown on demand (kernels are synchronous, so one pair per thread is enough).
let packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);

export function gemmJs(p: GemmArgs): void {
  const { M, N, K, batch } = p;
  if (M <= 0 || N <= 0 || batch <= 0) return;
  for (let bi = 0; bi < batch; bi++) {
    const aOff = p.aOff + bi * p.strideA;
    const bOff = p.bOff + bi * p.strideB;
    const cOff = p.cOff + bi * p.strideC;
    scaleC(p.c, cOff, p.ldc, M, N, p.beta);
    if (K === 0 || p.alpha === 0) continue;
    // tiny products: packing does not pay
    if (M * N * K < 4096 || M < 2 || N < 2) gemmSmall(p, aOff, bOff, cOff);
    else gemmBlocked(p, aOff, bOff, cOff);
  }
}

/** C = beta * C over M x N (beta = 0 writes zeros, ignoring NaN in C). */
function scaleC(c: Float32Array, cOff: number, ldc: number, M: number, N: number, beta: number): void {
  if (beta === 1) return;
  for (let i = 0; i < M; i++) {
    const ci = cOff + i * ldc;
    if (beta === 0) c.fill(0, ci, ci + N);
    else for (let j = 0; j < N; j++) c[ci + j]! *= beta;
  }
}

/** C += alpha op(A) op(B), straightforward loops (C already scaled by beta). */
function gemmSmall(p: GemmArgs, aOff: number, bOff: number, cOff: number): void {
  const { M, N, K, a, b, c, lda, ldb, ldc, alpha, transA, transB } = p;
  const aRow = transA ? 1 : lda, aCol = transA ? lda : 1;
  const bRow = transB ? 1 : ldb, bCol = transB ? ldb : 1;
  for (let i = 0; i < M; i++) {
    const ci = cOff + i * ldc;
    for (let j = 0; j < N; j++) {
      let s = 0;
      let ai = aOff + i * aRow;
      let bj = bOff + j * bCol;
      for (let k = 0; k < K; k++, ai += aCol, bj += bRow) s += a[ai]! * b[bj]!;
      c[ci + j]! += alpha * s;
    }
  }
}

/** op(A)[i0:i0+mc, k0:k0+kc] -> panels of MR rows: (r, k) of panel p at p*MR*kc + k*MR + r, zero-padded. */
function packAPanels(p: GemmArgs, aOff: number, i0: number, k0: number, mc: number, kc: number, dst: Float64Array): void {
  const { a, lda, transA } = p;
  for (let pi = 0; pi < mc; pi += MR) {
    const rows = Math.min(MR, mc - pi);
    const base = pi * kc;
    for (let r = 0; r < MR; r++) {
      let d = base + r;
      if (r >= rows) {
        for (let k = 0; k < kc; k++, d += MR) dst[d] = 0;
      } else if (transA) {
        let s = aOff + k0 * lda + i0 + pi + r;
        for (let k = 0; k < kc; k++, d += MR, s += lda) dst[d] = a[s]!;
      } else {
        let s = aOff + (i0 + pi + r) * lda + k0;
        for (let k = 0; k < kc; k++, d += MR, s++) dst[d] = a[s]!;
      }
    }
  }
}

/** op(B)[k0:k0+kc, j0:j0+nc] -> panels of NR columns: (k, c) of panel q at q*NR*kc + k*NR + c, zero-padded. */
function packBPanels(p: GemmArgs, bOff: number, k0: number, j0: number, kc: number, nc: number, dst: Float64Array): void {
  const { b, ldb, transB } = p;
  for (let qj = 0; qj < nc; qj += NR) {
    const cols = Math.min(NR, nc - qj);
    const base = qj * kc;
    for (let cc = 0; cc < NR; cc++) {
      let d = base + cc;
      if (cc >= cols) {
        for (let k = 0; k < kc; k++, d += NR) dst[d] = 0;
      } else if (transB) {
        let s = bOff + (j0 + qj + cc) * ldb + k0;
        for (let k = 0; k < kc; k++, d += NR, s++) dst[d] = b[s]!;
      } else {
        let s = bOff + k0 * ldb + j0 + qj + cc;
        for (let k = 0; k < kc; k++, d += NR, s += ldb) dst[d] = b[s]!;
      }
    }
  }
}

function gemmBlocked(p: GemmArgs, aOff: number, bOff: number, cOff: number): void {
  const { M, N, K, c, ldc, alpha } = p;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      const ncPad = Math.ceil(nc / NR) * NR;
      if (packB.length < kc * ncPad) packB = new Float64Array(kc * ncPad);
      packBPanels(p, bOff, pc, jc, kc, nc, packB);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        const mcPad = Math.ceil(mc / MR) * MR;
        if (packA.length < kc * mcPad) packA = new Float64Array(kc * mcPad);
        packAPanels(p, aOff, ic, pc, mc, kc, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            kernel4x4(kc, packA, ir * kc, packB, jr * kc, c, cOff + (ic + ir) * ldc + jc + jr, ldc, alpha, mr, nr);
          }
        }
      }
    }
  }
}

/** C[0:mr, 0:nr] += alpha * Ap(4 x kc) · Bp(kc x 4), 16 accumulators in locals. */
function kernel4x4(
  kc: number,
  pa: Float64Array,
  ao: number,
  pb: Float64Array,
  bo: number,
  c: Float32Array,
  co: number,
  ldc: number,
  alpha: number,
  mr: number,
  nr: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  const end = ao + kc * MR;
  for (let ia = ao, ib = bo; ia < end; ia += MR, ib += NR) {
    const a0 = pa[ia]!, a1 = pa[ia + 1]!, a2 = pa[ia + 2]!, a3 = pa[ia + 3]!;
    const b0 = pb[ib]!, b1 = pb[ib + 1]!, b2 = pb[ib + 2]!, b3 = pb[ib + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (mr === 4 && nr === 4) {
    let o = co;
    c[o]! += alpha * c00; c[o + 1]! += alpha * c01; c[o + 2]! += alpha * c02; c[o + 3]! += alpha * c03;
    o += ldc;
    c[o]! += alpha * c10; c[o + 1]! += alpha * c11; c[o + 2]! += alpha * c12; c[o + 3]! += alpha * c13;
    o += ldc;
    c[o]! += alpha * c20; c[o + 1]! += alpha * c21; c[o + 2]! += alpha * c22; c[o + 3]! += alpha * c23;
    o += ldc;
    c[o]! += alpha * c30; c[o + 1]! += alpha * c31; c[o + 2]! += alpha * c32; c[o + 3]! += alpha * c33;
    return;
  }
  const t = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let i = 0; i < mr; i++) for (let j = 0; j < nr; j++) c[co + i * ldc + j]! += alpha * t[i * 4 + j]!;
}

/** The definition, as plain loops: the reference the blocked version is tested against. */
export function gemmNaive(p: GemmArgs): void {
  for (let bi = 0; bi < p.batch; bi++) {
    const { M, N, K, a, b, c, lda, ldb, ldc, alpha, beta, transA, transB } = p;
    const aOff = p.aOff + bi * p.strideA, bOff = p.bOff + bi * p.strideB, cOff = p.cOff + bi * p.strideC;
    for (let i = 0; i < M; i++) {
      const ci = cOff + i * ldc;
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          s += (transA ? a[aOff + k * lda + i]! : a[aOff + i * lda + k]!) * (transB ? b[bOff + j * ldb + k]! : b[bOff + k * ldb + j]!);
        }
        c[ci + j] = alpha * s + (beta === 0 ? 0 : beta * c[ci + j]!);
      }
    }
  }
}

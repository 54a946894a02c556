// GEMM on every back end against a float64 triple loop: odd shapes, all trans combinations, alpha/beta
// (beta = 0 must ignore NaN in C), batch strides (incl. a broadcast B), padded leading dimensions, offsets,
// and shapes big enough to use the native threads and the M = 1 (GEMV) path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends } from '../../../src/tensor/backend/index.js';
import type { Backend, GemmArgs } from '../../../src/tensor/backend/index.js';
import { Rng } from '../../../src/util/rng.js';

interface Case {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  batch: number;
  padA: number;
  padB: number;
  padC: number;
  offA: number;
  offB: number;
  offC: number;
  broadcastB: boolean;
}

function fill(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.random() * 2 - 1;
  return x;
}

/** Runs one case on a back end and checks every element of C (and that padding is left alone). */
function check(be: Backend, c: Case, rng: Rng): void {
  const { transA, transB, M, N, K, batch } = c;
  const aRows = transA ? K : M, aCols = transA ? M : K;
  const bRows = transB ? N : K, bCols = transB ? K : N;
  const lda = Math.max(aCols, 1) + c.padA, ldb = Math.max(bCols, 1) + c.padB, ldc = Math.max(N, 1) + c.padC;
  const strideA = aRows * lda + 3, strideB = c.broadcastB ? 0 : bRows * ldb + 1, strideC = M * ldc + 2;
  const a = fill(rng, c.offA + batch * strideA);
  const b = fill(rng, c.offB + (c.broadcastB ? 1 : batch) * Math.max(strideB, bRows * ldb));
  const cArr = fill(rng, c.offC + batch * strideC);
  if (c.beta === 0) for (let i = 0; i < cArr.length; i++) if (i % 3 === 0) cArr[i] = NaN; // must be ignored
  const c0 = cArr.slice();
  const args: GemmArgs = {
    transA, transB, M, N, K, alpha: c.alpha, beta: c.beta,
    a, aOff: c.offA, lda, strideA, b, bOff: c.offB, ldb, strideB, c: cArr, cOff: c.offC, ldc, strideC, batch,
  };
  be.gemm(args);
  const touched = new Uint8Array(cArr.length);
  for (let bi = 0; bi < batch; bi++) {
    const ao = c.offA + bi * strideA, bo = c.offB + bi * strideB, co = c.offC + bi * strideC;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0, mag = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a[ao + k * lda + i]! : a[ao + i * lda + k]!;
          const bv = transB ? b[bo + j * ldb + k]! : b[bo + k * ldb + j]!;
          s += av * bv;
          mag += Math.abs(av * bv);
        }
        const idx = co + i * ldc + j;
        touched[idx] = 1;
        const old = c0[idx]!;
        const want = c.alpha * s + (c.beta === 0 ? 0 : c.beta * old);
        const scale = Math.abs(c.alpha) * mag + (c.beta === 0 ? 0 : Math.abs(c.beta * old));
        const got = cArr[idx]!;
        if (!(Math.abs(got - want) <= 1e-4 * scale + 1e-6)) {
          assert.fail(`${be.name} ${JSON.stringify(c)}: C[${bi}][${i},${j}] = ${got}, want ${want}`);
        }
      }
  }
  for (let i = 0; i < cArr.length; i++) {
    if (!touched[i] && !Object.is(cArr[i], c0[i])) assert.fail(`${be.name} ${JSON.stringify(c)}: wrote outside C at ${i}`);
  }
}

const SIZES = [0, 1, 2, 3, 5, 6, 7, 8, 13, 16, 17, 31, 33, 47, 64, 65, 97];

for (const be of availableBackends()) {
  test(`gemm ${be.name}: random odd shapes, all trans, alpha/beta, batch, ld, offsets`, () => {
    const rng = new Rng(1234);
    for (let it = 0; it < 160; it++) {
      const pick = () => SIZES[rng.int(SIZES.length)]!;
      const c: Case = {
        transA: (it & 1) === 1,
        transB: (it & 2) === 2,
        M: pick(), N: pick(), K: pick(),
        alpha: [1, 0.5, -2, 0][it % 7 === 6 ? 3 : rng.int(3)]!,
        beta: [0, 1, 0.3][rng.int(3)]!,
        batch: 1 + rng.int(3),
        padA: rng.int(3), padB: rng.int(3), padC: rng.int(3),
        offA: rng.int(5), offB: rng.int(5), offC: rng.int(5),
        broadcastB: rng.int(4) === 0,
      };
      check(be, c, rng);
    }
  });

  test(`gemm ${be.name}: M, N, K of 0 and 1 in every combination`, () => {
    const rng = new Rng(7);
    for (const M of [0, 1, 2]) for (const N of [0, 1, 2]) for (const K of [0, 1, 2]) for (let t = 0; t < 4; t++)
      for (const beta of [0, 1]) {
        check(be, { transA: (t & 1) === 1, transB: (t & 2) === 2, M, N, K, alpha: 1.5, beta, batch: 2, padA: 0, padB: 1, padC: 1, offA: 1, offB: 0, offC: 2, broadcastB: false }, rng);
      }
  });

  test(`gemm ${be.name}: GEMV (M = 1 and N = 1) shapes, all layouts`, () => {
    const rng = new Rng(99);
    for (const [N, K] of [[1, 1], [5, 3], [67, 29], [130, 77], [1000, 40], [3000, 17]] as const)
      for (let t = 0; t < 4; t++) {
        check(be, { transA: (t & 1) === 1, transB: (t & 2) === 2, M: 1, N, K, alpha: 0.7, beta: t === 3 ? 0.5 : 0, batch: 1 + (t & 1), padA: 1, padB: 2, padC: 0, offA: 3, offB: 1, offC: 1, broadcastB: t === 1 }, rng);
        // N = 1 (matrix times vector), with a padded ldc so the output is strided
        check(be, { transA: (t & 1) === 1, transB: (t & 2) === 2, M: N, N: 1, K, alpha: 0.7, beta: t === 2 ? 0.5 : 0, batch: 1 + (t & 1), padA: 2, padB: 1, padC: 2, offA: 1, offB: 3, offC: 2, broadcastB: t === 3 }, rng);
      }
  });

  test(`gemm ${be.name}: larger shapes (threads, cache blocks, edges)`, () => {
    const rng = new Rng(5);
    const shapes: [number, number, number][] = [[150, 131, 70], [67, 300, 400], [200, 40, 529], [1, 2000, 300], [13, 1100, 33]];
    for (const [M, N, K] of shapes)
      for (let t = 0; t < 4; t++) {
        check(be, { transA: (t & 1) === 1, transB: (t & 2) === 2, M, N, K, alpha: 1, beta: t === 2 ? 1 : 0, batch: 1, padA: 1, padB: 0, padC: 3, offA: 0, offB: 2, offC: 1, broadcastB: false }, rng);
      }
    // batched attention-like shapes: (B*nh) x (T x hs) . (hs x T)
    check(be, { transA: false, transB: true, M: 40, N: 40, K: 64, alpha: 0.125, beta: 0, batch: 6, padA: 0, padB: 0, padC: 0, offA: 0, offB: 0, offC: 0, broadcastB: false }, rng);
  });
}

test('gemm native: every kernel set (portable, AVX2, AVX-512) and one thread give correct results', (t) => {
  const nb = availableBackends().find((b) => b.name === 'native') as (Backend & {
    selectKernels(n: string): boolean;
    setThreads(n: number): number;
    info(): { avx2: boolean; avx512: boolean; kernels: string };
  }) | undefined;
  if (!nb) {
    t.skip('native addon not built: build/Release/bertchat_native.node');
    return;
  }
  const info = nb.info();
  const threads = nb.threads;
  const sets: [string, number][] = [['portable', threads], ['portable', 1]];
  if (info.avx2) sets.push(['avx2', 1], ['avx2', threads]);
  if (info.avx512) sets.push(['avx512', 1]);
  try {
    for (const [kernels, th] of sets) {
      nb.selectKernels(kernels);
      nb.setThreads(th);
      const rng = new Rng(77);
      for (let it = 0; it < 40; it++) {
        const pick = () => SIZES[rng.int(SIZES.length)]!;
        check(nb, { transA: (it & 1) === 1, transB: (it & 2) === 2, M: pick(), N: pick(), K: pick(), alpha: 0.5, beta: it % 3 === 0 ? 0 : 0.5, batch: 1 + rng.int(2), padA: 1, padB: 0, padC: 2, offA: 1, offB: 2, offC: 0, broadcastB: false }, rng);
      }
      check(nb, { transA: false, transB: true, M: 150, N: 131, K: 300, alpha: 1, beta: 0, batch: 1, padA: 0, padB: 0, padC: 0, offA: 0, offB: 0, offC: 0, broadcastB: false }, rng);
      check(nb, { transA: false, transB: false, M: 1, N: 1500, K: 100, alpha: 1, beta: 0.5, batch: 2, padA: 0, padB: 0, padC: 0, offA: 0, offB: 0, offC: 0, broadcastB: false }, rng);
    }
  } finally {
    nb.selectKernels(info.kernels);
    nb.setThreads(threads);
  }
});

test('gemm native: a pre-packed B gives bit-identical results on every kernel set; a pack for another kernel set is ignored', (t) => {
  const nb = availableBackends().find((b) => b.name === 'native') as (Backend & {
    selectKernels(n: string): boolean;
    info(): { avx2: boolean; avx512: boolean; kernels: string };
  }) | undefined;
  if (!nb || !nb.packWeight) {
    t.skip('native addon not built: build/Release/bertchat_native.node');
    return;
  }
  const info = nb.info();
  const sets = ['portable', ...(info.avx2 ? ['avx2'] : []), ...(info.avx512 ? ['avx512'] : [])];
  const rng = new Rng(5);
  const run = (transB: boolean, M: number, N: number, K: number, ldb: number, b: Float32Array, bOff: number, beta: number, packedB: Float32Array | null) => {
    const a = fill(new Rng(M * 7 + K), M * K);
    const c = fill(new Rng(N), M * N);
    nb.gemm({ transA: false, transB, M, N, K, alpha: 0.75, beta, a, aOff: 0, lda: K, strideA: 0, b, bOff, ldb, strideB: 0, c, cOff: 0, ldc: N, strideC: 0, batch: 1, packedB });
    return c;
  };
  try {
    for (const kernels of sets) {
      nb.selectKernels(kernels);
      for (const [M, N, K] of [[16, 45, 37], [128, 300, 261], [33, 1, 70], [1, 50, 20], [200, 64, 1024]] as const) {
        for (const transB of [true, false]) {
          const ldb = (transB ? K : N) + 3;
          const b = fill(rng, (transB ? N : K) * ldb + 5);
          const packed: Float32Array | null = nb.packWeight!(transB, K, N, b, 2, ldb);
          assert.ok(packed instanceof Float32Array, `${kernels}: packWeight returned ${String(packed)}`);
          for (const beta of [0, 1]) {
            assert.deepEqual(run(transB, M, N, K, ldb, b, 2, beta, packed), run(transB, M, N, K, ldb, b, 2, beta, null), `${kernels} ${M}x${N}x${K} transB=${transB} beta=${beta}`);
          }
        }
      }
    }
    // packed under one kernel set, used under another: the header does not match and B is packed per call
    const [M, N, K] = [64, 96, 80];
    const b = fill(rng, N * K);
    nb.selectKernels('portable');
    const packed: Float32Array | null = nb.packWeight!(true, K, N, b, 0, K);
    nb.selectKernels(info.kernels);
    if (info.kernels !== 'portable') assert.deepEqual(run(true, M, N, K, K, b, 0, 0, packed), run(true, M, N, K, K, b, 0, 0, null));
  } finally {
    nb.selectKernels(info.kernels);
  }
});

// Matmul and GEMV throughput of every back end: 768^3, BERT/GPT-2 MLP shapes 128x768x3072 and 128x3072x768
// (B as K x N and as the transposed [out, in] weight of Linear), on 1 thread and on all threads (native), plus
// GEMV (M = 1, decode) reading weights from memory (several copies, more than the L3 cache, are cycled so
// each call streams its weights from DRAM as decode does). Best of several runs after a warm-up.
// Returns JSON-able records; bench/run.ts prints them. Native threads are set with setNativeThreads().
import { availableBackends } from '../src/tensor/backend/index.js';
import type { Backend, GemmArgs } from '../src/tensor/backend/index.js';
import { setNativeThreads, getNativeThreads } from '../src/tensor/backend/native/index.js';

export interface MatmulRecord {
  bench: 'matmul';
  backend: string;
  threads: number;
  M: number;
  N: number;
  K: number;
  transB: boolean;
  gflops: number;
  ms: number;
}

export interface GemvRecord {
  bench: 'gemv';
  backend: string;
  threads: number;
  N: number;
  K: number;
  transB: boolean;
  gbps: number;
  ms: number;
}

function filled(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296 - 0.5;
  }
  return x;
}

/** Best time in ms of fn over runs taken until minRuns and minMs are both reached (after `warm` calls). */
function bestOf(fn: () => void, warm: number, minRuns: number, minMs: number, maxRuns = 200): number {
  for (let i = 0; i < warm; i++) fn();
  let best = Infinity;
  const start = performance.now();
  for (let r = 0; r < maxRuns; r++) {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    if (dt < best) best = dt;
    if (r + 1 >= minRuns && performance.now() - start >= minMs) break;
  }
  return best;
}

function matmulArgs(M: number, N: number, K: number, transB: boolean): GemmArgs {
  return {
    transA: false, transB, M, N, K, alpha: 1, beta: 0,
    a: filled(M * K, 1), aOff: 0, lda: K, strideA: 0,
    b: filled(K * N, 2), bOff: 0, ldb: transB ? K : N, strideB: 0,
    c: new Float32Array(M * N), cOff: 0, ldc: N, strideC: 0, batch: 1,
  };
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Thread counts to measure a back end at: js 1; native 1 and all. */
function threadCounts(be: Backend, all: number): number[] {
  if (be.name !== 'native') return [1];
  return all > 1 ? [1, all] : [1];
}

export async function benchMatmul(): Promise<(MatmulRecord | GemvRecord)[]> {
  const out: (MatmulRecord | GemvRecord)[] = [];
  const allThreads = getNativeThreads() || 1;
  const shapes: [number, number, number, boolean][] = [
    [768, 768, 768, false],
    [128, 3072, 768, false], // M=128, N=3072, K=768: BERT/GPT-2 MLP up-projection
    [128, 3072, 768, true], //  same with W as [out, in] (Linear)
    [128, 768, 3072, false], // M=128, N=768, K=3072: down-projection
    [128, 768, 3072, true],
  ];
  try {
    for (const be of availableBackends()) {
      for (const threads of threadCounts(be, allThreads)) {
        if (be.name === 'native') setNativeThreads(threads);
        for (const [M, N, K, transB] of shapes) {
          const p = matmulArgs(M, N, K, transB);
          const slow = be.name === 'js';
          const ms = bestOf(() => be.gemm(p), slow ? 1 : 3, slow ? 3 : 10, slow ? 0 : 300);
          out.push({ bench: 'matmul', backend: be.name, threads, M, N, K, transB, gflops: round((2 * M * N * K) / ms / 1e6), ms: round(ms, 3) });
        }
        // GEMV: x[1, K] . W, cycling through enough weight copies (> 64 MB) to stream from memory.
        for (const [N, K] of [[3072, 768], [50257, 768]] as const)
          for (const transB of [true, false]) {
            const bytes = N * K * 4;
            const copies = Math.max(1, Math.ceil((64 << 20) / bytes));
            const ws = Array.from({ length: copies }, (_, i) => filled(N * K, 10 + i));
            const x = filled(K, 3), y = new Float32Array(N);
            let i = 0;
            const call = () => {
              be.gemm({
                transA: false, transB, M: 1, N, K, alpha: 1, beta: 0, a: x, aOff: 0, lda: K, strideA: 0,
                b: ws[i]!, bOff: 0, ldb: transB ? K : N, strideB: 0, c: y, cOff: 0, ldc: N, strideC: 0, batch: 1,
              });
              i = (i + 1) % copies;
            };
            const slow = be.name === 'js';
            const ms = bestOf(call, slow ? 1 : copies, slow ? 3 : 3 * copies, slow ? 0 : 300);
            out.push({ bench: 'gemv', backend: be.name, threads, N, K, transB, gbps: round(bytes / ms / 1e6), ms: round(ms, 3) });
          }
      }
    }
  } finally {
    if (allThreads > 0) setNativeThreads(allThreads);
  }
  return out;
}

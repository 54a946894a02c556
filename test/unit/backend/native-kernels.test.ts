// Native kernels against the js reference kernels on random data (odd sizes, sizes that use the threads,
// one and all threads, AVX2 and portable kernel sets), plus bad arguments: a thrown error, never a crash.
// Skips with a message when the addon is not built.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { jsBackend, nativeBackend } from '../../../src/tensor/backend/index.js';
import type { NativeBackend } from '../../../src/tensor/backend/native/index.js';
import type { UnaryOp, BinaryOp } from '../../../src/tensor/backend/index.js';
import { Rng } from '../../../src/util/rng.js';

const SKIP = 'native addon not built: build/Release/bertchat_native.node';

function native(t: TestContext): NativeBackend | null {
  const nb = nativeBackend() as NativeBackend | null;
  if (!nb) t.skip(SKIP);
  return nb;
}

function rand(rng: Rng, n: number, scale = 1, shift = 0): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (rng.random() * 2 - 1) * scale + shift;
  return x;
}

/**
 * |got - want| <= rtol * |want| + atol * max(max|want|, floor) for every element (NaN must match NaN).
 * `floor` is the magnitude of the inputs where outputs can cancel to ~0 (norm backward of one column).
 */
function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, floor = 0): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let mx = floor;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) mx = Math.max(mx, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= rtol * Math.abs(w) + atol * mx) continue;
    assert.fail(`${what}: [${i}] got ${g}, want ${w}`);
  }
}

/** Runs body under each thread count and kernel set the machine has, restoring the defaults after. */
function variants(nb: NativeBackend, body: (label: string) => void): void {
  const threads0 = nb.threads;
  const { avx2, kernels: kernels0 } = nb.info();
  try {
    for (const kernels of avx2 ? ['avx2', 'portable'] as const : ['portable'] as const) {
      nb.selectKernels(kernels);
      for (const th of [1, Math.max(2, threads0)]) {
        nb.setThreads(th);
        body(`${kernels}/${th}t`);
      }
    }
  } finally {
    nb.setThreads(threads0);
    nb.selectKernels(kernels0 as 'avx512' | 'avx2' | 'portable');
  }
}

const SIZES = [1, 7, 8, 9, 31, 100, 257, 70001];
const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'gelu', 'gelu_tanh', 'silu', 'abs', 'square'];
const ACTS: UnaryOp[] = ['gelu', 'gelu_tanh', 'silu', 'tanh', 'sigmoid', 'relu', 'exp', 'square', 'neg', 'log', 'sqrt', 'rsqrt', 'abs'];

test('native unary matches js', (t) => {
  const nb = native(t);
  if (!nb) return;
  const rng = new Rng(1);
  variants(nb, (label) => {
    for (const op of UNARY)
      for (const n of SIZES) {
        const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt';
        const x = rand(rng, n + 3, 6, positive ? 7 : 0);
        const want = new Float32Array(n + 2), got = new Float32Array(n + 2);
        jsBackend.unary(op, x, 3, want, 2, n);
        nb.unary(op, x, 3, got, 2, n);
        close(`unary ${op} n=${n} ${label}`, got, want, 2e-6, 1e-7);
      }
  });
});

test('native gelu/gelu_tanh/silu/exp/tanh/sigmoid are accurate against float64 (rel 1e-6 on [-5, 5])', (t) => {
  const nb = native(t);
  if (!nb) return;
  const n = 20001;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = -5 + (10 * i) / (n - 1);
  const out = new Float32Array(n);
  const SQ = Math.SQRT1_2, C = Math.sqrt(2 / Math.PI);
  // float64 references; gelu_tanh written as x sigmoid(2u), which equals 0.5 x (1 + tanh u) without cancellation
  const ref: Partial<Record<UnaryOp, (v: number) => number>> = {
    gelu_tanh: (v) => v / (1 + Math.exp(-2 * C * (v + 0.044715 * v * v * v))),
    silu: (v) => v / (1 + Math.exp(-v)),
    exp: Math.exp,
    tanh: Math.tanh,
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  };
  for (const [op, f] of Object.entries(ref) as [UnaryOp, (v: number) => number][]) {
    nb.unary(op, x, 0, out, 0, n);
    for (let i = 0; i < n; i++) {
      const w = f(x[i]!);
      if (Math.abs(out[i]! - w) > 1e-6 * Math.abs(w) + 1e-30) assert.fail(`${op}(${x[i]}) = ${out[i]}, float64 ${w}`);
    }
  }
  // gelu: against the js reference formula evaluated in float64 (its erf is the same Chebyshev fit)
  nb.unary('gelu', x, 0, out, 0, n);
  const jsOut = new Float32Array(n);
  jsBackend.unary('gelu', x, 0, jsOut, 0, n);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const z = Math.abs(v * SQ), tt = 1 / (1 + 0.5 * z);
    const r = tt * Math.exp(-z * z - 1.26551223 + tt * (1.00002368 + tt * (0.37409196 + tt * (0.09678418 + tt * (-0.18628806 + tt * (0.27886807 + tt * (-1.13520398 + tt * (1.48851587 + tt * (-0.82215223 + tt * 0.17087277)))))))));
    const w = 0.5 * v * (v >= 0 ? 2 - r : r);
    if (Math.abs(out[i]! - w) > 1e-6 * Math.abs(w) + 1e-30) assert.fail(`gelu(${v}) = ${out[i]}, float64 ${w}`);
  }
});

test('native unaryBackward matches js', (t) => {
  const nb = native(t);
  if (!nb) return;
  const rng = new Rng(2);
  variants(nb, (label) => {
    for (const op of ACTS)
      for (const n of SIZES) {
        const positive = op === 'log' || op === 'sqrt' || op === 'rsqrt';
        const x = rand(rng, n, 5, positive ? 6 : 0), dy = rand(rng, n);
        const want = new Float32Array(n), got = new Float32Array(n);
        jsBackend.unaryBackward(op, x, dy, want, n);
        nb.unaryBackward(op, x, dy, got, n);
        close(`unaryBackward ${op} n=${n} ${label}`, got, want, 1e-5, 1e-6);
      }
  });
});

test('native binary matches js (contiguous, broadcasts, strided, offsets)', (t) => {
  const nb = native(t);
  if (!nb) return;
  const rng = new Rng(3);
  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow'];
  // [shape, aStrides, bStrides]
  const layouts: [number[], number[], number[]][] = [
    [[1000], [1], [1]],
    [[70001], [1], [1]],
    [[300, 513], [513, 1], [0, 1]], // row broadcast (bias add)
    [[300, 513], [513, 1], [1, 0]], // column broadcast
    [[7, 5, 3], [15, 3, 1], [0, 0, 0]], // scalar b
    [[7, 5, 3], [1, 7, 35], [15, 3, 1]], // transposed a
    [[4, 3, 9, 11], [297, 99, 11, 1], [0, 9, 1, 0]],
    [[], [], []],
    [[3, 0, 4], [0, 4, 1], [0, 4, 1]],
  ];
  variants(nb, (label) => {
    for (const op of ops)
      for (const [shape, as, bs] of layouts) {
        const n = shape.reduce((x, y) => x * y, 1);
        const span = (st: number[]) => 1 + shape.reduce((acc, s, d) => acc + Math.max(s - 1, 0) * st[d]!, 0);
        const a = rand(rng, 2 + span(as), 2, op === 'pow' ? 3 : 0), b = rand(rng, 1 + span(bs), 2);
        const want = new Float32Array(n + 1), got = new Float32Array(n + 1);
        jsBackend.binary(op, shape, a, 2, as, b, 1, bs, want, 1);
        nb.binary(op, shape, a, 2, as, b, 1, bs, got, 1);
        close(`binary ${op} ${JSON.stringify(shape)} ${label}`, got, want, 1e-6, 0);
      }
  });
});

test('native copyStrided matches js (float32 and int32)', (t) => {
  const nb = native(t);
  if (!nb) return;
  const rng = new Rng(4);
  const layouts: [number[], number[]][] = [[[5, 7], [7, 1]], [[5, 7], [1, 5]], [[3, 4, 5], [1, 15, 3]], [[64, 12, 100], [1200, 1, 12]], [[2, 1, 3], [3, 3, 1]], [[], []]];
  variants(nb, (label) => {
    for (const [shape, st] of layouts) {
      const n = shape.reduce((x, y) => x * y, 1);
      const span = 1 + shape.reduce((acc, s, d) => acc + (s - 1) * st[d]!, 0);
      const src = rand(rng, span + 3);
      const want = new Float32Array(n + 2), got = new Float32Array(n + 2);
      jsBackend.copyStrided(shape, src, 3, st, want, 2);
      nb.copyStrided(shape, src, 3, st, got, 2);
      close(`copyStrided f32 ${JSON.stringify(shape)} ${label}`, got, want, 0, 0);
      const isrc = new Int32Array(span + 3).map((_, i) => i * 7 - 100);
      const iw = new Int32Array(n), ig = new Int32Array(n);
      jsBackend.copyStrided(shape, isrc, 3, st, iw, 0);
      nb.copyStrided(shape, isrc, 3, st, ig, 0);
      assert.deepEqual(ig, iw, `copyStrided i32 ${JSON.stringify(shape)} ${label}`);
    }
  });
});

const ROWCOLS: [number, number][] = [[1, 1], [3, 7], [5, 33], [17, 768], [130, 1000], [2, 50257]];

test('native softmax / logSoftmax and backward match js', (t) => {
  const nb = native(t);
  if (!nb) return;
  const rng = new Rng(5);
  variants(nb, (label) => {
    for (const [rows, cols] of ROWCOLS) {
      const n = rows * cols;
      const x = rand(rng, n, 8);
      if (rows > 2) x.fill(-Infinity, cols, 2 * cols); // a fully masked row
      if (cols > 3) x[3] = -Infinity; // a masked entry
      for (const kind of ['softmax', 'logSoftmax'] as const) {
        const xx = kind === 'logSoftmax' ? x.map((v) => (v === -Infinity ? -30 : v)) : x;
        const want = new Float32Array(n), got = new Float32Array(n);
        jsBackend[kind](xx, want, rows, cols);
        nb[kind](xx, got, rows, cols);
        close(`${kind} ${rows}x${cols} ${label}`, got, want, 2e-5, 1e-6);
        const inplace = xx.slice();
        nb[kind](inplace, inplace, rows, cols);
        close(`${kind} in place ${rows}x${cols} ${label}`, inplace, want, 2e-5, 1e-6);
        const dy = rand(rng, n);
        const bw = new Float32Array(n), bg = new Float32Array(n);
        const back = kind === 'softmax' ? 'softmaxBackward' : 'logSoftmaxBackward';
        jsBackend[back](want, dy, bw, rows, cols);
        nb[back](want, dy, bg, rows, cols);
        close(`${back} ${rows}x${cols} ${label}`, bg, bw, 1e-4, 1e-5);
      }
    }
  });
});

test('native layerNorm / rmsNorm and backward match js', (t) => {
  const nb = native(t);
  if (!nb) return;
  const rng = new Rng(6);
  variants(nb, (label) => {
    for (const [rows, cols] of ROWCOLS.slice(0, 5))
      for (const affine of [true, false]) {
        const n = rows * cols;
        const x = rand(rng, n, 3, 0.5), dy = rand(rng, n);
        const w = affine ? rand(rng, cols, 1, 1) : null, b = affine ? rand(rng, cols) : null;
        const o1 = new Float32Array(n), o2 = new Float32Array(n);
        const m1 = new Float32Array(rows), m2 = new Float32Array(rows), r1 = new Float32Array(rows), r2 = new Float32Array(rows);
        jsBackend.layerNorm(x, w, b, o1, m1, r1, rows, cols, 1e-5);
        nb.layerNorm(x, w, b, o2, m2, r2, rows, cols, 1e-5);
        close(`layerNorm ${rows}x${cols} ${label}`, o2, o1, 2e-5, 1e-6);
        close(`layerNorm mean ${label}`, m2, m1, 1e-5, 1e-6);
        close(`layerNorm rstd ${label}`, r2, r1, 1e-5, 0);
        const dx1 = new Float32Array(n), dx2 = new Float32Array(n);
        const dw1 = affine ? rand(rng, cols) : null, dw2 = dw1 ? dw1.slice() : null;
        const db1 = affine ? rand(rng, cols) : null, db2 = db1 ? db1.slice() : null;
        jsBackend.layerNormBackward(x, w, m1, r1, dy, dx1, dw1, db1, rows, cols);
        nb.layerNormBackward(x, w, m1, r1, dy, dx2, dw2, db2, rows, cols);
        close(`layerNormBackward dx ${rows}x${cols} ${label}`, dx2, dx1, 1e-4, 1e-5, 1);
        if (dw1 && dw2 && db1 && db2) {
          close(`layerNormBackward dw ${label}`, dw2, dw1, 1e-4, 1e-5);
          close(`layerNormBackward db ${label}`, db2, db1, 1e-4, 1e-5);
        }
        // RMSNorm
        jsBackend.rmsNorm(x, w, o1, r1, rows, cols, 1e-6);
        nb.rmsNorm(x, w, o2, r2, rows, cols, 1e-6);
        close(`rmsNorm ${rows}x${cols} ${label}`, o2, o1, 2e-5, 1e-6);
        close(`rmsNorm rstd ${label}`, r2, r1, 1e-5, 0);
        const dwr1 = affine ? rand(rng, cols) : null, dwr2 = dwr1 ? dwr1.slice() : null;
        jsBackend.rmsNormBackward(x, w, r1, dy, dx1, dwr1, rows, cols);
        nb.rmsNormBackward(x, w, r1, dy, dx2, dwr2, rows, cols);
        close(`rmsNormBackward dx ${rows}x${cols} ${label}`, dx2, dx1, 1e-4, 1e-5, 1);
        if (dwr1 && dwr2) close(`rmsNormBackward dw ${label}`, dwr2, dwr1, 1e-4, 1e-5);
      }
  });
});

test('native sumAxis, gatherRows, scatterAddRows, rope, adamw match js', (t) => {
  const nb = native(t);
  if (!nb) return;
  const rng = new Rng(7);
  variants(nb, (label) => {
    for (const [outer, n, inner] of [[1, 1, 1], [3, 5, 1], [1, 1000, 768], [4, 7, 33], [700, 300, 1], [2, 3, 1500]]) {
      const x = rand(rng, outer * n * inner);
      const w1 = new Float32Array(outer * inner), w2 = new Float32Array(outer * inner);
      jsBackend.sumAxis(x, w1, outer!, n!, inner!);
      nb.sumAxis(x, w2, outer!, n!, inner!);
      close(`sumAxis ${outer}x${n}x${inner} ${label}`, w2, w1, 1e-5, 1e-6);
    }
    const vocab = 500, cols = 77;
    const table = rand(rng, vocab * cols);
    const ids = new Int32Array(300).map(() => rng.int(vocab));
    ids[5] = 0;
    const g1 = new Float32Array(ids.length * cols), g2 = new Float32Array(ids.length * cols);
    jsBackend.gatherRows(table, ids, g1, cols);
    nb.gatherRows(table, ids, g2, cols);
    close(`gatherRows ${label}`, g2, g1, 0, 0);
    const d1 = rand(rng, vocab * cols), d2 = d1.slice();
    jsBackend.scatterAddRows(g1, ids, d1, cols, 0);
    nb.scatterAddRows(g1, ids, d2, cols, 0);
    close(`scatterAddRows ${label}`, d2, d1, 1e-6, 1e-7);
    for (const [rows, nh, hd] of [[1, 1, 2], [5, 3, 8], [130, 12, 64], [7, 2, 10]]) {
      const x = rand(rng, rows! * nh! * hd!), cos = rand(rng, rows! * hd!), sin = rand(rng, rows! * hd!);
      for (const sign of [1, -1] as const) {
        const r1 = new Float32Array(x.length), r2 = new Float32Array(x.length);
        jsBackend.rope(x, cos, sin, r1, rows!, nh!, hd!, sign);
        nb.rope(x, cos, sin, r2, rows!, nh!, hd!, sign);
        close(`rope ${rows}x${nh}x${hd} sign ${sign} ${label}`, r2, r1, 1e-6, 1e-7);
      }
    }
    for (const n of [1, 13, 100003]) {
      const p1 = rand(rng, n), g = rand(rng, n), m1 = rand(rng, n, 0.1), v1 = rand(rng, n, 0.01, 0.011);
      const p2 = p1.slice(), m2 = m1.slice(), v2 = v1.slice();
      for (const step of [1, 2, 10]) {
        jsBackend.adamw(p1, g, m1, v1, 1e-3, 0.9, 0.999, 1e-8, 0.01, step);
        nb.adamw(p2, g, m2, v2, 1e-3, 0.9, 0.999, 1e-8, 0.01, step);
      }
      // same double arithmetic as the reference: bit-identical
      assert.deepEqual(p2, p1, `adamw p n=${n} ${label}`);
      assert.deepEqual(m2, m1, `adamw m n=${n} ${label}`);
      assert.deepEqual(v2, v1, `adamw v n=${n} ${label}`);
    }
  });
});

test('native kernels throw on bad arguments instead of crashing', (t) => {
  const nb = native(t);
  if (!nb) return;
  const f = new Float32Array(10);
  const base = {
    transA: false, transB: false, M: 2, N: 2, K: 2, alpha: 1, beta: 0,
    a: f, aOff: 0, lda: 2, strideA: 0, b: f, bOff: 0, ldb: 2, strideB: 0, c: new Float32Array(4), cOff: 0, ldc: 2, strideC: 0, batch: 1,
  };
  assert.doesNotThrow(() => nb.gemm(base));
  assert.throws(() => nb.gemm({ ...base, M: 100 }), /too short/);
  assert.throws(() => nb.gemm({ ...base, aOff: 8 }), /too short/);
  assert.throws(() => nb.gemm({ ...base, batch: 3, strideC: 4 }), /too short/);
  assert.throws(() => nb.gemm({ ...base, lda: 1 }), /lda/);
  assert.throws(() => nb.gemm({ ...base, M: -1 }), /non-negative integer/);
  assert.throws(() => nb.gemm({ ...base, K: 1.5 }), /non-negative integer/);
  assert.throws(() => nb.gemm({ ...base, a: new Float64Array(10) as unknown as Float32Array }), /Float32Array/);
  assert.throws(() => nb.gemm({ ...base, b: [1, 2, 3] as unknown as Float32Array }), /Float32Array/);
  assert.throws(() => nb.unary('gelu', f, 5, f, 0, 6), /too short/);
  assert.throws(() => nb.unary('nope' as UnaryOp, f, 0, f, 0, 6), /number|op/);
  assert.throws(() => nb.softmax(f, f, 3, 4), /too short/);
  assert.throws(() => nb.layerNorm(f, new Float32Array(2), null, f, f, f, 2, 5, 1e-5), /too short/);
  assert.throws(() => nb.gatherRows(f, new Int32Array([0, 5]), new Float32Array(4), 2), /out of range/);
  assert.throws(() => nb.gatherRows(f, new Int32Array([-1]), new Float32Array(4), 2), /out of range/);
  assert.throws(() => nb.scatterAddRows(f, new Int32Array([9]), f, 2, -1), /out of range/);
  assert.throws(() => nb.binary('add', [4, 4], f, 0, [4, 1], f, 0, [4, 1], new Float32Array(16), 0), /outside/);
  assert.throws(() => nb.binary('add', [20], f, 0, [0], f, 0, [0], f, 0), /too short/);
  assert.throws(() => nb.copyStrided([3, 3], f, 2, [3, 1], new Float32Array(9), 0), /outside/);
  assert.throws(() => nb.rope(f, f, f, f, 2, 2, 4, 1), /too short/);
  assert.throws(() => nb.adamw(f, new Float32Array(3), f, f, 1e-3, 0.9, 0.999, 1e-8, 0, 1), /too short/);
  assert.throws(() => nb.setThreads(-1), /non-negative/);
});

test('native thread count can be changed at run time', (t) => {
  const nb = native(t);
  if (!nb) return;
  const before = nb.threads;
  try {
    assert.equal(nb.setThreads(1), 1);
    assert.equal(nb.threads, 1);
    assert.equal(nb.setThreads(3), 3);
    assert.ok(nb.setThreads(0) >= 1);
  } finally {
    nb.setThreads(before);
  }
});

// One conformance suite for every back end: each op's forward against a float64 reference written
// here, each gradient against central finite differences, and bad input → typed errors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/tensor/index.js';
import { Tensor, withBackend, availableBackends } from '../../src/tensor/index.js';
import { Rng } from '../../src/util/rng.js';
import { BertchatError } from '../../src/util/errors.js';
import { assertClose } from '../helpers/golden.js';
import { gradcheck } from './gradcheck.js';

const rng = new Rng(7);
const rnd = (shape: number[], std = 1) => T.randn(shape, rng, std);
const erf = (x: number) => {
  // float64 erf by series/continued fraction (Abramowitz–Stegun 7.1.26 is too coarse here)
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y = 1 - t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? y : -y;
};

/** float64 reference matmul of (M,K)·(K,N). */
function refMatmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
    c[i * N + j] = s;
  }
  return c;
}

function expectError(fn: () => unknown, code: string, ...mentions: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BertchatError, `expected BertchatError, got ${e}`);
    assert.equal(e.code, code);
    for (const m of mentions) assert.ok(e.message.includes(m), `message "${e.message}" should mention ${m}`);
    return true;
  });
}

for (const backend of availableBackends()) {
  describe(`conformance: ${backend.name} back end`, () => {
    const run = <R>(fn: () => R): R => withBackend(backend, fn);

    test('matmul forward: plain, transposed views, batched, broadcast batch, vectors', () => run(() => {
      for (const [M, K, N] of [[1, 1, 1], [3, 5, 7], [17, 33, 9], [64, 48, 80]] as const) {
        const a = rnd([M, K]);
        const b = rnd([K, N]);
        const ref = refMatmul(a.values(), b.values(), M, K, N);
        assertClose(T.matmul(a, b).values(), ref, `matmul ${M}x${K}x${N}`, { atol: 1e-4 });
        // the same product through transposed views (no copies: GEMM trans flags)
        const at = rnd([K, M]);
        const atT = at.transpose(0, 1);
        const bt = rnd([N, K]);
        const refT = refMatmul(atT.contiguous().values(), bt.transpose(0, 1).contiguous().values(), M, K, N);
        assertClose(T.matmul(atT, bt.transpose(0, 1)).values(), refT, `matmul transposed ${M}x${K}x${N}`, { atol: 1e-4 });
      }
      const a = rnd([2, 3, 4, 5]);
      const b = rnd([3, 5, 6]); // broadcast over the leading batch axis
      const out = T.matmul(a, b);
      assert.deepEqual(out.shape, [2, 3, 4, 6]);
      const av = a.values();
      const bv = b.values();
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
        const ref = refMatmul(av.subarray((i * 3 + j) * 20, (i * 3 + j + 1) * 20), bv.subarray(j * 30, (j + 1) * 30), 4, 5, 6);
        assertClose(out.values().subarray((i * 3 + j) * 24, (i * 3 + j + 1) * 24), ref, 'batched matmul');
      }
      // permuted (B, nh, T, hs) views as attention makes them
      const x = rnd([2, 5, 3, 4]).transpose(1, 2); // (2, 3, 5, 4)
      const s = T.matmul(x, x.transpose(-1, -2));
      const xc = x.contiguous().values();
      for (let bh = 0; bh < 6; bh++) {
        const m = xc.subarray(bh * 20, bh * 20 + 20);
        const mt = new Float64Array(20);
        for (let i = 0; i < 5; i++) for (let k = 0; k < 4; k++) mt[k * 5 + i] = m[i * 4 + k]!;
        assertClose(s.values().subarray(bh * 25, bh * 25 + 25), refMatmul(m, mt, 5, 4, 5), 'attention-style matmul');
      }
      const v = rnd([5]);
      assert.deepEqual(T.matmul(rnd([3, 5]), v).shape, [3]);
    }));

    test('linear forward and gradients', () => run(() => {
      const x = rnd([2, 3, 6]);
      const w = rnd([4, 6]);
      const b = rnd([4]);
      const y = T.linear(x, w, b);
      const ref = refMatmul(x.values(), w.transpose(0, 1).contiguous().values(), 6, 6, 4);
      for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++) ref[i * 4 + j]! += b.values()[j]!;
      assertClose(y.values(), ref, 'linear');
      gradcheck('linear', (x, w, b) => T.linear(x!, w!, b!), [rnd([2, 3, 6]), rnd([4, 6]), rnd([4])]);
      // addmm: the same map with W stored [in, out] (GPT-2 Conv1D)
      assertClose(T.addmm(x, w.transpose(0, 1).contiguous(), b).values(), y.values(), 'addmm = linear with Wᵀ', { atol: 1e-5 });
      gradcheck('addmm', (x, w, b) => T.addmm(x!, w!, b!), [rnd([2, 3, 6]), rnd([6, 4]), rnd([4])]);
      gradcheck('matmul', (a, b) => T.matmul(a!, b!), [rnd([2, 3, 4]), rnd([4, 5])]);
      gradcheck('matmul batched broadcast', (a, b) => T.matmul(a!, b!), [rnd([3, 4]), rnd([2, 4, 5])]);
      gradcheck('matmul transposed view', (a) => T.matmul(a!, a!.transpose(-1, -2)), [rnd([2, 3, 4])]);
    }));

    test('elementwise with broadcasting, forward and gradients', () => run(() => {
      const a = rnd([2, 3, 4]);
      const b = rnd([3, 1]);
      const out = T.add(a, b);
      const av = a.values();
      const bv = b.values();
      const ref = Float64Array.from(av, (v, i) => v + bv[Math.floor(i / 4) % 3]!);
      assertClose(out.values(), ref, 'add broadcast');
      assertClose(T.mul(a, 2).values(), Float64Array.from(av, (v) => v * 2), 'mul scalar');
      assertClose(T.sub(1, a).values(), Float64Array.from(av, (v) => 1 - v), 'scalar - tensor');
      gradcheck('add', (x, y) => T.add(x!, y!), [rnd([2, 3, 4]), rnd([3, 1])]);
      gradcheck('sub', (x, y) => T.sub(x!, y!), [rnd([2, 3]), rnd([3])]);
      gradcheck('mul', (x, y) => T.mul(x!, y!), [rnd([2, 3, 4]), rnd([1, 4])]);
      gradcheck('div', (x, y) => T.div(x!, y!), [rnd([3, 4]), T.add(T.mul(T.rand([4], rng), 1), 1)]);
    }));

    test('activations and unary math', () => run(() => {
      const x = rnd([300], 2);
      const xv = x.values();
      const c = Math.sqrt(2 / Math.PI);
      const refs: [string, (t: Tensor) => Tensor, (v: number) => number][] = [
        ['gelu', T.gelu, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
        ['geluTanh', T.geluTanh, (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3)))],
        ['silu', T.silu, (v) => v / (1 + Math.exp(-v))],
        ['tanh', T.tanh, Math.tanh],
        ['sigmoid', T.sigmoid, (v) => 1 / (1 + Math.exp(-v))],
        ['relu', T.relu, (v) => Math.max(v, 0)],
        ['exp', T.exp, Math.exp],
        ['neg', T.neg, (v) => -v],
        ['square', T.square, (v) => v * v],
      ];
      for (const [name, f, ref] of refs) {
        assertClose(f(x).values(), Float64Array.from(xv, ref), name, { atol: 1e-5, rtol: 1e-5 });
        if (name !== 'relu') gradcheck(name, (t) => f(t!), [rnd([40])]);
      }
      const pos = T.add(T.rand([20], rng), 0.5);
      assertClose(T.log(pos).values(), Float64Array.from(pos.values(), Math.log), 'log', { atol: 1e-6 });
      assertClose(T.sqrt(pos).values(), Float64Array.from(pos.values(), Math.sqrt), 'sqrt', { atol: 1e-6 });
      gradcheck('log', (t) => T.log(t!), [T.add(T.rand([10], rng), 0.5)]);
      gradcheck('sqrt', (t) => T.sqrt(t!), [T.add(T.rand([10], rng), 0.5)]);
    }));

    test('softmax with additive mask, logSoftmax', () => run(() => {
      const x = rnd([2, 3, 7]);
      const mask = new Tensor(Float32Array.from([0, 0, 0, 0, -3.4e38, -3.4e38, 0]), [7]);
      const y = T.softmax(x, -1, mask).values();
      const xv = x.values();
      for (let r = 0; r < 6; r++) {
        const row = Array.from({ length: 7 }, (_, j) => xv[r * 7 + j]! + (j === 4 || j === 5 ? -Infinity : 0));
        const m = Math.max(...row);
        const e = row.map((v) => Math.exp(v - m));
        const s = e.reduce((p, q) => p + q, 0);
        assertClose(y.subarray(r * 7, r * 7 + 7), e.map((v) => v / s), 'softmax row', { atol: 1e-6 });
      }
      const ls = T.logSoftmax(x).values();
      for (let r = 0; r < 6; r++) {
        const row = Array.from(xv.subarray(r * 7, r * 7 + 7));
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((p, v) => p + Math.exp(v - m), 0));
        assertClose(ls.subarray(r * 7, r * 7 + 7), row.map((v) => v - lse), 'logSoftmax row', { atol: 1e-5 });
      }
      gradcheck('softmax', (t) => T.softmax(t!, -1), [rnd([3, 5])]);
      gradcheck('softmax masked', (t) => T.softmax(t!, -1, mask), [rnd([2, 7])]);
      gradcheck('logSoftmax', (t) => T.logSoftmax(t!), [rnd([3, 5])]);
    }));

    test('layerNorm and rmsNorm', () => run(() => {
      const x = rnd([4, 37], 3);
      const w = rnd([37]);
      const b = rnd([37]);
      const y = T.layerNorm(x, w, b, 1e-5).values();
      const yr = T.rmsNorm(x, w, 1e-6).values();
      const xv = x.values();
      for (let r = 0; r < 4; r++) {
        const row = Array.from(xv.subarray(r * 37, r * 37 + 37));
        const m = row.reduce((p, v) => p + v, 0) / 37;
        const vr = row.reduce((p, v) => p + (v - m) ** 2, 0) / 37;
        const ms = row.reduce((p, v) => p + v * v, 0) / 37;
        assertClose(y.subarray(r * 37, r * 37 + 37), row.map((v, j) => ((v - m) / Math.sqrt(vr + 1e-5)) * w.values()[j]! + b.values()[j]!), 'layerNorm', { atol: 1e-5 });
        assertClose(yr.subarray(r * 37, r * 37 + 37), row.map((v, j) => (v / Math.sqrt(ms + 1e-6)) * w.values()[j]!), 'rmsNorm', { atol: 1e-5 });
      }
      gradcheck('layerNorm', (x, w, b) => T.layerNorm(x!, w!, b!, 1e-5), [rnd([3, 8]), rnd([8]), rnd([8])]);
      gradcheck('rmsNorm', (x, w) => T.rmsNorm(x!, w!, 1e-6), [rnd([3, 8]), rnd([8])]);
    }));

    test('embedding, indexSelect, concat, views', () => run(() => {
      const table = rnd([10, 4]);
      const ids = T.intTensor([[3, 0, 9], [1, 1, 2]]);
      const e = T.embedding(table, ids);
      assert.deepEqual(e.shape, [2, 3, 4]);
      assert.deepEqual(Array.from(e.values().subarray(4, 8)), Array.from(table.values().subarray(0, 4)));
      gradcheck('embedding', (t) => T.embedding(t!, ids), [rnd([10, 4])]);
      // padding_idx row gets no gradient
      const tp = rnd([10, 4]).requiresGrad_();
      T.sum(T.embedding(tp, ids, 1)).backward();
      assert.ok(tp.grad!.values().subarray(4, 8).every((v) => v === 0));
      assert.deepEqual(Array.from(tp.grad!.values().subarray(12, 16)), [1, 1, 1, 1]);
      gradcheck('indexSelect', (t) => T.indexSelect(t!, 1, [2, 0, 2]), [rnd([2, 3, 2])]);
      const c = T.concat([T.tensor([[1, 2]]), T.tensor([[3, 4], [5, 6]])], 0);
      assert.deepEqual(c.toArray(), [[1, 2], [3, 4], [5, 6]]);
      gradcheck('concat', (a, b) => T.concat([a!, b!], 1), [rnd([2, 3]), rnd([2, 2])]);
      gradcheck('narrow+transpose+reshape', (a) => a!.narrow(1, 1, 2).transpose(0, 1).reshape(2, 6), [rnd([3, 4, 2]).reshape(3, 4, 2)]);
      gradcheck('permute+contiguous', (a) => T.mul(a!.permute(2, 0, 1).contiguous(), 3), [rnd([2, 3, 4])]);
      gradcheck('sum axis / mean', (a) => T.add(T.sum(a!, 1, true), T.mean(a!, 0)), [rnd([3, 4])]);
    }));

    test('rotary embedding (rotate_half) and its gradient', () => run(() => {
      const [B, Tn, nh, hs] = [2, 3, 2, 4];
      const x = rnd([B, Tn, nh, hs]);
      const inv = T.defaultInvFreq(hs, 10000);
      const { cos, sin } = T.ropeTables([0, 1, 2], inv);
      const ct = new Tensor(cos, [Tn, hs]);
      const st = new Tensor(sin, [Tn, hs]);
      const y = T.applyRope(x, ct, st).values();
      const xv = x.values();
      for (let b = 0; b < B; b++) for (let t = 0; t < Tn; t++) for (let h = 0; h < nh; h++) {
        const o = ((b * Tn + t) * nh + h) * hs;
        for (let i = 0; i < hs; i++) {
          const f = t * inv[i % (hs / 2)]!;
          const rot = i < hs / 2 ? -xv[o + i + hs / 2]! : xv[o + i - hs / 2]!;
          assert.ok(Math.abs(y[o + i]! - (xv[o + i]! * Math.cos(f) + rot * Math.sin(f))) < 1e-5);
        }
      }
      gradcheck('rope', (a) => T.applyRope(a!, ct, st), [rnd([B, Tn, nh, hs])]);
    }));

    test('crossEntropy with ignore_index, dropout', () => run(() => {
      const logits = rnd([4, 5]);
      const tgt = T.intTensor([1, -100, 4, 0]);
      const loss = T.crossEntropy(logits, tgt).item();
      const lv = logits.values();
      let ref = 0;
      for (const i of [0, 2, 3]) {
        const row = Array.from(lv.subarray(i * 5, i * 5 + 5));
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((p, v) => p + Math.exp(v - m), 0));
        ref += lse - row[[1, -100, 4, 0][i]!]!;
      }
      assert.ok(Math.abs(loss - ref / 3) < 1e-5, `crossEntropy ${loss} vs ${ref / 3}`);
      gradcheck('crossEntropy', (l) => T.crossEntropy(l!, tgt), [rnd([4, 5])]);
      const x = T.ones([10000]);
      const d1 = T.dropout(x, 0.25, new Rng(5), true).values();
      const d2 = T.dropout(x, 0.25, new Rng(5), true).values();
      assert.deepEqual(d1, d2, 'seeded dropout is reproducible');
      const zeros = d1.filter((v) => v === 0).length;
      assert.ok(zeros > 2300 && zeros < 2700, `dropout zeroed ${zeros} of 10000 at p=0.25`);
      assert.ok(d1.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
      assert.equal(T.dropout(x, 0.25, new Rng(5), false), x);
    }));

    test('bad input gives typed errors naming the op and shapes', () => run(() => {
      expectError(() => T.matmul(rnd([2, 3]), rnd([4, 5])), 'SHAPE_MISMATCH', 'matmul', '[2, 3]', '[4, 5]');
      expectError(() => T.add(rnd([2, 3]), rnd([4])), 'SHAPE_MISMATCH', 'add', '[2, 3]', '[4]');
      expectError(() => T.linear(rnd([2, 3]), rnd([4, 5])), 'SHAPE_MISMATCH', 'linear');
      expectError(() => T.embedding(rnd([5, 2]), T.intTensor([1, 7])), 'INDEX_OUT_OF_RANGE', 'embedding', '7');
      expectError(() => T.embedding(rnd([5, 2]), rnd([2])), 'DTYPE', 'embedding');
      expectError(() => T.gelu(T.intTensor([1, 2])), 'DTYPE');
      expectError(() => rnd([2, 3]).reshape(4, 2), 'SHAPE_MISMATCH', 'reshape');
      expectError(() => rnd([2, 3]).transpose(0, 2), 'INDEX_OUT_OF_RANGE', 'transpose');
      expectError(() => T.crossEntropy(rnd([2, 3]), T.intTensor([0, 3])), 'INDEX_OUT_OF_RANGE', 'crossEntropy');
      expectError(() => T.layerNorm(rnd([2, 3]), rnd([4]), null, 1e-5), 'SHAPE_MISMATCH', 'layerNorm');
      expectError(() => T.concat([rnd([2, 3]), rnd([3, 3])], 1), 'SHAPE_MISMATCH', 'concat');
    }));
  });
}

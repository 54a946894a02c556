// Conformance of the fused attention kernels on every back end (the optional Backend methods, or the js
// reference when a back end lacks them): decode attention over strided KV-cache views with grouped-query
// heads and a padding mask, and the scaled masked softmax (forward against float64, gradient by finite differences).
import { describe, test } from 'node:test';
import * as T from '../../src/tensor/index.js';
import { Tensor, withBackend, availableBackends } from '../../src/tensor/index.js';
import { decodeAttention } from '../../src/tensor/ops/attention.js';
import { scaledMaskedSoftmax } from '../../src/tensor/ops/softmax.js';
import { attend, MASK_MIN } from '../../src/nn/attention.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose } from '../helpers/golden.js';
import { gradcheck } from './gradcheck.js';

const rng = new Rng(11);
const rnd = (shape: number[], std = 1) => T.randn(shape, rng, std);

/** float64 decode attention: q (B, nh, hs), k/v (B, nkv, L, hs) dense, mask (B, L) additive or null. */
function refDecode(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, mask: ArrayLike<number> | null, B: number, nh: number, nkv: number, L: number, hs: number, scale: number): Float64Array {
  const out = new Float64Array(B * nh * hs);
  const g = nh / nkv;
  for (let b = 0; b < B; b++) for (let h = 0; h < nh; h++) {
    const kh = Math.floor(h / g);
    const s = Array.from({ length: L }, (_, l) => {
      let d = 0;
      for (let i = 0; i < hs; i++) d += q[(b * nh + h) * hs + i]! * k[((b * nkv + kh) * L + l) * hs + i]!;
      const m = mask ? mask[b * L + l]! : 0;
      return m <= MASK_MIN ? -Infinity : scale * d + m;
    });
    const mx = Math.max(...s);
    const e = s.map((x) => Math.exp(x - mx));
    const z = e.reduce((a, c) => a + c, 0);
    for (let l = 0; l < L; l++) for (let i = 0; i < hs; i++) out[(b * nh + h) * hs + i] += (e[l]! / z) * v[((b * nkv + kh) * L + l) * hs + i]!;
  }
  return out;
}

for (const backend of availableBackends()) {
  describe(`conformance: fused attention on the ${backend.name} back end`, () => {
    const run = <R>(fn: () => R): R => withBackend(backend, fn);

    test('decodeAttention: GQA heads, strided cache views, odd sizes, padding mask; matches attend()', () => run(() => {
      for (const [B, nh, nkv, L, hs, S] of [[1, 4, 4, 1, 8, 3], [2, 6, 2, 9, 5, 12], [1, 9, 3, 37, 64, 40], [3, 2, 1, 17, 16, 17]] as const) {
        const scale = 1 / Math.sqrt(hs);
        // cache buffers (B, nkv, S, hs), read as (B, nkv, L, hs) views like KVCache.update returns
        const kbuf = rnd([B, nkv, S, hs]);
        const vbuf = rnd([B, nkv, S, hs]);
        const strides = [nkv * S * hs, S * hs, hs, 1];
        const keys = new Tensor(kbuf.values(), [B, nkv, L, hs], strides, 0);
        const values = new Tensor(vbuf.values(), [B, nkv, L, hs], strides, 0);
        // q as a strided select view, like GPT-2's qkv.select(2, 0)
        const qkv = rnd([B, 1, 3, nh, hs]);
        const q = qkv.select(2, 1); // (B, 1, nh, hs)
        const kd = keys.contiguous().values();
        const vd = values.contiguous().values();
        const qd = q.contiguous().values();
        const ref = refDecode(qd, kd, vd, null, B, nh, nkv, L, hs, scale);
        assertClose(decodeAttention(q, keys, values, null, scale).values(), ref, `decode ${B}x${nh}/${nkv}x${L}x${hs}`, { atol: 2e-5, rtol: 1e-4 });
        // padding mask (B, 1, L): mask some leading positions of batch row 0 (never all)
        const mv = new Float32Array(B * L);
        for (let l = 0; l < L - 1; l += 2) mv[l] = MASK_MIN;
        const mask = new Tensor(mv, [B, 1, L]);
        const refM = refDecode(qd, kd, vd, mv, B, nh, nkv, L, hs, scale);
        assertClose(decodeAttention(q, keys, values, mask, scale).values(), refM, `decode masked ${B}x${nh}/${nkv}x${L}x${hs}`, { atol: 2e-5, rtol: 1e-4 });
        // attend() under grad takes the unfused path: same numbers
        const unfused = attend(q.contiguous().requiresGrad_(true), keys, values, mask, null, scale); // grad needed: unfused path
        assertClose(unfused.values(), refM, `attend unfused ${B}x${nh}/${nkv}x${L}x${hs}`, { atol: 2e-5, rtol: 1e-4 });
      }
    }));

    test('scaledMaskedSoftmax: forward against float64 with broadcast masks, gradient', () => run(() => {
      const [B, H, Tq, L] = [2, 3, 4, 6];
      const x = rnd([B, H, Tq, L]);
      const mv = rnd([B, Tq, L]).values().map((v) => (v > 0.8 ? MASK_MIN : v));
      const mask = new Tensor(Float32Array.from(mv), [B, Tq, L]);
      const layout = { groupRows: H * Tq, strideGroup: Tq * L, period: Tq, strideRow: L };
      const scale = 0.37;
      const y = scaledMaskedSoftmax(x, scale, mask, layout).values();
      const xv = x.values();
      for (let r = 0; r < B * H * Tq; r++) {
        const b = Math.floor(r / (H * Tq));
        const t = r % Tq;
        const row = Array.from({ length: L }, (_, j) => {
          const m = mv[(b * Tq + t) * L + j]!;
          return m <= MASK_MIN ? -Infinity : scale * xv[r * L + j]! + m;
        });
        const mx = Math.max(...row);
        const e = row.map((v) => (v === -Infinity ? 0 : Math.exp(v - mx)));
        const z = e.reduce((a, c) => a + c, 0);
        assertClose(y.subarray(r * L, (r + 1) * L), e.map((v) => v / z), `row ${r}`, { atol: 1e-6 });
      }
      gradcheck('scaledMaskedSoftmax', (t) => scaledMaskedSoftmax(t!, scale, mask, layout), [rnd([B, H, Tq, L])]);
      gradcheck('scaledMaskedSoftmax shared mask', (t) => scaledMaskedSoftmax(t!, 2, mask.narrow(0, 0, 1), { ...layout, strideGroup: 0 }), [rnd([B, H, Tq, L])]);
    }));
  });
}

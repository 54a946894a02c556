// llama2.c reader: header, sizes and mapping of stories260K (UNVERIFIED file: no text asserted), and a synthetic
// checkpoint whose logits must equal a transcription of llama2.c's run.c forward (interleaved RoPE, GQA, shared
// and unshared classifier) — this is what checks the wq/wk row permutation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { needShared } from '../helpers/shared.js';
import { assertClose } from '../helpers/golden.js';
import { intTensor, noGrad } from '../../src/tensor/index.js';
import { Rng } from '../../src/util/rng.js';
import { llama2cFloatCount, readLlama2c, readLlama2cHeader } from '../../src/models/llama/llama2c.js';
import { generateIds } from '../../src/generation/generate.js';

test('llama2.c stories260K: header, sizes, weights mapped, finite logits', async (t) => {
  const path = needShared(t, 'data', 'llama2c', 'stories260K.UNVERIFIED.bin');
  if (!path) return;
  const { model, header } = readLlama2c(path);
  assert.deepEqual(header, { dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, sharedClassifier: true });
  assert.equal(statSync(path).size, 28 + 4 * llama2cFloatCount(header));
  assert.equal(model.config.head_dim, 8);
  assert.deepEqual(model.model.layers[4]!.self_attn.k_proj.weight.shape, [32, 64]);
  assert.deepEqual(model.model.layers[0]!.mlp.gate_proj.weight.shape, [172, 64]);
  assert.ok(!model.namedParameters().some(([n]) => n === 'lm_head.weight'), 'shared classifier: lm_head tied');
  const logits = noGrad(() => model.forward(intTensor([[1, 400, 30]])));
  assert.deepEqual(logits.shape, [1, 3, 512]);
  assert.ok(logits.values().every((v) => Number.isFinite(v)));
  const [r] = await generateIds(model, [[1]], { maxTokens: 20, temperature: 0, ignoreEos: true });
  assert.equal(r!.tokenIds.length, 20);
});

/** A llama2.c v0 file with random weights. */
function syntheticFile(h: { dim: number; hid: number; L: number; nh: number; nkv: number; V: number; seq: number; shared: boolean }, seed: number): Uint8Array {
  const hs = h.dim / h.nh;
  const hdr = { dim: h.dim, hiddenDim: h.hid, nLayers: h.L, nHeads: h.nh, nKvHeads: h.nkv, vocabSize: h.V, seqLen: h.seq, sharedClassifier: h.shared };
  const n = llama2cFloatCount(hdr);
  const buf = new Uint8Array(28 + 4 * n);
  const dv = new DataView(buf.buffer);
  [h.dim, h.hid, h.L, h.nh, h.nkv, h.shared ? h.V : -h.V, h.seq].forEach((v, i) => dv.setInt32(i * 4, v, true));
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) dv.setFloat32(28 + 4 * i, rng.normal(0, 0.3), true);
  // RMSNorm weights near 1 (positions of rms_att, rms_ffn, rms_final), so the net is well conditioned
  const L = h.L;
  const kv = h.nkv * hs;
  let at = h.V * h.dim;
  const ones = (count: number) => {
    for (let i = 0; i < count; i++) dv.setFloat32(28 + 4 * (at + i), 1 + rng.normal(0, 0.1), true);
  };
  ones(L * h.dim);
  at += L * h.dim + L * (2 * h.dim * h.dim + 2 * kv * h.dim);
  ones(L * h.dim);
  at += L * h.dim + 3 * L * h.hid * h.dim;
  ones(h.dim);
  return buf;
}

/** run.c's forward (llama2.c), transcribed: returns logits for every position of `tokens`. */
function runC(buf: Uint8Array, tokens: number[]): Float32Array {
  const dv = new DataView(buf.buffer, buf.byteOffset);
  const [dim, hid, L, nh, nkv, vocabRaw, seq] = Array.from({ length: 7 }, (_, i) => dv.getInt32(i * 4, true)) as number[];
  const V = Math.abs(vocabRaw!);
  const hs = dim! / nh!;
  const kvDim = nkv! * hs;
  const kvMul = nh! / nkv!;
  const f = new Float32Array(buf.slice(28).buffer);
  let at = 0;
  const take = (n: number) => f.subarray(at, (at += n));
  const emb = take(V * dim!);
  const rmsAtt = take(L! * dim!), wq = take(L! * dim! * dim!), wk = take(L! * kvDim * dim!), wv = take(L! * kvDim * dim!), wo = take(L! * dim! * dim!);
  const rmsFfn = take(L! * dim!), w1 = take(L! * hid! * dim!), w2 = take(L! * dim! * hid!), w3 = take(L! * hid! * dim!), rmsFinal = take(dim!);
  take(seq! * hs);
  const wcls = vocabRaw! > 0 ? emb : take(V * dim!);
  const rmsnorm = (x: Float32Array, w: Float32Array) => {
    let ss = 0;
    for (const v of x) ss += v * v;
    const s = 1 / Math.sqrt(ss / x.length + 1e-5);
    return x.map((v, i) => w[i]! * (s * v));
  };
  const matmul = (x: Float32Array, w: Float32Array, n: number, d: number) => {
    const out = new Float32Array(d);
    for (let i = 0; i < d; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v += w[i * n + j]! * x[j]!;
      out[i] = v;
    }
    return out;
  };
  const kc = new Float32Array(L! * seq! * kvDim);
  const vc = new Float32Array(L! * seq! * kvDim);
  const all = new Float32Array(tokens.length * V);
  tokens.forEach((tok, pos) => {
    let x = emb.slice(tok * dim!, (tok + 1) * dim!);
    for (let l = 0; l < L!; l++) {
      const xb = rmsnorm(x, rmsAtt.subarray(l * dim!, (l + 1) * dim!));
      const q = matmul(xb, wq.subarray(l * dim! * dim!), dim!, dim!);
      const k = matmul(xb, wk.subarray(l * kvDim * dim!), dim!, kvDim);
      const v = matmul(xb, wv.subarray(l * kvDim * dim!), dim!, kvDim);
      for (let i = 0; i < dim!; i += 2) {
        const headDim = i % hs;
        const freq = 1 / Math.pow(10000, headDim / hs);
        const val = pos * freq;
        const fcr = Math.cos(val), fci = Math.sin(val);
        const rotn = i < kvDim ? 2 : 1;
        for (let r = 0; r < rotn; r++) {
          const vec = r === 0 ? q : k;
          const v0 = vec[i]!, v1 = vec[i + 1]!;
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      kc.set(k, (l * seq! + pos) * kvDim);
      vc.set(v, (l * seq! + pos) * kvDim);
      const xb2 = new Float32Array(dim!);
      for (let h = 0; h < nh!; h++) {
        const att = new Float32Array(pos + 1);
        for (let t = 0; t <= pos; t++) {
          let s = 0;
          const ko = (l * seq! + t) * kvDim + Math.floor(h / kvMul) * hs;
          for (let i = 0; i < hs; i++) s += q[h * hs + i]! * kc[ko + i]!;
          att[t] = s / Math.sqrt(hs);
        }
        const m = Math.max(...att);
        let sum = 0;
        for (let t = 0; t <= pos; t++) sum += att[t] = Math.exp(att[t]! - m);
        for (let t = 0; t <= pos; t++) {
          const vo = (l * seq! + t) * kvDim + Math.floor(h / kvMul) * hs;
          for (let i = 0; i < hs; i++) xb2[h * hs + i]! += (att[t]! / sum) * vc[vo + i]!;
        }
      }
      const o = matmul(xb2, wo.subarray(l * dim! * dim!), dim!, dim!);
      x = x.map((v, i) => v + o[i]!);
      const xb3 = rmsnorm(x, rmsFfn.subarray(l * dim!, (l + 1) * dim!));
      const hb = matmul(xb3, w1.subarray(l * hid! * dim!), dim!, hid!);
      const hb2 = matmul(xb3, w3.subarray(l * hid! * dim!), dim!, hid!);
      for (let i = 0; i < hid!; i++) hb[i] = (hb[i]! / (1 + Math.exp(-hb[i]!))) * hb2[i]!;
      const ff = matmul(hb, w2.subarray(l * dim! * hid!), hid!, dim!);
      x = x.map((v, i) => v + ff[i]!);
    }
    all.set(matmul(rmsnorm(x, rmsFinal), wcls, dim!, V), pos * V);
  });
  return all;
}

for (const shared of [true, false]) {
  test(`llama2.c synthetic checkpoint equals run.c's forward (${shared ? 'shared' : 'unshared'} classifier, GQA)`, () => {
    const spec = { dim: 32, hid: 48, L: 2, nh: 4, nkv: 2, V: 40, seq: 16, shared };
    const buf = syntheticFile(spec, shared ? 1 : 2);
    const { model, header } = readLlama2c(buf);
    assert.equal(header.sharedClassifier, shared);
    assert.equal(model.namedParameters().some(([n]) => n === 'lm_head.weight'), !shared);
    const tokens = [1, 7, 3, 22, 39, 0, 5, 11];
    const ours = noGrad(() => model.forward(intTensor([tokens]))).values();
    assertClose(ours, runC(buf, tokens), 'logits vs run.c', { atol: 1e-4, rtol: 1e-4 });
    assert.throws(() => readLlama2c(buf.subarray(0, buf.length - 4)), (e: any) => e.code === 'CHECKPOINT');
    assert.throws(() => readLlama2cHeader(new Uint8Array(10)), (e: any) => e.code === 'CHECKPOINT');
  });
}

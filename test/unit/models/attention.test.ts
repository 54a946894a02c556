// The fused multi-head attention op (src/tensor/ops/attention.ts) against the unfused reference
// (matmul → scale → masked softmax → matmul with head transposes), forward and gradients, on every back end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends, matmul, mul, noGrad, randn, softmax, Tensor, withBackend } from '../../../src/tensor/index.js';
import { multiHeadAttention } from '../../../src/tensor/ops/attention.js';
import { extendedAttentionMask } from '../../../src/models/bert/modeling.js';
import { intTensor } from '../../../src/tensor/index.js';
import { Rng } from '../../../src/util/rng.js';
import { assertClose } from '../../helpers/golden.js';
import { gradcheck } from '../../conformance/gradcheck.js';

function reference(q: Tensor, k: Tensor, v: Tensor, nh: number, mask: Tensor | null): { out: Tensor; probs: Tensor } {
  const [B, T, C] = q.shape as [number, number, number];
  const S = k.shape[1]!;
  const hs = C / nh;
  const qh = q.reshape(B, T, nh, hs).transpose(1, 2);
  const kh = k.reshape(B, S, nh, hs).transpose(1, 2);
  const vh = v.reshape(B, S, nh, hs).transpose(1, 2);
  const probs = softmax(mul(matmul(qh, kh.transpose(-1, -2)), 1 / Math.sqrt(hs)), -1, mask);
  return { out: matmul(probs, vh).transpose(1, 2).reshape(B, T, C), probs };
}

for (const backend of availableBackends()) {
  test(`multiHeadAttention equals the unfused reference, forward and backward (${backend.name})`, () => {
    withBackend(backend, () => {
      const rng = new Rng(5);
      const [B, T, C, nh] = [3, 7, 12, 3];
      const q = randn([B, T, C], rng);
      const k = randn([B, T, C], rng);
      const v = randn([B, T, C], rng);
      const mask = extendedAttentionMask(intTensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0, 0]]));
      for (const m of [null, mask]) {
        const a = noGrad(() => multiHeadAttention(q, k, v, { heads: nh, mask: m }));
        const r = noGrad(() => reference(q, k, v, nh, m));
        assertClose(a.out.values(), r.out.values(), `out (mask ${m ? 'on' : 'off'})`, { atol: 1e-5, rtol: 1e-5 });
        assertClose(a.probs.values(), r.probs.values(), 'probs', { atol: 1e-6, rtol: 1e-5 });
      }
      // gradients of the fused op equal the reference's
      const grads = (fn: (q: Tensor, k: Tensor, v: Tensor) => Tensor): Float32Array[] => {
        const xs = [q, k, v].map((x) => x.clone().requiresGrad_());
        const out = fn(xs[0]!, xs[1]!, xs[2]!);
        out.backward(new Tensor(Float32Array.from({ length: out.size }, (_, i) => Math.sin(i)), out.shape));
        return xs.map((x) => x.grad!.values() as Float32Array);
      };
      const gf = grads((a, b, c) => multiHeadAttention(a, b, c, { heads: nh, mask }).out);
      const gr = grads((a, b, c) => reference(a, b, c, nh, mask).out);
      ['dq', 'dk', 'dv'].forEach((n, i) => assertClose(gf[i]!, gr[i]!, n, { atol: 1e-5, rtol: 1e-4 }));
      // and finite differences
      gradcheck('multiHeadAttention', (a, b, c) => multiHeadAttention(a, b, c, { heads: 2, mask: extendedAttentionMask(intTensor([[1, 1, 0], [1, 1, 1]])) }).out, [
        randn([2, 3, 4], rng),
        randn([2, 3, 4], rng),
        randn([2, 3, 4], rng),
      ]);
    });
  });
}

test('multiHeadAttention: cross-attention shapes (S ≠ T) and errors', () => {
  const rng = new Rng(1);
  const q = randn([2, 3, 8], rng);
  const k = randn([2, 5, 8], rng);
  const v = randn([2, 5, 8], rng);
  const a = noGrad(() => multiHeadAttention(q, k, v, { heads: 4 }));
  const r = noGrad(() => reference(q, k, v, 4, null));
  assert.deepEqual(a.out.shape, [2, 3, 8]);
  assert.deepEqual(a.probs.shape, [2, 4, 3, 5]);
  assertClose(a.out.values(), r.out.values(), 'cross attention', { atol: 1e-5 });
  assert.throws(() => multiHeadAttention(q, k, v, { heads: 3 }), /do not split into 3 heads/);
  assert.throws(() => multiHeadAttention(q, k, randn([2, 4, 8], rng), { heads: 4 }), /do not fit/);
});

test('BERT: the reference attention path (fused off) and the fused path give the golden logits', async (t) => {
  const { needShared } = await import('../../helpers/shared.js');
  const { readJson, readTensors } = await import('../../helpers/golden.js');
  const { join } = await import('node:path');
  const { AutoModelForSequenceClassification } = await import('../../../src/models/auto.js');
  const { BertSelfAttention } = await import('../../../src/models/bert/modeling.js');
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const c = readJson<{ cases: Array<{ name: string; input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] }> }>(join(dir, 'cases.json')).cases.find((x) => x.name === 'batch_padded')!;
  const gold = readTensors(join(dir, 'expected.safetensors')).get('batch_padded.logits')!.data;
  const model = await AutoModelForSequenceClassification.fromPretrained(dir);
  const inp = { inputIds: intTensor(c.input_ids), attentionMask: intTensor(c.attention_mask), tokenTypeIds: intTensor(c.token_type_ids) };
  for (const fused of [true, false]) {
    BertSelfAttention.fused = fused;
    try {
      assertClose(noGrad(() => model.forward(inp)).logits.values(), gold, `logits (fused ${fused})`);
    } finally {
      BertSelfAttention.fused = true;
    }
  }
});

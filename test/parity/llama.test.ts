// Llama parity against ../shared/golden/llama-tiny-random (GQA 4/2 heads, untied lm_head): logits at every
// position for each case (left-padded: attended positions only), with and without the KV cache, the greedy runs
// token for token, and RoPE cos/sin against rope_debug — on every back end. Plus rope_scaling inv_freq rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../helpers/shared.js';
import { assertClose, readJson, readTensors, readWeights } from '../helpers/golden.js';
import { availableBackends, intTensor, noGrad, ropeTables } from '../../src/tensor/index.js';
import { LlamaForCausalLM } from '../../src/models/llama/modeling.js';
import { loadLlama, loadLlamaWeights } from '../../src/models/llama/load.js';
import { parseLlamaConfig } from '../../src/models/llama/config.js';
import { ropeInvFreq } from '../../src/models/llama/rope.js';
import { checkDecoderCases, onBackend, type DecoderCases } from '../unit/generation/helpers/decoder-golden.js';

for (const backend of availableBackends()) {
  test(`Llama golden parity (${backend.name})`, async (t) => {
    const dir = needShared(t, 'golden', 'llama-tiny-random');
    if (!dir) return;
    const model = loadLlama(dir);
    assert.equal(model.config.num_key_value_heads, 2);
    const cases = readJson<DecoderCases>(join(dir, 'cases.json'));
    const expected = readTensors(join(dir, 'expected.safetensors'));
    await onBackend(backend, () => checkDecoderCases(t, model, cases, expected));
  });
}

test('Llama RoPE tables match rope_debug', (t) => {
  const dir = needShared(t, 'golden', 'llama-tiny-random');
  if (!dir) return;
  const cfg = parseLlamaConfig(readJson(join(dir, 'config.json')));
  const dbg = readJson<{ rope_debug: { positions: number[]; cos: number[][]; sin: number[][] } }>(join(dir, 'cases.json')).rope_debug;
  const { cos, sin } = ropeTables(dbg.positions, ropeInvFreq(cfg, 64));
  assertClose(cos, dbg.cos.flat(), 'cos', { atol: 1e-6 });
  assertClose(sin, dbg.sin.flat(), 'sin', { atol: 1e-6 });
});

test('Llama checkpoints: rotary_emb.inv_freq ignored, tied lm_head, missing names listed', (t) => {
  const dir = needShared(t, 'golden', 'llama-tiny-random');
  if (!dir) return;
  const json = readJson<Record<string, unknown>>(join(dir, 'config.json'));
  const w = readWeights(dir);
  const withBuffer = new Map(w);
  withBuffer.set('model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [4], data: new Float32Array(4) });
  loadLlamaWeights(new LlamaForCausalLM(parseLlamaConfig(json)), withBuffer);
  const broken = new Map(w);
  broken.delete('model.layers.1.mlp.up_proj.weight');
  assert.throws(() => loadLlamaWeights(new LlamaForCausalLM(parseLlamaConfig(json)), broken), (e: any) => e.code === 'CHECKPOINT' && e.message.includes('model.layers.1.mlp.up_proj.weight'));
  // tied: lm_head is embed_tokens, and a stored lm_head.weight is tolerated
  const tied = new LlamaForCausalLM(parseLlamaConfig({ ...json, tie_word_embeddings: true }));
  assert.ok(!tied.namedParameters().some(([n]) => n.startsWith('lm_head')));
  loadLlamaWeights(tied, w);
  noGrad(() => {
    const h = tied.model.forward(intTensor([[1, 5]]));
    const logits = tied.forward(intTensor([[1, 5]]));
    const hv = h.values();
    const e = w.get('model.embed_tokens.weight')!.data;
    let dot = 0;
    for (let i = 0; i < 32; i++) dot += hv[32 + i]! * e[7 * 32 + i]!;
    assert.ok(Math.abs(logits.values()[300 + 7]! - dot) < 1e-4);
  });
});

test('Qwen2-style q/k/v biases and rope_scaling rules (linear, dynamic, llama3)', () => {
  const base = { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 50, max_position_embeddings: 64 };
  const qwen = new LlamaForCausalLM(parseLlamaConfig({ ...base, model_type: 'qwen2' }));
  const names = qwen.namedParameters().map(([n]) => n);
  for (const p of ['q', 'k', 'v']) assert.ok(names.includes(`model.layers.0.self_attn.${p}_proj.bias`), `${p}_proj.bias`);
  assert.ok(!names.includes('model.layers.0.self_attn.o_proj.bias'));
  const dflt = ropeInvFreq(parseLlamaConfig(base), 10);
  const lin = ropeInvFreq(parseLlamaConfig({ ...base, rope_scaling: { type: 'linear', factor: 4 } }), 10);
  lin.forEach((v, i) => assert.ok(Math.abs(v - dflt[i]! / 4) < 1e-15));
  const dyn = parseLlamaConfig({ ...base, rope_scaling: { rope_type: 'dynamic', factor: 2 } });
  assert.deepEqual(Array.from(ropeInvFreq(dyn, 64)), Array.from(dflt), 'dynamic: unchanged within the context');
  // seq 128 > 64: base' = 10000 · (2·128/64 − 1)^(8/6)
  const b2 = 10000 * Math.pow(3, 8 / 6);
  ropeInvFreq(dyn, 128).forEach((v, i) => assert.ok(Math.abs(v - 1 / Math.pow(b2, (2 * i) / 8)) < 1e-12));
  // llama3 (values from HF _compute_llama3_parameters with head_dim 8, theta 10000)
  const l3 = ropeInvFreq(parseLlamaConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 } }), 10);
  // wavelens 2π/inv: [6.28, 62.8, 628, 6283]; low_wavelen 32, high_wavelen 8 → i=0 high freq (kept), others low (÷8)
  assert.ok(Math.abs(l3[0]! - dflt[0]!) < 1e-15);
  for (let i = 1; i < 4; i++) assert.ok(Math.abs(l3[i]! - dflt[i]! / 8) < 1e-15);
  const l3m = ropeInvFreq(parseLlamaConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 100 } }), 10);
  // i=1: wavelen 62.8 between high_wavelen 25 and low_wavelen 100 → smooth = (100/62.83 − 1)/3
  const s = (100 / ((2 * Math.PI) / dflt[1]!) - 1) / 3;
  assert.ok(Math.abs(l3m[1]! - ((1 - s) * dflt[1]! / 8 + s * dflt[1]!)) < 1e-15);
  assert.throws(() => ropeInvFreq(parseLlamaConfig({ ...base, rope_scaling: { rope_type: 'yarn', factor: 2 } }), 1), (e: any) => e.code === 'CONFIG');
});

test('Mistral sliding window: equal to full attention inside the window, different after, cache consistent', () => {
  const cfg = { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 50, max_position_embeddings: 64, initializer_range: 0.3 };
  const full = new LlamaForCausalLM(parseLlamaConfig({ ...cfg, model_type: 'llama' }));
  const win = new LlamaForCausalLM(parseLlamaConfig({ ...cfg, model_type: 'mistral', sliding_window: 3 }));
  win.loadStateDict(new Map([...full.stateDict()].map(([k, v]) => [k, { shape: v.shape, data: v.values() as Float32Array }])));
  assert.equal(win.model.window, 3);
  assert.throws(() => new LlamaForCausalLM(parseLlamaConfig({ ...cfg, model_type: 'qwen2', use_sliding_window: true })), (e: any) => e.code === 'CONFIG');
  const ids = [[1, 9, 4, 33, 7, 21, 2, 11]];
  noGrad(() => {
    const a = full.forward(intTensor(ids)).values();
    const b = win.forward(intTensor(ids)).values();
    const V = 50;
    assertClose(b.subarray(0, 3 * V), a.subarray(0, 3 * V), 'positions inside the window');
    let diff = 0;
    for (let i = 3 * V; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    assert.ok(diff > 1e-3, `the window must change later positions (max diff ${diff})`);
    const cache = win.newCache(1, 8);
    const parts = [win.forward(intTensor([ids[0]!.slice(0, 2)]), { cache })];
    for (let t = 2; t < 8; t++) parts.push(win.forward(intTensor([[ids[0]![t]!]]), { cache }));
    assertClose(Float32Array.from(parts.flatMap((p) => Array.from(p.values()))), b, 'sliding window through the cache');
  });
});

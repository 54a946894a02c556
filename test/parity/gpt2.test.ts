// GPT-2 parity against ../shared/golden/gpt2-tiny-random: logits at every position for each case (left-padded:
// attended positions only), from both the HF-named and the legacy-named checkpoint, with and without the KV
// cache, and the greedy generation runs token for token — on every back end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../helpers/shared.js';
import { assertClose, readJson, readTensors, readWeights } from '../helpers/golden.js';
import { availableBackends, noGrad, withBackend, intTensor } from '../../src/tensor/index.js';
import { GPT2LMHeadModel } from '../../src/models/gpt2/modeling.js';
import { loadGPT2Weights } from '../../src/models/gpt2/load.js';
import { parseGPT2Config } from '../../src/models/gpt2/config.js';
import { checkDecoderCases, type DecoderCases } from '../unit/generation/helpers/decoder-golden.js';

for (const backend of availableBackends()) {
  for (const file of ['model.safetensors', 'model.legacy-names.safetensors']) {
    test(`GPT-2 golden parity, ${file} (${backend.name})`, async (t) => {
      const dir = needShared(t, 'golden', 'gpt2-tiny-random');
      if (!dir) return;
      const config = parseGPT2Config(readJson(join(dir, 'config.json')), 'config.json');
      const model = loadGPT2Weights(new GPT2LMHeadModel(config), readWeights(dir, file)).eval();
      const cases = readJson<DecoderCases>(join(dir, 'cases.json'));
      const expected = readTensors(join(dir, 'expected.safetensors'));
      await withBackend(backend, () => checkDecoderCases(t, model, cases, expected));
    });
  }
}

test('GPT-2 legacy buffers are matched by full name, and a wrong name is reported', (t) => {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return;
  const config = parseGPT2Config(readJson(join(dir, 'config.json')));
  const w = readWeights(dir, 'model.legacy-names.safetensors');
  assert.ok(w.has('h.0.attn.bias') && w.has('h.0.attn.masked_bias') && w.has('h.0.attn.c_attn.bias'));
  const model = loadGPT2Weights(new GPT2LMHeadModel(config), w);
  // c_attn.bias must have been loaded (not ignored as if it were the attn.bias buffer)
  assert.deepEqual(Array.from(model.transformer.h[0]!.attn.c_attn.bias.values()), Array.from(w.get('h.0.attn.c_attn.bias')!.data));
  const broken = new Map(w);
  broken.delete('h.1.attn.c_attn.bias');
  broken.set('h.1.attn.c_attn.biass', w.get('h.1.attn.c_attn.bias')!);
  assert.throws(() => loadGPT2Weights(new GPT2LMHeadModel(config), broken), (e: any) => e.code === 'CHECKPOINT' && /transformer\.h\.1\.attn\.c_attn\.bias\b/.test(e.message) && /biass/.test(e.message));
  // tied: lm_head reads wte
  noGrad(() => {
    const logits = model.forward(intTensor([[1, 2]]));
    assert.deepEqual(logits.shape, [1, 2, config.vocab_size]);
  });
});

test('GPT-2 scale_attn_by_inverse_layer_idx / scale_attn_weights reach the attention (and the cache path)', (t) => {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return;
  const json = readJson<Record<string, unknown>>(join(dir, 'config.json'));
  const w = readWeights(dir);
  const ids2 = intTensor([[51, 258, 269, 265, 264, 265]]);
  noGrad(() => {
    const base = loadGPT2Weights(new GPT2LMHeadModel(parseGPT2Config(json)), w).eval().forward(ids2).values();
    for (const extra of [{ scale_attn_by_inverse_layer_idx: true }, { scale_attn_weights: false }]) {
      const m = loadGPT2Weights(new GPT2LMHeadModel(parseGPT2Config({ ...json, ...extra })), w).eval(); // eval: dropout off
      const v = m.forward(ids2).values();
      let diff = 0;
      for (let i = 300; i < v.length; i++) diff = Math.max(diff, Math.abs(v[i]! - base[i]!));
      assert.ok(diff > 1e-3, `${JSON.stringify(extra)} changes the logits`);
      const cache = m.newCache(1, 6);
      const a = m.forward(intTensor([[51, 258, 269]]), { cache }).values();
      const b = m.forward(intTensor([[265, 264, 265]]), { cache }).values();
      assertClose(Float32Array.from([...a, ...b]), v, `${JSON.stringify(extra)} cached`);
    }
  });
});

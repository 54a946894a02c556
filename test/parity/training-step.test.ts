// The golden training step (../shared/golden/training): BertForSequenceClassification, cross-entropy,
// gradients of every parameter, then two torch-AdamW updates — reproduced within 1e-4.
// The key biases have a mathematically zero gradient (float noise): checked as |g| < 1e-6 only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../helpers/shared.js';
import { assertClose, readJson, readTensors, readWeights } from '../helpers/golden.js';
import { availableBackends, intTensor, withBackend } from '../../src/tensor/index.js';
import { AdamW } from '../../src/optim/index.js';
import { BertForSequenceClassification } from '../../src/models/bert/heads.js';
import { readConfig } from '../../src/io/config.js';
import type { BertConfig } from '../../src/models/bert/config.js';

for (const backend of availableBackends()) {
  test(`golden training step: loss, grads, AdamW steps 1 and 2 (${backend.name})`, (t) => {
    const dir = needShared(t, 'golden', 'training');
    if (!dir) return;
    const spec = readJson(join(dir, 'training.json'));
    const modelDir = join(dir, spec.model_dir);
    const expected = readTensors(join(dir, 'expected.safetensors'));
    const config = readConfig(modelDir) as BertConfig;
    const noise = new Set<string>(spec.noise_gradient_params);
    withBackend(backend, () => {
      const model = new BertForSequenceClassification(config).eval(); // dropout off, autograd on
      model.loadStateDict(readWeights(modelDir));
      const params = model.namedParameters();
      assert.equal(params.length, 41);
      const o = spec.optimizer;
      const opt = new AdamW(model.parameters(), { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay });
      const inputs = {
        inputIds: intTensor(spec.batch.input_ids),
        attentionMask: intTensor(spec.batch.attention_mask),
        tokenTypeIds: intTensor(spec.batch.token_type_ids),
        labels: intTensor(spec.batch.labels),
      };
      const step = (n: number): number => {
        opt.zeroGrad();
        const out = model.forward(inputs);
        const loss = out.loss!;
        loss.backward();
        if (n === 1) {
          assertClose(out.logits.values(), spec.logits_step1.flat(), 'logits step 1');
          let sq = 0;
          for (const [name, p] of params) {
            const g = p.grad!.values() as Float32Array;
            for (const v of g) sq += v * v;
            if (noise.has(name)) {
              assert.ok(g.every((v) => Math.abs(v) < 1e-6), `${name}: gradient should be ~0`);
              continue;
            }
            assertClose(g, expected.get(`grad_step1.${name}`)!.data, `grad ${name}`);
          }
          assert.ok(Math.abs(Math.sqrt(sq) - spec.global_grad_norm_step1) < 1e-4, `global grad norm ${Math.sqrt(sq)} vs ${spec.global_grad_norm_step1}`);
          // the [PAD] row of the word embeddings gets exactly zero gradient (padding_idx = 0)
          const wg = model.bert.embeddings.word_embeddings.weight.grad!.values();
          assert.ok(wg.subarray(0, config.hidden_size).every((v) => v === 0));
        }
        opt.step();
        for (const [name, p] of params) {
          if (noise.has(name)) continue;
          assertClose(p.values(), expected.get(`after_step${n}.${name}`)!.data, `after step ${n}: ${name}`);
        }
        return loss.item();
      };
      assert.ok(Math.abs(step(1) - spec.loss_step1) < 1e-4);
      assert.ok(Math.abs(step(2) - spec.loss_step2_after_1_update) < 1e-4);
      const final = model.forward(inputs).loss!.item();
      assert.ok(Math.abs(final - spec.loss_after_2_updates) < 1e-4, `loss after 2 updates ${final} vs ${spec.loss_after_2_updates}`);
    });
  });
}

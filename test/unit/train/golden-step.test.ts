// The golden training step (../shared/golden/training) through the trainer's own code path: createOptimizer
// (all parameters decayed, as the golden's plain torch AdamW) and trainingStep on the golden batch, no clipping.
// Parameters after steps 1 and 2 are compared as test/parity/training-step.test.ts does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { assertClose, readJson, readTensors, readWeights } from '../../helpers/golden.js';
import { availableBackends, intTensor, withBackend } from '../../../src/tensor/index.js';
import { readConfig } from '../../../src/io/config.js';
import type { BertConfig } from '../../../src/models/bert/config.js';
import { buildTaskModel, isNoDecayName } from '../../../src/train/models.js';
import { createOptimizer, trainingStep } from '../../../src/train/step.js';
import type { Batch } from '../../../src/train/data/batching.js';
import { Rng } from '../../../src/util/rng.js';

for (const backend of availableBackends()) {
  test(`golden training step through the trainer: AdamW steps 1 and 2 (${backend.name})`, (t) => {
    const dir = needShared(t, 'golden', 'training');
    if (!dir) return;
    const spec = readJson(join(dir, 'training.json'));
    const modelDir = join(dir, spec.model_dir);
    const expected = readTensors(join(dir, 'expected.safetensors'));
    const config = readConfig(modelDir) as BertConfig;
    const noise = new Set<string>(spec.noise_gradient_params);
    withBackend(backend, () => {
      const task = buildTaskModel('text-classification', config, new Rng(0));
      task.module.loadStateDict(readWeights(modelDir));
      task.module.eval(); // the golden disables dropout
      const o = spec.optimizer;
      const { optimizer, params, names } = createOptimizer(task.module, {
        learningRate: o.lr, weightDecay: o.weight_decay, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, noDecayGrouping: false,
      });
      assert.equal(names.length, 41);
      const ids = spec.batch.input_ids as number[][];
      const batch: Batch = {
        inputIds: intTensor(ids),
        attentionMask: intTensor(spec.batch.attention_mask),
        tokenTypeIds: intTensor(spec.batch.token_type_ids),
        labels: intTensor(spec.batch.labels),
        numExamples: ids.length,
        numTokens: (spec.batch.attention_mask as number[][]).flat().reduce((a, b) => a + b, 0),
        numTargets: ids.length,
      };
      const named = task.module.namedParameters();
      const r1 = trainingStep(task, optimizer, params, [batch], { learningRate: o.lr, maxGradNorm: 0 });
      assert.ok(Math.abs(r1.loss - spec.loss_step1) < 1e-4, `loss step 1 ${r1.loss} vs ${spec.loss_step1}`);
      assert.ok(Math.abs(r1.gradNorm - spec.global_grad_norm_step1) < 1e-4, `grad norm ${r1.gradNorm} vs ${spec.global_grad_norm_step1}`);
      for (const [name, p] of named) {
        if (noise.has(name)) {
          assert.ok((p.grad!.values() as Float32Array).every((v) => Math.abs(v) < 1e-6), `${name}: gradient should be ~0`);
          continue;
        }
        assertClose(p.grad!.values(), expected.get(`grad_step1.${name}`)!.data, `grad ${name}`);
        assertClose(p.values(), expected.get(`after_step1.${name}`)!.data, `after step 1: ${name}`);
      }
      const r2 = trainingStep(task, optimizer, params, [batch], { learningRate: o.lr, maxGradNorm: 0 });
      assert.ok(Math.abs(r2.loss - spec.loss_step2_after_1_update) < 1e-4, `loss step 2 ${r2.loss}`);
      for (const [name, p] of named) {
        if (noise.has(name)) continue;
        assertClose(p.values(), expected.get(`after_step2.${name}`)!.data, `after step 2: ${name}`);
      }
      const final = task.forward(batch).loss.item();
      assert.ok(Math.abs(final - spec.loss_after_2_updates) < 1e-4, `loss after 2 updates ${final} vs ${spec.loss_after_2_updates}`);
    });
  });
}

test('HF no-decay grouping: biases and LayerNorm weights are not decayed, matrices are', () => {
  for (const n of ['bert.embeddings.LayerNorm.weight', 'bert.encoder.layer.0.output.LayerNorm.bias', 'classifier.bias', 'transformer.ln_f.weight', 'transformer.h.0.ln_1.weight', 'model.norm.weight', 'model.layers.0.input_layernorm.weight']) {
    assert.ok(isNoDecayName(n), n);
  }
  for (const n of ['bert.embeddings.word_embeddings.weight', 'classifier.weight', 'transformer.h.0.attn.c_attn.weight', 'model.layers.0.mlp.up_proj.weight']) {
    assert.ok(!isNoDecayName(n), n);
  }
});

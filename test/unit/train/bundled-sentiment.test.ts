// The bundled sentiment model (models/sentiment, trained from scratch by `bertchat train` on SST-2): loads from
// the shipped files (F16 safetensors, own WordPiece vocabulary) and reaches ≥ 80% accuracy on stsa.binary.dev.
// Batched, no-grad inference, so it stays fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { statSync, readdirSync } from 'node:fs';
import { needShared, repoRoot } from '../../helpers/shared.js';
import { readConfig } from '../../../src/io/config.js';
import { loadModelWeights } from '../../../src/io/sharded.js';
import { loadTokenizer } from '../../../src/tokenizers/load.js';
import { BertForSequenceClassification } from '../../../src/models/bert/heads.js';
import type { BertConfig } from '../../../src/models/bert/config.js';
import { intTensor, noGrad } from '../../../src/tensor/index.js';
import { readRecords } from '../../../src/train/data/records.js';
import { argmaxRows } from '../../../src/train/metrics.js';

const modelDir = join(repoRoot, 'models', 'sentiment');

test('models/sentiment: HF layout, id2label negative/positive, at most 10 MB', () => {
  const cfg = readConfig(modelDir);
  assert.deepEqual(cfg.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(cfg.id2label, { 0: 'negative', 1: 'positive' });
  const bytes = readdirSync(modelDir).reduce((s, f) => s + statSync(join(modelDir, f)).size, 0);
  assert.ok(bytes <= 10 * 1024 * 1024, `models/sentiment is ${bytes} bytes`);
});

test('models/sentiment: accuracy ≥ 0.80 on stsa.binary.dev (872 sentences)', (t) => {
  const dev = needShared(t, 'data', 'sst2', 'stsa.binary.dev');
  if (!dev) return;
  const config = readConfig(modelDir) as BertConfig;
  const model = new BertForSequenceClassification(config).eval().requiresGrad_(false);
  model.loadStateDict(loadModelWeights(modelDir).tensors as Map<string, { shape: number[]; data: Float32Array }>);
  const tok = loadTokenizer(modelDir);
  const recs = readRecords(dev, { objective: 'text-classification', format: 'label-text', textColumn: null, textPairColumn: null, labelColumn: null });
  assert.equal(recs.length, 872);
  const order = recs.map((_, i) => i).sort((a, b) => recs[a]!.text.length - recs[b]!.text.length);
  let correct = 0;
  noGrad(() => {
    for (let s = 0; s < order.length; s += 128) {
      const idx = order.slice(s, s + 128);
      const enc = tok.encodeBatch(idx.map((i) => recs[i]!.text), { padding: true, truncation: true, maxLength: 128 });
      const { logits } = model.forward({ inputIds: intTensor(enc.inputIds), attentionMask: intTensor(enc.attentionMask) });
      const pred = argmaxRows(logits.values(), idx.length, 2);
      idx.forEach((i, k) => {
        if (config.id2label[pred[k]!] === (recs[i]!.label === '1' ? 'positive' : 'negative')) correct++;
      });
    }
  });
  const acc = correct / recs.length;
  t.diagnostic(`stsa.binary.dev accuracy ${acc.toFixed(4)}`);
  assert.ok(acc >= 0.8, `accuracy ${acc}`);
});

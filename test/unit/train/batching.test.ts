// Batching and masking: the seeded length-bucketed order, dynamic padding, causal target shift, BERT's
// 80/10/10 masking statistics, whole-word masking, and special tokens never masked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collate, derivedRng, epochBatches } from '../../../src/train/data/batching.js';
import { maskTokens, type MaskingOptions } from '../../../src/train/data/masking.js';
import type { Example } from '../../../src/train/data/examples.js';
import { accuracy, macroF1, perplexity } from '../../../src/train/metrics.js';

const ex = (ids: number[], label = -1): Example => ({ ids: Int32Array.from(ids), typeIds: null, label, lmLabels: null, wordStarts: null });

test('epochBatches: every example once per epoch, seeded, similar lengths together, different per epoch', () => {
  const lengths = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 97));
  const a = epochBatches(lengths, 16, 42, 0, 10);
  assert.deepEqual(epochBatches(lengths, 16, 42, 0, 10), a);
  assert.notDeepEqual(epochBatches(lengths, 16, 42, 1, 10), a);
  assert.notDeepEqual(epochBatches(lengths, 16, 43, 0, 10), a);
  assert.deepEqual(a.flat().sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  // bucketing pads far less than a random order would
  const pad = (bs: number[][]) => bs.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i]!)) - b.reduce((t, i) => t + lengths[i]!, 0), 0);
  const random = derivedRng(1).shuffle(Array.from({ length: 1000 }, (_, i) => i));
  const randomBatches = Array.from({ length: Math.ceil(1000 / 16) }, (_, k) => random.slice(k * 16, k * 16 + 16));
  assert.ok(pad(a) < pad(randomBatches) / 3, `bucketed padding ${pad(a)} vs random ${pad(randomBatches)}`);
});

test('collate: right padding, attention mask, class labels', () => {
  const b = collate([ex([2, 5, 6, 3], 1), ex([2, 7, 3], 0)], { kind: 'classification', padId: 0 });
  assert.deepEqual(b.inputIds.toArray(), [[2, 5, 6, 3], [2, 7, 3, 0]]);
  assert.deepEqual(b.attentionMask.toArray(), [[1, 1, 1, 1], [1, 1, 1, 0]]);
  assert.deepEqual(b.labels.toArray(), [1, 0]);
  assert.equal(b.numTokens, 7);
});

test('collate causal-lm: targets shifted left, -100 at the end and on padding and masked positions', () => {
  const e = ex([10, 11, 12]);
  const d: Example = { ...ex([20, 21, 22, 23]), lmLabels: Int32Array.from([-100, -100, 22, 23]) };
  const b = collate([e, d], { kind: 'causal-lm', padId: 0 });
  assert.deepEqual(b.labels.toArray(), [[11, 12, -100, -100], [-100, 22, 23, -100]]);
  assert.equal(b.numTargets, 4);
});

const opts = (o: Partial<MaskingOptions> = {}): MaskingOptions => ({ probability: 0.15, maskId: 4, vocabSize: 1000, specialIds: new Set([0, 1, 2, 3, 4]), wholeWord: false, ...o });

test('masking: ~15% chosen, 80% [MASK] / 10% random / 10% kept, special tokens never chosen', () => {
  const rng = derivedRng(5);
  let chosen = 0;
  let masked = 0;
  let kept = 0;
  let total = 0;
  for (let r = 0; r < 400; r++) {
    const orig = Int32Array.from([2, ...Array.from({ length: 98 }, (_, i) => 10 + ((r * 131 + i * 17) % 900)), 3]);
    const ids = orig.slice();
    const labels = new Int32Array(ids.length).fill(-100);
    chosen += maskTokens(ids, null, labels, opts(), rng);
    total += 98;
    assert.equal(labels[0], -100);
    assert.equal(labels[99], -100);
    assert.equal(ids[0], 2);
    assert.equal(ids[99], 3);
    for (let t = 0; t < ids.length; t++) {
      if (labels[t] === -100) {
        assert.equal(ids[t], orig[t]);
        continue;
      }
      assert.equal(labels[t], orig[t]);
      if (ids[t] === 4) masked++;
      else if (ids[t] === orig[t]) kept++;
    }
  }
  const p = chosen / total;
  assert.ok(Math.abs(p - 0.15) < 0.01, `chosen fraction ${p}`);
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.03, `mask fraction ${masked / chosen}`);
  assert.ok(Math.abs(kept / chosen - 0.1) < 0.03, `kept fraction ${kept / chosen}`);
});

test('whole-word masking chooses all pieces of a word together', () => {
  const rng = derivedRng(9);
  for (let r = 0; r < 200; r++) {
    const ids = Int32Array.from([2, 10, 11, 12, 20, 30, 31, 3]);
    const starts = Uint8Array.from([1, 1, 0, 0, 1, 1, 0, 1]);
    const labels = new Int32Array(ids.length).fill(-100);
    maskTokens(ids, starts, labels, opts({ wholeWord: true, probability: 0.3 }), rng);
    const on = (t: number) => labels[t] !== -100;
    assert.ok(on(1) === on(2) && on(2) === on(3), 'word 10 ##11 ##12 masked together');
    assert.ok(on(5) === on(6), 'word 30 ##31 masked together');
    assert.ok(!on(0) && !on(7));
  }
});

test('metrics: accuracy, macro-F1 (scikit-learn semantics), perplexity', () => {
  assert.equal(accuracy([1, 0, 1, 1], [1, 1, 1, 0]), 0.5);
  // sklearn f1_score([1,1,1,0],[1,0,1,1], average='macro') = mean(F1_0=0, F1_1=0.6667)
  assert.ok(Math.abs(macroF1([1, 0, 1, 1], [1, 1, 1, 0]) - 1 / 3) < 1e-12);
  assert.equal(macroF1([0, 1], [0, 1]), 1);
  assert.ok(Math.abs(perplexity(Math.log(50)) - 50) < 1e-9);
});

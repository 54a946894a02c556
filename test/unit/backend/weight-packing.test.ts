// Module.packForInference(): products with ≥ 16 rows reuse a pre-packed weight (same numbers as without), and
// every way the weights can change drops the copy: train(), requiresGrad_(true), a copying loadStateDict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Linear } from '../../../src/nn/layers.js';
import { AdamW } from '../../../src/optim/adamw.js';
import { getBackend, hasPackedWeight, noGrad, randn, mean, square } from '../../../src/tensor/index.js';
import { Rng } from '../../../src/util/rng.js';

function packs(t: { skip(m: string): void }): boolean {
  if (getBackend().packWeight) return true;
  t.skip(`the ${getBackend().name} back end does not pack weights`);
  return false;
}

test('packForInference: same outputs, the copy is made by a product with ≥ 16 rows only', (t) => {
  if (!packs(t)) return;
  const layer = new Linear(96, 80, { rng: new Rng(1) });
  const x = randn([2, 20, 96], new Rng(2));
  const plain = noGrad(() => layer.forward(x)).values();
  layer.packForInference();
  const one = noGrad(() => layer.forward(randn([1, 96], new Rng(3))));
  assert.equal(one.shape[1], 80);
  assert.equal(hasPackedWeight(layer.weight), false, 'one row (GEMV) does not pack');
  assert.deepEqual(noGrad(() => layer.forward(x)).values(), plain);
  assert.equal(hasPackedWeight(layer.weight), true);
  assert.equal(hasPackedWeight(layer.bias!), false, 'vectors are never packed');
});

test('packForInference: train(), requiresGrad_(true) and an in-place load drop the copy; results follow the new weights', (t) => {
  if (!packs(t)) return;
  const layer = new Linear(64, 48, { rng: new Rng(4) });
  const x = randn([32, 64], new Rng(5));
  layer.packForInference();
  noGrad(() => layer.forward(x));
  assert.equal(hasPackedWeight(layer.weight), true);

  // train a step: the weights change
  layer.train();
  assert.equal(hasPackedWeight(layer.weight), false, 'train() drops it');
  layer.requiresGrad_(true);
  const opt = new AdamW(layer.parameters(), { lr: 0.1 });
  mean(square(layer.forward(x))).backward();
  opt.step();
  const fresh = new Linear(64, 48, { rng: new Rng(9) });
  fresh.loadStateDict(new Map([...layer.namedParameters()].map(([k, p]) => [k, { shape: p.shape, data: Float32Array.from(p.values()) }])));
  const expected = noGrad(() => fresh.eval().forward(x)).values();
  layer.packForInference();
  assert.deepEqual(noGrad(() => layer.forward(x)).values(), expected, 'the re-packed copy holds the trained weights');

  layer.requiresGrad_(true);
  assert.equal(hasPackedWeight(layer.weight), false, 'requiresGrad_(true) drops it');

  // a copying load (the source is longer than the tensor, so it is copied in place, not adopted)
  layer.packForInference();
  noGrad(() => layer.forward(x));
  const w = new Float32Array(64 * 48 + 1).fill(0.01);
  layer.loadStateDict(new Map([['weight', { shape: [48, 64], data: w }], ['bias', { shape: [48], data: new Float32Array(48) }]]));
  assert.equal(hasPackedWeight(layer.weight), false, 'an in-place load drops it');
  const y = noGrad(() => layer.forward(x)).values();
  const xs = x.values();
  const want = Array.from(xs.subarray(0, 64)).reduce((s, v) => s + v * 0.01, 0);
  assert.ok(Math.abs(y[0]! - want) < 1e-5, `${y[0]} vs ${want}`);
});

// KV cache and masks: sizes and memory, in-place writes read back as views, overflow errors, mask shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KVCache } from '../../../src/nn/kv-cache.js';
import { causalMask, MASK_MIN } from '../../../src/nn/attention.js';
import { intTensor, tensor } from '../../../src/tensor/index.js';

test('KVCache: bytes, writes at the current length, views over all cached positions, CONTEXT_LENGTH on overflow', () => {
  const c = new KVCache({ numLayers: 2, batch: 1, numKvHeads: 2, headDim: 2, maxLength: 3 });
  assert.equal(c.bytes, 2 * 2 * 1 * 2 * 3 * 2 * 4);
  const k = tensor([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]]); // (1, T=2, nkv=2, hs=2)
  const { keys } = c.update(0, k, k);
  assert.deepEqual(keys.shape, [1, 2, 2, 2]);
  assert.deepEqual(keys.toArray(), [[[[1, 2], [5, 6]], [[3, 4], [7, 8]]]]); // (B, nkv, L, hs)
  c.update(1, k, k);
  c.advance(2);
  const k2 = tensor([[[[9, 9], [0, 0]]]]);
  const { values } = c.update(0, k2, k2);
  assert.deepEqual(values.toArray(), [[[[1, 2], [5, 6], [9, 9]], [[3, 4], [7, 8], [0, 0]]]]);
  c.update(1, k2, k2);
  c.advance(1);
  assert.equal(c.remaining, 0);
  assert.throws(() => c.update(0, k2, k2), (e: any) => e.code === 'CONTEXT_LENGTH');
  c.reset();
  assert.equal(c.length, 0);
  assert.throws(() => new KVCache({ numLayers: 1, batch: 0, numKvHeads: 1, headDim: 2, maxLength: 3 }), (e: any) => e.code === 'INVALID_ARGUMENT');
});

test('causalMask: null for an unpadded single step; causal, padding and window masking otherwise', () => {
  assert.equal(causalMask(1, 1, 5, null), null);
  assert.equal(causalMask(1, 1, 2, intTensor([[1, 1, 1]])), null);
  const m = causalMask(1, 2, 1, null)!; // queries at 1, 2 over keys 0..2
  assert.deepEqual(m.shape, [1, 2, 3]);
  assert.deepEqual(Array.from(m.values(), (v) => (v === MASK_MIN ? 'x' : 'o')).join(''), 'ooxooo');
  const p = causalMask(2, 1, 2, intTensor([[0, 1, 1], [1, 1, 1]]))!;
  assert.deepEqual(Array.from(p.values(), (v) => (v === MASK_MIN ? 'x' : 'o')).join(''), 'xooooo');
  const w = causalMask(1, 1, 3, null, 2)!; // query at 3 sees keys 2, 3 only
  assert.deepEqual(Array.from(w.values(), (v) => (v === MASK_MIN ? 'x' : 'o')).join(''), 'xxoo');
  assert.throws(() => causalMask(1, 1, 2, intTensor([[1, 1]])), (e: any) => e.code === 'SHAPE_MISMATCH');
});

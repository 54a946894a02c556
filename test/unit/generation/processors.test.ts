// Logits processors on known logits: each control changes the row exactly as its definition says, so a test
// fails if the control is ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildProcessors, kthLargest, logitBias, minP, presenceFrequencyPenalty, repetitionPenalty, temperature, topK, topP, type ProcessorContext,
} from '../../../src/generation/processors.js';
import { argmax, logSumExp, sample, topLogprobs } from '../../../src/generation/sampling.js';
import { Rng } from '../../../src/util/rng.js';

const ctx = (promptIds: number[], outputIds: number[]): ProcessorContext => {
  const outputCounts = new Map<number, number>();
  for (const id of outputIds) outputCounts.set(id, (outputCounts.get(id) ?? 0) + 1);
  return { promptIds, outputIds, outputCounts };
};
const row = (...v: number[]) => Float32Array.from(v);
const kept = (l: Float32Array) => [...l.keys()].filter((i) => l[i] !== -Infinity);
const softmax = (l: Float32Array) => {
  const lse = logSumExp(l);
  return Array.from(l, (v) => Math.exp(v - lse));
};

test('repetition penalty (HF): divides positive, multiplies negative logits of seen tokens, once each', () => {
  const l = row(2, -1, 3, 0.5, -2);
  repetitionPenalty(2)(l, ctx([0, 1, 1], [1, 4]));
  assert.deepEqual(Array.from(l), [1, -2, 3, 0.5, -4]);
  // direction: every seen token becomes less likely, unseen ones more
  const before = softmax(row(2, -1, 3, 0.5, -2));
  const after = softmax(l);
  for (const i of [0, 1, 4]) assert.ok(after[i]! < before[i]!);
  for (const i of [2, 3]) assert.ok(after[i]! > before[i]!);
});

test('presence and frequency penalties (OpenAI): over generated tokens only, frequency scales with count', () => {
  const l = row(1, 1, 1, 1);
  presenceFrequencyPenalty(0.5, 0.25)(l, ctx([3, 3, 3], [0, 1, 1, 1]));
  assert.deepEqual(Array.from(l), [1 - 0.75, 1 - 1.25, 1, 1]); // prompt token 3 untouched
  const neg = row(0, 0);
  presenceFrequencyPenalty(-1, 0)(neg, ctx([], [1]));
  assert.deepEqual(Array.from(neg), [0, 1], 'a negative presence penalty encourages repeats');
});

test('logit bias adds per id; validates ids and range', () => {
  const l = row(0, 0, 0);
  logitBias({ 2: 100, '0': -5 }, 3)(l, ctx([], []));
  assert.deepEqual(Array.from(l), [-5, 0, 100]);
  assert.throws(() => logitBias({ 3: 1 }, 3), (e: any) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => logitBias({ 1: 101 }, 3), (e: any) => e.code === 'INVALID_ARGUMENT');
});

test('temperature divides; top-k keeps the k largest (ties with the k-th kept)', () => {
  const l = row(1, 4, 2, 4, 3);
  temperature(2)(l, ctx([], []));
  assert.deepEqual(Array.from(l), [0.5, 2, 1, 2, 1.5]);
  const k = row(1, 4, 2, 4, 3);
  topK(2)(k, ctx([], []));
  assert.deepEqual(kept(k), [1, 3]);
  const k3 = row(1, 4, 2, 4, 3);
  topK(3)(k3, ctx([], []));
  assert.deepEqual(kept(k3), [1, 3, 4]);
  const ties = row(5, 5, 5, 1);
  topK(1)(ties, ctx([], []));
  assert.deepEqual(kept(ties), [0, 1, 2]);
  assert.equal(kthLargest(Float32Array.from({ length: 200 }, (_, i) => i), 70), 130);
});

test('top-p keeps exactly the smallest set reaching p', () => {
  const probs = [0.5, 0.05, 0.3, 0.15];
  const mk = () => Float32Array.from(probs, Math.log);
  const set = (p: number) => {
    const l = mk();
    topP(p)(l, ctx([], []));
    return kept(l);
  };
  assert.deepEqual(set(0.4), [0]);
  assert.deepEqual(set(0.5), [0]); // 0.5 already reaches 0.5
  assert.deepEqual(set(0.6), [0, 2]);
  assert.deepEqual(set(0.81), [0, 2, 3]);
  assert.deepEqual(set(0.96), [0, 1, 2, 3]);
  assert.deepEqual(set(1), [0, 1, 2, 3]);
});

test('min-p keeps tokens with p ≥ min_p · p_max', () => {
  const probs = [0.5, 0.05, 0.3, 0.15];
  const set = (m: number) => {
    const l = Float32Array.from(probs, Math.log);
    minP(m)(l, ctx([], []));
    return kept(l);
  };
  assert.deepEqual(set(0.5), [0, 2]); // cut 0.25
  assert.deepEqual(set(0.2), [0, 2, 3]); // cut 0.1
  assert.deepEqual(set(0.09), [0, 1, 2, 3]); // cut 0.045
  assert.deepEqual(set(1), [0]);
});

test('buildProcessors: vLLM order, greedy gets no warpers, no-op settings add nothing', () => {
  assert.equal(buildProcessors({}, 10).length, 0);
  assert.equal(buildProcessors({ temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1 }, 10).length, 0);
  assert.equal(buildProcessors({ temperature: 0, topK: 3, topP: 0.5, logitBias: { 1: 1 } }, 10).length, 1);
  // bias before repetition penalty: the penalty sees the biased logit
  const l = row(1, 1);
  for (const p of buildProcessors({ logitBias: { 0: 3 }, repetitionPenalty: 2 }, 2)) p(l, ctx([0], []));
  assert.deepEqual(Array.from(l), [2, 1]);
  assert.throws(() => buildProcessors({ temperature: -1 }, 2), (e: any) => e.code === 'INVALID_ARGUMENT');
});

test('sampling: argmax first on ties; sample respects -Infinity and the distribution; top logprobs sorted', () => {
  assert.equal(argmax(row(1, 3, 3)), 1);
  const rng = new Rng(7);
  const l = row(Math.log(0.7), -Infinity, Math.log(0.3));
  const counts = [0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[sample(l, rng)]!++;
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[0]! / 4000 - 0.7) < 0.03, `${counts}`);
  const lse = logSumExp(row(1, 2, 3, 0));
  const tops = topLogprobs(row(1, 2, 3, 0), 2, lse);
  assert.deepEqual(tops.map((t) => t.tokenId), [2, 1]);
  assert.ok(Math.abs(tops[0]!.logprob - (3 - lse)) < 1e-12);
});

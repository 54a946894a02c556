// generate() on the tiny golden GPT-2: every sampling control is checked by a test that would fail if the
// control were ignored; streaming, stop strings, n, seeds, logprobs, batching with left padding, cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { readJson, readWeights } from '../../helpers/golden.js';
import { intTensor, noGrad } from '../../../src/tensor/index.js';
import { GPT2LMHeadModel } from '../../../src/models/gpt2/modeling.js';
import { loadGPT2Weights } from '../../../src/models/gpt2/load.js';
import { parseGPT2Config } from '../../../src/models/gpt2/config.js';
import { generate, generateIds, type GenerateOptions, type GenerationEvent } from '../../../src/generation/generate.js';
import { generateText } from '../../../src/generation/text-generation.js';
import { buildProcessors } from '../../../src/generation/processors.js';
import { logSumExp } from '../../../src/generation/sampling.js';
import { TinyByteTokenizer } from './helpers/tiny-bpe.js';

const PROMPT = [51, 258, 269, 265, 264, 265, 220, 261, 262, 285, 265, 290, 262, 77, 220, 270, 266, 298, 284, 264, 293, 68, 79, 13];

function setup(t: import('node:test').TestContext): { model: GPT2LMHeadModel; tok: TinyByteTokenizer } | null {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return null;
  const model = loadGPT2Weights(new GPT2LMHeadModel(parseGPT2Config(readJson(join(dir, 'config.json')))), readWeights(dir)).eval().requiresGrad_(false);
  return { model, tok: new TinyByteTokenizer(dir) };
}

async function events(model: GPT2LMHeadModel, prompts: number[][], o: GenerateOptions): Promise<GenerationEvent[]> {
  const out: GenerationEvent[] = [];
  for await (const ev of generate(model, prompts, o)) out.push(ev);
  return out;
}

test('top-k 1 at temperature 1 equals greedy; sampling without it differs', async (t) => {
  const s = setup(t);
  if (!s) return;
  const greedy = (await generateIds(s.model, [PROMPT], { maxTokens: 12, temperature: 0, ignoreEos: true }))[0]!.tokenIds;
  const k1 = (await generateIds(s.model, [PROMPT], { maxTokens: 12, temperature: 1, topK: 1, seed: 3, ignoreEos: true }))[0]!.tokenIds;
  assert.deepEqual(k1, greedy);
  const sampled = (await generateIds(s.model, [PROMPT], { maxTokens: 12, temperature: 1, seed: 3, ignoreEos: true }))[0]!.tokenIds;
  assert.notDeepEqual(sampled, greedy);
});

test('same seed reproduces, different seeds differ, n=3 gives three distinct choices', async (t) => {
  const s = setup(t);
  if (!s) return;
  const o = { maxTokens: 10, temperature: 1, ignoreEos: true };
  const a = await generateIds(s.model, [PROMPT], { ...o, seed: 11 });
  const b = await generateIds(s.model, [PROMPT], { ...o, seed: 11 });
  const c = await generateIds(s.model, [PROMPT], { ...o, seed: 12 });
  assert.deepEqual(a[0]!.tokenIds, b[0]!.tokenIds);
  assert.notDeepEqual(a[0]!.tokenIds, c[0]!.tokenIds);
  const three = await generateIds(s.model, [PROMPT], { ...o, seed: 5, n: 3 });
  assert.equal(three.length, 3);
  assert.equal(new Set(three.map((r) => r.tokenIds.join(','))).size, 3);
  const again = await generateIds(s.model, [PROMPT], { ...o, seed: 5, n: 3 });
  assert.deepEqual(again.map((r) => r.tokenIds), three.map((r) => r.tokenIds));
  // choices are independent of the cache path
  const noCache = await generateIds(s.model, [PROMPT], { ...o, seed: 5, n: 3, useCache: false });
  assert.deepEqual(noCache.map((r) => r.tokenIds), three.map((r) => r.tokenIds));
});

test('max_tokens 0 and 1 are exact; finish_reason length', async (t) => {
  const s = setup(t);
  if (!s) return;
  const zero = await events(s.model, [PROMPT], { maxTokens: 0, decoder: s.tok });
  assert.deepEqual(zero.map((e) => e.type), ['finish']);
  assert.equal(zero[0]!.type === 'finish' && zero[0].result.tokenIds.length, 0);
  assert.equal(zero[0]!.type === 'finish' && zero[0].finishReason, 'length');
  const one = await generateIds(s.model, [PROMPT], { maxTokens: 1, temperature: 0.8, seed: 1 });
  assert.equal(one[0]!.tokenIds.length, 1);
  assert.equal(one[0]!.finishReason, 'length');
  const seven = await generateIds(s.model, [PROMPT], { maxTokens: 7, temperature: 0, ignoreEos: true });
  assert.equal(seven[0]!.tokenIds.length, 7);
});

test('logit_bias forces a token; a negative bias bans the greedy one', async (t) => {
  const s = setup(t);
  if (!s) return;
  const forced = await generateIds(s.model, [PROMPT], { maxTokens: 5, temperature: 1, seed: 2, logitBias: { 42: 100 } });
  assert.deepEqual(forced[0]!.tokenIds, [42, 42, 42, 42, 42]);
  const greedy = (await generateIds(s.model, [PROMPT], { maxTokens: 1, temperature: 0 }))[0]!.tokenIds[0]!;
  const banned = (await generateIds(s.model, [PROMPT], { maxTokens: 1, temperature: 0, logitBias: { [greedy]: -100 } }))[0]!.tokenIds[0]!;
  assert.notEqual(banned, greedy);
});

test('penalties change generation: repetition / frequency penalties reduce repeats in greedy output', async (t) => {
  const s = setup(t);
  if (!s) return;
  const repeats = (ids: number[]) => ids.length - new Set(ids).size;
  const plain = (await generateIds(s.model, [PROMPT], { maxTokens: 16, temperature: 0, ignoreEos: true }))[0]!.tokenIds;
  const rep = (await generateIds(s.model, [PROMPT], { maxTokens: 16, temperature: 0, ignoreEos: true, repetitionPenalty: 5 }))[0]!.tokenIds;
  const freq = (await generateIds(s.model, [PROMPT], { maxTokens: 16, temperature: 0, ignoreEos: true, frequencyPenalty: 2, presencePenalty: 2 }))[0]!.tokenIds;
  assert.ok(repeats(plain) > 0, `greedy output repeats: ${plain}`);
  assert.ok(repeats(rep) < repeats(plain), `repetition penalty: ${rep}`);
  assert.ok(repeats(freq) < repeats(plain), `frequency penalty: ${freq}`);
});

test('logprobs equal log-softmax of the processed logits; top_logprobs are the k best', async (t) => {
  const s = setup(t);
  if (!s) return;
  const o: GenerateOptions = { maxTokens: 6, temperature: 0.7, topK: 20, repetitionPenalty: 1.3, seed: 9, ignoreEos: true, logprobs: true, topLogprobs: 3 };
  const [r] = await generateIds(s.model, [PROMPT], o);
  assert.equal(r!.logprobs!.length, 6);
  const procs = buildProcessors(o, s.model.vocabSize);
  const seq = [...PROMPT];
  for (let i = 0; i < 6; i++) {
    const row: Float32Array = Float32Array.from(noGrad(() => s.model.forward(intTensor([seq]), { lastOnly: true })).values() as Float32Array);
    const counts = new Map<number, number>();
    for (const id of r!.tokenIds.slice(0, i)) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const p of procs) p(row, { promptIds: PROMPT, outputIds: r!.tokenIds.slice(0, i), outputCounts: counts });
    const lse = logSumExp(row);
    const tok = r!.tokenIds[i]!;
    assert.ok(Math.abs(r!.logprobs![i]! - (row[tok]! - lse)) < 1e-4, `step ${i}`);
    const tops = r!.topLogprobs![i]!;
    assert.equal(tops.length, 3);
    const best: number[] = [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 3);
    assert.deepEqual(tops.map((x) => x.tokenId), best);
    assert.ok(tops[0]!.logprob >= tops[1]!.logprob && tops[1]!.logprob >= tops[2]!.logprob);
    assert.ok(Number.isFinite(r!.logprobs![i]!) && r!.logprobs![i]! <= tops[0]!.logprob + 1e-9, 'the chosen token survived top-k');
    seq.push(tok);
  }
});

test('a stop string spanning two tokens is cut exactly and never leaks into the stream', async (t) => {
  const s = setup(t);
  if (!s) return;
  const base = { maxTokens: 12, temperature: 0, ignoreEos: true, decoder: s.tok };
  const [full] = await generateIds(s.model, [PROMPT], base);
  const pieces = full!.tokenIds.map((id) => s.tok.decode([id]));
  // a stop made of the last char of one token and the first char of the next
  let k = pieces.findIndex((p, i) => i > 0 && p.length > 0 && (pieces[i + 1] ?? '').length > 0);
  assert.ok(k > 0, `pieces ${JSON.stringify(pieces)}`);
  const stop = pieces[k]!.slice(-1) + pieces[k + 1]!.slice(0, 1);
  const cut = full!.text.indexOf(stop);
  assert.ok(cut >= 0);
  const evs = await events(s.model, [PROMPT], { ...base, stop: [stop] });
  const streamed = evs.map((e) => e.text).join('');
  const fin = evs.at(-1)!;
  assert.ok(fin.type === 'finish');
  assert.equal(fin.finishReason, 'stop');
  assert.equal(fin.result.stop, stop);
  assert.equal(fin.result.text, full!.text.slice(0, cut));
  assert.equal(streamed, fin.result.text);
  let acc = '';
  for (const e of evs) {
    acc += e.text;
    assert.ok(!acc.includes(stop) && acc.length <= cut, `stream leaked past the stop: ${JSON.stringify(acc)}`);
  }
  // without the stop: the stream adds up to the text
  const evs2 = await events(s.model, [PROMPT], base);
  assert.equal(evs2.map((e) => e.text).join(''), full!.text);
  assert.equal(evs2.filter((e) => e.type === 'token').length, 12);
});

test('stop token ids and EOS end a choice with finish_reason stop; the id is not in the output', async (t) => {
  const s = setup(t);
  if (!s) return;
  const [g] = await generateIds(s.model, [PROMPT], { maxTokens: 10, temperature: 0, ignoreEos: true });
  const target = g!.tokenIds[3]!;
  const first = g!.tokenIds.indexOf(target);
  const [r] = await generateIds(s.model, [PROMPT], { maxTokens: 10, temperature: 0, stopTokenIds: [target] });
  assert.equal(r!.finishReason, 'stop');
  assert.equal(r!.stop, target);
  assert.deepEqual(r!.tokenIds, g!.tokenIds.slice(0, first));
  assert.equal(r!.completionTokens, first + 1);
  // the model's EOS (299) forced by bias stops at once unless ignored
  const [e] = await generateIds(s.model, [PROMPT], { maxTokens: 5, temperature: 0, logitBias: { 299: 100 } });
  assert.equal(e!.finishReason, 'stop');
  assert.deepEqual(e!.tokenIds, []);
  const [ig] = await generateIds(s.model, [PROMPT], { maxTokens: 5, temperature: 0, logitBias: { 299: 100 }, ignoreEos: true });
  assert.deepEqual(ig!.tokenIds, [299, 299, 299, 299, 299]);
});

test('batched prompts of different lengths (left padding) equal each prompt alone, with and without the cache', async (t) => {
  const s = setup(t);
  if (!s) return;
  const prompts = [PROMPT, [40, 77, 262, 275, 68, 70, 259, 77, 278, 262, 260, 266, 292], [51]];
  const alone = [];
  for (const p of prompts) alone.push((await generateIds(s.model, [p], { maxTokens: 8, temperature: 0, ignoreEos: true }))[0]!.tokenIds);
  for (const useCache of [true, false]) {
    const batch = await generateIds(s.model, prompts, { maxTokens: 8, temperature: 0, ignoreEos: true, useCache });
    assert.deepEqual(batch.map((r) => r.tokenIds), alone, `cache ${useCache}`);
    assert.deepEqual(batch.map((r) => r.prompt), [0, 1, 2]);
  }
});

test('context: CONTEXT_LENGTH when prompt + max_tokens exceed it, or left truncation when asked', async (t) => {
  const s = setup(t);
  if (!s) return;
  const long = Array.from({ length: 60 }, (_, i) => PROMPT[i % PROMPT.length]!);
  await assert.rejects(generateIds(s.model, [long], { maxTokens: 10 }), (e: any) => e.code === 'CONTEXT_LENGTH');
  const [r] = await generateIds(s.model, [long], { maxTokens: 10, temperature: 0, truncatePrompt: true, ignoreEos: true });
  assert.equal(r!.promptTokens, 54);
  const [same] = await generateIds(s.model, [long.slice(6)], { maxTokens: 10, temperature: 0, ignoreEos: true });
  assert.deepEqual(r!.tokenIds, same!.tokenIds);
  // default max_tokens is bounded by the context left
  const [d] = await generateIds(s.model, [long], { temperature: 0, ignoreEos: true });
  assert.equal(d!.tokenIds.length, 4);
  // the model itself refuses positions beyond its context, and the cache beyond its size
  assert.throws(() => s.model.forward(intTensor([Array.from({ length: 65 }, () => 1)])), (e: any) => e.code === 'CONTEXT_LENGTH');
  const cache = s.model.newCache(1, 4);
  assert.equal(cache.bytes, 2 * 2 * 1 * 4 * 4 * 8 * 4);
  noGrad(() => s.model.forward(intTensor([[1, 2, 3]]), { cache }));
  assert.throws(() => s.model.forward(intTensor([[1, 2]]), { cache }), (e: any) => e.code === 'CONTEXT_LENGTH');
});

test('an AbortSignal cancels generation', async (t) => {
  const s = setup(t);
  if (!s) return;
  const ac = new AbortController();
  let n = 0;
  await assert.rejects(
    (async () => {
      for await (const ev of generate(s.model, [PROMPT], { maxTokens: 30, temperature: 0, ignoreEos: true, signal: ac.signal })) {
        if (ev.type === 'token' && ++n === 2) ac.abort();
      }
    })(),
    (e: any) => e.code === 'CANCELLED',
  );
  assert.equal(n, 2);
});

test('generateText: text in, text out, usage counted; streamDecoder factory accepted', async (t) => {
  const s = setup(t);
  if (!s) return;
  const r = await generateText(s.model, s.tok, 'The cat', { maxTokens: 6, temperature: 0, ignoreEos: true });
  assert.equal(r.choices.length, 1);
  assert.equal(r.text, r.choices[0]!.text);
  assert.equal(r.text, s.tok.decode(r.choices[0]!.tokenIds));
  assert.deepEqual(r.usage, { promptTokens: 7, completionTokens: 6, totalTokens: 13 });
  let pushes = 0;
  const r2 = await generateText(s.model, s.tok, 'The cat', {
    maxTokens: 6, temperature: 0, ignoreEos: true,
    streamDecoder: () => {
      const ids: number[] = [];
      let done = '';
      return {
        push: (id) => {
          pushes++;
          ids.push(id);
          const all = s.tok.decode(ids);
          const out = all.slice(done.length);
          done = all;
          return out;
        },
        flush: () => '',
      };
    },
  });
  assert.equal(pushes, 6);
  assert.equal(r2.text, r.text);
});

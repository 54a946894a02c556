// The server's generation path on the real tiny golden GPT-2 (in-process LocalEngine behind the Fastify app):
// every test here would fail if the server sampled on its own instead of through src/generation's generate().
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../src/server/app.js';
import { LocalEngine } from '../../../src/server/local-engine.js';
import { SYSTEM_FINGERPRINT } from '../../../src/server/ids.js';
import { generateIds } from '../../../src/generation/index.js';
import { loadGPT2 } from '../../../src/models/gpt2/load.js';
import { loadTokenizer } from '../../../src/tokenizers/index.js';
import { intTensor, noGrad } from '../../../src/tensor/index.js';
import { BertchatError } from '../../../src/util/errors.js';
import type { GenerateRequest } from '../../../src/server/engine.js';
import { needShared } from '../../helpers/shared.js';
import { sseEvents, TINY_CHAT_TEMPLATE } from './fixtures.js';

/** No EOS, and the tiny model's multi-character merges favoured, so texts are long, readable and exact in length. */
const BIAS: Record<string, number> = { '299': -100 };
for (let i = 256; i < 299; i++) BIAS[String(i)] = 8;
const PROMPT = 'The cat sat on the mat';

interface Setup {
  dir: string;
  engine: LocalEngine;
  app: ReturnType<typeof buildApp>;
}
let cached: Setup | null = null;
async function setup(t: TestContext): Promise<Setup | null> {
  const dir = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!dir) return null;
  if (!cached) {
    const engine = await LocalEngine.load([{ name: 'tiny', source: dir, chatTemplate: TINY_CHAT_TEMPLATE }]);
    cached = { dir, engine, app: buildApp({ engine, webRoot: null }) };
  }
  return cached;
}

async function post(s: Setup, url: string, payload: object): Promise<any> {
  const res = await s.app.inject({ method: 'POST', url, payload });
  assert.equal(res.statusCode, 200, res.body);
  return payload && (payload as { stream?: boolean }).stream ? sseEvents(res.body) : res.json();
}

/** Streamed completion texts per choice index, finish reasons, and the usage chunk. */
async function streamed(s: Setup, payload: object): Promise<{ text: string[]; finish: string[]; usage: any; chunks: any[] }> {
  const frames = (await post(s, '/v1/completions', { ...payload, stream: true, stream_options: { include_usage: true } })) as string[];
  assert.equal(frames[frames.length - 1], '[DONE]');
  const chunks = frames.slice(0, -1).map((f) => JSON.parse(f));
  const text: string[] = [];
  const finish: string[] = [];
  let usage = null;
  for (const c of chunks) {
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      text[ch.index] = (text[ch.index] ?? '') + ch.text;
      if (ch.finish_reason) finish[ch.index] = ch.finish_reason;
    }
  }
  return { text, finish, usage, chunks };
}

test('system_fingerprint is derived from the package version', async (t) => {
  const s = await setup(t);
  if (!s) return;
  assert.match(SYSTEM_FINGERPRINT, /^fp_bertchat_\d+_\d+_\d+/);
  assert.doesNotMatch(SYSTEM_FINGERPRINT, /interim/);
  const r = await post(s, '/v1/completions', { model: 'tiny', prompt: PROMPT, max_tokens: 1 });
  assert.equal(r.system_fingerprint, SYSTEM_FINGERPRINT);
});

test('n=2 with a seed: reproducible, distinct choices; choice 0 is the n=1 sample of that seed; streamed = non-streamed', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const req = { model: 'tiny', prompt: PROMPT, max_tokens: 10, n: 2, seed: 11, temperature: 1, logit_bias: BIAS };
  const a = await post(s, '/v1/completions', req);
  const b = await post(s, '/v1/completions', req);
  const texts = a.choices.map((c: any) => c.text);
  assert.deepEqual(b.choices.map((c: any) => c.text), texts, 'same seed, same choices');
  assert.notEqual(texts[0], texts[1], 'two different samples');
  assert.deepEqual(a.choices.map((c: any) => c.finish_reason), ['length', 'length']);
  assert.equal(a.usage.completion_tokens, 20);
  const one = await post(s, '/v1/completions', { ...req, n: 1 });
  assert.equal(one.choices[0].text, texts[0], 'choice 0 draws from the first fork of the seed, whatever n is');
  const other = await post(s, '/v1/completions', { ...req, seed: 12 });
  assert.notDeepEqual(other.choices.map((c: any) => c.text), texts, 'another seed, other samples');

  const st = await streamed(s, req);
  assert.deepEqual(st.text, texts, 'the stream concatenates to the non-streamed texts');
  assert.deepEqual(st.finish, ['length', 'length']);
  assert.deepEqual(st.usage, a.usage);
});

test('a stop string spanning two tokens is cut exactly, streamed and not', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const base = { model: 'tiny', prompt: PROMPT, max_tokens: 16, temperature: 1, seed: 5, logit_bias: BIAS };
  const full = await post(s, '/v1/completions', { ...base, logprobs: 0 });
  const text: string = full.choices[0].text;
  const { tokens, text_offset: offs } = full.choices[0].logprobs as { tokens: string[]; text_offset: number[] };
  assert.equal(tokens.join(''), text);
  // a stop made of the end of token k and the start of token k+1, first found exactly there, inside no single token
  let stop: string | null = null;
  let cutAt = -1;
  for (let k = 0; k + 1 < tokens.length && stop === null; k++) {
    const a = tokens[k]!;
    const b = tokens[k + 1]!;
    if (a.length < 2 || b.length < 1) continue;
    const cand = a.slice(-2) + b.slice(0, 1);
    const at = offs[k + 1]! - 2;
    if (text.indexOf(cand) === at && !tokens.some((x) => x.includes(cand))) {
      stop = cand;
      cutAt = at;
    }
  }
  assert.ok(stop !== null, `no two-token stop found in ${JSON.stringify(tokens)}`);
  const req = { ...base, stop: ['never-there', stop] };
  const cut = await post(s, '/v1/completions', req);
  assert.equal(cut.choices[0].text, text.slice(0, cutAt));
  assert.equal(cut.choices[0].finish_reason, 'stop');
  const st = await streamed(s, req);
  assert.equal(st.text[0], text.slice(0, cutAt), 'the streamed text stops exactly before the stop string');
  for (const c of st.chunks) for (const ch of c.choices) assert.ok(!ch.text.includes(stop), 'no chunk carries the stop');
  assert.equal(st.finish[0], 'stop');
  assert.deepEqual(st.usage, cut.usage);
  // chat: the same cut through the chat template
  const chatReq = { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16, temperature: 1, seed: 5, logit_bias: BIAS };
  const chatFull = (await post(s, '/v1/chat/completions', chatReq)).choices[0].message.content as string;
  const chatStop = chatFull.slice(5, 8);
  const chatCut = await post(s, '/v1/chat/completions', { ...chatReq, stop: chatStop });
  assert.equal(chatCut.choices[0].message.content, chatFull.slice(0, chatFull.indexOf(chatStop)));
  const frames = (await post(s, '/v1/chat/completions', { ...chatReq, stop: chatStop, stream: true })) as string[];
  const chatStreamed = frames.slice(0, -1).map((f) => JSON.parse(f)).map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(chatStreamed, chatCut.choices[0].message.content);
});

test('logprobs are generate()’s, and equal log-softmax of the (biased) model logits', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const tok = loadTokenizer(s.dir);
  const model = loadGPT2(s.dir);
  const promptIds = tok.encode(PROMPT).inputIds;
  // sampled: the server's numbers are exactly generate()'s for the same options and seed
  const sampled = await post(s, '/v1/completions', { model: 'tiny', prompt: PROMPT, max_tokens: 8, temperature: 0.8, top_p: 0.9, seed: 3, logprobs: 3, logit_bias: BIAS });
  const [ref] = await generateIds(model, [promptIds], { maxTokens: 8, temperature: 0.8, topP: 0.9, seed: 3, logprobs: true, topLogprobs: 3, logitBias: BIAS, decoder: tok });
  const lp = sampled.choices[0].logprobs;
  assert.deepEqual(lp.tokens, ref!.tokenIds.map((id) => tok.decode([id])));
  assert.equal(sampled.choices[0].text, ref!.text);
  lp.token_logprobs.forEach((x: number, i: number) => assert.ok(Math.abs(x - ref!.logprobs![i]!) < 1e-9, `token ${i}: ${x} vs ${ref!.logprobs![i]}`));
  lp.top_logprobs.forEach((top: Record<string, number>, i: number) => {
    for (const alt of ref!.topLogprobs![i]!) assert.ok(Math.abs(top[tok.decode([alt.tokenId])]! - alt.logprob) < 1e-9);
  });

  // greedy: each logprob is log-softmax of the model's logits (+ logit_bias) at that position, recomputed here
  const greedy = await post(s, '/v1/completions', { model: 'tiny', prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 2, logit_bias: BIAS });
  const [g] = await generateIds(model, [promptIds], { maxTokens: 6, temperature: 0, logitBias: BIAS, ignoreEos: true });
  const seq = [...promptIds, ...g!.tokenIds];
  const logits = noGrad(() => model.forward(intTensor(Int32Array.from(seq), [1, seq.length]))).floats(); // (1, T, V)
  const V = model.vocabSize;
  g!.tokenIds.forEach((id, i) => {
    const row = Float64Array.from(logits.subarray((promptIds.length - 1 + i) * V, (promptIds.length + i) * V));
    for (const [k, b] of Object.entries(BIAS)) row[Number(k)]! += b;
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
    const got = greedy.choices[0].logprobs.token_logprobs[i] as number;
    assert.ok(Math.abs(got - (row[id]! - lse)) < 1e-4, `position ${i}: ${got} vs log-softmax ${row[id]! - lse}`);
    const best = [...row.keys()].sort((a, b) => row[b]! - row[a]!).slice(0, 2);
    assert.deepEqual(Object.keys(greedy.choices[0].logprobs.top_logprobs[i]).sort(), best.map((j) => tok.decode([j])).sort());
  });

  // chat shape: logprobs.content per token, top_logprobs
  const chat = await post(s, '/v1/chat/completions', { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, logprobs: true, top_logprobs: 2, temperature: 0, logit_bias: BIAS });
  const content = chat.choices[0].logprobs.content as Array<{ token: string; logprob: number; top_logprobs: unknown[] }>;
  assert.equal(content.length, 4);
  assert.equal(content.map((c) => c.token).join(''), chat.choices[0].message.content);
  for (const c of content) assert.equal(c.top_logprobs.length, 2);
});

test('max_tokens 0: empty text, finish_reason length, no completion tokens (echo gives the prompt); chat needs ≥ 1', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const r = await post(s, '/v1/completions', { model: 'tiny', prompt: PROMPT, max_tokens: 0 });
  assert.equal(r.choices[0].text, '');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 0);
  const st = await streamed(s, { model: 'tiny', prompt: PROMPT, max_tokens: 0, n: 2 });
  assert.deepEqual(st.text, ['', '']);
  assert.deepEqual(st.finish, ['length', 'length']);
  assert.equal(st.usage.completion_tokens, 0);
  const echo = await post(s, '/v1/completions', { model: 'tiny', prompt: PROMPT, max_tokens: 0, echo: true });
  assert.equal(echo.choices[0].text, PROMPT);
  // chat, as OpenAI: max_completion_tokens starts at 1
  const chat = await s.app.inject({ method: 'POST', url: '/v1/chat/completions', payload: { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 0 } });
  assert.equal(chat.statusCode, 400);
});

test('penalties, top_p and best_of reach generate(); a bad logit_bias id is a 400 before any event', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const base = { model: 'tiny', prompt: PROMPT, max_tokens: 12, temperature: 0, logit_bias: BIAS };
  const plain = (await post(s, '/v1/completions', base)).choices[0].text;
  const freq = (await post(s, '/v1/completions', { ...base, frequency_penalty: 2 })).choices[0].text;
  const pres = (await post(s, '/v1/completions', { ...base, presence_penalty: 2 })).choices[0].text;
  assert.notEqual(freq, plain, 'frequency_penalty changes a repetitive greedy text');
  assert.notEqual(pres, plain, 'presence_penalty changes a repetitive greedy text');
  // top_p 0 keeps only the most likely token: sampling equals greedy
  assert.equal((await post(s, '/v1/completions', { ...base, temperature: 1, top_p: 0, seed: 4 })).choices[0].text, plain);
  // best_of: n kept of best_of drawn, usage counts all of them
  const bo = await post(s, '/v1/completions', { ...base, temperature: 1, seed: 2, n: 1, best_of: 3, max_tokens: 5 });
  assert.equal(bo.choices.length, 1);
  assert.equal(bo.usage.completion_tokens, 15);
  const bad = await s.app.inject({ method: 'POST', url: '/v1/completions', payload: { ...base, logit_bias: { '100000': 5 } } });
  assert.equal(bad.statusCode, 400, bad.body);
  assert.equal(bad.json().error.type, 'invalid_request_error');
});

test('aborting the signal stops generate() between tokens', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const req: GenerateRequest = {
    model: 'tiny', prompt: { text: PROMPT }, maxTokens: 50, temperature: 1, topP: 1, n: 1, stop: [], seed: 1,
    presencePenalty: 0, frequencyPenalty: 0, logitBias: BIAS, logprobs: null, echo: false,
  };
  const ac = new AbortController();
  let deltas = 0;
  await assert.rejects(
    (async () => {
      for await (const e of s.engine.generate(req, ac.signal)) {
        if (e.type === 'delta' && ++deltas === 2) ac.abort();
      }
    })(),
    (e: unknown) => e instanceof BertchatError && e.code === 'CANCELLED',
  );
  assert.equal(deltas, 2);
});

test('generation_config.json eos ids end a choice, as in HF generate', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const base = { model: 'tiny', prompt: PROMPT, max_tokens: 6, temperature: 0, logit_bias: BIAS, logprobs: 0 };
  const plain = await post(s, '/v1/completions', base);
  const tokens = plain.choices[0].logprobs.tokens as string[];
  const tok = loadTokenizer(s.dir);
  const third = tok.encode(tokens[2]!, { addSpecialTokens: false }).inputIds;
  assert.equal(third.length, 1);
  const dir = mkdtempSync(join(tmpdir(), 'bertchat-gencfg-'));
  for (const f of readdirSync(s.dir)) if (!f.startsWith('cases') && !f.startsWith('expected') && !f.includes('legacy')) copyFileSync(join(s.dir, f), join(dir, f));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [299, third[0]] }));
  const engine = await LocalEngine.load([{ name: 'tiny', source: dir }]);
  const app = buildApp({ engine, webRoot: null });
  const res = await app.inject({ method: 'POST', url: '/v1/completions', payload: base });
  const r = res.json();
  assert.equal(r.choices[0].text, tokens.slice(0, 2).join(''));
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.usage.completion_tokens, 3, 'the stop token counts, as EOS does');
  await app.close();
});

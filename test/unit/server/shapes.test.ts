// Response shapes through the app (inject, fake engine): completions, chat, streams, embeddings, classify,
// models, health, metrics — field by field as the OpenAI API reference has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../../src/server/app.js';
import { FakeEngine, sseEvents } from './fixtures.js';

const post = (app: ReturnType<typeof buildApp>, url: string, payload: object) => app.inject({ method: 'POST', url, payload });

test('completion: id, object, created, model, system_fingerprint, choices, usage', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null });
  const res = await post(app, '/v1/completions', { model: 'fake-lm', prompt: ['one two', 'three'], n: 2, max_tokens: 2, logprobs: 1 });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.match(body.id, /^cmpl-/);
  assert.equal(body.object, 'text_completion');
  assert.equal(typeof body.created, 'number');
  assert.equal(body.model, 'fake-lm');
  assert.equal(typeof body.system_fingerprint, 'string');
  assert.equal(body.choices.length, 4); // 2 prompts × n=2, index = prompt·n + i
  assert.deepEqual(body.choices.map((c: { index: number }) => c.index), [0, 1, 2, 3]);
  assert.equal(body.choices[0].text, 'Hello world');
  assert.equal(body.choices[0].finish_reason, 'length');
  assert.deepEqual(body.choices[0].logprobs, { tokens: ['Hello', ' world'], token_logprobs: [-0.5, -0.5], top_logprobs: [{ Hello: -0.5 }, { ' world': -0.5 }], text_offset: [0, 5] });
  assert.deepEqual(body.usage, { prompt_tokens: 3, completion_tokens: 8, total_tokens: 11 });
  await app.close();
});

test('completion defaults follow OpenAI: max_tokens 16, temperature 1, top_p 1, n 1; echo prepends the prompt', async () => {
  const engine = new FakeEngine();
  const app = buildApp({ engine, webRoot: null });
  const res = await post(app, '/v1/completions', { model: 'fake-lm', prompt: 'a b', echo: true, stop: 'x', seed: 7, logit_bias: { '5': -100 } });
  const r = engine.requests[0]!;
  assert.equal(r.maxTokens, 16);
  assert.equal(r.temperature, 1);
  assert.equal(r.topP, 1);
  assert.equal(r.n, 1);
  assert.deepEqual(r.stop, ['x']);
  assert.equal(r.seed, 7);
  assert.deepEqual(r.logitBias, { 5: -100 });
  assert.equal(res.json().choices[0].text, 'a bHello world!');
  assert.equal(res.json().choices[0].finish_reason, 'stop');
  await app.close();
});

test('legacy /v1/engines/{engine}/completions takes the model from the path and accepts stop: null', async () => {
  const engine = new FakeEngine();
  const app = buildApp({ engine, webRoot: null });
  const res = await post(app, '/v1/engines/fake-lm/completions', { prompt: 'hi', max_tokens: 50, n: 1, stop: null, temperature: 0.7 });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().model, 'fake-lm');
  assert.equal(res.json().object, 'text_completion');
  assert.equal(engine.requests[0]!.temperature, 0.7);
  await app.close();
});

test('completion stream: data: chunks, finish chunk, usage chunk with include_usage, then [DONE]', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null });
  const res = await post(app, '/v1/completions', { model: 'fake-lm', prompt: 'hi', stream: true, stream_options: { include_usage: true } });
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  const ev = sseEvents(res.body);
  assert.equal(ev.at(-1), '[DONE]');
  const chunks = ev.slice(0, -1).map((e) => JSON.parse(e));
  assert.deepEqual(chunks.slice(0, 3).map((c) => c.choices[0].text), ['Hello', ' world', '!']);
  for (const c of chunks.slice(0, -1)) {
    assert.equal(c.object, 'text_completion');
    assert.equal(c.usage, null);
  }
  assert.equal(chunks[3].choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
  await app.close();
});

test('chat completion: message, finish_reason, logprobs in the chat shape, usage; state extension on request', async () => {
  const engine = new FakeEngine();
  const app = buildApp({ engine, webRoot: null });
  const res = await post(app, '/v1/chat/completions', {
    model: 'fake-lm',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: [{ type: 'text', text: 'cheap chinese food' }, { type: 'text', text: 'in the north' }] },
    ],
    logprobs: true,
    top_logprobs: 1,
    max_completion_tokens: 10,
    bertchat_state: true,
  });
  assert.equal(res.statusCode, 200, res.body);
  const b = res.json();
  assert.match(b.id, /^chatcmpl-/);
  assert.equal(b.object, 'chat.completion');
  assert.deepEqual(b.choices[0].message, { role: 'assistant', content: 'Hello world!', refusal: null });
  assert.equal(b.choices[0].finish_reason, 'stop');
  assert.deepEqual(b.choices[0].logprobs.content[0], { token: 'Hello', logprob: -0.5, bytes: [...Buffer.from('Hello')], top_logprobs: [{ token: 'Hello', logprob: -0.5, bytes: [...Buffer.from('Hello')] }] });
  assert.equal(b.usage.completion_tokens, 3);
  assert.equal(b.usage.total_tokens, b.usage.prompt_tokens + 3);
  assert.deepEqual(b.bertchat_state, { 'price range': 'cheap', food: 'chinese', area: 'north' });
  const msgs = (engine.requests[0]!.prompt as { messages: Array<{ content: string }> }).messages;
  assert.equal(msgs[1]!.content, 'cheap chinese food\nin the north');
  assert.equal(engine.requests[0]!.maxTokens, 10);
  await app.close();
});

test('chat stream: role chunk, content chunks, finish chunk, usage chunk, [DONE]', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null });
  const res = await post(app, '/v1/chat/completions', { model: 'fake-lm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true }, n: 2 });
  const ev = sseEvents(res.body);
  assert.equal(ev.at(-1), '[DONE]');
  const chunks = ev.slice(0, -1).map((e) => JSON.parse(e));
  for (const c of chunks) {
    assert.equal(c.object, 'chat.completion.chunk');
    assert.match(c.id, /^chatcmpl-/);
  }
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
  const text = (i: number) => chunks.filter((c) => c.choices[0]?.index === i).map((c) => c.choices[0].delta.content ?? '').join('');
  assert.equal(text(0), 'Hello world!');
  assert.equal(text(1), 'Hello world!');
  const finals = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.equal(finals.length, 2);
  assert.deepEqual(finals[0].choices[0].delta, {});
  assert.deepEqual(chunks.at(-1).usage, { prompt_tokens: chunks.at(-1).usage.prompt_tokens, completion_tokens: 6, total_tokens: chunks.at(-1).usage.prompt_tokens + 6 });
  await app.close();
});

test('embeddings: float and base64 (little-endian float32), dimensions shortens and renormalizes', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null });
  const f = (await post(app, '/v1/embeddings', { model: 'fake-enc', input: ['a', 'b'] })).json();
  assert.equal(f.object, 'list');
  assert.equal(f.model, 'fake-enc');
  assert.deepEqual(f.data[0], { object: 'embedding', index: 0, embedding: [Math.fround(0.6), Math.fround(0.8), 0] });
  assert.deepEqual(f.usage, { prompt_tokens: 4, total_tokens: 4 });
  const b = (await post(app, '/v1/embeddings', { model: 'fake-enc', input: 'a', encoding_format: 'base64' })).json();
  const buf = Buffer.from(b.data[0].embedding, 'base64');
  assert.deepEqual([buf.readFloatLE(0), buf.readFloatLE(4), buf.readFloatLE(8)], f.data[0].embedding);
  const d = (await post(app, '/v1/embeddings', { model: 'fake-enc', input: [[1, 2, 3]], dimensions: 1 })).json();
  assert.deepEqual(d.data[0].embedding, [1]);
  const tooMany = await post(app, '/v1/embeddings', { model: 'fake-enc', input: 'a', dimensions: 10 });
  assert.equal(tooMany.statusCode, 400);
  await app.close();
});

test('classify: label and score per input, scores on request', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null });
  const r = (await post(app, '/v1/classify', { model: 'fake-enc', input: ['good', 'bad'], scores: true })).json();
  assert.equal(r.object, 'list');
  assert.deepEqual(r.data[1], { index: 1, label: 'negative', score: 0.9, scores: { negative: 0.9, positive: 0.1 } });
  const one = (await post(app, '/v1/classify', { model: 'fake-enc', input: 'fine' })).json();
  assert.deepEqual(one.data, [{ index: 0, label: 'positive', score: 0.8 }]);
  await app.close();
});

test('models, health and metrics', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null });
  const list = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
  assert.deepEqual(list.data[0], { id: 'fake-lm', object: 'model', created: 1700000000, owned_by: 'bertchat' });
  assert.equal((await app.inject({ method: 'GET', url: '/v1/models/fake-enc' })).json().id, 'fake-enc');
  const missing = await app.inject({ method: 'GET', url: '/v1/models/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().error.code, 'model_not_found');
  const health = (await app.inject({ method: 'GET', url: '/health' })).json();
  assert.equal(health.status, 'ok');
  assert.equal(health.models.length, 3);
  await post(app, '/v1/completions', { model: 'fake-lm', prompt: 'hi' });
  const m = await app.inject({ method: 'GET', url: '/metrics' });
  assert.match(String(m.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(m.body, /^bertchat_http_requests_total\{route="\/v1\/completions",method="POST",status="200"\} 1$/m);
  assert.match(m.body, /^bertchat_http_requests_total\{route="\/v1\/models\/:id",method="GET",status="404"\} 1$/m);
  assert.match(m.body, /^bertchat_http_request_duration_seconds_bucket\{route="\/v1\/completions",le="\+Inf"\} 1$/m);
  assert.match(m.body, /^bertchat_completion_tokens_total\{model="fake-lm"\} 3$/m);
  assert.match(m.body, /^bertchat_prompt_tokens_total\{model="fake-lm"\} 1$/m);
  assert.match(m.body, /^# TYPE bertchat_queue_depth gauge$/m);
  assert.match(m.body, /^bertchat_queue_depth 0$/m);
  await app.close();
});

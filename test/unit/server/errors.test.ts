// Bad requests through the app (inject, fake engine): each gets the right status and an OpenAI-shaped
// error naming the param, and the app keeps serving afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../../src/server/app.js';
import { BertchatError } from '../../../src/util/errors.js';
import { busyEngine, FakeEngine } from './fixtures.js';

type Case = { name: string; url?: string; body: string | object; status: number; param?: string | null; code?: string | null; headers?: Record<string, string> };

const chat = (extra: object) => ({ model: 'fake-lm', messages: [{ role: 'user', content: 'hi' }], ...extra });
const cmpl = (extra: object) => ({ model: 'fake-lm', prompt: 'hi', ...extra });

const CASES: Case[] = [
  { name: 'malformed JSON', body: '{"model": "fake-lm", ', status: 400, param: null, code: 'invalid_json' },
  { name: 'JSON array body', body: '[1, 2]', status: 400, param: null, code: 'invalid_type' },
  { name: 'JSON string body', body: '"hello"', status: 400, param: null, code: 'invalid_type' },
  { name: 'missing messages', body: { model: 'fake-lm' }, status: 400, param: 'messages', code: 'missing_required_parameter' },
  { name: 'missing model', body: { messages: [{ role: 'user', content: 'x' }] }, status: 400, param: 'model', code: 'missing_required_parameter' },
  { name: 'wrong type temperature', body: chat({ temperature: 'hot' }), status: 400, param: 'temperature', code: 'invalid_type' },
  { name: 'wrong type messages', body: chat({ messages: 'hi' }), status: 400, param: 'messages', code: 'invalid_type' },
  { name: 'numeric string not coerced', body: chat({ max_tokens: '5' }), status: 400, param: 'max_tokens', code: 'invalid_type' },
  { name: 'unknown field', body: chat({ foo: 1 }), status: 400, param: 'foo', code: 'unknown_parameter' },
  { name: 'unknown nested field', body: chat({ messages: [{ role: 'user', content: 'x', extra: 1 }] }), status: 400, param: 'messages[0].extra', code: 'unknown_parameter' },
  { name: 'tools unsupported', body: chat({ tools: [] }), status: 400, param: 'tools', code: 'unknown_parameter' },
  { name: 'bad role', body: chat({ messages: [{ role: 'tool', content: 'x' }] }), status: 400, param: 'messages[0].role', code: 'invalid_value' },
  { name: 'temperature out of range', body: chat({ temperature: 3 }), status: 400, param: 'temperature', code: 'invalid_value' },
  { name: 'too many stops', body: chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), status: 400, param: 'stop', code: 'invalid_value' },
  { name: 'n = 0', body: chat({ n: 0 }), status: 400, param: 'n', code: 'invalid_value' },
  { name: 'top_logprobs without logprobs', body: chat({ top_logprobs: 2 }), status: 400, param: 'top_logprobs', code: 'invalid_value' },
  { name: 'response_format json_object', body: chat({ response_format: { type: 'json_object' } }), status: 400, param: 'response_format.type', code: 'invalid_value' },
  { name: 'logit_bias bad key', body: chat({ logit_bias: { abc: 1 } }), status: 400, param: 'logit_bias', code: 'invalid_value' },
  { name: 'unknown model', body: chat({ model: 'nope' }), status: 404, param: 'model', code: 'model_not_found' },
  { name: 'model is a path', body: chat({ model: '/etc/passwd' }), status: 404, param: 'model', code: 'model_not_found' },
  { name: 'encoder for chat', body: chat({ model: 'fake-enc' }), status: 400, param: 'model', code: 'model_not_supported' },
  { name: 'no chat template', body: chat({ model: 'no-chat' }), status: 400, param: 'model', code: 'model_not_supported' },
  { name: 'chat context exceeded', body: chat({ max_tokens: 1000 }), status: 400, param: 'messages', code: 'context_length_exceeded' },
  { name: 'completion context exceeded', url: '/v1/completions', body: cmpl({ max_tokens: 1000 }), status: 400, param: 'prompt', code: 'context_length_exceeded' },
  { name: 'suffix unsupported', url: '/v1/completions', body: cmpl({ suffix: 'x' }), status: 400, param: 'suffix', code: 'unsupported_parameter' },
  { name: 'best_of < n', url: '/v1/completions', body: cmpl({ n: 3, best_of: 2 }), status: 400, param: 'best_of', code: 'invalid_value' },
  { name: 'logprobs > 5', url: '/v1/completions', body: cmpl({ logprobs: 6 }), status: 400, param: 'logprobs', code: 'invalid_value' },
  { name: 'mixed prompt array', url: '/v1/completions', body: cmpl({ prompt: ['a', 1] }), status: 400, param: 'prompt', code: 'invalid_value' },
  { name: 'empty prompt array', url: '/v1/completions', body: cmpl({ prompt: [] }), status: 400, param: 'prompt', code: 'invalid_value' },
  { name: 'legacy route unknown engine', url: '/v1/engines/nope/completions', body: { prompt: 'x' }, status: 404, param: 'model', code: 'model_not_found' },
  { name: 'embeddings bad encoding', url: '/v1/embeddings', body: { model: 'fake-enc', input: 'x', encoding_format: 'int8' }, status: 400, param: 'encoding_format', code: 'invalid_value' },
  { name: 'embeddings with an LM', url: '/v1/embeddings', body: { model: 'fake-lm', input: 'x' }, status: 400, param: 'model', code: 'model_not_supported' },
  { name: 'classify wrong input type', url: '/v1/classify', body: { model: 'fake-enc', input: 5 }, status: 400, param: 'input', code: 'invalid_type' },
  { name: 'unknown URL', url: '/v1/nothing', body: {}, status: 404, param: null, code: 'unknown_url' },
  { name: 'text/plain body', body: 'model=x', status: 400, param: null, code: 'invalid_type', headers: { 'content-type': 'text/plain' } },
  { name: 'form body', body: 'model=x', status: 415, param: null, code: 'unsupported_media_type', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
];

test('bad requests get OpenAI-shaped errors with the right status, and the server keeps serving', async (t) => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null });
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const res = await app.inject({
        method: 'POST',
        url: c.url ?? '/v1/chat/completions',
        headers: c.headers ?? { 'content-type': 'application/json' },
        payload: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
      });
      assert.equal(res.statusCode, c.status, res.body);
      const err = res.json().error;
      assert.equal(typeof err.message, 'string');
      assert.ok(err.message.length > 0);
      assert.equal(err.type, 'invalid_request_error');
      if (c.param !== undefined) assert.equal(err.param, c.param, res.body);
      if (c.code !== undefined) assert.equal(err.code, c.code, res.body);
      assert.deepEqual(Object.keys(err).sort(), ['code', 'message', 'param', 'type']);
      const health = await app.inject({ method: 'GET', url: '/health' });
      assert.equal(health.statusCode, 200);
    });
  }
  await app.close();
});

test('an oversize body is 413', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null, bodyLimit: 1024 });
  const res = await app.inject({ method: 'POST', url: '/v1/completions', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ model: 'fake-lm', prompt: 'x'.repeat(5000) }) });
  assert.equal(res.statusCode, 413);
  assert.equal(res.json().error.code, 'request_too_large');
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  await app.close();
});

test('API key: missing or wrong → 401 invalid_api_key; right → 200; /health stays open', async () => {
  const app = buildApp({ engine: new FakeEngine(), webRoot: null, apiKey: 'sk-test' });
  const get = (auth?: string) => app.inject({ method: 'GET', url: '/v1/models', headers: auth ? { authorization: auth } : {} });
  for (const auth of [undefined, 'Bearer wrong', 'Basic sk-test']) {
    const res = await get(auth);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'invalid_api_key');
  }
  assert.equal((await get('Bearer sk-test')).statusCode, 200);
  // auth is checked before the body is parsed
  const bad = await app.inject({ method: 'POST', url: '/v1/completions', headers: { 'content-type': 'application/json' }, payload: '{oops' });
  assert.equal(bad.statusCode, 401);
  assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  await app.close();
});

test('queue full → 429 with an OpenAI error', async () => {
  const app = buildApp({ engine: busyEngine(), webRoot: null });
  const res = await app.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'fake-lm', prompt: 'x' } });
  assert.equal(res.statusCode, 429);
  assert.equal(res.json().error.code, 'queue_full');
  assert.equal(res.json().error.type, 'rate_limit_error');
  await app.close();
});

test('an unexpected engine failure is a 500 server_error without internals; a BertchatError INVALID_ARGUMENT is a 400', async () => {
  const boom = buildApp({ engine: new FakeEngine({ error: new Error('secret stack detail') }), webRoot: null });
  const res = await boom.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'fake-lm', prompt: 'x' } });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().error.type, 'server_error');
  assert.doesNotMatch(res.body, /secret/);
  await boom.close();
  const bad = buildApp({ engine: new FakeEngine({ error: new BertchatError('INVALID_ARGUMENT', 'token id 999 is outside the vocabulary', { param: 'prompt' }) }), webRoot: null });
  const r2 = await bad.inject({ method: 'POST', url: '/v1/completions', payload: { model: 'fake-lm', prompt: [999] } });
  assert.equal(r2.statusCode, 400);
  assert.equal(r2.json().error.param, 'prompt');
  await bad.close();
});

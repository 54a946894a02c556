// The real server on 127.0.0.1 (port 0, worker threads, the tiny golden GPT-2 and BERT) driven by the
// official `openai` npm client, by the exact request pre-1.0 openai-python sends, and by bad requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import OpenAI from 'openai';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { needShared } from '../helpers/shared.js';
import { TINY_CHAT_TEMPLATE } from '../unit/server/fixtures.js';

const NO_EOS = { '299': -100 }; // keep the random model from ending early, so lengths are exact

/** POST with raw headers and body, as a given client would send them. */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('real server with the official openai client', async (t) => {
  const gpt2 = needShared(t, 'golden', 'gpt2-tiny-random', 'vocab.json');
  const bert = needShared(t, 'golden', 'bert-tiny-random', 'vocab.txt');
  if (!gpt2 || !bert) return;
  let server: RunningServer | null = null;
  try {
    server = await startServer({
      port: 0,
      bodyLimit: 64 * 1024,
      webRoot: null,
      models: [
        { name: 'tiny-gpt2', source: gpt2.replace(/\/vocab\.json$/, ''), chatTemplate: TINY_CHAT_TEMPLATE },
        { name: 'tiny-bert', source: bert.replace(/\/vocab\.txt$/, '') },
      ],
    });
    const s = server;
    assert.match(s.baseURL, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const client = new OpenAI({ baseURL: s.baseURL, apiKey: 'sk-unused', maxRetries: 0 });

    await t.test('models list and retrieve', async () => {
      const list = await client.models.list();
      assert.deepEqual(list.data.map((m) => m.id), ['tiny-gpt2', 'tiny-bert']);
      assert.equal(list.data[0]!.object, 'model');
      assert.equal((await client.models.retrieve('tiny-bert')).id, 'tiny-bert');
    });

    await t.test('completions: n=2, seed reproducible, usage counts, finish_reason length', async () => {
      const req = { model: 'tiny-gpt2', prompt: 'hello world', max_tokens: 8, n: 2, seed: 42, temperature: 1, logit_bias: NO_EOS };
      const a = await client.completions.create(req);
      const b = await client.completions.create(req);
      assert.match(a.id, /^cmpl-/);
      assert.equal(a.object, 'text_completion');
      assert.equal(a.choices.length, 2);
      assert.deepEqual(a.choices.map((c) => c.index), [0, 1]);
      assert.deepEqual(a.choices.map((c) => c.text), b.choices.map((c) => c.text), 'same seed, same texts');
      assert.notEqual(a.choices[0]!.text, a.choices[1]!.text, 'the two choices are different samples');
      for (const c of a.choices) assert.equal(c.finish_reason, 'length');
      assert.equal(a.usage!.completion_tokens, 16);
      assert.equal(a.usage!.total_tokens, a.usage!.prompt_tokens + 16);
    });

    await t.test('completions: a stop string cuts the text before it, finish_reason stop', async () => {
      const base = { model: 'tiny-gpt2', prompt: 'the cat', max_tokens: 20, temperature: 0, logit_bias: NO_EOS };
      const full = (await client.completions.create(base)).choices[0]!.text;
      assert.ok(full.length >= 6, `greedy text long enough: ${JSON.stringify(full)}`);
      const stop = full.slice(3, 5);
      const cut = await client.completions.create({ ...base, stop: [stop, 'never-there'] });
      assert.equal(cut.choices[0]!.text, full.slice(0, full.indexOf(stop)));
      assert.equal(cut.choices[0]!.finish_reason, 'stop');
    });

    await t.test('completions: logprobs, echo and token-id prompts', async () => {
      const r = await client.completions.create({ model: 'tiny-gpt2', prompt: [[10, 20, 30]], max_tokens: 3, logprobs: 2, echo: true, temperature: 0, logit_bias: NO_EOS });
      const lp = r.choices[0]!.logprobs!;
      assert.equal(lp.tokens!.length, 6); // 3 prompt + 3 generated
      assert.equal(lp.token_logprobs![0], null);
      for (const x of lp.token_logprobs!.slice(1)) assert.ok(typeof x === 'number' && x <= 0);
      assert.equal(Object.keys(lp.top_logprobs![4]!).length, 2);
      assert.equal(r.usage!.prompt_tokens, 3);
    });

    await t.test('streamed chat with include_usage', async () => {
      const stream = await client.chat.completions.create({
        model: 'tiny-gpt2',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 6,
        stream: true,
        stream_options: { include_usage: true },
        logit_bias: NO_EOS,
        seed: 1,
      });
      let text = '';
      let usage = null;
      let finish = null;
      let chunks = 0;
      for await (const c of stream) {
        chunks++;
        assert.equal(c.object, 'chat.completion.chunk');
        if (c.usage) usage = c.usage;
        const ch = c.choices[0];
        if (ch?.delta?.content) text += ch.delta.content;
        if (ch?.finish_reason) finish = ch.finish_reason;
      }
      assert.ok(chunks >= 3);
      assert.equal(finish, 'length');
      assert.ok(usage);
      assert.equal(usage!.completion_tokens, 6);
      const whole = await client.chat.completions.create({ model: 'tiny-gpt2', messages: [{ role: 'user', content: 'hi' }], max_tokens: 6, logit_bias: NO_EOS, seed: 1 });
      assert.equal(whole.choices[0]!.message.content, text, 'streamed text equals the non-streamed text for the same seed');
      assert.equal(whole.usage!.prompt_tokens, usage!.prompt_tokens);
    });

    await t.test('embeddings (the client asks for base64 and decodes it) and classify', async () => {
      const e = await client.embeddings.create({ model: 'tiny-bert', input: ['good movie', 'bad movie'] });
      assert.equal(e.data.length, 2);
      const v = e.data[0]!.embedding;
      assert.equal(v.length, 32);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
      const f = await client.embeddings.create({ model: 'tiny-bert', input: 'good movie', encoding_format: 'float' });
      assert.ok(f.data[0]!.embedding.every((x, i) => Math.abs(x - v[i]!) < 1e-6));
      const res = await fetch(`${s.baseURL}/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'tiny-bert', input: ['great'], scores: true }) });
      const c = (await res.json()) as { data: Array<{ label: string; score: number; scores: Record<string, number> }> };
      assert.ok(['negative', 'neutral', 'positive'].includes(c.data[0]!.label));
      assert.ok(Math.abs(Object.values(c.data[0]!.scores).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    });

    await t.test('an unknown model is NotFoundError', async () => {
      await assert.rejects(client.completions.create({ model: 'nope', prompt: 'x' }), (e: unknown) => e instanceof OpenAI.NotFoundError && (e as { code?: string }).code === 'model_not_found');
      await assert.rejects(client.chat.completions.create({ model: 'tiny-gpt2', messages: [{ role: 'user', content: 'x' }], max_tokens: 500 }), (e: unknown) => e instanceof OpenAI.BadRequestError && (e as { code?: string }).code === 'context_length_exceeded');
    });

    await t.test("pre-1.0 openai-python Completion.create(engine=...) request", async () => {
      // openai 0.28.1: POST {api_base}/engines/{engine}/completions, body json.dumps(params) (", " / ": " separators)
      const body = '{"prompt": "Hello, my name is", "max_tokens": 50, "n": 1, "stop": null, "temperature": 0.7}';
      const res = await rawPost(`${s.baseURL}/engines/tiny-gpt2/completions`, {
        'User-Agent': 'OpenAI/v1 PythonBindings/0.28.1',
        'Accept-Encoding': 'gzip, deflate',
        Accept: '*/*',
        Connection: 'keep-alive',
        'X-OpenAI-Client-User-Agent': '{"bindings_version": "0.28.1", "httplib": "requests", "lang": "python", "lang_version": "3.10.12", "platform": "Linux", "publisher": "openai", "uname": "Linux"}',
        Authorization: 'Bearer sk-anything',
        'Content-Type': 'application/json',
      }, body);
      assert.equal(res.status, 200, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const r = JSON.parse(res.body);
      assert.match(r.id, /^cmpl-/);
      assert.equal(r.object, 'text_completion');
      assert.equal(r.model, 'tiny-gpt2');
      assert.equal(typeof r.created, 'number');
      assert.equal(r.choices.length, 1);
      assert.equal(typeof r.choices[0].text, 'string'); // what the seed reads: response.choices[0].text
      assert.equal(r.choices[0].index, 0);
      assert.equal(r.choices[0].logprobs, null);
      assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
      assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
      assert.ok(r.usage.completion_tokens <= 50);
    });

    await t.test('bad requests over HTTP: right status, OpenAI error, server keeps serving', async () => {
      const json = { 'Content-Type': 'application/json' };
      const chat = `${s.baseURL}/chat/completions`;
      const cases: Array<[string, string, number, string | null]> = [
        ['malformed JSON', '{"model": ', 400, 'invalid_json'],
        ['JSON array', '[{"model": "tiny-gpt2"}]', 400, 'invalid_type'],
        ['missing messages', '{"model": "tiny-gpt2"}', 400, 'missing_required_parameter'],
        ['wrong type', '{"model": "tiny-gpt2", "messages": [{"role": "user", "content": "x"}], "n": "2"}', 400, 'invalid_type'],
        ['unknown field', '{"model": "tiny-gpt2", "messages": [{"role": "user", "content": "x"}], "functions": []}', 400, 'unknown_parameter'],
        ['unknown model', '{"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]}', 404, 'model_not_found'],
        ['beyond the context', '{"model": "tiny-gpt2", "messages": [{"role": "user", "content": "x"}], "max_tokens": 60}', 400, 'context_length_exceeded'],
        ['oversize body', JSON.stringify({ model: 'tiny-gpt2', messages: [{ role: 'user', content: 'x'.repeat(100_000) }] }), 413, 'request_too_large'],
      ];
      for (const [name, body, status, code] of cases) {
        const res = await rawPost(chat, json, body);
        assert.equal(res.status, status, `${name}: ${res.body}`);
        const err = JSON.parse(res.body).error;
        assert.equal(err.code, code, name);
        assert.equal(typeof err.message, 'string');
        assert.ok('param' in err && 'type' in err, name);
        const health = await fetch(`${s.url}/health`);
        assert.equal(health.status, 200, `${name}: still serving`);
      }
    });
  } finally {
    await server?.close();
  }
});

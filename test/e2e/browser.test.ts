// The chat page in headless Chromium (playwright-core driving Debian's /usr/bin/chromium): send messages,
// see the streamed reply, the conversation kept client-side, errors shown, New conversation; optional screenshot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { needShared, repoRoot } from '../helpers/shared.js';
import { TINY_CHAT_TEMPLATE } from '../unit/server/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('chat page: streamed replies, client-side conversation, errors, new conversation', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`chromium not installed: ${CHROMIUM} (apt-get install -y chromium)`);
    return;
  }
  const vocab = needShared(t, 'golden', 'gpt2-tiny-random', 'vocab.json');
  if (!vocab) return;
  let server: RunningServer | null = null;
  let browser: Browser | null = null;
  try {
    // The bundled chat model when it exists (a readable screenshot), else the tiny random GPT-2.
    const bundled = join(repoRoot, 'models', 'chat');
    const spec = existsSync(join(bundled, 'config.json')) ? { name: 'chat', source: bundled } : { name: 'tiny', source: dirname(vocab), chatTemplate: TINY_CHAT_TEMPLATE };
    server = await startServer({ port: 0, models: [spec] });
    const maxContext = server.engine.models()[0]!.maxContext;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    const bodies: Array<{ messages: Array<{ role: string; content: string }>; stream: boolean; max_tokens?: number }> = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/v1/chat/completions')) bodies.push(JSON.parse(r.postData() ?? '{}'));
    });
    await page.goto(server.url + '/');
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(await page.inputValue('#model'), spec.name);

    const send = async (text: string) => {
      await page.fill('#input', text);
      const responses: Array<import('playwright-core').Response> = [];
      const onResponse = (r: import('playwright-core').Response) => {
        if (r.url().endsWith('/v1/chat/completions')) responses.push(r);
      };
      page.on('response', onResponse);
      await page.click('#send');
      await page.waitForSelector('body[data-state="idle"]');
      page.off('response', onResponse);
      return responses.at(-1)!;
    };

    const r1 = await send('cheap chinese food');
    assert.match(String(r1.headers()['content-type']), /^text\/event-stream/);
    assert.equal(await page.locator('.msg.user').count(), 1);
    const reply = await page.locator('.msg.assistant').first().textContent();
    assert.ok(reply && reply.length > 0, 'a streamed reply appeared');
    assert.equal(await page.locator('.msg.pending').count(), 0);
    assert.equal(bodies[0]!.stream, true);

    assert.equal(bodies[0]!.max_tokens, Math.min(256, Math.floor(maxContext / 4)), 'a quarter of the context');
    const before = bodies.length;
    await send('in the north');
    assert.equal(await page.locator('.msg').count(), 4);
    assert.equal(await page.isVisible('#error'), false);
    assert.deepEqual(bodies[before]!.messages.map((m) => m.role), ['user', 'assistant', 'user'], 'the page sends the whole conversation');
    assert.equal(bodies[before]!.messages[1]!.content, reply);
    // The README's screenshot: `BERTCHAT_SCREENSHOT=docs/chat-page.png npm test browser` (never written otherwise,
    // so a test run leaves the checkout clean).
    const shot = process.env.BERTCHAT_SCREENSHOT;
    if (shot) {
      const path = isAbsolute(shot) ? shot : join(repoRoot, shot);
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path });
    }

    const long = 'word '.repeat(maxContext + 10);
    const r3 = await send(long); // beyond the model's context on its own
    assert.equal(r3.status(), 400);
    assert.equal(await page.isVisible('#error'), true);
    assert.match((await page.textContent('#error')) ?? '', /maximum context length/);
    assert.equal(await page.locator('.msg').count(), 4, 'the failed turn is not kept');
    assert.equal((await page.inputValue('#input')).trim(), long.trim(), 'its text is back in the input');

    await page.click('#new');
    assert.equal(await page.locator('.msg').count(), 0);
    assert.equal(await page.isVisible('#error'), false);
    await send('hello again');
    assert.deepEqual(bodies.at(-1)!.messages.map((m) => m.role), ['user'], 'a new conversation starts empty');
  } finally {
    await browser?.close();
    await server?.close();
  }
});

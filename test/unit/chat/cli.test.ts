// `bertchat chat` and `bertchat generate` through the CLI entry point, stdin not a TTY (one reply per line),
// with the tiny golden GPT-2 and a chat template file; the conversation lands in SQLite and resumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main.js';
import { ConversationStore } from '../../../src/chat/store.js';
import { needShared } from '../../helpers/shared.js';
import { TINY_CHAT_TEMPLATE } from '../server/fixtures.js';

async function run(argv: string[], input = ''): Promise<{ code: number; out: string; err: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  stdin.end(input);
  const code = await main(argv, { stdin, stdout, stderr });
  return { code, out, err };
}

test('bertchat chat: answers each stdin line, /state, /new, stores and resumes the session', async (t) => {
  const vocab = needShared(t, 'golden', 'gpt2-tiny-random', 'vocab.json');
  if (!vocab) return;
  const tmp = mkdtempSync(join(tmpdir(), 'bertchat-cli-chat-'));
  const template = join(tmp, 'chat.jinja');
  writeFileSync(template, TINY_CHAT_TEMPLATE);
  const db = join(tmp, 'chat.db');
  const args = ['chat', '--model', `tiny=${dirname(vocab)}`, '--chat-template', template, '--db', db, '--session', 'demo', '--max-tokens', '4', '--seed', '1'];
  const r = await run(args, 'hi\ncheap food please\n/state\n/exit\nnever read\n');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.equal(lines.length, 4, JSON.stringify(r.out)); // two replies, the state, and the final ''
  assert.equal(lines[2], 'food=?  area=?  price range=cheap');
  const store = ConversationStore.open(db);
  const msgs = store.messages(store.session('demo').id);
  assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
  assert.equal(msgs[0]!.content, 'hi');
  store.close();
  const again = await run(args, 'in the north\n/state\n/new\n/session\n');
  assert.equal(again.code, 0, again.err);
  const l2 = again.out.split('\n');
  assert.equal(l2[1], 'food=?  area=north  price range=cheap', 'state carries over the resumed session');
  assert.match(l2[2]!, /^new session chat-\d{8}-\d{6}/);
  assert.match(l2[3]!, /\(0 messages\)$/);
  const s2 = ConversationStore.open(db);
  assert.equal(s2.messages(s2.session('demo').id).length, 6);
  s2.close();
});

test('bertchat generate: streams a continuation of --prompt or stdin; greedy is deterministic', async (t) => {
  const vocab = needShared(t, 'golden', 'gpt2-tiny-random', 'vocab.json');
  if (!vocab) return;
  const args = ['generate', '--model', dirname(vocab), '--max-tokens', '6', '--temperature', '0'];
  const a = await run([...args, '--prompt', 'hello']);
  const b = await run(args, 'hello\n');
  assert.equal(a.code, 0, a.err);
  assert.ok(a.out.endsWith('\n'));
  assert.ok(a.out.length > 1);
  assert.equal(a.out, b.out);
  const bad = await run(['generate', '--model', dirname(vocab), '--max-tokens', 'lots', '--prompt', 'x']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--max-tokens/);
});

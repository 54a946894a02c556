// `bertchat serve` as a user runs it: a child process, one startup line with the URL, --api-key, SIGTERM
// to stop; with no arguments it serves the bundled models that exist (or says none exist).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { needShared, repoRoot } from '../helpers/shared.js';
import { TINY_CHAT_TEMPLATE } from '../unit/server/fixtures.js';

const BIN = join(repoRoot, 'bin', 'bertchat.js');

function serve(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => out.includes('\n') && resolve(out.split('\n')[0]!));
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  firstLine.catch(() => {}); // awaited by the tests that expect a server; a no-model run just exits
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, firstLine, exited, stderr: () => err };
}

test('bertchat serve: prints the URL, enforces --api-key, stops on SIGTERM', async (t) => {
  const vocab = needShared(t, 'golden', 'gpt2-tiny-random', 'vocab.json');
  if (!vocab) return;
  const tmp = mkdtempSync(join(tmpdir(), 'bertchat-serve-'));
  const template = join(tmp, 't.jinja');
  writeFileSync(template, TINY_CHAT_TEMPLATE);
  const s = serve(['--port', '0', '--model', `tiny=${dirname(vocab)}`, '--chat-template', `tiny=${template}`], { BERTCHAT_API_KEY: 'sk-local' });
  try {
    const line = await s.firstLine;
    const m = /at (http:\/\/127\.0\.0\.1:\d+) +\(OpenAI base URL (http:\/\/127\.0\.0\.1:\d+\/v1);/.exec(line);
    assert.ok(m, line);
    const base = m[2]!;
    assert.equal((await fetch(`${base}/models`)).status, 401);
    const ok = await fetch(`${base}/models`, { headers: { authorization: 'Bearer sk-local' } });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { data: Array<{ id: string }> }).data[0]!.id, 'tiny');
    assert.equal((await fetch(`${m[1]}/health`)).status, 200);
  } finally {
    s.child.kill('SIGTERM');
  }
  assert.equal(await s.exited, 0, s.stderr());
});

test('bertchat serve with no arguments serves the bundled models that exist', async () => {
  const bundled = ['chat', 'sentiment'].filter((m) => existsSync(join(repoRoot, 'models', m, 'config.json')));
  const s = serve(['--port', '0']);
  if (bundled.length === 0) {
    assert.equal(await s.exited, 1);
    assert.match(s.stderr(), /bundled model not found/);
    assert.match(s.stderr(), /no models to serve/);
    return;
  }
  try {
    const line = await s.firstLine;
    for (const m of bundled) assert.match(line, new RegExp(`\\b${m}\\b`));
  } finally {
    s.child.kill('SIGTERM');
  }
  assert.equal(await s.exited, 0);
});

test('bertchat serve exits 1 naming the folder when a model cannot be loaded (the loading worker is ended)', async () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'bertchat-serve-')), 'no-such-model');
  const s = serve(['--model', `x=${missing}`, '--port', '0']);
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
  const code = await s.exited;
  clearTimeout(timer);
  assert.equal(code, 1, `exit code ${code} (null = still running after 20 s): ${s.stderr()}`);
  assert.match(s.stderr(), /model folder not found/);
  assert.ok(s.stderr().includes(missing), s.stderr());
});

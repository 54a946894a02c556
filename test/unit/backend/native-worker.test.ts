// The native addon in worker threads: terminating a worker while a kernel runs (its environment torn down,
// the addon dlclose()d by Node) must not crash the process, and the pool must keep working afterwards in a new
// worker. Runs in a child process so that a crash shows up as an exit status instead of killing the runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { nativeAddonPath } from '../../../src/tensor/backend/native/index.js';

const script = (addon: string) => `
import { Worker } from 'node:worker_threads';
const src = \`
const { parentPort, workerData } = require('node:worker_threads');
const addon = require(workerData);
addon.setThreads(2);
const n = 384; const a = new Float32Array(n * n).fill(1), b = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
const x = new Float32Array(384).fill(1), w = new Float32Array(384 * 3072).fill(1), y = new Float32Array(3072);
parentPort.postMessage('ready');
for (let i = 0; ; i++) {
  addon.gemm(false, false, n, n, n, 1, 0, a, 0, n, 0, b, 0, n, 0, c, 0, n, 0, 1);
  addon.gemm(false, false, 1, 3072, 384, 1, 0, x, 0, 384, 0, w, 0, 3072, 0, y, 0, 3072, 0, 1);
  if (i === 3) parentPort.postMessage(c[0] === n && y[0] === 384 ? 'ok' : 'bad ' + c[0] + ' ' + y[0]);
}
\`;
for (let i = 0; i < 5; i++) {
  const w = new Worker(src, { eval: true, execArgv: [], workerData: ${JSON.stringify(addon)} });
  const msgs = [];
  await new Promise((r) => w.on('message', (m) => { msgs.push(m); if (msgs.length === 2) r(); }));
  if (msgs[1] !== 'ok') { console.log('wrong result: ' + msgs[1]); process.exit(3); }
  await new Promise((r) => setTimeout(r, 5 + 9 * i));
  await w.terminate(); // mid-kernel, most of the time
  await new Promise((r) => setTimeout(r, 10));
}
await new Promise((r) => setTimeout(r, 200)); // pool threads would run into unmapped code here
console.log('survived');
`;

test('native addon: terminating a worker thread mid-kernel does not crash the process', (t) => {
  if (!existsSync(nativeAddonPath)) return t.skip('native addon not built');
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script(nativeAddonPath)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.signal, null, `child died by ${res.signal}: ${res.stderr}`);
  assert.equal(res.status, 0, `child exit ${res.status}: ${res.stdout}${res.stderr}`);
  assert.match(res.stdout, /survived/);
});

// The built CLI (`node bin/bertchat.js`) on the golden BERT folders: classify / fill-mask / embed / tokenize /
// info print JSON lines whose values equal the golden outputs; bad flags exit 2 naming the flag; a missing
// model folder exits 1 with a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needShared, repoRoot } from '../helpers/shared.js';
import { readJson, readTensors } from '../helpers/golden.js';

function cli(args: string[], input?: string): { code: number; out: string; err: string; lines: unknown[] } {
  const r = spawnSync(process.execPath, ['bin/bertchat.js', ...args], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', BERTCHAT_LOG: '' },
  });
  const out = r.stdout ?? '';
  const lines = r.status === 0 && (out.startsWith('{') || out.startsWith('[')) ? out.split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  return { code: r.status ?? -1, out, err: r.stderr ?? '', lines };
}

interface Case {
  name: string;
  text?: string;
  probs: number[][];
  pred_label: string[];
  mlm_topk: Array<{ top5_ids: number[]; top5_tokens: string[] }>;
}

test('classify: golden label and softmax probabilities, one JSON line per input', (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const single = readJson<{ cases: Case[] }>(join(dir, 'cases.json')).cases.find((c) => c.name === 'single')!;
  const r = cli(['classify', '--model', dir, single.text!, 'bad movie']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.lines.length, 2);
  const first = r.lines[0] as { label: string; score: number };
  assert.equal(first.label, single.pred_label[0]);
  assert.ok(Math.abs(first.score - Math.max(...single.probs[0]!)) < 1e-5);
  // --top-k all: every label, best first, with the golden probabilities
  const all = cli(['classify', '-m', dir, '--top-k', 'all', single.text!]);
  assert.equal(all.code, 0, all.err);
  const rows = all.lines[0] as Array<{ label: string; score: number }>;
  assert.deepEqual(rows.map((x) => x.label), ['positive', 'negative', 'neutral']);
  const labels = ['negative', 'neutral', 'positive'];
  for (const x of rows) assert.ok(Math.abs(x.score - single.probs[0]![labels.indexOf(x.label)]!) < 1e-5, x.label);
  // stdin and --file give the same lines; empty lines are inputs
  const viaStdin = cli(['classify', '-m', dir, '--batch-size', '1'], `${single.text}\n\nbad movie\n`);
  assert.equal(viaStdin.code, 0, viaStdin.err);
  assert.equal(viaStdin.lines.length, 3);
  const s0 = viaStdin.lines[0] as { label: string; score: number };
  assert.equal(s0.label, first.label);
  assert.ok(Math.abs(s0.score - first.score) < 1e-6, 'batch size does not change the result');
  const f = join(mkdtempSync(join(tmpdir(), 'bertchat-cli-')), 'texts.txt');
  writeFileSync(f, `${single.text}\r\nbad movie\r\n`);
  const viaFile = cli(['classify', '-m', dir, '--file', f]);
  assert.equal(viaFile.lines.length, 2);
  viaFile.lines.forEach((x, i) => {
    const [a, b] = [x as { label: string; score: number }, r.lines[i] as { label: string; score: number }];
    assert.equal(a.label, b.label);
    assert.ok(Math.abs(a.score - b.score) < 1e-6, `line ${i}`); // float32 sums may differ in the last bit between runs
  });
});

test('fill-mask: the golden top-5 at each [MASK]', (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random-mlm');
  if (!dir) return;
  const c = readJson<{ cases: Case[] }>(join(dir, '..', 'bert-tiny-random', 'cases.json')).cases.find((x) => x.name === 'mlm_masked')!;
  const r = cli(['fill-mask', '--model', dir, c.text!, 'the movie was [MASK] .']);
  assert.equal(r.code, 0, r.err);
  const perMask = r.lines[0] as Array<Array<{ token: number; token_str: string; score: number; sequence: string }>>;
  assert.equal(perMask.length, 2);
  perMask.forEach((cands, m) => assert.deepEqual(cands.map((x) => x.token_str), c.mlm_topk[m]!.top5_tokens));
  const one = r.lines[1] as Array<{ token_str: string }>;
  assert.equal(one.length, 5);
  const top2 = cli(['fill-mask', '--model', dir, '--top-k', '2', 'the movie was [MASK] .']);
  assert.equal((top2.lines[0] as unknown[]).length, 2);
  const wanted = [one[3]!.token_str, one[1]!.token_str];
  const targeted = cli(['fill-mask', '--model', dir, '--targets', wanted.join(','), 'the movie was [MASK] .']);
  assert.deepEqual((targeted.lines[0] as Array<{ token_str: string }>).map((x) => x.token_str), [one[1]!.token_str, one[3]!.token_str]);
  const none = cli(['fill-mask', '--model', dir, 'no mask here']);
  assert.equal(none.code, 1);
  assert.match(none.err, /no mask token/);
});

test('embed: mean / cls pooling and --normalize', (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const single = readJson<{ cases: Case[] }>(join(dir, 'cases.json')).cases.find((c) => c.name === 'single')!;
  const gold = readTensors(join(dir, 'expected.safetensors')).get('single.last_hidden_state')!.data;
  const cls = cli(['embed', '-m', dir, '--pooling', 'cls', single.text!]);
  assert.equal(cls.code, 0, cls.err);
  const v = cls.lines[0] as number[];
  assert.equal(v.length, 32);
  v.forEach((x, i) => assert.ok(Math.abs(x - gold[i]!) < 1e-4, `dim ${i}`));
  const norm = cli(['embed', '-m', dir, '--normalize', single.text!, '']);
  assert.equal(norm.lines.length, 2);
  for (const row of norm.lines as number[][]) assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5);
  const tokens = cli(['embed', '-m', dir, '--pooling', 'none', single.text!]);
  assert.deepEqual([(tokens.lines[0] as number[][]).length, (tokens.lines[0] as number[][])[0]!.length], [8, 32]);
});

test('tokenize and info', (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const tok = cli(['tokenize', '-m', dir, 'This movie was really good!']);
  assert.equal(tok.code, 0, tok.err);
  assert.deepEqual((tok.lines[0] as { input_ids: number[] }).input_ids, [2, 115, 117, 112, 165, 119, 5, 3]);
  const info = cli(['info', '--json', '--model', dir]);
  assert.equal(info.code, 0, info.err);
  const o = info.lines[0] as { backend: string; threads: number; native: { available: boolean }; model: { model_type: string; num_labels: number; parameters: number } };
  assert.ok(['js', 'native'].includes(o.backend));
  assert.equal(typeof o.native.available, 'boolean');
  assert.equal(o.model.model_type, 'bert');
  assert.equal(o.model.num_labels, 3);
  assert.ok(o.model.parameters > 0);
  const text = cli(['info']);
  assert.equal(text.code, 0);
  assert.match(text.out, /^backend: (js|native)$/m);
});

test('usage errors exit 2 naming the flag; a missing model folder exits 1', (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const bad = cli(['classify', '--model', dir, '--bogus', 'x']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown option --bogus\n/);
  const negative = cli(['fill-mask', '--model', dir, '--top-k', '-3', 'x [MASK]']);
  assert.equal(negative.code, 2);
  assert.match(negative.err, /--top-k: a value that starts with '-' must be written as --top-k=VALUE/);
  const negativeEq = cli(['fill-mask', '--model', dir, '--top-k=-3', 'x [MASK]']);
  assert.equal(negativeEq.code, 2);
  assert.match(negativeEq.err, /--top-k must be an integer ≥ 1, got "-3"/);
  const noHead = cli(['fill-mask', '--model', 'models/sentiment', 'a [MASK] film']);
  assert.equal(noHead.code, 1);
  assert.match(noHead.err, /the checkpoint has no BertForMaskedLM head \(no "cls\.\*" weights\); it was saved as BertForSequenceClassification/);
  const noFile = cli(['classify', '--model', 'models/sentiment', '--file', join(repoRoot, 'no-such-inputs.txt')]);
  assert.equal(noFile.code, 1);
  assert.match(noFile.err, /--file .*no-such-inputs\.txt: no such file\n/);
  const noValue = cli(['fill-mask', '--model']);
  assert.equal(noValue.code, 2);
  assert.match(noValue.err, /--model needs a value/);
  const badK = cli(['fill-mask', '--model', dir, '--top-k', 'lots', 'x [MASK]']);
  assert.equal(badK.code, 2);
  assert.match(badK.err, /--top-k/);
  const badPool = cli(['embed', '--model', dir, '--pooling', 'max', 'x']);
  assert.equal(badPool.code, 2);
  assert.match(badPool.err, /--pooling/);
  const noModel = cli(['classify', 'x']);
  assert.equal(noModel.code, 2);
  assert.match(noModel.err, /--model/);
  const missing = cli(['classify', '--model', '/nonexistent/bertchat-model', 'x']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /model folder not found: \/nonexistent\/bertchat-model/);
  const long = cli(['classify', '--model', dir, Array.from({ length: 100 }, () => 'good').join(' ')]);
  assert.equal(long.code, 1);
  assert.match(long.err, /102 tokens.*limit of 64/);
  assert.equal(cli(['classify', '--model', dir, '--truncation', Array.from({ length: 100 }, () => 'good').join(' ')]).code, 0);
  for (const cmd of ['classify', 'fill-mask', 'embed', 'tokenize', 'info']) {
    const h = cli([cmd, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, new RegExp(`^Usage: bertchat ${cmd}`));
  }
});

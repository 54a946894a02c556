// `bertchat train-tokenizer` and `bertchat train` as a user runs them: flags, output folder, usage errors
// (exit 2), data errors naming file and line (exit 1), and Ctrl-C saving a checkpoint (exit 130) + --resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { repoRoot } from '../helpers/shared.js';

process.env['BERTCHAT_BACKEND'] = 'js';
const root = mkdtempSync(join(tmpdir(), 'bertchat-cli-train-'));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() });
  return { code, out, err };
}

const trainCsv = join(root, 'train.csv');
const rows = ['text,label'];
for (let i = 0; i < 24; i++) rows.push(`"good, fun film ${i % 4}",positive`, `"dull, bad film ${i % 4}",negative`);
writeFileSync(trainCsv, `${rows.join('\r\n')}\r\n`);
const devCsv = join(root, 'dev.csv');
writeFileSync(devCsv, 'text,label\n"fun, good",positive\n"bad, dull",negative\n');
const micro = join(root, 'micro.json');
writeFileSync(micro, JSON.stringify({ model_type: 'bert', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32 }));
const tok = join(root, 'tok');

test('train-tokenizer writes an HF tokenizer folder', async () => {
  const r = await cli(['train-tokenizer', '--type', 'wordpiece', '--vocab-size', '100', '--input', trainCsv, '--format', 'csv', '--text-column', 'text', '--output', tok]);
  assert.equal(r.code, 0, r.err);
  for (const f of ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) assert.ok(existsSync(join(tok, f)), f);
  const size = JSON.parse(r.out).vocab_size as number;
  assert.ok(size > 5 && size <= 100, String(size)); // fewer when the text has fewer merges to learn
  const b = await cli(['train-tokenizer', '--type', 'bpe', '--vocab-size', '300', '--input', trainCsv, '--output', join(root, 'bpe')]);
  assert.equal(b.code, 0, b.err);
  for (const f of ['tokenizer.json', 'vocab.json', 'merges.txt']) assert.ok(existsSync(join(root, 'bpe', f)), f);
});

test('train: classification from a preset-like config; output folder, printed config, JSON summary', async () => {
  const out = join(root, 'clf');
  const r = await cli(['train', '--objective', 'text-classification', '--config', micro, '--tokenizer', tok, '--train-file', trainCsv, '--validation-file', devCsv,
    '--output', out, '--epochs', '1', '--batch-size', '8', '--learning-rate', '1e-2', '--logging-steps', '2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /learning_rate\s+= 0\.01/);
  assert.match(r.err, /\[train\] step=2 /); // plain log lines when stderr is not a TTY
  assert.match(r.err, /\[eval\] step=6 .*eval_accuracy=/);
  const summary = JSON.parse(r.out);
  assert.equal(summary.steps, 6);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.id2label, { 0: 'negative', 1: 'positive' });
  for (const f of ['model.safetensors', 'training_args.json', 'metrics.jsonl', 'training.svg', 'tokenizer.json']) assert.ok(existsSync(join(out, f)), f);
});

test('train: usage errors exit 2, data errors exit 1 naming file and line', async () => {
  const u = await cli(['train', '--objective', 'regression', '--train-file', trainCsv, '--output', join(root, 'x'), '--config', 'tiny']);
  assert.equal(u.code, 2);
  assert.match(u.err, /--objective must be one of/);
  const m = await cli(['train', '--objective', 'text-classification', '--train-file', trainCsv, '--output', join(root, 'x')]);
  assert.equal(m.code, 2);
  const bad = join(root, 'bad.csv');
  writeFileSync(bad, 'text,label\ngood,positive\n"oops,negative\n');
  const d = await cli(['train', '--objective', 'text-classification', '--config', micro, '--tokenizer', tok, '--train-file', bad, '--output', join(root, 'y')]);
  assert.equal(d.code, 1);
  assert.match(d.err, /bad\.csv:3: unterminated quoted field/);
  const e = await cli(['train', '--objective', 'text-classification', '--config', micro, '--tokenizer', tok, '--train-file', trainCsv, '--validation-file', join(root, 'missing.csv'), '--output', join(root, 'z')]);
  assert.equal(e.code, 1);
  assert.match(e.err, /missing\.csv/);
});

test('Ctrl-C saves a checkpoint and exits 130; --resume finishes the run', async () => {
  const out = join(root, 'sigint');
  const args = ['train', '--objective', 'text-classification', '--config', micro, '--tokenizer', tok, '--train-file', trainCsv,
    '--output', out, '--max-steps', '3000', '--batch-size', '4', '--logging-steps', '1', '--save-steps', '0'];
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'bertchat.js'), ...args], { env: { ...process.env, BERTCHAT_BACKEND: 'js' } });
  let err = '';
  let sent = false;
  child.stderr.on('data', (d) => {
    err += d;
    if (!sent && /\[train\] step=3 /.test(err)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  assert.equal(code, 130, err);
  assert.match(err, /\[checkpoint\] interrupted: saved .*checkpoint-\d+/);
  const step = Number(/checkpoint-(\d+)/.exec(err)![1]);
  assert.ok(step >= 3 && step < 3000);
  const r = await cli([...args.slice(0, -6), '--max-steps', '3000', '--batch-size', '4', '--logging-steps', '1000', '--resume']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /resuming from .*checkpoint-/);
  assert.equal(JSON.parse(r.out).steps, 3000);
});

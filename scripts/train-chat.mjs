#!/usr/bin/env node
// Reproduces the bundled chat model (models/chat), see docs/chat-model.md: WOZ 2.0 dialogues → chat JSONL, a
// byte-level BPE vocabulary with the ChatML specials, then a 4-layer GPT-2 trained from scratch with the loss on
// the assistant's tokens only. About 25 minutes on 2 cores (native back end). Plain Node, no dependencies.
//
//   node scripts/train-chat.mjs OUT_DIR [--data WOZ_DIR]   → OUT_DIR/data, OUT_DIR/tok, OUT_DIR/model
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const dataFlag = args.indexOf('--data');
const out = args.find((a, i) => !a.startsWith('--') && (dataFlag < 0 || i !== dataFlag + 1));
if (!out) {
  console.error('usage: node scripts/train-chat.mjs OUT_DIR [--data WOZ_DIR]');
  process.exit(2);
}
const data = join(out, 'data');
const tok = join(out, 'tok');

function run(script, argv) {
  console.log(`$ ${script === 'bertchat' ? 'bertchat' : 'node ' + script} ${argv.join(' ')}`);
  const file = script === 'bertchat' ? join(here, '..', 'bin', 'bertchat.js') : join(here, script);
  const r = spawnSync(process.execPath, [file, ...argv], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('prepare-woz-chat.mjs', [data, ...(dataFlag >= 0 ? ['--data', resolve(args[dataFlag + 1])] : [])]);
run('bertchat', ['train-tokenizer', '--type', 'bpe', '--vocab-size', '4000', '--input', join(data, 'train-text.txt'),
  '--format', 'text', '--special-tokens', '<|endoftext|>,<|im_start|>,<|im_end|>', '--output', tok]);
run('prepare-woz-chat.mjs', ['--finish-tokenizer', tok]);
run('bertchat', ['train', '--objective', 'causal-lm', '--config', 'mini', '--tokenizer', tok,
  '--train-file', join(data, 'train.jsonl'), '--validation-file', join(data, 'validation.jsonl'),
  '--assistant-only-loss', '--max-length', '512', '--epochs', '30', '--batch-size', '8', '--learning-rate', '1e-3',
  '--warmup-ratio', '0.05', '--lr-scheduler', 'cosine', '--logging-steps', '50', '--save-total-limit', '1',
  '--early-stopping-patience', '4', '--save-dtype', 'F16', '--output', join(out, 'model')]);

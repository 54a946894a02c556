#!/usr/bin/env node
// Reproduces the bundled sentiment model (models/sentiment): a WordPiece vocabulary learned from the GLUE SST-2
// training sentences, then a small BERT classifier trained from scratch on them and validated on the stsa dev
// split. About 10 minutes on 2 cores (native back end). Plain Node, no dependencies.
//
//   node scripts/train-sentiment.mjs OUT_DIR [--data DIR]   → OUT_DIR/tok (tokenizer), OUT_DIR/model (the model)
//
// The config is written as a file because it is between the presets (tiny is 128 hidden, mini 256): 192 hidden,
// 4 layers, 3 heads, sequences up to 128 tokens; vocab_size, pad id and labels are filled in from the tokenizer
// and the data by `bertchat train`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const dataFlag = args.indexOf('--data');
const dataDir = resolve(dataFlag >= 0 ? args[dataFlag + 1] : join(here, '..', '..', 'shared', 'data', 'sst2'));
const out = args.find((a, i) => !a.startsWith('--') && (dataFlag < 0 || i !== dataFlag + 1));
if (!out) {
  console.error('usage: node scripts/train-sentiment.mjs OUT_DIR [--data DIR]');
  process.exit(2);
}

export const SENTIMENT_CONFIG = {
  architectures: ['BertForSequenceClassification'],
  model_type: 'bert',
  hidden_size: 192,
  num_hidden_layers: 4,
  num_attention_heads: 3,
  intermediate_size: 768,
  max_position_embeddings: 128,
  type_vocab_size: 2,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  vocab_size: 8000,
};

const cli = join(here, '..', 'bin', 'bertchat.js');
const train = join(dataDir, 'glue-sst2-train.label-first.crlf.tsv');
const dev = join(dataDir, 'stsa.binary.dev');
mkdirSync(out, { recursive: true });
const configPath = join(out, 'sentiment-config.json');
writeFileSync(configPath, JSON.stringify(SENTIMENT_CONFIG, null, 2) + '\n');

function bertchat(...argv) {
  console.log(`$ bertchat ${argv.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...argv], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

bertchat('train-tokenizer', '--type', 'wordpiece', '--vocab-size', '8000', '--input', train, '--format', 'tsv',
  '--text-column', 'sentence', '--output', join(out, 'tok'));
bertchat('train', '--objective', 'text-classification', '--config', configPath, '--tokenizer', join(out, 'tok'),
  '--train-file', train, '--validation-file', dev, '--label-names', 'negative,positive',
  '--max-length', '128', '--batch-size', '64', '--max-steps', '1500', '--learning-rate', '7e-4',
  '--warmup-ratio', '0.06', '--lr-scheduler', 'linear', '--eval-steps', '250', '--save-steps', '500',
  '--early-stopping-patience', '4', '--seed', '42', '--save-dtype', 'F16', '--output', join(out, 'model'));

// The trainer end to end on tiny models (js back end): output folder in HF layout, reproducible loss curves,
// resume after an interruption equal bit for bit to an uninterrupted run, early stopping, MLM and causal LM,
// and bad data failing before training starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '../../../src/tensor/index.js';
import { trainWordPiece } from '../../../src/tokenizers/train-wordpiece.js';
import { trainByteLevelBpe } from '../../../src/tokenizers/train-bpe.js';
import { saveTokenizer } from '../../../src/tokenizers/save.js';
import { train, type TrainEvent } from '../../../src/train/trainer.js';
import type { TrainingConfig } from '../../../src/train/config.js';
import { readConfig } from '../../../src/io/config.js';
import { readGenerationConfig } from '../../../src/io/generation-config.js';
import { isBertchatError } from '../../../src/util/errors.js';

setBackend('js');
const root = mkdtempSync(join(tmpdir(), 'bertchat-trainer-'));
const POS = ['a good film', 'great fun and charming', 'a wonderful moving story', 'good acting , great plot', 'charming and good'];
const NEG = ['a bad film', 'dull and boring', 'an awful mess', 'boring plot , bad acting', 'awful and dull'];
const lines: string[] = [];
for (let i = 0; i < 40; i++) lines.push(`1\t${POS[i % 5]} ${i % 3 ? 'indeed' : ''}`.trim(), `0\t${NEG[i % 5]} ${i % 3 ? 'indeed' : ''}`.trim());
const trainFile = join(root, 'train.tsv');
writeFileSync(trainFile, `label\tsentence\r\n${lines.join('\r\n')}\r\n`);
const devFile = join(root, 'dev.tsv');
writeFileSync(devFile, 'label\tsentence\n1\tgood and charming\n0\tdull and awful\n1\ta great story\n0\tbad boring film\n');
const tokDir = join(root, 'tok');
saveTokenizer(trainWordPiece([...POS, ...NEG, 'indeed story'], { vocabSize: 120 }), tokDir);
const cfgFile = join(root, 'micro.json');
writeFileSync(cfgFile, JSON.stringify({ model_type: 'bert', hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32 }));

const base = (out: string, o: Partial<TrainingConfig> = {}) => ({
  objective: 'text-classification' as const,
  trainFiles: [trainFile],
  validationFile: devFile,
  outputDir: join(root, out),
  config: cfgFile,
  tokenizer: tokDir,
  batchSize: 8,
  epochs: 2,
  learningRate: 3e-3,
  warmupRatio: 0.1,
  loggingSteps: 1,
  labelNames: ['negative', 'positive'],
  ...o,
});

function losses(dir: string): number[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'log').map((e) => e.loss);
}

test('classification from scratch: HF output layout, labels, metrics.jsonl, chart, checkpoints', async () => {
  const events: TrainEvent[] = [];
  const res = await train(base('run-a', { epochs: 4, learningRate: 2e-2 }), { onEvent: (e) => events.push(e) });
  const out = res.outputDir;
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'training_args.json', 'metrics.jsonl', 'training.svg', 'trainer_state.json', 'best/model.safetensors']) {
    assert.ok(existsSync(join(out, f)), `${f} missing`);
  }
  const cfg = readConfig(out);
  assert.deepEqual(cfg.architectures, ['BertForSequenceClassification']);
  assert.deepEqual(cfg.id2label, { 0: 'negative', 1: 'positive' });
  assert.deepEqual(cfg.label2id, { negative: 0, positive: 1 });
  const args = JSON.parse(readFileSync(join(out, 'training_args.json'), 'utf8'));
  assert.equal(args.learning_rate, 2e-2);
  assert.equal(args.objective, 'text-classification');
  assert.equal(res.globalStep, 40);
  assert.ok(existsSync(join(out, 'checkpoint-40', 'optimizer.safetensors')));
  assert.ok(existsSync(join(out, 'checkpoint-40', 'trainer_state.json')));
  const evals = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.type === 'eval');
  assert.equal(evals.length, 4); // once per epoch
  for (const k of ['eval_loss', 'eval_accuracy', 'eval_f1']) assert.equal(typeof evals[0][k], 'number');
  const svg = readFileSync(join(out, 'training.svg'), 'utf8');
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /train loss/);
  assert.ok(events.some((e) => e.type === 'start') && events.some((e) => e.type === 'step') && events.at(-1)!.type === 'done');
  const l = losses(out);
  assert.ok(mean(l.slice(-4)) < mean(l.slice(0, 4)), `loss should fall: ${l.join(' ')}`);
});

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

test('same seed, same back end: identical loss curves; another seed differs', async () => {
  const a = await train(base('rep-1', { epochs: 1, dropout: 0.1 }));
  const b = await train(base('rep-2', { epochs: 1, dropout: 0.1 }));
  const c = await train(base('rep-3', { epochs: 1, dropout: 0.1, seed: 7 }));
  assert.deepEqual(losses(a.outputDir), losses(b.outputDir));
  assert.notDeepEqual(losses(a.outputDir), losses(c.outputDir));
});

test('interrupt at step N/2 and --resume gives the same final weights, bit for bit, as an uninterrupted run', async () => {
  const o = { epochs: 3, dropout: 0.1, gradientAccumulationSteps: 2, saveSteps: 0, loadBestModelAtEnd: false } as const;
  const straight = await train(base('straight', o));
  const total = straight.totalSteps;
  const ctl = new AbortController();
  const first = await train(base('resumed', o), { signal: ctl.signal, onEvent: (e) => { if (e.type === 'step' && e.step === Math.floor(total / 2)) ctl.abort(); } });
  assert.equal(first.interrupted, true);
  assert.equal(first.globalStep, Math.floor(total / 2));
  const second = await train(base('resumed', { ...o, resume: 'latest' }));
  assert.equal(second.globalStep, total);
  const w1 = readFileSync(join(straight.outputDir, 'model.safetensors'));
  const w2 = readFileSync(join(second.outputDir, 'model.safetensors'));
  assert.ok(w1.equals(w2), 'final model.safetensors differ');
  assert.deepEqual(losses(second.outputDir), losses(straight.outputDir));
});

test('early stopping and the best model copied to the output folder', async () => {
  const res = await train(base('early', { epochs: 50, evalSteps: 2, earlyStoppingPatience: 2, metricForBestModel: 'loss', learningRate: 5e-2, warmupRatio: 0 }));
  assert.equal(res.stoppedEarly, true);
  assert.ok(res.globalStep < res.totalSteps);
  const best = readFileSync(join(res.outputDir, 'best', 'model.safetensors'));
  const final = readFileSync(join(res.outputDir, 'model.safetensors'));
  assert.ok(best.equals(final), 'the output model is the best checkpoint');
});

test('bad data fails before training: unknown label in validation names file and line', async () => {
  const bad = join(root, 'bad-dev.tsv');
  writeFileSync(bad, 'label\tsentence\n1\tgood\n2\tmeh\n');
  await assert.rejects(train(base('bad', { validationFile: bad })), (e: unknown) => {
    assert.ok(isBertchatError(e, 'DATA'));
    assert.match((e as Error).message, /bad-dev\.tsv:3: unknown label "2"/);
    return true;
  });
  assert.ok(!existsSync(join(root, 'bad', 'metrics.jsonl')), 'nothing was trained');
});

test('masked LM from scratch, then fine-tune the classifier from it (pooler and classifier newly initialised)', async () => {
  const textFile = join(root, 'text.txt');
  writeFileSync(textFile, [...POS, ...NEG, ...POS, ...NEG].join('\n'));
  const mlm = await train({ objective: 'masked-lm', trainFiles: [textFile], validationSplit: 0.2, outputDir: join(root, 'mlm'), config: cfgFile, tokenizer: tokDir, batchSize: 4, epochs: 2, learningRate: 3e-3, wholeWordMasking: true });
  assert.deepEqual(readConfig(mlm.outputDir).architectures, ['BertForMaskedLM']);
  assert.equal(typeof mlm.evalMetrics!['eval_perplexity'], 'number');
  const events: TrainEvent[] = [];
  const ft = await train({ ...base('ft', { epochs: 1 }), config: null, tokenizer: null, model: mlm.outputDir }, { onEvent: (e) => events.push(e) });
  const start = events.find((e) => e.type === 'start') as Extract<TrainEvent, { type: 'start' }>;
  assert.ok(start.notes.some((n) => n.includes('bert.pooler.dense.weight') && n.includes('classifier.weight')), start.notes.join('\n'));
  assert.equal(ft.globalStep, 10);
});

test('causal LM: GPT-2 from scratch on text blocks and dialogues with assistant-only loss', async () => {
  const tok = trainByteLevelBpe(['the cat sat on the mat', 'hello there', 'how are you ?'], { vocabSize: 300 });
  const gtok = join(root, 'gtok');
  saveTokenizer(tok, gtok);
  const gcfg = join(root, 'gpt.json');
  writeFileSync(gcfg, JSON.stringify({ model_type: 'gpt2', n_embd: 16, n_layer: 1, n_head: 2, n_positions: 64 }));
  const text = join(root, 'story.txt');
  writeFileSync(text, Array.from({ length: 30 }, () => 'the cat sat on the mat .').join('\n'));
  const res = await train({ objective: 'causal-lm', trainFiles: [text], validationSplit: 0.1, outputDir: join(root, 'clm'), config: gcfg, tokenizer: gtok, maxLength: 16, batchSize: 4, epochs: 3, learningRate: 1e-2, loggingSteps: 1 });
  assert.deepEqual(readConfig(res.outputDir).architectures, ['GPT2LMHeadModel']);
  // a decoder is saved with generation_config.json carrying its end token, as HF's save_pretrained does
  const eos = (readConfig(res.outputDir) as { eos_token_id: number }).eos_token_id;
  assert.equal(readGenerationConfig(res.outputDir)?.eos_token_id, eos);
  assert.equal(readGenerationConfig(join(root, 'run-a')), null, 'an encoder gets none');
  const l = losses(res.outputDir);
  assert.ok(mean(l.slice(-3)) < mean(l.slice(0, 3)), `loss should fall: ${l.join(' ')}`);
  const chat = join(root, 'chat.jsonl');
  writeFileSync(chat, Array.from({ length: 8 }, () => JSON.stringify({ messages: [{ role: 'user', content: 'hello there' }, { role: 'assistant', content: 'how are you ?' }] })).join('\n'));
  const d = await train({ objective: 'causal-lm', trainFiles: [chat], outputDir: join(root, 'chat'), config: gcfg, tokenizer: gtok, maxLength: 64, batchSize: 4, epochs: 1, learningRate: 1e-2, assistantOnlyLoss: true });
  assert.equal(d.globalStep, 2);
});

// Registry, Auto classes and loading rules on the golden BERT folders: golden logits through fromPretrained,
// legacy names, base_model_prefix both ways, newly initialised heads (warned), strict errors, save → load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { assertClose, ids, readJson, readTensors, readWeights } from '../../helpers/golden.js';
import { intTensor, noGrad } from '../../../src/tensor/index.js';
import { setLogLevel, setLogSink, getLogLevel } from '../../../src/util/logging.js';
import { isBertchatError } from '../../../src/util/errors.js';
import { writeSafetensors } from '../../../src/io/safetensors-write.js';
import { readSafetensors } from '../../../src/io/safetensors.js';
import { AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer } from '../../../src/models/auto.js';
import { BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification } from '../../../src/models/bert/heads.js';
import { BertModel } from '../../../src/models/bert/modeling.js';
import { DistilBertForSequenceClassification } from '../../../src/models/distilbert/heads.js';
import { MODEL_FAMILIES, architectureForTask } from '../../../src/models/registry.js';
import { saveModel } from '../../../src/models/loading.js';
import { argmax, tokenizeToTensors } from '../../../src/pipelines/inputs.js';

interface Case {
  name: string;
  input_ids: number[][];
  attention_mask: number[][] | null;
  token_type_ids: number[][] | null;
  tensors: Record<string, string>;
  probs: number[][];
  pred_label: string[];
}

/** Collects warnings logged while fn runs. */
async function warnings<T>(fn: () => Promise<T>): Promise<{ value: T; warns: string[] }> {
  const warns: string[] = [];
  const prev = getLogLevel();
  setLogLevel('warn');
  setLogSink((lvl, msg) => lvl === 'warn' && warns.push(msg));
  try {
    return { value: await fn(), warns };
  } finally {
    setLogLevel(prev);
    setLogSink((lvl, msg) => process.stderr.write(`bertchat ${lvl}: ${msg}\n`));
  }
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'bertchat-models-'));

test('registry: data per model_type, an architecture per task', () => {
  assert.deepEqual(Object.keys(MODEL_FAMILIES).sort(), ['bert', 'distilbert', 'gpt2', 'llama', 'mistral', 'qwen2']);
  assert.equal(architectureForTask('bert', 'masked-lm')[0], 'BertForMaskedLM');
  assert.equal(architectureForTask('distilbert', 'sequence-classification')[0], 'DistilBertForSequenceClassification');
  assert.equal(architectureForTask('qwen2', 'causal-lm')[0], 'Qwen2ForCausalLM');
  assert.throws(() => architectureForTask('gpt2', 'masked-lm'), (e) => isBertchatError(e, 'CONFIG') && /no masked-lm architecture/.test(e.message));
});

test('fromPretrained reproduces the golden classifier and MLM logits (plain and legacy names)', async (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const mlmDir = join(dir, '..', 'bert-tiny-random-mlm');
  const cases = readJson<{ cases: Case[] }>(join(dir, 'cases.json')).cases;
  const expected = readTensors(join(dir, 'expected.safetensors'));
  const cls = await BertForSequenceClassification.fromPretrained(dir);
  assert.ok(cls instanceof BertForSequenceClassification);
  assert.equal(cls.training, false);
  assert.ok(cls.parameters().every((p) => !p.requiresGrad));
  const auto = await AutoModelForSequenceClassification.fromPretrained(dir);
  assert.ok(auto instanceof BertForSequenceClassification);
  const mlm = await AutoModelForMaskedLM.fromPretrained(mlmDir);
  assert.ok(mlm instanceof BertForMaskedLM);
  const legacy = await BertForMaskedLM.fromPretrained(mlmDir, { weightsFile: 'model.legacy-names.safetensors' });
  for (const c of cases) {
    const inp = { inputIds: ids(c.input_ids)!, attentionMask: ids(c.attention_mask), tokenTypeIds: ids(c.token_type_ids) };
    noGrad(() => {
      assertClose(cls.forward(inp).logits.values(), expected.get(c.tensors.logits!)!.data, `${c.name} logits`);
      assertClose(mlm.forward(inp).logits.values(), expected.get(c.tensors.mlm_logits!)!.data, `${c.name} mlm_logits`);
      assertClose(legacy.forward(inp).logits.values(), expected.get(c.tensors.mlm_logits!)!.data, `${c.name} mlm_logits (legacy)`);
    });
  }
});

test('the seed example translates line for line', async (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const single = readJson<{ cases: Case[] }>(join(dir, 'cases.json')).cases.find((c) => c.name === 'single')!;
  const tokenizer = await AutoTokenizer.fromPretrained(dir);
  const model = await BertForSequenceClassification.fromPretrained(dir);
  const inputs = tokenizeToTensors(tokenizer, 'This movie was really good!');
  assert.deepEqual(Array.from(inputs.inputIds.values()), single.input_ids[0]);
  const { logits } = model.forward(inputs);
  const label = model.config.id2label[argmax(logits)];
  assert.equal(label, single.pred_label[0]);
});

test('base_model_prefix: base checkpoint into a head model and head checkpoint into the base model', async (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const expected = readTensors(join(dir, 'expected.safetensors'));
  const single = readJson<{ cases: Case[] }>(join(dir, 'cases.json')).cases.find((c) => c.name === 'single')!;
  const inp = { inputIds: ids(single.input_ids)! };
  // head checkpoint → BertModel: prefix stripped, classifier dropped with a warning
  const { value: base, warns } = await warnings(() => AutoModel.fromPretrained(dir));
  assert.ok(base instanceof BertModel);
  assert.ok(warns.some((w) => /not used by BertModel/.test(w) && /classifier\.weight/.test(w)), warns.join('\n'));
  const out = noGrad(() => base.forward(inp));
  assertClose(out.lastHiddenState.values(), expected.get('single.last_hidden_state')!.data, 'base last_hidden_state');
  assertClose(out.poolerOutput!.values(), expected.get('single.pooler_output')!.data, 'base pooler_output');
  // a base checkpoint (keys without `bert.`) → BertForSequenceClassification: classifier newly initialised, warned
  const baseDir = tmp();
  base.save(baseDir);
  const keys = [...readSafetensors(join(baseDir, 'model.safetensors')).tensors.keys()];
  assert.ok(keys.every((k) => !k.startsWith('bert.')) && keys.includes('pooler.dense.weight'));
  const { value: head, warns: w2 } = await warnings(() => BertForSequenceClassification.fromPretrained(baseDir, { config: { num_labels: 4 } }));
  assert.ok(w2.some((w) => /newly initialized: classifier\.weight, classifier\.bias/.test(w)), w2.join('\n'));
  assert.equal(Object.keys(head.config.id2label).length, 4);
  const cw = Array.from(head.classifier.weight.values());
  assert.ok(cw.some((x) => x !== 0), 'a newly initialised classifier gets N(0, initializer_range) weights, not zeros');
  assert.ok(Math.abs(Math.sqrt(cw.reduce((a, x) => a + x * x, 0) / cw.length) - 0.02) < 0.01);
  assertClose(noGrad(() => head.forward(inp)).lastHiddenState.values(), expected.get('single.last_hidden_state')!.data, 'head from base');
  // token classification from the sequence-classification checkpoint: pooler and classifier handled
  const { value: tok } = await warnings(() => AutoModelForTokenClassification.fromPretrained(dir));
  assert.ok(tok instanceof BertForTokenClassification);
});

test('strict loading: a missing encoder weight fails naming it; mis-shaped heads need ignoreMismatchedSizes', async (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const broken = tmp();
  for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json']) copyFileSync(join(dir, f), join(broken, f));
  const w = readWeights(dir);
  w.delete('bert.encoder.layer.1.output.dense.bias');
  writeSafetensors(join(broken, 'model.safetensors'), w);
  await assert.rejects(AutoModelForSequenceClassification.fromPretrained(broken), (e) => isBertchatError(e, 'CHECKPOINT') && /missing: bert\.encoder\.layer\.1\.output\.dense\.bias/.test(e.message) && e.message.includes(broken));
  // an unknown tensor is unexpected
  const extra = tmp();
  copyFileSync(join(dir, 'config.json'), join(extra, 'config.json'));
  const w2 = readWeights(dir);
  w2.set('bert.encoder.layer.0.mystery', { shape: [2], data: new Float32Array(2) });
  writeSafetensors(join(extra, 'model.safetensors'), w2);
  await assert.rejects(AutoModelForSequenceClassification.fromPretrained(extra), (e) => isBertchatError(e, 'CHECKPOINT') && /unexpected: bert\.encoder\.layer\.0\.mystery/.test(e.message));
  // a 5-label head on a 3-label checkpoint: an error, unless ignoreMismatchedSizes
  await assert.rejects(AutoModelForSequenceClassification.fromPretrained(dir, { config: { num_labels: 5 } }), (e) => isBertchatError(e, 'CHECKPOINT') && /mis-shaped: classifier\.weight/.test(e.message));
  const { value: m5, warns } = await warnings(() => AutoModelForSequenceClassification.fromPretrained(dir, { config: { num_labels: 5 }, ignoreMismatchedSizes: true }));
  assert.equal(m5.forward({ inputIds: intTensor([[2, 3]]) }).logits.shape[1], 5);
  assert.ok(warns.some((x) => /classifier\.weight \(checkpoint \[3, 32\], model \[5, 32\]\)/.test(x)), warns.join('\n'));
  // the wrong family for a class
  const distil = tmp();
  writeFileSync(join(distil, 'config.json'), JSON.stringify({ model_type: 'distilbert', dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 8, vocab_size: 10 }));
  await assert.rejects(BertForSequenceClassification.fromPretrained(distil), (e) => isBertchatError(e, 'CONFIG') && /use DistilBertForSequenceClassification/.test(e.message));
  await assert.rejects(AutoModel.fromPretrained(join(broken, 'nope')), (e) => isBertchatError(e, 'NOT_FOUND'));
});

test('save → load is bit-identical; MLM saves the tied decoder once; config has architectures and labels', async (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const mlmDir = join(dir, '..', 'bert-tiny-random-mlm');
  for (const [src, load] of [
    [dir, () => AutoModelForSequenceClassification.fromPretrained(dir)],
    [mlmDir, () => AutoModelForMaskedLM.fromPretrained(mlmDir, { weightsFile: 'model.legacy-names.safetensors' })],
  ] as const) {
    const model = await load();
    const tokenizer = await AutoTokenizer.fromPretrained(src);
    const out = tmp();
    saveModel(model, tokenizer, out);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(cfg.architectures, [model.constructor.name]);
    const saved = readSafetensors(join(out, 'model.safetensors')).tensors;
    const orig = readSafetensors(join(src, 'model.safetensors')).tensors;
    assert.deepEqual([...saved.keys()].sort(), [...orig.keys()].sort(), 'same tensor names as the HF save');
    const back = await AutoModelForMaskedLM.fromPretrained(out).catch(() => AutoModelForSequenceClassification.fromPretrained(out));
    const before = new Map(model.namedParameters());
    for (const [name, p] of back.namedParameters()) {
      const a = p.values() as Float32Array;
      const b = before.get(name)!.values() as Float32Array;
      assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), name);
    }
    const tok2 = await AutoTokenizer.fromPretrained(out);
    assert.deepEqual(tok2.encode('This movie was really good!').inputIds, tokenizer.encode('This movie was really good!').inputIds);
  }
  const cls = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const cfg = await AutoConfig.fromPretrained(dir);
  assert.deepEqual(cfg.id2label, { 0: cls.id2label['0'], 1: cls.id2label['1'], 2: cls.id2label['2'] });
});

test('decoder families load through the registry (GPT-2 legacy layout, Llama)', async (t) => {
  const g = needShared(t, 'golden', 'gpt2-tiny-random');
  if (!g) return;
  const a = await AutoModelForCausalLM.fromPretrained(g);
  const b = await AutoModelForCausalLM.fromPretrained(g, { weightsFile: 'model.legacy-names.safetensors' });
  assert.equal(a.constructor.name, 'GPT2LMHeadModel');
  const pa = new Map(a.namedParameters());
  for (const [n, p] of b.namedParameters()) assert.deepEqual(Array.from(p.values()), Array.from(pa.get(n)!.values()), n);
  const l = needShared(t, 'golden', 'llama-tiny-random');
  if (!l) return;
  assert.equal((await AutoModelForCausalLM.fromPretrained(l)).constructor.name, 'LlamaForCausalLM');
});

test('a DistilBERT folder is picked by model_type', async () => {
  const d = tmp();
  const m = new DistilBertForSequenceClassification(
    (await import('../../../src/models/distilbert/config.js')).distilBertConfig({ dim: 8, n_heads: 2, n_layers: 1, hidden_dim: 8, vocab_size: 10, max_position_embeddings: 8 }),
  );
  m.save(d);
  const back = await AutoModelForSequenceClassification.fromPretrained(d);
  assert.ok(back instanceof DistilBertForSequenceClassification);
});

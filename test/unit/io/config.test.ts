// config.json parsing: golden configs, HF defaults, validation errors naming the field and file, round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { attentionBiases, configToJSON, gpt2InnerSize, parseConfig, readConfig, writeConfig, numLabels } from '../../../src/io/config.js';
import { parseGenerationConfig, readGenerationConfig } from '../../../src/io/generation-config.js';
import { isBertchatError } from '../../../src/util/errors.js';
import { tempDir } from './helpers.js';

const configError = (field: string, file = 'cfg.json') => (e: unknown) =>
  isBertchatError(e, 'CONFIG') && e.message.includes(`"${field}"`) && e.message.includes(file);

test('golden configs parse with their values', (t) => {
  const b = needShared(t, 'golden', 'bert-tiny-random');
  if (!b) return;
  const bert = readConfig(b);
  assert.equal(bert.model_type, 'bert');
  if (bert.model_type !== 'bert') return;
  assert.equal(bert.hidden_size, 32);
  assert.equal(bert.intermediate_size, 37);
  assert.equal(bert.layer_norm_eps, 1e-12);
  assert.deepEqual(bert.id2label, { 0: 'negative', 1: 'neutral', 2: 'positive' });
  assert.equal(bert.id2label[2], 'positive');
  assert.equal(numLabels(bert), 3);
  assert.equal(bert.classifier_dropout, null);
  assert.deepEqual(bert.architectures, ['BertForSequenceClassification']);

  const gpt2 = readConfig(join(b, '..', 'gpt2-tiny-random'));
  assert.equal(gpt2.model_type, 'gpt2');
  if (gpt2.model_type !== 'gpt2') return;
  assert.equal(gpt2.n_inner, null);
  assert.equal(gpt2InnerSize(gpt2), 128);
  assert.equal(gpt2.eos_token_id, 299);
  assert.equal(gpt2.tie_word_embeddings, true);
  assert.deepEqual(gpt2.extra.summary_type, 'cls_index');

  const llama = readConfig(join(b, '..', 'llama-tiny-random', 'config.json'));
  assert.equal(llama.model_type, 'llama');
  if (llama.model_type !== 'llama') return;
  assert.equal(llama.num_key_value_heads, 2);
  assert.equal(llama.head_dim, 8);
  assert.equal(llama.tie_word_embeddings, false);
  assert.equal(llama.rope_scaling, null);
  assert.deepEqual(attentionBiases(llama), { qkv: false, o: false });

  const mlm = readConfig(join(b, '..', 'bert-tiny-random-mlm'));
  assert.deepEqual(mlm.id2label, { 0: 'LABEL_0', 1: 'LABEL_1' });

  const gen = readGenerationConfig(join(b, '..', 'llama-tiny-random'));
  assert.equal(gen?.eos_token_id, 2);
  assert.equal(gen?.max_length, 20);
  assert.equal(readGenerationConfig(b), null);
});

test('HF defaults are applied', () => {
  const bert = parseConfig({ model_type: 'bert' }, 'cfg.json');
  assert.deepEqual(
    { ...bert, extra: undefined },
    {
      model_type: 'bert', architectures: null, torch_dtype: null, id2label: { 0: 'LABEL_0', 1: 'LABEL_1' }, label2id: { LABEL_0: 0, LABEL_1: 1 },
      problem_type: null, bos_token_id: null, eos_token_id: null, pad_token_id: 0, tie_word_embeddings: true,
      vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, hidden_act: 'gelu',
      hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02,
      layer_norm_eps: 1e-12, position_embedding_type: 'absolute', use_cache: true, classifier_dropout: null, extra: undefined,
    },
  );
  const d = parseConfig({ model_type: 'distilbert', hidden_size: 64, n_heads: 4 });
  assert.ok(d.model_type === 'distilbert');
  assert.equal(d.dim, 64); // attribute_map alias
  assert.equal(d.n_layers, 6);
  assert.equal(d.hidden_dim, 3072);
  assert.equal(d.activation, 'gelu');
  assert.equal(d.seq_classif_dropout, 0.2);
  assert.equal(d.sinusoidal_pos_embds, false);
  const g = parseConfig({ model_type: 'gpt2' });
  assert.ok(g.model_type === 'gpt2');
  assert.equal(g.n_embd, 768);
  assert.equal(g.n_ctx, 1024);
  assert.equal(g.vocab_size, 50257);
  assert.equal(g.bos_token_id, 50256);
  assert.equal(g.activation_function, 'gelu_new');
  assert.equal(g.layer_norm_epsilon, 1e-5);
  assert.equal(gpt2InnerSize(g), 3072);
  const sizes = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 };
  const l = parseConfig({ model_type: 'llama', ...sizes, eos_token_id: [2, 7] });
  assert.ok(l.model_type === 'llama');
  assert.equal(l.num_key_value_heads, 4);
  assert.equal(l.head_dim, 16);
  assert.equal(l.rope_theta, 10000);
  assert.equal(l.hidden_act, 'silu');
  assert.deepEqual(l.eos_token_id, [2, 7]);
  assert.equal(l.max_position_embeddings, 2048);
  const q = parseConfig({ model_type: 'qwen2', ...sizes, num_key_value_heads: 2 });
  assert.ok(q.model_type === 'qwen2');
  assert.deepEqual(attentionBiases(q), { qkv: true, o: false });
  assert.equal(q.max_position_embeddings, 32768);
  const m = parseConfig({ model_type: 'mistral', ...sizes, head_dim: 32, rope_scaling: { type: 'linear', factor: 2 } });
  assert.ok(m.model_type === 'mistral');
  assert.equal(m.head_dim, 32);
  assert.equal(m.sliding_window, 4096);
  assert.equal(m.rope_scaling?.rope_type, 'linear');
  assert.equal(m.rope_scaling?.factor, 2);
});

test('errors: unknown model_type, missing and mistyped fields name the field and the file', () => {
  assert.throws(() => parseConfig({ model_type: 't5' }, 'cfg.json'), configError('model_type'));
  assert.throws(() => parseConfig({ hidden_size: 3 }, 'cfg.json'), configError('model_type'));
  assert.throws(() => parseConfig([], 'cfg.json'), (e: unknown) => isBertchatError(e, 'CONFIG'));
  const sizes = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 };
  for (const field of Object.keys(sizes)) {
    const c: Record<string, unknown> = { model_type: 'llama', ...sizes };
    delete c[field];
    assert.throws(() => parseConfig(c, 'cfg.json'), configError(field), field);
  }
  assert.throws(() => parseConfig({ model_type: 'bert', hidden_size: '32' }, 'cfg.json'), configError('hidden_size'));
  assert.throws(() => parseConfig({ model_type: 'bert', hidden_size: 30, num_attention_heads: 4 }, 'cfg.json'), configError('hidden_size'));
  assert.throws(() => parseConfig({ model_type: 'bert', hidden_act: 'gelux' }, 'cfg.json'), configError('hidden_act'));
  assert.throws(() => parseConfig({ model_type: 'bert', hidden_dropout_prob: 2 }, 'cfg.json'), configError('hidden_dropout_prob'));
  assert.throws(() => parseConfig({ model_type: 'bert', id2label: { a: 'x' } }, 'cfg.json'), configError('id2label'));
  assert.throws(() => parseConfig({ model_type: 'gpt2', n_layer: 1.5 }, 'cfg.json'), configError('n_layer'));
  assert.throws(() => parseConfig({ model_type: 'gpt2', tie_word_embeddings: 'yes' }, 'cfg.json'), configError('tie_word_embeddings'));
  assert.throws(() => parseConfig({ model_type: 'llama', ...sizes, num_key_value_heads: 3 }, 'cfg.json'), configError('num_key_value_heads'));
  assert.throws(() => parseConfig({ model_type: 'llama', ...sizes, eos_token_id: [1, 'x'] }, 'cfg.json'), configError('eos_token_id'));
  assert.throws(() => parseConfig({ model_type: 'llama', ...sizes, rope_scaling: { type: 'weird', factor: 2 } }, 'cfg.json'), configError('rope_scaling'));
  assert.throws(() => parseConfig({ model_type: 'llama', ...sizes, rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'cfg.json'), configError('rope_scaling'));
  assert.throws(() => parseConfig({ model_type: 'llama', ...sizes, rope_scaling: { rope_type: 'linear', factor: -1 } }, 'cfg.json'), configError('rope_scaling'));
  const ok = parseConfig({ model_type: 'llama', ...sizes, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } });
  assert.ok(ok.model_type === 'llama' && ok.rope_scaling?.rope_type === 'llama3');
  assert.throws(() => readConfig('/nonexistent/model'), (e: unknown) => isBertchatError(e, 'NOT_FOUND') && /nonexistent\/model\/config\.json/.test((e as Error).message));
  assert.throws(() => parseGenerationConfig({ eos_token_id: 'x' }, 'gen.json'), configError('eos_token_id', 'gen.json'));
});

test('configToJSON round-trips, keeping unknown fields', (t) => {
  const raw = {
    model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100,
    my_custom_field: { nested: [1, 2] }, transformers_version: '4.44.0', rope_scaling: { type: 'dynamic', factor: 2 },
  };
  const cfg = parseConfig(raw, 'cfg.json');
  const json = configToJSON(cfg);
  assert.deepEqual(json.my_custom_field, { nested: [1, 2] });
  assert.equal(json.transformers_version, '4.44.0');
  assert.equal('extra' in json, false);
  assert.equal('id2label' in json, false); // default labels are not written (as HF's diff)
  assert.deepEqual(Object.keys(json), Object.keys(json).sort());
  assert.deepEqual(parseConfig(JSON.parse(JSON.stringify(json)), 'cfg.json'), cfg);

  const b = needShared(t, 'golden', 'bert-tiny-random');
  if (!b) return;
  for (const d of ['bert-tiny-random', 'bert-tiny-random-mlm', 'gpt2-tiny-random', 'llama-tiny-random']) {
    const original = JSON.parse(readFileSync(join(b, '..', d, 'config.json'), 'utf8'));
    const c = readConfig(join(b, '..', d));
    const dir = tempDir(t);
    writeConfig(dir, c);
    const written = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    for (const [k, v] of Object.entries(original)) assert.deepEqual(written[k], v, `${d}: ${k}`);
    assert.deepEqual(readConfig(dir), { ...c }, d);
  }
});

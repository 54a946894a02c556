// Pipelines on the golden BERT folders: HF output shapes, values equal to the golden logits/probabilities,
// fill-mask top-5 equal to cases.json, padding invariance, truncation/CONTEXT_LENGTH, pairs, empty inputs,
// embeddings and token classification (with labels overridden on the golden encoder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needShared } from '../../helpers/shared.js';
import { assertClose, readJson, readTensors } from '../../helpers/golden.js';
import { intTensor, noGrad, type Tensor } from '../../../src/tensor/index.js';
import { isBertchatError } from '../../../src/util/errors.js';
import { pipeline, type LabelScore, type FillMaskCandidate, type TokenEntity, type EntityGroup } from '../../../src/pipelines/index.js';
import { groupEntities } from '../../../src/pipelines/token-classification.js';
import { tokenOffsets } from '../../../src/pipelines/offsets.js';

interface Case {
  name: string;
  text?: string;
  input_ids: number[][];
  token_type_ids: number[][] | null;
  probs: number[][];
  logits: number[][];
  pred_label: string[];
  tensors: Record<string, string>;
  mlm_topk: Array<{ batch: number; position: number; top5_ids: number[]; top5_tokens: string[]; top5_logits: number[] }>;
}

function golden(t: import('node:test').TestContext): { dir: string; mlmDir: string; cases: Case[]; expected: ReturnType<typeof readTensors> } | null {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return null;
  return { dir, mlmDir: join(dir, '..', 'bert-tiny-random-mlm'), cases: readJson<{ cases: Case[] }>(join(dir, 'cases.json')).cases, expected: readTensors(join(dir, 'expected.safetensors')) };
}

const close = (a: number, b: number, tol = 1e-5): boolean => Math.abs(a - b) <= tol;

test('text-classification: HF shapes and the golden probabilities', async (t) => {
  const g = golden(t);
  if (!g) return;
  const single = g.cases.find((c) => c.name === 'single')!;
  const clf = await pipeline('sentiment-analysis', g.dir);
  assert.equal(clf.task, 'text-classification');
  const one = await clf(single.text!);
  assert.equal(one.length, 1);
  assert.equal(one[0]!.label, 'positive');
  assert.ok(close(one[0]!.score, Math.max(...single.probs[0]!)));
  assert.deepEqual(Object.keys(one[0]!), ['label', 'score']);
  // a list: one dict per input (legacy shape)
  const many = await clf([single.text!, '', '   ']);
  assert.equal(many.length, 3);
  assert.ok(many.every((r) => typeof (r as LabelScore).label === 'string'));
  // top_k null: every label, sorted; a list → list of lists
  const all = (await clf(single.text!, { top_k: null })) as LabelScore[];
  assert.deepEqual(all.map((r) => r.label), ['positive', 'negative', 'neutral']);
  const probs = single.probs[0]!;
  for (const r of all) assert.ok(close(r.score, probs[['negative', 'neutral', 'positive'].indexOf(r.label)]!), r.label);
  const nested = await clf([single.text!, 'bad'], { topK: 2 });
  assert.equal(nested.length, 2);
  assert.equal((nested[0] as LabelScore[]).length, 2);
  // function_to_apply none → the golden logits; sigmoid → σ(logits)
  const raw = (await clf(single.text!, { top_k: null, function_to_apply: 'none' })) as LabelScore[];
  const byLabel = new Map(raw.map((r) => [r.label, r.score]));
  single.logits[0]!.forEach((l, i) => assert.ok(close(byLabel.get(['negative', 'neutral', 'positive'][i]!)!, l), `logit ${i}`));
  const sig = (await clf(single.text!, { functionToApply: 'sigmoid' })) as LabelScore[];
  assert.ok(close(sig[0]!.score, 1 / (1 + Math.exp(-Math.max(...single.logits[0]!)))));
});

test('padding invariance: a sentence scores the same alone and inside a padded batch', async (t) => {
  const g = golden(t);
  if (!g) return;
  const clf = await pipeline('text-classification', g.dir);
  const texts = ['This movie was really good!', 'bad', 'the acting was great and the movie was fun to watch , really', '', 'good'];
  const alone = await Promise.all(texts.map((x) => clf(x, { top_k: null, function_to_apply: 'none' })));
  for (const bs of [2, 3, 8]) {
    const batched = (await clf(texts, { top_k: null, function_to_apply: 'none', batchSize: bs })) as LabelScore[][];
    batched.forEach((rows, i) => {
      for (const r of rows) {
        const a = (alone[i] as LabelScore[]).find((x) => x.label === r.label)!;
        assert.ok(Math.abs(a.score - r.score) < 1e-5, `batch ${bs}, input ${i}, ${r.label}: ${a.score} vs ${r.score}`);
      }
    });
  }
  // token vectors too
  const fe = await pipeline('feature-extraction', g.dir);
  const solo = await fe(texts[1]!);
  const inBatch = await fe(texts, { batchSize: 5 });
  assertClose(solo.flat(2), inBatch[1]!.flat(2), 'hidden states of a padded row', { atol: 1e-5, rtol: 0 });
});

test('fill-mask: top-5 equals the golden mlm_topk; multiple masks give a list per mask', async (t) => {
  const g = golden(t);
  if (!g) return;
  const c = g.cases.find((x) => x.name === 'mlm_masked')!;
  const unmasker = await pipeline('fill-mask', g.mlmDir);
  const res = (await unmasker(c.text!)) as FillMaskCandidate[][];
  assert.equal(res.length, c.mlm_topk.length);
  const V = 239;
  const logits = g.expected.get(c.tensors.mlm_logits!)!.data;
  res.forEach((cands, m) => {
    const gold = c.mlm_topk[m]!;
    assert.deepEqual(cands.map((x) => x.token), gold.top5_ids, `mask ${m} ids`);
    assert.deepEqual(cands.map((x) => x.token_str), gold.top5_tokens, `mask ${m} tokens`);
    // the score is the softmax of the golden logits at that position
    const row = Array.from(logits.subarray(gold.position * V, (gold.position + 1) * V));
    const z = row.reduce((s, x) => s + Math.exp(x), 0);
    cands.forEach((x, j) => assert.ok(close(x.score, Math.exp(gold.top5_logits[j]!) / z), `mask ${m} score ${j}`));
    assert.deepEqual(Object.keys(cands[0]!), ['score', 'token', 'token_str', 'sequence']);
    assert.ok(cands[0]!.sequence.startsWith('[CLS] '), 'several masks keep special tokens, as HF');
  });
  // one mask: a flat list, special tokens skipped in `sequence`
  const one = (await unmasker('the movie was [MASK] .', { top_k: 3 })) as FillMaskCandidate[];
  assert.equal(one.length, 3);
  assert.equal(one[0]!.sequence, `the movie was ${one[0]!.token_str}.`);
  // targets (HF): only those tokens are ranked, with their full-vocabulary probabilities
  const targeted = (await unmasker('the movie was [MASK] .', { targets: [one[2]!.token_str, one[0]!.token_str, one[2]!.token_str] })) as FillMaskCandidate[];
  assert.deepEqual(targeted.map((x) => x.token), [one[0]!.token, one[2]!.token]);
  assert.deepEqual(targeted.map((x) => x.score), [one[0]!.score, one[2]!.score]);
  await assert.rejects(unmasker('the movie was [MASK] .', { targets: [] }), (e) => isBertchatError(e, 'INVALID_ARGUMENT') && /at least one target/.test(e.message));
  // a list of inputs: one result per input
  const two = (await unmasker(['the movie was [MASK] .', 'it was [MASK]'])) as FillMaskCandidate[][];
  assert.equal(two.length, 2);
  assert.equal(two[1]!.length, 5);
  await assert.rejects(unmasker('no mask here'), (e) => isBertchatError(e, 'INVALID_ARGUMENT') && /no mask token \(\[MASK\]\)/.test(e.message));
});

test('feature-extraction returns (1, T, C) per input equal to the golden hidden states; embeddings pool them', async (t) => {
  const g = golden(t);
  if (!g) return;
  const single = g.cases.find((c) => c.name === 'single')!;
  const fe = await pipeline('feature-extraction', g.dir);
  const h = await fe(single.text!);
  assert.equal(h.length, 1);
  assert.equal(h[0]!.length, 8);
  assert.equal(h[0]![0]!.length, 32);
  const gold = g.expected.get('single.last_hidden_state')!.data;
  assertClose(h.flat(2), gold, 'last_hidden_state');
  const emb = await pipeline('embeddings', g.dir);
  const mean = (await emb(single.text!)) as number[];
  const ref = Array.from({ length: 32 }, (_, c) => Array.from({ length: 8 }, (_, tt) => gold[tt * 32 + c]!).reduce((a, b) => a + b, 0) / 8);
  assertClose(mean, ref, 'mean pooling');
  const cls = (await emb(single.text!, { pooling: 'cls', normalize: true })) as number[];
  const n = Math.hypot(...Array.from(gold.subarray(0, 32)));
  assertClose(cls, Array.from(gold.subarray(0, 32), (x) => x / n), 'cls pooling, normalised');
  assert.ok(Math.abs(Math.hypot(...cls) - 1) < 1e-6);
  // mask-aware: padding in a batch does not change the mean
  const batch = (await emb([single.text!, 'a much longer sentence that forces the first one to be padded quite a lot'], { batchSize: 2 })) as number[][];
  assertClose(batch[0]!, mean, 'mean pooling inside a padded batch', { atol: 1e-5, rtol: 0 });
  const viaFe = await fe([single.text!], { pooling: 'mean' });
  assertClose(viaFe[0]!, mean, 'feature-extraction pooling option');
});

test('inputs: pairs, empty and whitespace-only texts, CONTEXT_LENGTH and truncation', async (t) => {
  const g = golden(t);
  if (!g) return;
  const clf = await pipeline('text-classification', g.dir);
  const model = clf.model;
  // a pair gets token types 1 on the second segment; the score equals a direct forward
  const pair = (await clf({ text: 'the movie', text_pair: 'was good' }, { top_k: null, function_to_apply: 'none' })) as LabelScore[];
  const enc = clf.tokenizer.encode('the movie', { textPair: 'was good' });
  assert.ok(enc.tokenTypeIds!.includes(1));
  const direct = noGrad(() => model.forward({ inputIds: intTensor([enc.inputIds]), tokenTypeIds: intTensor([enc.tokenTypeIds!]) })).logits!.values();
  for (const r of pair) assert.ok(close(r.score, direct[Number(model.config.label2id[r.label])]!));
  // '' and '   ' are [CLS] [SEP]
  const empty = (await clf(['', '   '], { top_k: null, function_to_apply: 'none' })) as LabelScore[][];
  assert.deepEqual(empty[0]!.map((r) => r.label), empty[1]!.map((r) => r.label));
  empty[0]!.forEach((r, i) => assert.ok(close(r.score, empty[1]![i]!.score, 1e-6)));
  const cs = noGrad(() => model.forward({ inputIds: intTensor([[2, 3]]) })).logits!.values();
  for (const r of empty[0]!) assert.ok(close(r.score, cs[Number(model.config.label2id[r.label])]!));
  // 100 words > 64 positions: rejected, naming the length and the limit; accepted with truncation
  const long = Array.from({ length: 100 }, () => 'good').join(' ');
  await assert.rejects(clf(['fine', long]), (e) => isBertchatError(e, 'CONTEXT_LENGTH') && /input 1 is 102 tokens long.*limit of 64/.test(e.message));
  const cut = await clf(long, { truncation: true, top_k: null, function_to_apply: 'none' });
  const ids64 = [2, ...new Array<number>(62).fill(clf.tokenizer.tokenToId('good')!), 3];
  const ref = noGrad(() => model.forward({ inputIds: intTensor([ids64]) })).logits!.values();
  for (const r of cut as LabelScore[]) assert.ok(close(r.score, ref[Number(model.config.label2id[r.label])]!));
  await assert.rejects(clf([]), (e) => isBertchatError(e, 'INVALID_ARGUMENT'));
  await assert.rejects(clf(42 as unknown as string), (e) => isBertchatError(e, 'INVALID_ARGUMENT') && /input 0/.test(e.message));
});

test('trace hook: named intermediates reach the caller through the pipeline', async (t) => {
  const g = golden(t);
  if (!g) return;
  const clf = await pipeline('text-classification', g.dir);
  const seen = new Map<string, readonly number[]>();
  await clf(['This movie was really good!', 'bad'], { trace: (name: string, x: Tensor) => seen.set(name, x.shape) });
  assert.deepEqual([...seen.keys()], [
    'embeddings',
    'encoder.layer.0.attention.probs',
    'encoder.layer.0.attention.output',
    'encoder.layer.0.output',
    'encoder.layer.1.attention.probs',
    'encoder.layer.1.attention.output',
    'encoder.layer.1.output',
    'pooler',
  ]);
  assert.deepEqual(seen.get('encoder.layer.1.attention.probs'), [2, 4, 8, 8]);
  assert.deepEqual(seen.get('pooler'), [2, 32]);
});

test('token-classification: entities with offsets, O dropped, simple aggregation', async (t) => {
  const g = golden(t);
  if (!g) return;
  const ner = await pipeline('ner', g.dir, { config: { id2label: { 0: 'O', 1: 'B-PER', 2: 'I-PER' } }, ignoreMismatchedSizes: false });
  const text = 'This movie was REALLY good, éh!';
  const ents = (await ner(text, { ignore_labels: [] })) as TokenEntity[];
  assert.deepEqual(Object.keys(ents[0]!), ['entity', 'score', 'index', 'word', 'start', 'end']);
  assert.deepEqual(ents.map((e) => e.index), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const e of ents) {
    const surface = text.slice(e.start!, e.end!).toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
    assert.equal(surface, e.word.replace(/^##/, ''), `offsets of ${e.word}`);
  }
  const noO = (await ner(text)) as TokenEntity[];
  assert.ok(noO.every((e) => e.entity !== 'O'));
  const grouped = (await ner(text, { aggregationStrategy: 'simple' })) as EntityGroup[];
  assert.ok(grouped.length > 0 && grouped.every((x) => 'entity_group' in x && x.entity_group === 'PER'));
  const batch = (await ner([text, 'good'])) as TokenEntity[][];
  assert.equal(batch.length, 2);
});

test('groupEntities follows HF group_entities (B- starts a group, I- continues the same tag)', () => {
  const e = (entity: string, word: string, start: number, end: number, score = 0.5): TokenEntity => ({ entity, score, index: 0, word, start, end });
  const groups = groupEntities([e('B-PER', 'wolf', 0, 4, 0.9), e('I-PER', '##gang', 4, 8, 0.7), e('B-LOC', 'berlin', 12, 18), e('I-LOC', 'city', 19, 23), e('B-LOC', 'paris', 24, 29), e('O', 'x', 30, 31)], (tokens) =>
    tokens.join(' ').replaceAll(' ##', ''),
  );
  assert.deepEqual(groups.map((x) => [x.entity_group, x.word, x.start, x.end]), [
    ['PER', 'wolfgang', 0, 8],
    ['LOC', 'berlin city', 12, 23],
    ['LOC', 'paris', 24, 29],
    ['O', 'x', 30, 31],
  ]);
  assert.ok(Math.abs(groups[0]!.score - 0.8) < 1e-6);
});

test('token offsets survive lower-casing, accents, [UNK] words and special tokens in the text', async (t) => {
  const g = golden(t);
  if (!g) return;
  const ner = await pipeline('ner', g.dir);
  const tok = ner.tokenizer;
  const text = 'Ünïcode  movie [MASK] zzqx!';
  const enc = tok.encode(text);
  const special = enc.inputIds.map((id) => id === tok.clsTokenId || id === tok.sepTokenId);
  const offs = tokenOffsets(tok, text, enc.tokens!, special);
  assert.equal(offs[0], null);
  assert.equal(offs[offs.length - 1], null);
  const spans = offs.slice(1, -1).map((o) => (o ? text.slice(o[0], o[1]) : null));
  assert.ok(spans.every((s) => s !== null), JSON.stringify(spans));
  assert.ok(spans.includes('movie') && spans.includes('[MASK]') && spans.includes('!'), JSON.stringify(spans));
});

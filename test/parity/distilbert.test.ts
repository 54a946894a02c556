// DistilBERT has no golden: a tiny random checkpoint built here is checked against an independent float64
// re-implementation written from HF modeling_distilbert.py, plus two equivalences: DistilBERT with BERT's
// golden weights (token type 0 folded into the positions) equals BERT, and save → load is bit-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needShared } from '../helpers/shared.js';
import { assertClose, readJson, readTensors, readWeights } from '../helpers/golden.js';
import { availableBackends, intTensor, noGrad, withBackend, type Tensor } from '../../src/tensor/index.js';
import { Rng } from '../../src/util/rng.js';
import { distilBertConfig, type DistilBertConfig } from '../../src/models/distilbert/config.js';
import { DistilBertModel, sinusoidalPositions } from '../../src/models/distilbert/modeling.js';
import { DistilBertForMaskedLM, DistilBertForSequenceClassification } from '../../src/models/distilbert/heads.js';
import { AutoModel, AutoModelForMaskedLM, AutoModelForSequenceClassification } from '../../src/models/auto.js';
import { readSafetensors } from '../../src/io/safetensors.js';

const CFG = { vocab_size: 50, dim: 16, n_heads: 4, n_layers: 2, hidden_dim: 23, max_position_embeddings: 20, id2label: { 0: 'a', 1: 'b', 2: 'c' } };

/** Random weights like the goldens' (N(0, 0.2) matrices, 1 + N(0, 0.1) LayerNorm weights, N(0, 0.1) biases). */
function randomWeights(model: DistilBertForSequenceClassification | DistilBertForMaskedLM, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const rng = new Rng(seed);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, p] of model.namedParameters()) {
    const data = new Float32Array(p.size);
    const ln = /(LayerNorm|layer_norm)\.weight$/.test(name);
    for (let i = 0; i < data.length; i++) data[i] = ln ? 1 + rng.normal(0, 0.1) : rng.normal(0, p.ndim === 1 ? 0.1 : 0.2);
    out.set(name, { shape: [...p.shape], data });
  }
  return out;
}

// ---- float64 reference, written from modeling_distilbert.py ------------------------------------------------
type W = (name: string) => Float32Array;
const erf = (x: number): number => {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): ample for a 1e-4 comparison
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
};
const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));
function lin(x: number[], w: Float32Array, b: Float32Array | null, out: number): number[] {
  const inF = x.length;
  return Array.from({ length: out }, (_, o) => {
    let s = b ? b[o]! : 0;
    for (let i = 0; i < inF; i++) s += w[o * inF + i]! * x[i]!;
    return s;
  });
}
function ln(x: number[], w: Float32Array, b: Float32Array, eps = 1e-12): number[] {
  const m = x.reduce((a, c) => a + c, 0) / x.length;
  const v = x.reduce((a, c) => a + (c - m) ** 2, 0) / x.length;
  return x.map((c, i) => ((c - m) / Math.sqrt(v + eps)) * w[i]! + b[i]!);
}
function refEncoder(w: W, p: string, cfg: DistilBertConfig, ids: number[], mask: number[]): number[][] {
  const C = cfg.dim;
  const nh = cfg.n_heads;
  const hs = C / nh;
  const T = ids.length;
  const we = w(`${p}embeddings.word_embeddings.weight`);
  const pe = w(`${p}embeddings.position_embeddings.weight`);
  let h = ids.map((id, t) => ln(Array.from({ length: C }, (_, c) => we[id * C + c]! + pe[t * C + c]!), w(`${p}embeddings.LayerNorm.weight`), w(`${p}embeddings.LayerNorm.bias`)));
  for (let l = 0; l < cfg.n_layers; l++) {
    const q = `${p}transformer.layer.${l}.`;
    const Q = h.map((x) => lin(x, w(`${q}attention.q_lin.weight`), w(`${q}attention.q_lin.bias`), C).map((v) => v / Math.sqrt(hs)));
    const K = h.map((x) => lin(x, w(`${q}attention.k_lin.weight`), w(`${q}attention.k_lin.bias`), C));
    const V = h.map((x) => lin(x, w(`${q}attention.v_lin.weight`), w(`${q}attention.v_lin.bias`), C));
    const ctx = Array.from({ length: T }, () => new Array<number>(C).fill(0));
    for (let head = 0; head < nh; head++) {
      for (let i = 0; i < T; i++) {
        const s = Array.from({ length: T }, (_, j) => {
          if (!mask[j]) return -Infinity; // masked_fill(finfo.min): exp underflows to 0 either way
          let d = 0;
          for (let c = 0; c < hs; c++) d += Q[i]![head * hs + c]! * K[j]![head * hs + c]!;
          return d;
        });
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let j = 0; j < T; j++) for (let c = 0; c < hs; c++) ctx[i]![head * hs + c]! += (e[j]! / z) * V[j]![head * hs + c]!;
      }
    }
    const sa = h.map((x, i) => ln(lin(ctx[i]!, w(`${q}attention.out_lin.weight`), w(`${q}attention.out_lin.bias`), C).map((v, c) => v + x[c]!), w(`${q}sa_layer_norm.weight`), w(`${q}sa_layer_norm.bias`)));
    h = sa.map((x) => {
      const f = lin(lin(x, w(`${q}ffn.lin1.weight`), w(`${q}ffn.lin1.bias`), cfg.hidden_dim).map(gelu), w(`${q}ffn.lin2.weight`), w(`${q}ffn.lin2.bias`), C);
      return ln(f.map((v, c) => v + x[c]!), w(`${q}output_layer_norm.weight`), w(`${q}output_layer_norm.bias`));
    });
  }
  return h;
}

const IDS = [
  [2, 17, 33, 8, 49, 3],
  [2, 5, 3, 0, 0, 0],
];
const MASK = [
  [1, 1, 1, 1, 1, 1],
  [1, 1, 1, 0, 0, 0],
];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'bertchat-distil-'));
}

for (const backend of availableBackends()) {
  test(`DistilBERT sequence classification and base model vs float64 reference (${backend.name})`, async () => {
    const cfg = distilBertConfig(CFG);
    const init = new DistilBertForSequenceClassification(cfg);
    const weights = randomWeights(init, 7);
    init.loadStateDict(weights);
    const dir = tmp();
    init.save(dir);
    const model = await AutoModelForSequenceClassification.fromPretrained(dir);
    assert.ok(model instanceof DistilBertForSequenceClassification);
    const w: W = (n) => weights.get(n)!.data;
    withBackend(backend, () =>
      noGrad(() => {
        const out = model.forward({ inputIds: intTensor(IDS), attentionMask: intTensor(MASK) });
        const T = IDS[0]!.length;
        IDS.forEach((ids, b) => {
          const h = refEncoder(w, 'distilbert.', cfg, ids, MASK[b]!);
          const got = out.lastHiddenState.values().subarray(b * T * cfg.dim, (b + 1) * T * cfg.dim);
          const keep = (i: number): boolean => MASK[b]![Math.floor(i / cfg.dim)] === 1; // pad queries are implementation-defined
          assertClose(got, h.flat(), `row ${b} hidden`, { keep });
          const pooled = lin(h[0]!, w('pre_classifier.weight'), w('pre_classifier.bias'), cfg.dim).map((v) => Math.max(v, 0));
          const logits = lin(pooled, w('classifier.weight'), w('classifier.bias'), 3);
          assertClose(out.logits.values().subarray(b * 3, b * 3 + 3), logits, `row ${b} logits`);
        });
      }),
    );
    // the base model from the head checkpoint (prefix stripped, head dropped) gives the same hidden states
    const base = await AutoModel.fromPretrained(dir);
    assert.ok(base instanceof DistilBertModel);
    const a = noGrad(() => base.forward({ inputIds: intTensor(IDS), attentionMask: intTensor(MASK) })).lastHiddenState.values();
    const b = noGrad(() => model.forward({ inputIds: intTensor(IDS), attentionMask: intTensor(MASK) })).lastHiddenState.values();
    assertClose(a, b, 'base model vs head model hidden states', { atol: 1e-6, rtol: 0 });
  });

  test(`DistilBERT masked LM vs float64 reference, tied projector (${backend.name})`, async () => {
    const cfg = distilBertConfig(CFG);
    const init = new DistilBertForMaskedLM(cfg);
    const weights = randomWeights(init, 11);
    init.loadStateDict(weights);
    const dir = tmp();
    init.save(dir);
    const saved = readSafetensors(join(dir, 'model.safetensors')).tensors;
    assert.ok(!saved.has('vocab_projector.weight'), 'the tied projector weight is saved once, as the word embeddings');
    assert.ok(saved.has('vocab_projector.bias'));
    const model = await AutoModelForMaskedLM.fromPretrained(dir);
    assert.ok(model instanceof DistilBertForMaskedLM);
    const w: W = (n) => weights.get(n)!.data;
    withBackend(backend, () =>
      noGrad(() => {
        const ids = IDS[0]!;
        const logits = model.forward({ inputIds: intTensor([ids]) }).logits.values();
        const h = refEncoder(w, 'distilbert.', cfg, ids, ids.map(() => 1));
        const ref = h.flatMap((x) => {
          const t = ln(lin(x, w('vocab_transform.weight'), w('vocab_transform.bias'), cfg.dim).map(gelu), w('vocab_layer_norm.weight'), w('vocab_layer_norm.bias'));
          return lin(t, w('distilbert.embeddings.word_embeddings.weight'), w('vocab_projector.bias'), cfg.vocab_size);
        });
        assertClose(logits, ref, 'mlm logits');
      }),
    );
  });
}

test('DistilBERT save → load round trip is bit-identical; config keeps architectures and labels', async () => {
  const cfg = distilBertConfig({ ...CFG, sinusoidal_pos_embds: true });
  const init = new DistilBertForSequenceClassification(cfg);
  const weights = randomWeights(init, 3);
  weights.delete('distilbert.embeddings.position_embeddings.weight'); // keep the sinusoidal table
  const table = init.distilbert.embeddings.position_embeddings.weight;
  weights.set('distilbert.embeddings.position_embeddings.weight', { shape: [...table.shape], data: table.values() as Float32Array });
  init.loadStateDict(weights);
  const dir = tmp();
  init.save(dir);
  const json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(json.architectures, ['DistilBertForSequenceClassification']);
  assert.deepEqual(json.id2label, { 0: 'a', 1: 'b', 2: 'c' });
  assert.deepEqual(json.label2id, { a: 0, b: 1, c: 2 });
  assert.equal(json.sinusoidal_pos_embds, true);
  const back = await DistilBertForSequenceClassification.fromPretrained(dir);
  const before = new Map(init.namedParameters());
  for (const [name, p] of back.namedParameters()) {
    assert.deepEqual(Buffer.from((p.values() as Float32Array).buffer, (p.values() as Float32Array).byteOffset, p.size * 4), Buffer.from((before.get(name)!.values() as Float32Array).buffer, (before.get(name)!.values() as Float32Array).byteOffset, p.size * 4), name);
  }
  assert.equal(back.config.sinusoidal_pos_embds, true);
});

test('sinusoidal position table matches HF create_sinusoidal_embeddings', () => {
  const t = sinusoidalPositions(5, 6);
  // position 3, dims 2 and 3: angle 3 / 10000^(2/6)
  const angle = 3 / Math.pow(10000, 2 / 6);
  assert.ok(Math.abs(t[3 * 6 + 2]! - Math.sin(angle)) < 1e-7);
  assert.ok(Math.abs(t[3 * 6 + 3]! - Math.cos(angle)) < 1e-7);
  assert.equal(t[0], 0);
  assert.equal(t[1], 1);
});

/** BERT key → DistilBERT key, for the equivalence test. */
function bertToDistil(k: string): string | null {
  const m = k.match(/^bert\.encoder\.layer\.(\d+)\.(.*)$/);
  if (m) {
    const rest = m[2]!
      .replace(/^attention\.self\.query\./, 'attention.q_lin.')
      .replace(/^attention\.self\.key\./, 'attention.k_lin.')
      .replace(/^attention\.self\.value\./, 'attention.v_lin.')
      .replace(/^attention\.output\.dense\./, 'attention.out_lin.')
      .replace(/^attention\.output\.LayerNorm\./, 'sa_layer_norm.')
      .replace(/^intermediate\.dense\./, 'ffn.lin1.')
      .replace(/^output\.dense\./, 'ffn.lin2.')
      .replace(/^output\.LayerNorm\./, 'output_layer_norm.');
    return `transformer.layer.${m[1]}.${rest}`;
  }
  if (k.startsWith('bert.embeddings.') && !k.includes('token_type')) return k.slice(5);
  return null;
}

test('DistilBERT with BERT golden weights equals BERT when token types are 0', (t) => {
  const dir = needShared(t, 'golden', 'bert-tiny-random');
  if (!dir) return;
  const bert = readWeights(dir);
  const cfg = distilBertConfig({ vocab_size: 239, dim: 32, n_heads: 4, n_layers: 2, hidden_dim: 37, max_position_embeddings: 64 });
  const sd = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of bert) {
    const d = bertToDistil(k);
    if (d) sd.set(d, { shape: v.shape, data: Float32Array.from(v.data) });
  }
  // DistilBERT has no token types: fold BERT's token-type-0 row into every position embedding
  const pos = sd.get('embeddings.position_embeddings.weight')!.data;
  const tt0 = bert.get('bert.embeddings.token_type_embeddings.weight')!.data.subarray(0, 32);
  for (let i = 0; i < pos.length; i++) pos[i]! += tt0[i % 32]!;
  const model = new DistilBertModel(cfg).eval();
  model.loadStateDict(sd);
  const cases = readJson<{ cases: Array<{ name: string; input_ids: number[][]; attention_mask: number[][] | null; token_type_ids: number[][] | null; tensors: Record<string, string> }> }>(join(dir, 'cases.json')).cases;
  const expected = readTensors(join(dir, 'expected.safetensors'));
  let compared = 0;
  for (const c of cases) {
    if (c.token_type_ids && c.token_type_ids.flat().some((x) => x !== 0)) continue;
    const out = noGrad(() => model.forward({ inputIds: intTensor(c.input_ids), attentionMask: c.attention_mask ? intTensor(c.attention_mask) : null }));
    assertClose(out.lastHiddenState.values(), expected.get(c.tensors.last_hidden_state!)!.data, `${c.name} last_hidden_state`);
    compared++;
  }
  assert.ok(compared >= 4, `compared ${compared} cases`);
});

test('DistilBERT trace hook names every layer step', () => {
  const model = new DistilBertModel(distilBertConfig(CFG)).eval();
  const names: string[] = [];
  const shapes = new Map<string, readonly number[]>();
  noGrad(() =>
    model.forward({
      inputIds: intTensor([IDS[0]!]),
      trace: (n: string, x: Tensor) => {
        names.push(n);
        shapes.set(n, x.shape);
      },
    }),
  );
  assert.deepEqual(names, [
    'embeddings',
    'transformer.layer.0.attention.probs',
    'transformer.layer.0.attention.output',
    'transformer.layer.0.output',
    'transformer.layer.1.attention.probs',
    'transformer.layer.1.attention.output',
    'transformer.layer.1.output',
  ]);
  assert.deepEqual(shapes.get('transformer.layer.1.attention.probs'), [1, 4, 6, 6]);
});

// Shared checks for decoder golden parity (GPT-2 and Llama cases.json / expected.safetensors): logits of every
// case (left-padded: attended positions only), the same through the KV cache (prefill + one token at a time),
// full-sequence logits of each generation run, and the greedy runs token for token with and without the cache.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { assertClose } from '../../../helpers/golden.js';
import { getBackend, setBackend, intTensor, noGrad, type Backend, type Tensor } from '../../../../src/tensor/index.js';
import type { CausalLM } from '../../../../src/nn/causal-lm.js';
import { generateIds } from '../../../../src/generation/generate.js';

export interface DecoderCase {
  name: string;
  input_ids: number[][];
  attention_mask: number[][] | null;
  position_ids: number[][] | null;
  tensor: string;
  shape: number[];
}
export interface DecoderCases {
  cases: DecoderCase[];
  generation: { runs: { name: string; prompt_ids: number[]; new_tokens: number[]; full_sequence: number[]; tensor: string }[] };
}
type Expected = Map<string, { shape: number[]; data: ArrayLike<number> }>;

/** Runs fn with `backend` selected, across awaits (withBackend only covers synchronous code). */
export async function onBackend<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
  const prev = getBackend();
  setBackend(backend);
  try {
    return await fn();
  } finally {
    setBackend(prev);
  }
}

/** keep(i) for flat (B, T, V) indices: attended positions only (all when there is no mask). */
function keepMask(mask: number[][] | null, T: number, V: number): ((i: number) => boolean) | undefined {
  if (!mask) return undefined;
  return (i) => {
    const row = Math.floor(i / (T * V));
    const t = Math.floor(i / V) % T;
    return mask[row]![t] === 1;
  };
}

/** Logits through the KV cache: prefill the first half, then one position at a time; (B, T, V) flat. */
export function cachedLogits(model: CausalLM, c: DecoderCase): Float32Array {
  const B = c.input_ids.length;
  const T = c.input_ids[0]!.length;
  const V = model.vocabSize;
  const cache = model.newCache(B, T);
  const out = new Float32Array(B * T * V);
  const slice = (m: number[][], a: number, b: number) => intTensor(m.map((r) => r.slice(a, b)));
  let t0 = 0;
  const steps = [Math.ceil(T / 2), ...new Array<number>(T - Math.ceil(T / 2)).fill(1)];
  for (const n of steps) {
    const logits = model.forward(slice(c.input_ids, t0, t0 + n), {
      cache,
      attentionMask: c.attention_mask ? slice(c.attention_mask, 0, t0 + n) : null,
      positionIds: c.position_ids ? slice(c.position_ids, t0, t0 + n) : null,
    }); // (B, n, V)
    const lv = logits.values();
    for (let b = 0; b < B; b++) out.set(lv.subarray(b * n * V, (b + 1) * n * V), (b * T + t0) * V);
    t0 += n;
  }
  assert.equal(cache.length, T);
  return out;
}

export async function checkDecoderCases(t: TestContext, model: CausalLM, cases: DecoderCases, expected: Expected): Promise<void> {
  const V = model.vocabSize;
  noGrad(() => {
    for (const c of cases.cases) {
      const exp = expected.get(c.tensor)!;
      assert.ok(exp, `expected tensor ${c.tensor}`);
      const T = c.input_ids[0]!.length;
      const keep = keepMask(c.attention_mask && c.position_ids ? c.attention_mask : null, T, V);
      const logits: Tensor = model.forward(intTensor(c.input_ids), {
        attentionMask: c.attention_mask ? intTensor(c.attention_mask) : null,
        positionIds: c.position_ids ? intTensor(c.position_ids) : null,
      });
      assert.deepEqual(logits.shape, c.shape, `${c.name} shape`);
      assertClose(logits.values(), exp.data, `${c.name} logits`, { keep });
      const cached = cachedLogits(model, c);
      assertClose(cached, exp.data, `${c.name} logits through the KV cache`, { keep });
      assertClose(cached, logits.values(), `${c.name} cached vs uncached`, { keep });
      // last-position-only logits equal the last position of the full logits
      const last = model.forward(intTensor(c.input_ids), {
        attentionMask: c.attention_mask ? intTensor(c.attention_mask) : null,
        positionIds: c.position_ids ? intTensor(c.position_ids) : null,
        lastOnly: true,
      });
      const B = c.input_ids.length;
      const full = logits.values();
      for (let b = 0; b < B; b++) assertClose(last.values().subarray(b * V, (b + 1) * V), full.subarray((b * T + T - 1) * V, (b * T + T) * V), `${c.name} lastOnly row ${b}`, { atol: 1e-6, rtol: 1e-6 });
    }
    for (const run of cases.generation.runs) {
      const full = model.forward(intTensor([run.full_sequence]));
      assertClose(full.values(), expected.get(run.tensor)!.data, `${run.name} full_logits`);
      // the golden procedure: full forward each step, no cache
      const seq = [...run.prompt_ids];
      for (let i = 0; i < run.new_tokens.length; i++) {
        const l = model.forward(intTensor([seq]), { lastOnly: true }).values();
        let best = 0;
        for (let j = 1; j < V; j++) if (l[j]! > l[best]!) best = j;
        seq.push(best);
      }
      assert.deepEqual(seq.slice(run.prompt_ids.length), run.new_tokens, `${run.name} greedy (no cache)`);
    }
  });
  for (const run of cases.generation.runs) {
    for (const useCache of [true, false]) {
      const res = await generateIds(model, [run.prompt_ids], { maxTokens: run.new_tokens.length, temperature: 0, ignoreEos: true, useCache });
      assert.deepEqual(res[0]!.tokenIds, run.new_tokens, `${run.name} generate() greedy (cache ${useCache})`);
      assert.equal(res[0]!.finishReason, 'length');
    }
  }
  void t;
}

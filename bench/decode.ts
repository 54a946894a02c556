// Decode throughput: GPT-2-small-shaped and SmolLM2-135M-shaped models with random N(0, 0.02) weights, a 32-token
// prompt, 128 new tokens greedy, batch 1, KV cache, on the current back end. Decode is memory-bandwidth bound
// (every weight is read once per token), so tok/s tracks how close the per-token path gets to streaming weights.
import { getBackend } from '../src/tensor/index.js';
import { Rng } from '../src/util/rng.js';
import { GPT2LMHeadModel } from '../src/models/gpt2/modeling.js';
import { parseGPT2Config } from '../src/models/gpt2/config.js';
import { LlamaForCausalLM } from '../src/models/llama/modeling.js';
import { parseLlamaConfig } from '../src/models/llama/config.js';
import { generate } from '../src/generation/generate.js';
import type { CausalLM } from '../src/nn/causal-lm.js';

export interface DecodeBenchOptions {
  /** Which shapes to run (default both). */
  models?: ('gpt2' | 'smollm2')[];
  promptTokens?: number;
  newTokens?: number;
  /** Timed runs per model (default 3); tok_per_s is their median, the machine being noisy. */
  repeats?: number;
}

export interface DecodeBenchRow {
  bench: 'decode';
  model: string;
  backend: string;
  threads: number;
  prompt_tokens: number;
  new_tokens: number;
  prefill_ms: number;
  tok_per_s: number;
  /** Best of the repeats (least disturbed by other processes). */
  tok_per_s_best: number;
  repeats: number;
  /** Weights in MB (float32): what each decode step has to read. */
  weights_mb: number;
  /** Implied weight-read bandwidth, GB/s. */
  weight_gb_per_s: number;
}

/** GPT-2 small (124M): 12 layers, 768 hidden, 12 heads, vocab 50257, context 1024. */
export function gpt2SmallShaped(seed = 0): GPT2LMHeadModel {
  const cfg = parseGPT2Config({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, vocab_size: 50257, n_positions: 1024, initializer_range: 0.02 });
  return new GPT2LMHeadModel(cfg, { rng: new Rng(seed) }).eval().requiresGrad_(false);
}

/** SmolLM2-135M: 30 layers, hidden 576, 9 heads / 3 kv heads, intermediate 1536, vocab 49152, tied. */
export function smolLM2Shaped(seed = 0): LlamaForCausalLM {
  const cfg = parseLlamaConfig({
    model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3,
    vocab_size: 49152, max_position_embeddings: 8192, rope_theta: 100000, rms_norm_eps: 1e-5, tie_word_embeddings: true, initializer_range: 0.02,
  });
  return new LlamaForCausalLM(cfg, { rng: new Rng(seed) }).eval().requiresGrad_(false);
}

/** Times one greedy generation: prefill (to the first token) and the decode steps after it. */
export async function timeDecode(model: CausalLM, promptTokens: number, newTokens: number, seed = 1): Promise<{ prefillMs: number; tokPerS: number }> {
  const rng = new Rng(seed);
  const prompt = Array.from({ length: promptTokens }, () => rng.int(model.vocabSize));
  const t0 = performance.now();
  let tFirst = 0;
  let n = 0;
  for await (const ev of generate(model, [prompt], { maxTokens: newTokens, temperature: 0, ignoreEos: true })) {
    if (ev.type !== 'token') continue;
    if (++n === 1) tFirst = performance.now();
  }
  const t1 = performance.now();
  return { prefillMs: tFirst - t0, tokPerS: n > 1 ? ((n - 1) * 1000) / (t1 - tFirst) : 0 };
}

/**
 * Runs the decode benchmark on the current back end (BERTCHAT_BACKEND / setBackend).
 * @example console.table(await benchDecode({ newTokens: 32 }));
 */
export async function benchDecode(opts: DecodeBenchOptions = {}): Promise<DecodeBenchRow[]> {
  const promptTokens = opts.promptTokens ?? 32;
  const newTokens = opts.newTokens ?? 128;
  const repeats = opts.repeats ?? 3;
  const be = getBackend();
  const rows: DecodeBenchRow[] = [];
  const shapes: [string, () => CausalLM & { numParameters(): number }][] = [
    ['gpt2', () => gpt2SmallShaped()],
    ['smollm2', () => smolLM2Shaped()],
  ];
  for (const [name, make] of shapes) {
    if (opts.models && !opts.models.includes(name as 'gpt2')) continue;
    const model = make();
    await timeDecode(model, 4, 3); // warm-up: JIT, thread pool, first-touch of the weights
    const runs: { prefillMs: number; tokPerS: number }[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await timeDecode(model, promptTokens, newTokens));
    const med = <T>(xs: T[], key: (x: T) => number) => xs.map(key).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const tokPerS = med(runs, (r) => r.tokPerS);
    const prefillMs = med(runs, (r) => r.prefillMs);
    const weightsMb = (model.numParameters() * 4) / 1e6;
    rows.push({
      bench: 'decode', model: name === 'gpt2' ? 'gpt2-small-shaped' : 'smollm2-135m-shaped', backend: be.name, threads: be.threads,
      prompt_tokens: promptTokens, new_tokens: newTokens, prefill_ms: round(prefillMs), tok_per_s: round(tokPerS),
      tok_per_s_best: round(Math.max(...runs.map((r) => r.tokPerS))), repeats,
      weights_mb: round(weightsMb), weight_gb_per_s: round((weightsMb * tokPerS) / 1000),
    });
  }
  return rows;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

// `node dist/bench/decode.js [gpt2|smollm2|all] [newTokens] [repeats]` runs it directly.
if (import.meta.url === `file://${process.argv[1]}`) {
  const which = process.argv[2] as 'gpt2' | 'smollm2' | 'all' | undefined;
  const n = process.argv[3] ? Number(process.argv[3]) : undefined;
  const r = process.argv[4] ? Number(process.argv[4]) : undefined;
  const rows = await benchDecode({ ...(which && which !== 'all' ? { models: [which] } : {}), ...(n ? { newTokens: n } : {}), ...(r ? { repeats: r } : {}) });
  for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
}

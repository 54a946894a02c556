// INTERIM: a minimal sampling loop over the CausalLM interface so the server runs end to end before
// src/generation's generate() lands. Replace the body of sampleOne() with generate() then; nothing else
// in the server depends on how tokens are chosen. Batch 1, KV cache, OpenAI sampling semantics.
import { intTensor, noGrad } from '../tensor/index.js';
import type { CausalLM } from '../nn/causal-lm.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { createStreamDecoder } from '../tokenizers/index.js';
import { BertchatError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { FinishReason, TokenLogprob, TopToken } from './engine.js';

export interface SampleOptions {
  maxNew: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed: number;
  presencePenalty: number;
  frequencyPenalty: number;
  logitBias: Record<number, number>;
  logprobs: number | null;
}

export interface SamplePiece {
  text: string;
  logprobs?: TokenLogprob[];
}
export interface SampleEnd {
  reason: FinishReason;
  tokens: number;
  /** Sum of the chosen tokens' logprobs (ranks best_of samples). */
  sumLogprob: number;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** log-softmax of a row into a new array. */
export function logSoftmaxRow(x: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of x) if (v > max) max = v;
  let sum = 0;
  for (const v of x) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! - lse;
  return out;
}

/** Indices of the k largest values, largest first. */
export function topK(x: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (idx.length < k || x[i]! > x[idx[idx.length - 1]!]!) {
      let j = Math.min(idx.length, k - 1);
      idx[j] = i;
      while (j > 0 && x[idx[j - 1]!]! < x[i]!) {
        idx[j] = idx[j - 1]!;
        idx[j - 1] = i;
        j--;
      }
      if (idx.length > k) idx.length = k;
    }
  }
  return idx;
}

export function tokenInfo(tok: Tokenizer, id: number, logprob: number): TopToken {
  const token = tok.decode([id]);
  return { token, bytes: [...Buffer.from(token, 'utf8')], logprob };
}

/** Picks a token: greedy at temperature 0, else nucleus sampling of softmax(logits / T). */
function choose(logits: Float32Array, temperature: number, topP: number, rng: Rng): number {
  if (temperature === 0) return topK(logits, 1)[0]!;
  const scaled = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) scaled[i] = logits[i]! / temperature;
  const lp = logSoftmaxRow(scaled);
  const order = Array.from(lp.keys()).sort((a, b) => lp[b]! - lp[a]!);
  let keep = order.length;
  if (topP < 1) {
    let cum = 0;
    for (let i = 0; i < order.length; i++) {
      cum += Math.exp(lp[order[i]!]!);
      if (cum >= topP) {
        keep = i + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let i = 0; i < keep; i++) total += Math.exp(lp[order[i]!]!);
  let r = rng.random() * total;
  for (let i = 0; i < keep; i++) {
    r -= Math.exp(lp[order[i]!]!);
    if (r <= 0) return order[i]!;
  }
  return order[keep - 1]!;
}

/** Length of the longest suffix of `text` that is a proper prefix of some stop string (held back). */
function heldBack(text: string, stop: string[]): number {
  let best = 0;
  for (const s of stop) {
    for (let k = Math.min(s.length - 1, text.length); k > best; k--) {
      if (text.endsWith(s.slice(0, k))) {
        best = k;
        break;
      }
    }
  }
  return best;
}

/**
 * Samples one continuation of `promptIds`, yielding text pieces as they become final (stop strings are
 * never emitted; text that may start one is held back) and returning why it ended.
 */
export async function* sampleOne(lm: CausalLM, tok: Tokenizer, promptIds: number[], o: SampleOptions, signal?: AbortSignal): AsyncGenerator<SamplePiece, SampleEnd> {
  const rng = new Rng(o.seed);
  const cache = lm.newCache(1, promptIds.length + Math.max(o.maxNew, 1));
  const decoder = createStreamDecoder(tok, { skipSpecialTokens: true });
  const eos = new Set(lm.eosTokenIds);
  const counts = new Map<number, number>();
  let input = promptIds;
  let pending = '';
  let pendingLp: TokenLogprob[] = [];
  let sumLogprob = 0;
  let generated = 0;
  const piece = (text: string): SamplePiece => {
    const p: SamplePiece = { text };
    if (o.logprobs !== null) p.logprobs = pendingLp;
    pendingLp = [];
    return p;
  };
  while (generated < o.maxNew) {
    if (signal?.aborted) throw new BertchatError('CANCELLED', 'generation cancelled');
    const logits = noGrad(() => lm.forward(intTensor(Int32Array.from(input), [1, input.length]), { cache, lastOnly: true })).floats().slice();
    for (const [id, b] of Object.entries(o.logitBias)) if (Number(id) < logits.length) logits[Number(id)]! += b;
    for (const [id, c] of counts) logits[id]! -= c * o.frequencyPenalty + (c > 0 ? o.presencePenalty : 0);
    const id = choose(logits, o.temperature, o.topP, rng);
    const lp = logSoftmaxRow(logits);
    sumLogprob += lp[id]!;
    generated++;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (eos.has(id)) {
      const rest = pending + decoder.flush();
      if (rest) yield piece(rest);
      return { reason: 'stop', tokens: generated, sumLogprob };
    }
    if (o.logprobs !== null) {
      const top = topK(lp, o.logprobs).map((t) => tokenInfo(tok, t, lp[t]!));
      pendingLp.push({ ...tokenInfo(tok, id, lp[id]!), top });
    }
    pending += generated === o.maxNew ? decoder.push(id) + decoder.flush() : decoder.push(id);
    const hit = o.stop.map((s) => pending.indexOf(s)).filter((i) => i >= 0);
    if (hit.length > 0) {
      const cut = pending.slice(0, Math.min(...hit));
      if (cut) yield piece(cut);
      return { reason: 'stop', tokens: generated, sumLogprob };
    }
    const hold = generated === o.maxNew ? 0 : heldBack(pending, o.stop);
    if (pending.length > hold) {
      yield piece(pending.slice(0, pending.length - hold));
      pending = pending.slice(pending.length - hold);
    }
    input = [id];
    await tick(); // lets an abort message (or the HTTP layer, in-process) run between tokens
  }
  return { reason: 'length', tokens: generated, sumLogprob };
}

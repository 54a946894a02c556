// Logits processors: small functions that edit one row of next-token logits in place, composed in order.
// Penalties follow their sources' semantics (repetition: HF, divide positive / multiply negative logits over
// prompt + output; presence/frequency: OpenAI, subtract over output tokens); warpers (temperature, top-k,
// top-p, min-p) follow HF's and set removed tokens to -Infinity.
import { BertchatError } from '../util/errors.js';

/** What a processor may look at besides the logits. */
export interface ProcessorContext {
  /** This sequence's prompt ids (no padding). */
  readonly promptIds: readonly number[];
  /** Ids generated so far. */
  readonly outputIds: readonly number[];
  /** How often each id occurs in outputIds. */
  readonly outputCounts: ReadonlyMap<number, number>;
}

/** Edits one row of logits (length V) in place. */
export type LogitsProcessor = (logits: Float32Array, ctx: ProcessorContext) => void;

/** Runs processors left to right. */
export function composeProcessors(...ps: LogitsProcessor[]): LogitsProcessor {
  return (logits, ctx) => {
    for (const p of ps) p(logits, ctx);
  };
}

function checkNum(v: number, name: string, ok: (v: number) => boolean, what: string): void {
  if (typeof v !== 'number' || !ok(v)) throw new BertchatError('INVALID_ARGUMENT', `${name} must be ${what}, got ${v}`);
}

/**
 * HF RepetitionPenaltyLogitsProcessor: for every id already in prompt or output, logit > 0 → logit / p,
 * else logit · p (p > 1 discourages repeats).
 * @example repetitionPenalty(1.3)
 */
export function repetitionPenalty(penalty: number): LogitsProcessor {
  checkNum(penalty, 'repetitionPenalty', (v) => v > 0 && Number.isFinite(v), 'a positive number');
  return (logits, ctx) => {
    const seen = new Set<number>();
    const apply = (id: number) => {
      if (seen.has(id)) return;
      seen.add(id);
      const l = logits[id]!;
      logits[id] = l > 0 ? l / penalty : l * penalty;
    };
    for (const id of ctx.promptIds) apply(id);
    for (const id of ctx.outputIds) apply(id);
  };
}

/**
 * OpenAI presence / frequency penalties over the generated tokens: logit -= presence·[count > 0] + frequency·count.
 * @example presenceFrequencyPenalty(0.5, 0.2)
 */
export function presenceFrequencyPenalty(presence: number, frequency: number): LogitsProcessor {
  checkNum(presence, 'presencePenalty', (v) => v >= -2 && v <= 2, 'in [-2, 2]');
  checkNum(frequency, 'frequencyPenalty', (v) => v >= -2 && v <= 2, 'in [-2, 2]');
  return (logits, ctx) => {
    for (const [id, count] of ctx.outputCounts) logits[id] = logits[id]! - (presence + frequency * count);
  };
}

/**
 * OpenAI logit_bias: adds bias[id] to logit[id] (-100 effectively bans, +100 effectively forces).
 * @example logitBias({ 50256: -100 }, 50257)
 */
export function logitBias(bias: Readonly<Record<string | number, number>> | ReadonlyMap<number, number>, vocabSize: number): LogitsProcessor {
  const entries: [number, number][] = bias instanceof Map ? [...bias] : Object.entries(bias).map(([k, v]) => [Number(k), v]);
  for (const [id, b] of entries) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new BertchatError('INVALID_ARGUMENT', `logitBias: token id ${id} is outside the vocabulary [0, ${vocabSize})`);
    checkNum(b, `logitBias[${id}]`, (v) => v >= -100 && v <= 100, 'in [-100, 100]');
  }
  return (logits) => {
    for (const [id, b] of entries) logits[id] = logits[id]! + b;
  };
}

/** Divides logits by t (t > 0). */
export function temperature(t: number): LogitsProcessor {
  checkNum(t, 'temperature', (v) => v > 0 && Number.isFinite(v), 'a positive number');
  return (logits) => {
    if (t === 1) return;
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! / t;
  };
}

/** The k-th largest value of xs (k ≥ 1), without sorting all of it when k is small. */
export function kthLargest(xs: Float32Array, k: number): number {
  if (k >= xs.length) {
    let m = Infinity;
    for (let i = 0; i < xs.length; i++) if (xs[i]! < m) m = xs[i]!;
    return m;
  }
  if (k > 64) return Float32Array.from(xs).sort()[xs.length - k]!;
  // a sorted (descending) buffer of the k largest so far
  const top = new Float64Array(k).fill(-Infinity);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    if (v <= top[k - 1]!) continue;
    let j = k - 1;
    while (j > 0 && top[j - 1]! < v) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = v;
  }
  return top[k - 1]!;
}

/**
 * HF TopKLogitsWarper: keeps the k largest logits (ties with the k-th are kept), others → -Infinity.
 * @example topK(40)
 */
export function topK(k: number): LogitsProcessor {
  checkNum(k, 'topK', (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
  return (logits) => {
    if (k >= logits.length) return;
    const kth = kthLargest(logits, k);
    for (let i = 0; i < logits.length; i++) if (logits[i]! < kth) logits[i] = -Infinity;
  };
}

/** Softmax of a logits row into `out` (float64 sums). Returns max logit. */
export function softmaxInto(logits: Float32Array, out: Float64Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = logits[i]! === -Infinity ? 0 : Math.exp(logits[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < logits.length; i++) out[i] = out[i]! / sum;
  return max;
}

/**
 * HF TopPLogitsWarper (nucleus): keeps the smallest set of most likely tokens whose probabilities sum to ≥ p
 * (a token stays when the mass strictly above it is < p); at least minKeep tokens stay.
 * @example topP(0.9)
 */
export function topP(p: number, minKeep = 1): LogitsProcessor {
  checkNum(p, 'topP', (v) => v > 0 && v <= 1, 'in (0, 1]');
  return (logits) => {
    if (p >= 1) return;
    const probs = new Float64Array(logits.length);
    softmaxInto(logits, probs);
    const sorted = Float64Array.from(probs).sort().reverse(); // descending
    let above = 0; // mass of tokens strictly more likely than sorted[i]
    let threshold = sorted[0]!;
    for (let i = 0; i < sorted.length; i++) {
      if (above >= p && i >= minKeep) break;
      threshold = sorted[i]!;
      above += sorted[i]!;
    }
    for (let i = 0; i < logits.length; i++) if (probs[i]! < threshold) logits[i] = -Infinity;
  };
}

/**
 * HF MinPLogitsWarper: removes tokens whose probability is below minP · (top probability); at least minKeep stay.
 * @example minP(0.05)
 */
export function minP(mp: number, minKeep = 1): LogitsProcessor {
  checkNum(mp, 'minP', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  return (logits) => {
    if (mp <= 0) return;
    const probs = new Float64Array(logits.length);
    softmaxInto(logits, probs);
    let top = 0;
    for (let i = 0; i < probs.length; i++) if (probs[i]! > top) top = probs[i]!;
    let cut = mp * top;
    if (minKeep > 1) cut = Math.min(cut, Float64Array.from(probs).sort()[probs.length - minKeep]!);
    for (let i = 0; i < logits.length; i++) if (probs[i]! < cut) logits[i] = -Infinity;
  };
}

/** The sampling controls processors are built from (all optional; absent = off). */
export interface ProcessorOptions {
  logitBias?: Readonly<Record<string | number, number>> | ReadonlyMap<number, number>;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** 0 = greedy: penalties and bias still apply, warpers do not. */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
}

/**
 * The processor chain for a request, in vLLM's order: logit bias → repetition → presence/frequency →
 * temperature → top-k → top-p → min-p. Greedy requests (temperature 0) get no warpers.
 */
export function buildProcessors(o: ProcessorOptions, vocabSize: number): LogitsProcessor[] {
  const ps: LogitsProcessor[] = [];
  if (o.logitBias && (o.logitBias instanceof Map ? o.logitBias.size : Object.keys(o.logitBias).length) > 0) ps.push(logitBias(o.logitBias, vocabSize));
  if (o.repetitionPenalty !== undefined && o.repetitionPenalty !== 1) ps.push(repetitionPenalty(o.repetitionPenalty));
  if (o.presencePenalty || o.frequencyPenalty) ps.push(presenceFrequencyPenalty(o.presencePenalty ?? 0, o.frequencyPenalty ?? 0));
  const t = o.temperature ?? 1;
  checkNum(t, 'temperature', (v) => v >= 0 && Number.isFinite(v), 'a non-negative number');
  if (t === 0) return ps;
  if (t !== 1) ps.push(temperature(t));
  if (o.topK !== undefined && o.topK > 0) ps.push(topK(o.topK));
  if (o.topP !== undefined && o.topP < 1) ps.push(topP(o.topP));
  if (o.minP !== undefined && o.minP > 0) ps.push(minP(o.minP));
  return ps;
}

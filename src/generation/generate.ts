// generate(): an async iterator of tokens and text deltas over any CausalLM. Several prompts (left-padded with
// an attention mask and position_ids = cumsum(mask) - 1, as HF generate) and `n` choices per prompt run as one
// batch through a preallocated KV cache. Per-token: logits processors → greedy or seeded sampling → stop checks.
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../tensor/autograd.js';
import { BertchatError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { CausalLM } from '../nn/causal-lm.js';
import type { KVCache } from '../nn/kv-cache.js';
import { buildProcessors, type LogitsProcessor, type ProcessorOptions } from './processors.js';
import { argmax, logSumExp, sample, topLogprobs as topK, type TokenLogprob } from './sampling.js';
import { normalizeStops, StopStringMatcher, stopTokenSet } from './stopping.js';
import { decodeStream, type StreamDecoderLike, type TokenDecoder } from './text.js';

/** max_tokens when the caller gives none (also bounded by the context left). */
export const DEFAULT_MAX_TOKENS = 256;

export interface GenerateOptions extends ProcessorOptions {
  /** Most tokens to generate per choice (a stop token counts); 0 gives none. Default min(256, context left). */
  maxTokens?: number;
  /** Up to 4 strings; generation stops before the first occurrence, which is not part of the text. */
  stop?: string | readonly string[];
  /** Extra ids that end a choice (besides the model's EOS ids). */
  stopTokenIds?: readonly number[];
  /** Do not stop at the model's EOS ids. */
  ignoreEos?: boolean;
  /** Choices per prompt (independent samples). */
  n?: number;
  /** Seed for this request's sampling; same seed, same output. Default: a fresh random seed. */
  seed?: number | bigint;
  /** Report the log-probability of each chosen token (log-softmax of the processed logits). */
  logprobs?: boolean;
  /** Also report this many most likely alternatives per position (0–20). */
  topLogprobs?: number;
  signal?: AbortSignal;
  /** Use the KV cache (default true); false recomputes the whole sequence each step. */
  useCache?: boolean;
  /** When prompt + maxTokens exceed the context: drop prompt tokens from the left instead of failing. */
  truncatePrompt?: boolean;
  /** Id placed in left padding (masked, so any valid id); default 0. */
  padTokenId?: number;
  /** Decodes ids to text; without it (and without streamDecoder) only ids are produced. */
  decoder?: TokenDecoder;
  /** A fresh stream decoder per choice, e.g. () => createStreamDecoder(tok, { skipSpecialTokens: true }). */
  streamDecoder?: () => StreamDecoderLike;
  /** Extra processors, run after the built-in ones. */
  processors?: readonly LogitsProcessor[];
}

export type FinishReason = 'stop' | 'length';

export interface GenerationResult {
  /** Choice index: prompt · n + i. */
  choice: number;
  /** Which prompt this choice continues. */
  prompt: number;
  /** Generated ids, without a final stop token id. */
  tokenIds: number[];
  /** Generated text, without the stop string. */
  text: string;
  finishReason: FinishReason;
  /** The stop string or stop token id that ended the choice. */
  stop?: string | number;
  /** Log-probabilities of tokenIds (when requested). */
  logprobs?: number[];
  /** Alternatives per position of tokenIds (when requested). */
  topLogprobs?: TokenLogprob[][];
  /** Prompt tokens used (after any truncation). */
  promptTokens: number;
  /** Tokens generated, including a stop token id. */
  completionTokens: number;
}

/** One generated token of one choice; `text` is the new text it makes final (possibly ''). */
export interface TokenEvent {
  type: 'token';
  choice: number;
  tokenId: number;
  text: string;
  logprob?: number;
  topLogprobs?: TokenLogprob[];
}

/** The end of one choice; `text` is the last piece of its stream (held-back text that proved not to be a stop). */
export interface FinishEvent {
  type: 'finish';
  choice: number;
  text: string;
  finishReason: FinishReason;
  result: GenerationResult;
}

export type GenerationEvent = TokenEvent | FinishEvent;

interface Row {
  choice: number;
  prompt: number;
  promptIds: number[];
  out: number[];
  counts: Map<number, number>;
  rng: Rng;
  stream: StreamDecoderLike | null;
  text: string;
  emitted: number;
  done: boolean;
  logprobs: number[];
  tops: TokenLogprob[][];
  generated: number;
}

function randomSeed(): bigint {
  const a = new Uint32Array(2);
  globalThis.crypto.getRandomValues(a);
  return (BigInt(a[0]!) << 32n) | BigInt(a[1]!);
}

function intOpt(v: number | undefined, name: string, lo: number, hi: number, def: number): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < lo || v > hi) throw new BertchatError('INVALID_ARGUMENT', `${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

/** Validated prompts (truncated from the left when asked) and the token budget. */
function plan(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions): { prompts: number[][]; maxTokens: number } {
  if (prompts.length === 0) throw new BertchatError('INVALID_ARGUMENT', 'generate: no prompts given');
  const V = model.vocabSize;
  const ctx = model.maxContext;
  for (const [i, p] of prompts.entries()) {
    if (p.length === 0) throw new BertchatError('INVALID_ARGUMENT', `generate: prompt ${i} is empty (start it with a BOS token)`);
    for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= V) throw new BertchatError('INDEX_OUT_OF_RANGE', `generate: prompt ${i} has token id ${id}, outside the vocabulary [0, ${V})`);
  }
  let longest = Math.max(...prompts.map((p) => p.length));
  const maxTokens = o.maxTokens === undefined ? Math.max(0, Math.min(DEFAULT_MAX_TOKENS, ctx - longest)) : intOpt(o.maxTokens, 'maxTokens', 0, Number.MAX_SAFE_INTEGER, 0);
  let out = prompts.map((p) => [...p]);
  if (longest + maxTokens > ctx) {
    const keep = ctx - maxTokens;
    if (!o.truncatePrompt || keep < 1) {
      throw new BertchatError('CONTEXT_LENGTH', `generate: prompt of ${longest} tokens + maxTokens ${maxTokens} exceed the model's context of ${ctx} tokens${o.truncatePrompt ? '' : ' (pass truncatePrompt to drop prompt tokens from the left)'}`, {
        promptTokens: longest,
        maxTokens,
        maxContext: ctx,
      });
    }
    out = out.map((p) => (p.length > keep ? p.slice(p.length - keep) : p));
    longest = keep;
  }
  return { prompts: out, maxTokens };
}

/**
 * Generates continuations of token-id prompts, yielding each token as it is chosen and a finish event per choice.
 * Greedy at temperature 0; otherwise samples with this request's seed. Throws BertchatError('CANCELLED') when
 * `signal` aborts and CONTEXT_LENGTH when prompt + maxTokens do not fit (unless truncatePrompt).
 *
 * @example
 * for await (const ev of generate(model, [ids], { maxTokens: 32, temperature: 0.7, seed: 1, decoder: tok })) {
 *   if (ev.type === 'token') process.stdout.write(ev.text);
 *   else console.log(`\n[${ev.finishReason}]`);
 * }
 */
export async function* generate(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions = {}): AsyncGenerator<GenerationEvent, void, undefined> {
  const { prompts: ps, maxTokens } = plan(model, prompts, o);
  const V = model.vocabSize;
  const n = intOpt(o.n, 'n', 1, 128, 1);
  const nTop = intOpt(o.topLogprobs, 'topLogprobs', 0, 20, 0);
  const wantLogprobs = o.logprobs === true || nTop > 0;
  const stops = normalizeStops(o.stop);
  const makeStream = o.streamDecoder ?? (o.decoder ? () => decodeStream(o.decoder!) : null);
  if (stops.length > 0 && !makeStream) throw new BertchatError('INVALID_ARGUMENT', 'generate: stop strings need a decoder (or streamDecoder) to match text');
  const matcher = new StopStringMatcher(stops);
  const stopIds = stopTokenSet(model.eosTokenIds, o.stopTokenIds, o.ignoreEos ?? false);
  const processors = [...buildProcessors(o, V), ...(o.processors ?? [])];
  const greedy = (o.temperature ?? 1) === 0;
  if (o.seed !== undefined && typeof o.seed !== 'bigint' && !Number.isSafeInteger(o.seed)) throw new BertchatError('INVALID_ARGUMENT', `seed must be an integer, got ${o.seed}`);
  const base = new Rng(o.seed ?? randomSeed());

  const rows: Row[] = [];
  ps.forEach((p, pi) => {
    for (let i = 0; i < n; i++) {
      rows.push({
        choice: pi * n + i, prompt: pi, promptIds: p, out: [], counts: new Map(), rng: base.fork(), stream: makeStream ? makeStream() : null,
        text: '', emitted: 0, done: false, logprobs: [], tops: [], generated: 0,
      });
    }
  });

  const finish = (r: Row, reason: FinishReason, stop?: string | number): FinishEvent => {
    r.done = true;
    let finalText = r.text;
    let tail = '';
    if (reason === 'length' || typeof stop === 'number') {
      // no more tokens: whatever the stream decoder held back is final; it may still complete a stop string
      if (r.stream) r.text += r.stream.flush();
      const c = matcher.check(r.text, r.emitted, true);
      if (c.stopAt >= 0) {
        reason = 'stop';
        stop = c.stop;
        finalText = r.text.slice(0, c.stopAt);
      } else finalText = r.text;
      tail = finalText.slice(r.emitted);
    } else finalText = r.text.slice(0, matcher.check(r.text, r.emitted, true).stopAt);
    const result: GenerationResult = {
      choice: r.choice, prompt: r.prompt, tokenIds: r.out, text: finalText, finishReason: reason, promptTokens: r.promptIds.length, completionTokens: r.generated,
    };
    if (stop !== undefined) result.stop = stop;
    if (wantLogprobs) result.logprobs = r.logprobs;
    if (nTop > 0) result.topLogprobs = r.tops;
    return { type: 'finish', choice: r.choice, text: tail, finishReason: reason, result };
  };

  if (maxTokens === 0) {
    for (const r of rows) yield finish(r, 'length');
    return;
  }

  // ---- batch layout: left padding, mask and positions --------------------------------------------------
  const R = rows.length;
  const P = Math.max(...rows.map((r) => r.promptIds.length));
  const padded = rows.some((r) => r.promptIds.length !== P);
  const padId = o.padTokenId ?? 0;
  const seqs = rows.map((r) => [...new Array<number>(P - r.promptIds.length).fill(padId), ...r.promptIds]); // (R, L) grows
  const masks = rows.map((r) => [...new Array<number>(P - r.promptIds.length).fill(0), ...new Array<number>(r.promptIds.length).fill(1)]);
  const positions = masks.map((m) => {
    let c = -1;
    return m.map((v) => (v ? ++c : 1)); // cumsum(mask) - 1, pads at 1 (as HF)
  });
  const useCache = o.useCache ?? true;
  const cache: KVCache | null = useCache ? model.newCache(R, P + maxTokens) : null;
  const mat = (m: number[][], from: number) => new Tensor(Int32Array.from(m.flatMap((row) => row.slice(from))), [R, m[0]!.length - from]);

  let first = true;
  while (true) {
    if (o.signal?.aborted) throw new BertchatError('CANCELLED', 'generation cancelled', { reason: String(o.signal.reason ?? '') });
    const L = seqs[0]!.length;
    const from = cache && !first ? L - 1 : 0; // with the cache only the newest position is fed
    const logits = noGrad(() =>
      model.forward(mat(seqs, from), {
        cache,
        attentionMask: padded ? mat(masks, 0) : null,
        positionIds: padded ? mat(positions, from) : null,
        lastOnly: true,
      }),
    ).values() as Float32Array; // (R, 1, V)
    first = false;
    const events: GenerationEvent[] = [];
    for (let ri = 0; ri < R; ri++) {
      const r = rows[ri]!;
      if (r.done) continue;
      const row = logits.subarray(ri * V, (ri + 1) * V);
      const ctx = { promptIds: r.promptIds, outputIds: r.out, outputCounts: r.counts };
      for (const p of processors) p(row, ctx);
      const tok = greedy ? argmax(row) : sample(row, r.rng);
      r.generated++;
      let lp: number | undefined;
      let tops: TokenLogprob[] | undefined;
      if (wantLogprobs) {
        const lse = logSumExp(row);
        lp = row[tok]! - lse;
        if (nTop > 0) tops = topK(row, nTop, lse);
      }
      if (stopIds.has(tok)) {
        events.push(finish(r, 'stop', tok));
        continue;
      }
      r.out.push(tok);
      r.counts.set(tok, (r.counts.get(tok) ?? 0) + 1);
      if (lp !== undefined) r.logprobs.push(lp);
      if (tops) r.tops.push(tops);
      let delta = '';
      let stopFound: string | undefined;
      if (r.stream) {
        r.text += r.stream.push(tok);
        const c = matcher.check(r.text, r.emitted, false);
        delta = r.text.slice(r.emitted, c.safe);
        r.emitted = c.safe;
        stopFound = c.stop;
      }
      const ev: TokenEvent = { type: 'token', choice: r.choice, tokenId: tok, text: delta };
      if (lp !== undefined) ev.logprob = lp;
      if (tops) ev.topLogprobs = tops;
      events.push(ev);
      if (stopFound !== undefined) events.push(finish(r, 'stop', stopFound));
      else if (r.generated >= maxTokens) {
        const f = finish(r, 'length');
        r.emitted += f.text.length;
        events.push(f);
      }
    }
    for (const ev of events) yield ev;
    if (rows.every((r) => r.done)) return;
    // the next input: each row's newest token (finished rows repeat theirs; their output is ignored)
    for (let ri = 0; ri < R; ri++) {
      const r = rows[ri]!;
      const last = r.out.length > 0 ? r.out[r.out.length - 1]! : r.promptIds[r.promptIds.length - 1]!;
      seqs[ri]!.push(last);
      masks[ri]!.push(1);
      positions[ri]!.push(positions[ri]![positions[ri]!.length - 1]! + 1);
    }
    await new Promise<void>((res) => setImmediate(res)); // let timers and abort signals run between steps
  }
}

/**
 * Runs generate() to the end and returns one result per choice (in choice order).
 * @example const [r] = await generateIds(model, [[1, 2, 3]], { maxTokens: 10, temperature: 0 }); r.tokenIds
 */
export async function generateIds(model: CausalLM, prompts: readonly (readonly number[])[], o: GenerateOptions = {}): Promise<GenerationResult[]> {
  const out: GenerationResult[] = [];
  for await (const ev of generate(model, prompts, o)) if (ev.type === 'finish') out[ev.choice] = ev.result;
  return out;
}

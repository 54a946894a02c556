// The in-process Engine: runs models on the calling thread. The server's workers each hold one (worker.ts);
// `bertchat chat` uses one directly. Generation is src/generation's generate(): every OpenAI sampling field maps
// onto GenerateOptions here, and text streams through the tokenizer's stream decoder (whole characters only).
// Validation errors are BertchatErrors, thrown before the first (`prompt`) event.
import { generate, buildProcessors, normalizeStops, logSumExp, topLogprobs, argmax, type GenerateOptions, type GenerationResult } from '../generation/index.js';
import { intTensor, noGrad } from '../tensor/index.js';
import { applyChatTemplate, createStreamDecoder, type Tokenizer } from '../tokenizers/index.js';
import { BertchatError } from '../util/errors.js';
import type { ClassifyResult, EmbedResult, Engine, GenerateEvent, GenerateRequest, ModelInfo, ModelSpec, PromptTokenLogprob, TokenLogprob, TopToken } from './engine.js';
import { loadServedModel, type LoadedCausalLM, type LoadedEncoder, type LoadedModel } from './load-models.js';

function contextError(max: number, prompt: number, completion: number): BertchatError {
  return new BertchatError(
    'CONTEXT_LENGTH',
    `This model's maximum context length is ${max} tokens. However, you requested ${prompt + completion} tokens (${prompt} in the prompt, ${completion} for the completion). Please reduce the prompt or the completion length.`,
    { maxContext: max, promptTokens: prompt, completionTokens: completion },
  );
}

/** A token as OpenAI reports it: its text (decoded alone) and that text's UTF-8 bytes. */
export function tokenInfo(tok: Tokenizer, id: number, logprob: number): TopToken {
  const token = tok.decode([id]);
  return { token, bytes: [...Buffer.from(token, 'utf8')], logprob };
}

/** The GenerateOptions of a request (everything but the prompt); `samples` choices are drawn. */
export function generateOptions(req: GenerateRequest, maxTokens: number, samples: number, tok: Tokenizer, signal?: AbortSignal, stopTokenIds: readonly number[] = []): GenerateOptions {
  const o: GenerateOptions = {
    maxTokens,
    temperature: req.temperature,
    // OpenAI accepts top_p 0; generate's nucleus needs p > 0: the smallest p keeps just the most likely token(s).
    topP: req.topP > 0 ? req.topP : Number.MIN_VALUE,
    stop: req.stop,
    n: samples,
    presencePenalty: req.presencePenalty,
    frequencyPenalty: req.frequencyPenalty,
    logitBias: req.logitBias,
    // best_of ranks samples by mean token logprob, so it needs them even when the client did not ask
    logprobs: req.logprobs !== null || samples > req.n,
    topLogprobs: req.logprobs ?? 0,
    streamDecoder: () => createStreamDecoder(tok, { skipSpecialTokens: true }),
    stopTokenIds,
  };
  if (req.topK !== undefined) o.topK = req.topK;
  if (req.minP !== undefined) o.minP = req.minP;
  if (req.repetitionPenalty !== undefined) o.repetitionPenalty = req.repetitionPenalty;
  if (req.seed !== null) o.seed = req.seed;
  if (signal) o.signal = signal;
  return o;
}

export class LocalEngine implements Engine {
  private constructor(private readonly loaded: Map<string, LoadedModel>) {}

  /** Loads every spec (names must be unique). */
  static async load(specs: ModelSpec[]): Promise<LocalEngine> {
    const map = new Map<string, LoadedModel>();
    for (const s of specs) {
      if (map.has(s.name)) throw new BertchatError('INVALID_ARGUMENT', `model name "${s.name}" is given twice`);
      map.set(s.name, await loadServedModel(s));
    }
    return new LocalEngine(map);
  }

  models(): ModelInfo[] {
    return [...this.loaded.values()].map((m) => m.info);
  }
  queueDepth(): number {
    return 0;
  }
  active(): number {
    return 0;
  }
  async close(): Promise<void> {}

  /** The loaded causal LM (model and tokenizer) a name refers to, for callers that drive generate() themselves. */
  causalLM(name: string): LoadedCausalLM {
    return this.get(name, 'causal-lm');
  }

  private get<K extends LoadedModel['kind']>(name: string, kind: K): Extract<LoadedModel, { kind: K }> {
    const m = this.loaded.get(name);
    if (!m) throw new BertchatError('NOT_FOUND', `The model '${name}' does not exist`, { param: 'model' });
    if (m.kind !== kind) throw new BertchatError('INVALID_ARGUMENT', `model '${name}' is a ${m.kind} model; this endpoint needs a ${kind} model`, { param: 'model' });
    return m as Extract<LoadedModel, { kind: K }>;
  }

  private promptIds(m: LoadedCausalLM, p: GenerateRequest['prompt']): { ids: number[]; text: string } {
    const tok = m.tokenizer;
    if ('ids' in p) {
      const bad = p.ids.find((id) => !Number.isInteger(id) || id < 0 || id >= m.lm.vocabSize);
      if (bad !== undefined) throw new BertchatError('INVALID_ARGUMENT', `token id ${bad} is outside the vocabulary (size ${m.lm.vocabSize})`, { param: 'prompt' });
      return { ids: [...p.ids], text: p.ids.length ? tok.decode(p.ids) : '' };
    }
    let text: string;
    let ids: number[];
    if ('messages' in p) {
      if (m.chatTemplate === null) throw new BertchatError('INVALID_ARGUMENT', `model '${m.info.id}' has no chat template; use /v1/completions`, { param: 'model' });
      text = applyChatTemplate(tok, p.messages, { addGenerationPrompt: true, chatTemplate: m.chatTemplate });
      ids = tok.encode(text, { addSpecialTokens: false }).inputIds;
    } else {
      text = p.text;
      ids = tok.encode(text).inputIds;
    }
    return { ids, text };
  }

  /** Logprobs of each prompt token given the ones before it (echo + logprobs); raw model logits. */
  private promptLogprobs(m: LoadedCausalLM, ids: number[], k: number): PromptTokenLogprob[] {
    const logits = noGrad(() => m.lm.forward(intTensor(Int32Array.from(ids), [1, ids.length]))).floats(); // (1, T, V)
    const V = m.lm.vocabSize;
    return ids.map((id, t) => {
      if (t === 0) return { ...tokenInfo(m.tokenizer, id, 0), logprob: null, top: [] };
      const row = logits.subarray((t - 1) * V, t * V);
      const lse = logSumExp(row);
      return { ...tokenInfo(m.tokenizer, id, row[id]! - lse), top: topLogprobs(row, k, lse).map((x) => tokenInfo(m.tokenizer, x.tokenId, x.logprob)) };
    });
  }

  async *generate(req: GenerateRequest, signal?: AbortSignal): AsyncGenerator<GenerateEvent> {
    const m = this.get(req.model, 'causal-lm');
    const { ids, text } = this.promptIds(m, req.prompt);
    const max = m.info.maxContext;
    if (ids.length === 0) {
      const start = m.tokenizer.bosTokenId ?? m.lm.eosTokenIds[0];
      if (start === undefined || start === null) throw new BertchatError('INVALID_ARGUMENT', 'the prompt is empty and the model has no BOS token', { param: 'prompt' });
      ids.push(start);
    }
    const maxNew = req.maxTokens ?? max - ids.length;
    if (ids.length + maxNew > max || maxNew < 0 || (req.maxTokens === null && maxNew === 0)) throw contextError(max, ids.length, Math.max(maxNew, 1));
    const samples = Math.max(req.n, req.bestOf ?? req.n);
    const opts = generateOptions(req, maxNew, samples, m.tokenizer, signal, m.stopTokenIds);
    // generate() validates lazily (at its first step); check here so a bad value is a 400, not a stream error
    buildProcessors(opts, m.lm.vocabSize);
    normalizeStops(opts.stop);
    const prompt: GenerateEvent = { type: 'prompt', promptTokens: ids.length };
    if (req.echo) {
      prompt.text = text;
      if (req.logprobs !== null) prompt.logprobs = this.promptLogprobs(m, ids, req.logprobs);
    }
    yield prompt;
    const tok = m.tokenizer;
    const lpOf = (tokenId: number, logprob: number, top: Array<{ tokenId: number; logprob: number }> | undefined): TokenLogprob => ({
      ...tokenInfo(tok, tokenId, logprob),
      top: (top ?? []).map((x) => tokenInfo(tok, x.tokenId, x.logprob)),
    });
    if (samples === req.n) {
      // Stream: a choice's logprobs ride with the next non-empty piece of its text (or its last one).
      const pending: TokenLogprob[][] = Array.from({ length: samples }, () => []);
      const delta = (index: number, t: string): GenerateEvent => {
        const e: GenerateEvent = { type: 'delta', index, text: t };
        if (req.logprobs !== null) e.logprobs = pending[index]!.splice(0);
        return e;
      };
      for await (const ev of generate(m.lm, [ids], opts)) {
        if (ev.type === 'token') {
          if (req.logprobs !== null) pending[ev.choice]!.push(lpOf(ev.tokenId, ev.logprob!, ev.topLogprobs));
          if (ev.text) yield delta(ev.choice, ev.text);
        } else {
          if (ev.text || pending[ev.choice]!.length > 0) yield delta(ev.choice, ev.text);
          yield { type: 'finish', index: ev.choice, reason: ev.finishReason, completionTokens: ev.result.completionTokens };
        }
      }
      return;
    }
    // best_of > n: draw all, keep the n with the highest mean token logprob (not streamable, as OpenAI).
    const drawn: GenerationResult[] = [];
    for await (const ev of generate(m.lm, [ids], opts)) if (ev.type === 'finish') drawn.push(ev.result);
    const total = drawn.reduce((s, r) => s + r.completionTokens, 0);
    const mean = (r: GenerationResult) => (r.logprobs ?? []).reduce((s, x) => s + x, 0) / Math.max(1, r.logprobs?.length ?? 0);
    const best = [...drawn].sort((a, b) => mean(b) - mean(a) || a.choice - b.choice).slice(0, req.n);
    const others = best.slice(1).reduce((s, r) => s + r.completionTokens, 0);
    for (const [index, r] of best.entries()) {
      const e: GenerateEvent = { type: 'delta', index, text: r.text };
      if (req.logprobs !== null) e.logprobs = r.tokenIds.map((id, i) => lpOf(id, r.logprobs![i]!, r.topLogprobs?.[i]));
      yield e;
      // usage counts every sample drawn: the first kept choice carries the ones not returned
      yield { type: 'finish', index, reason: r.finishReason, completionTokens: index === 0 ? total - others : r.completionTokens };
    }
  }

  private encodeInput(m: LoadedEncoder, x: string | number[]): number[] {
    const ids = typeof x === 'string' ? m.tokenizer.encode(x).inputIds : x;
    const V = m.vocabSize;
    const bad = ids.find((id) => id >= V);
    if (bad !== undefined) throw new BertchatError('INVALID_ARGUMENT', `token id ${bad} is outside the vocabulary (size ${V})`, { param: 'input' });
    if (ids.length > m.info.maxContext) {
      throw new BertchatError('CONTEXT_LENGTH', `This model's maximum context length is ${m.info.maxContext} tokens, however you requested ${ids.length} tokens in the input. Please reduce your input.`, {
        maxContext: m.info.maxContext,
        promptTokens: ids.length,
      });
    }
    if (ids.length === 0) throw new BertchatError('INVALID_ARGUMENT', 'an input is empty', { param: 'input' });
    return ids;
  }

  async embed(model: string, input: Array<string | number[]>, signal?: AbortSignal): Promise<EmbedResult> {
    const m = this.get(model, 'encoder');
    const all = input.map((x) => this.encodeInput(m, x));
    const embeddings: Float32Array[] = [];
    for (const ids of all) {
      if (signal?.aborted) throw new BertchatError('CANCELLED', 'embedding cancelled');
      const h = noGrad(() => m.encoder.forward({ inputIds: intTensor(Int32Array.from(ids), [1, ids.length]) }).lastHiddenState).floats(); // (1, T, C)
      const C = h.length / ids.length;
      const v = new Float32Array(C); // mean over tokens, then unit length (as OpenAI's embeddings)
      for (let t = 0; t < ids.length; t++) for (let c = 0; c < C; c++) v[c]! += h[t * C + c]! / ids.length;
      const norm = Math.hypot(...v) || 1;
      for (let c = 0; c < C; c++) v[c]! /= norm;
      embeddings.push(v);
    }
    return { embeddings, promptTokens: all.reduce((s, x) => s + x.length, 0) };
  }

  async classify(model: string, input: string[], signal?: AbortSignal): Promise<ClassifyResult> {
    const m = this.get(model, 'encoder');
    if (!m.hasClassifier) throw new BertchatError('INVALID_ARGUMENT', `model '${model}' has no classification head`, { param: 'model' });
    const all = input.map((x) => this.encodeInput(m, x));
    const results: ClassifyResult['results'] = [];
    for (const ids of all) {
      if (signal?.aborted) throw new BertchatError('CANCELLED', 'classification cancelled');
      const logits = noGrad(() => m.encoder.forward({ inputIds: intTensor(Int32Array.from(ids), [1, ids.length]) }).logits).floats(); // (1, L)
      const lse = logSumExp(logits);
      const probs = m.multiLabel ? Array.from(logits, (z) => 1 / (1 + Math.exp(-z))) : Array.from(logits, (z) => Math.exp(z - lse));
      const best = argmax(Float32Array.from(probs));
      const scores: Record<string, number> = {};
      m.info.labels.forEach((l, i) => (scores[l] = probs[i]!));
      results.push({ label: m.info.labels[best]!, score: probs[best]!, scores });
    }
    return { results, promptTokens: all.reduce((s, x) => s + x.length, 0) };
  }
}

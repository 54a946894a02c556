// The in-process Engine: runs models on the calling thread. The server's workers each hold one (worker.ts);
// the CLI (`bertchat chat`, `bertchat generate`) uses one directly. Validation errors are BertchatErrors.
import { randomInt } from 'node:crypto';
import { intTensor, noGrad } from '../tensor/index.js';
import { applyChatTemplate } from '../tokenizers/index.js';
import { BertchatError } from '../util/errors.js';
import type { ClassifyResult, EmbedResult, Engine, GenerateEvent, GenerateRequest, ModelInfo, ModelSpec, PromptTokenLogprob } from './engine.js';
import { logSoftmaxRow, sampleOne, tokenInfo, topK, type SamplePiece, type SampleEnd } from './interim-generate.js';
import { loadServedModel, type LoadedCausalLM, type LoadedEncoder, type LoadedModel } from './load-models.js';

function contextError(max: number, prompt: number, completion: number): BertchatError {
  return new BertchatError(
    'CONTEXT_LENGTH',
    `This model's maximum context length is ${max} tokens. However, you requested ${prompt + completion} tokens (${prompt} in the prompt, ${completion} for the completion). Please reduce the prompt or the completion length.`,
    { maxContext: max, promptTokens: prompt, completionTokens: completion },
  );
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
      return { ids: p.ids, text: p.ids.length ? tok.decode(p.ids) : '' };
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

  /** Logprobs of each prompt token given the ones before it (echo + logprobs). */
  private promptLogprobs(m: LoadedCausalLM, ids: number[], k: number): PromptTokenLogprob[] {
    const logits = noGrad(() => m.lm.forward(intTensor(Int32Array.from(ids), [1, ids.length]))).floats(); // (1, T, V)
    const V = m.lm.vocabSize;
    return ids.map((id, t) => {
      if (t === 0) return { ...tokenInfo(m.tokenizer, id, 0), logprob: null, top: [] };
      const lp = logSoftmaxRow(logits.subarray((t - 1) * V, t * V));
      return { ...tokenInfo(m.tokenizer, id, lp[id]!), top: topK(lp, k).map((j) => tokenInfo(m.tokenizer, j, lp[j]!)) };
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
    const prompt: GenerateEvent = { type: 'prompt', promptTokens: ids.length };
    if (req.echo) {
      prompt.text = text;
      if (req.logprobs !== null) prompt.logprobs = this.promptLogprobs(m, ids, req.logprobs);
    }
    yield prompt;
    const seed = req.seed ?? randomInt(0, 2 ** 47);
    const samples = Math.max(req.n, req.bestOf ?? req.n);
    const opts = (i: number) => ({ ...req, maxNew, logprobs: req.logprobs, seed: seed + i });
    if (samples === req.n) {
      for (let i = 0; i < samples; i++) {
        const it = sampleOne(m.lm, m.tokenizer, ids, opts(i), signal);
        let r = await it.next();
        for (; !r.done; r = await it.next()) yield { type: 'delta', index: i, ...r.value };
        yield { type: 'finish', index: i, reason: r.value.reason, completionTokens: r.value.tokens };
      }
      return;
    }
    // best_of > n: draw all, keep the n with the highest mean token logprob (not streamable, as OpenAI).
    const drawn: Array<{ pieces: SamplePiece[]; end: SampleEnd }> = [];
    let total = 0;
    for (let i = 0; i < samples; i++) {
      const it = sampleOne(m.lm, m.tokenizer, ids, opts(i), signal);
      const pieces: SamplePiece[] = [];
      let r = await it.next();
      for (; !r.done; r = await it.next()) pieces.push(r.value);
      drawn.push({ pieces, end: r.value });
      total += r.value.tokens;
    }
    const score = (d: (typeof drawn)[number]) => d.end.sumLogprob / Math.max(1, d.end.tokens);
    const best = drawn.sort((a, b) => score(b) - score(a)).slice(0, req.n);
    best.forEach((d, index) => {
      d.end.tokens = index === 0 ? total - best.slice(1).reduce((s, x) => s + x.end.tokens, 0) : d.end.tokens; // usage counts every sample
    });
    for (const [index, d] of best.entries()) {
      for (const p of d.pieces) yield { type: 'delta', index, ...p };
      yield { type: 'finish', index, reason: d.end.reason, completionTokens: d.end.tokens };
    }
  }

  private encodeInput(m: LoadedEncoder, x: string | number[]): number[] {
    const ids = typeof x === 'string' ? m.tokenizer.encode(x).inputIds : x;
    const V = m.encoder.config.vocab_size;
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
    if (!m.classifier) throw new BertchatError('INVALID_ARGUMENT', `model '${model}' has no classification head`, { param: 'model' });
    const all = input.map((x) => this.encodeInput(m, x));
    const results: ClassifyResult['results'] = [];
    for (const ids of all) {
      if (signal?.aborted) throw new BertchatError('CANCELLED', 'classification cancelled');
      const logits = noGrad(() => m.classifier!.forward({ inputIds: intTensor(Int32Array.from(ids), [1, ids.length]) }).logits).floats();
      const probs = m.multiLabel ? Array.from(logits, (z) => 1 / (1 + Math.exp(-z))) : Array.from(logSoftmaxRow(logits), Math.exp);
      const best = topK(probs, 1)[0]!;
      const scores: Record<string, number> = {};
      m.info.labels.forEach((l, i) => (scores[l] = probs[i]!));
      results.push({ label: m.info.labels[best]!, score: probs[best]!, scores });
    }
    return { results, promptTokens: all.reduce((s, x) => s + x.length, 0) };
  }
}

// What the generation routes share: the route context, model lookup (404 / wrong kind), OpenAI sampling
// fields → GenerateRequest, and starting a generation so that validation errors surface before a 200.
import type { Engine, GenerateEvent, GenerateRequest, ModelInfo, ModelKind } from '../engine.js';
import { badRequest, HttpError, modelNotFound, toHttpError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { BertchatError } from '../../util/errors.js';

export interface RouteContext {
  engine: Engine;
  metrics: Metrics;
}

/** The registered model a request names; never a path. */
export function findModel(ctx: RouteContext, id: string, kind: ModelKind): ModelInfo {
  const m = ctx.engine.models().find((x) => x.id === id);
  if (!m) throw modelNotFound(id);
  if (m.kind !== kind) {
    const what = kind === 'causal-lm' ? 'a text-generation (causal LM) model' : 'an encoder model';
    throw badRequest(`The model '${id}' is ${m.kind === 'causal-lm' ? 'a text-generation' : 'an encoder'} model; this endpoint needs ${what}.`, 'model', 'model_not_supported');
  }
  return m;
}

interface SamplingBody {
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
}

/** The sampling part of a GenerateRequest, with OpenAI's defaults. */
export function samplingFields(b: SamplingBody): Omit<GenerateRequest, 'model' | 'prompt' | 'maxTokens' | 'logprobs' | 'echo'> {
  const stop = (b.stop === null || b.stop === undefined ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop).filter((s) => s.length > 0);
  const logitBias: Record<number, number> = {};
  for (const [k, v] of Object.entries(b.logit_bias ?? {})) logitBias[Number(k)] = v;
  return {
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    n: b.n ?? 1,
    stop,
    seed: b.seed ?? null,
    presencePenalty: b.presence_penalty ?? 0,
    frequencyPenalty: b.frequency_penalty ?? 0,
    logitBias,
  };
}

export interface StartedGeneration {
  prompt: Extract<GenerateEvent, { type: 'prompt' }>;
  rest: AsyncIterator<GenerateEvent>;
}

/**
 * Starts a generation and waits for its `prompt` event, so queue-full, context-length and template errors
 * become proper statuses (naming `param`) before anything is sent.
 */
export async function startGeneration(ctx: RouteContext, req: GenerateRequest, signal: AbortSignal, param: string): Promise<StartedGeneration> {
  const it = ctx.engine.generate(req, signal)[Symbol.asyncIterator]();
  try {
    const first = await it.next();
    if (first.done || first.value.type !== 'prompt') throw new HttpError(500, 'The engine produced no prompt event.', 'server_error');
    ctx.metrics.promptTokens.inc({ model: req.model }, first.value.promptTokens);
    return { prompt: first.value, rest: it };
  } catch (e) {
    if (e instanceof BertchatError && e.code === 'CONTEXT_LENGTH') throw badRequest(e.message, param, 'context_length_exceeded');
    throw toHttpError(e);
  }
}

/** Reads an iterator to the end, calling `each` per event. */
export async function drain(it: AsyncIterator<GenerateEvent>, each: (e: GenerateEvent) => void): Promise<void> {
  for (let r = await it.next(); !r.done; r = await it.next()) each(r.value);
}

/** An SSE error frame for a failure after the stream started (the status is already 200). */
export function streamErrorFrame(e: unknown): { error: ReturnType<HttpError['body']>['error'] } {
  return toHttpError(e).body();
}

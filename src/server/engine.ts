// What the server needs from the model side, and nothing more: list models, stream a generation, embed,
// classify. The HTTP layer codes against this interface; worker-pool.ts implements it over worker threads,
// local-engine.ts in-process (CLI and the workers themselves), and tests use a fake.
import type { ChatMessage } from '../tokenizers/index.js';

export type ModelKind = 'causal-lm' | 'encoder';

export interface ModelInfo {
  /** The name requests use (`--model NAME=PATH`), never a path. */
  id: string;
  kind: ModelKind;
  /** Longest prompt + completion (causal LM) or input (encoder), in tokens. */
  maxContext: number;
  /** Unix seconds the model was loaded. */
  created: number;
  /** Causal LM: whether chat requests can be rendered (a chat template is known). */
  chat: boolean;
  /** Encoder: the classifier's labels in id order (empty when it has no classification head). */
  labels: string[];
}

/** One generation request for a single prompt; `n` (or `bestOf`) samples of it. */
export interface GenerateRequest {
  model: string;
  /** Text (tokenized by the model's tokenizer), token ids, or chat messages rendered with its chat template. */
  prompt: { text: string } | { ids: number[] } | { messages: ChatMessage[] };
  /** New tokens at most; null = up to the context. 0 is allowed (echo only). */
  maxTokens: number | null;
  temperature: number;
  topP: number;
  /** Not in OpenAI's API (the CLI and pipelines use them): keep the k most likely; min-p; HF repetition penalty. */
  topK?: number;
  minP?: number;
  repetitionPenalty?: number;
  n: number;
  /** Samples to draw; the best `n` by mean token logprob are returned (>= n). */
  bestOf?: number;
  stop: string[];
  /** Same seed, same choices (choice i draws from the i-th fork of the seed's generator); null = random. */
  seed: number | null;
  presencePenalty: number;
  frequencyPenalty: number;
  /** token id → bias added to its logit. */
  logitBias: Record<number, number>;
  /** null = none; k = chosen token plus its k most likely alternatives. */
  logprobs: number | null;
  /** Also return the prompt's text (and, with logprobs, the prompt tokens' logprobs). */
  echo: boolean;
}

export interface TopToken {
  token: string;
  bytes: number[];
  logprob: number;
}
export interface TokenLogprob extends TopToken {
  /** The most likely alternatives (the chosen token may be among them). */
  top: TopToken[];
}
/** An echoed prompt token: the first has logprob null (nothing predicts it). */
export type PromptTokenLogprob = Omit<TokenLogprob, 'logprob'> & { logprob: number | null };

export type FinishReason = 'stop' | 'length';

/** Events of one generation, in order: `prompt` once, then `delta`s and one `finish` per choice. */
export type GenerateEvent =
  | { type: 'prompt'; promptTokens: number; text?: string; logprobs?: PromptTokenLogprob[] }
  | { type: 'delta'; index: number; text: string; logprobs?: TokenLogprob[] }
  | { type: 'finish'; index: number; reason: FinishReason; completionTokens: number };

export interface EmbedResult {
  /** One unit-length vector per input. */
  embeddings: Float32Array[];
  promptTokens: number;
}

export interface ClassifyResult {
  results: Array<{ label: string; score: number; scores: Record<string, number> }>;
  promptTokens: number;
}

/** The model side of the server. Errors are BertchatErrors (NOT_FOUND, CONTEXT_LENGTH, INVALID_ARGUMENT, ...). */
export interface Engine {
  models(): ModelInfo[];
  /**
   * Streams a generation. The first event (`prompt`) arrives after validation (context length, template),
   * so a caller can await it before committing to a 200. Aborting `signal` stops the work and ends the stream.
   */
  generate(req: GenerateRequest, signal?: AbortSignal): AsyncIterable<GenerateEvent>;
  embed(model: string, input: Array<string | number[]>, signal?: AbortSignal): Promise<EmbedResult>;
  classify(model: string, input: string[], signal?: AbortSignal): Promise<ClassifyResult>;
  /** Jobs waiting for a worker (not counting those running). */
  queueDepth(): number;
  /** Jobs running now. */
  active(): number;
  close(): Promise<void>;
}

/** A model to load: a name and a folder (or hub id); an optional chat template overrides the tokenizer's. */
export interface ModelSpec {
  name: string;
  source: string;
  chatTemplate?: string;
}

/** Parses `NAME=PATH_OR_HUB_ID` (the `--model` flag); a bare path uses its last component as the name. */
export function parseModelSpec(s: string): ModelSpec {
  const eq = s.indexOf('=');
  if (eq > 0) return { name: s.slice(0, eq), source: s.slice(eq + 1) };
  const parts = s.replace(/[\\/]+$/, '').split(/[\\/]/);
  return { name: parts[parts.length - 1] || s, source: s };
}

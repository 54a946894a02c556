// Every OpenAI request/response type and JSON schema the server speaks, in one file (API reference shapes).
// Schemas are strict (additionalProperties false, no coercion): Fastify validates bodies against them before
// a route runs, and errors.ts turns a failed check into an OpenAI-shaped 400 naming the param.

// ---- shared schema pieces -------------------------------------------------------------------------------
const num = (min: number, max: number) => ({ type: ['number', 'null'], minimum: min, maximum: max });
const int = (min: number, max?: number) => ({ type: ['integer', 'null'], minimum: min, ...(max === undefined ? {} : { maximum: max }) });
const bool = { type: ['boolean', 'null'] };
const stop = { type: ['string', 'array', 'null'], items: { type: 'string' }, maxItems: 4 };
const logitBias = {
  type: ['object', 'null'],
  propertyNames: { pattern: '^[0-9]+$' },
  additionalProperties: { type: 'number', minimum: -100, maximum: 100 },
};
const streamOptions = {
  type: ['object', 'null'],
  properties: { include_usage: { type: 'boolean' } },
  additionalProperties: false,
};
/** Sampling fields shared by /v1/completions and /v1/chat/completions. */
const sampling = {
  temperature: num(0, 2),
  top_p: num(0, 1),
  n: int(1, 16),
  stop,
  seed: int(-9007199254740991, 9007199254740991),
  presence_penalty: num(-2, 2),
  frequency_penalty: num(-2, 2),
  logit_bias: logitBias,
  stream: bool,
  stream_options: streamOptions,
  user: { type: 'string' },
};

export const MAX_N = 16;

// ---- /v1/completions ------------------------------------------------------------------------------------
/** prompt: string | string[] | number[] | number[][] (homogeneity is checked in the route). */
const prompt = {
  type: ['string', 'array'],
  minItems: 1,
  items: { type: ['string', 'integer', 'array'], items: { type: 'integer', minimum: 0 }, minimum: 0 },
};
const completionProps = {
  model: { type: 'string', minLength: 1 },
  prompt,
  max_tokens: int(0),
  logprobs: int(0, 5),
  echo: bool,
  suffix: { type: ['string', 'null'] },
  best_of: int(1, MAX_N),
  ...sampling,
};
export const completionRequestSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: completionProps,
  additionalProperties: false,
} as const;
/** The pre-1.0 `openai.Completion.create(engine=...)` body: the engine is in the path, so no model needed. */
export const engineCompletionRequestSchema = {
  type: 'object',
  required: ['prompt'],
  properties: completionProps,
  additionalProperties: false,
} as const;

export interface CompletionRequest {
  model: string;
  prompt: string | string[] | number[] | number[][];
  max_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: number | null;
  echo?: boolean | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  user?: string;
  suffix?: string | null;
  best_of?: number | null;
}

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}
export type FinishReason = 'stop' | 'length';
export interface CompletionChoice {
  text: string;
  index: number;
  logprobs: CompletionLogprobs | null;
  finish_reason: FinishReason | null;
}
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}
export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: CompletionChoice[];
  usage?: Usage | null;
}

// ---- /v1/chat/completions -------------------------------------------------------------------------------
const textPart = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { type: 'string', enum: ['text'] }, text: { type: 'string' } },
  additionalProperties: false,
};
const message = {
  type: 'object',
  required: ['role', 'content'],
  properties: {
    role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant'] },
    content: { type: ['string', 'array', 'null'], items: textPart },
    name: { type: 'string' },
  },
  additionalProperties: false,
};
export const chatRequestSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: { type: 'array', minItems: 1, items: message },
    max_tokens: int(1),
    max_completion_tokens: int(1),
    logprobs: bool,
    top_logprobs: int(0, 20),
    response_format: {
      type: ['object', 'null'],
      required: ['type'],
      properties: { type: { type: 'string', enum: ['text'] } },
      additionalProperties: false,
    },
    /** Our extension: return the dialogue state tracked from the user turns (`bertchat_state`). */
    bertchat_state: bool,
    ...sampling,
  },
  additionalProperties: false,
} as const;

export interface ChatTextPart {
  type: 'text';
  text: string;
}
export interface ChatRequestMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string | ChatTextPart[] | null;
  name?: string;
}
export interface ChatCompletionRequest {
  model: string;
  messages: ChatRequestMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  response_format?: { type: 'text' } | null;
  user?: string;
  bertchat_state?: boolean | null;
}

export interface ChatTopLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
}
export interface ChatTokenLogprob extends ChatTopLogprob {
  top_logprobs: ChatTopLogprob[];
}
export interface ChatChoiceLogprobs {
  content: ChatTokenLogprob[] | null;
  refusal: null;
}
export interface ChatCompletionChoice {
  index: number;
  message: { role: 'assistant'; content: string; refusal: null };
  logprobs: ChatChoiceLogprobs | null;
  finish_reason: FinishReason;
}
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: ChatCompletionChoice[];
  usage: Usage;
  /** Extension (only when the request sets bertchat_state): slots tracked from the user turns. */
  bertchat_state?: Record<string, string>;
}
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string };
    logprobs: ChatChoiceLogprobs | null;
    finish_reason: FinishReason | null;
  }>;
  usage?: Usage | null;
  /** Extension: on a choice's last chunk when the request sets bertchat_state. */
  bertchat_state?: Record<string, string>;
}

// ---- /v1/embeddings -------------------------------------------------------------------------------------
export const embeddingRequestSchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: {
      type: ['string', 'array'],
      minItems: 1,
      maxItems: 2048,
      items: { type: ['string', 'integer', 'array'], items: { type: 'integer', minimum: 0 }, minimum: 0 },
    },
    encoding_format: { type: 'string', enum: ['float', 'base64'] },
    dimensions: { type: 'integer', minimum: 1 },
    user: { type: 'string' },
  },
  additionalProperties: false,
} as const;

export interface EmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}
export interface EmbeddingResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

// ---- /v1/classify (bertchat extension) ------------------------------------------------------------------
export const classifyRequestSchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { type: ['string', 'array'], minItems: 1, maxItems: 2048, items: { type: 'string' } },
    /** Also return every label's probability. */
    scores: { type: 'boolean' },
    user: { type: 'string' },
  },
  additionalProperties: false,
} as const;

export interface ClassifyRequest {
  model: string;
  input: string | string[];
  scores?: boolean;
  user?: string;
}
export interface ClassifyResponse {
  object: 'list';
  model: string;
  data: Array<{ index: number; label: string; score: number; scores?: Record<string, number> }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

// ---- /v1/models and errors ------------------------------------------------------------------------------
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
export interface ModelList {
  object: 'list';
  data: ModelObject[];
}

export type ErrorType = 'invalid_request_error' | 'rate_limit_error' | 'server_error' | 'not_found_error' | 'authentication_error';
export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

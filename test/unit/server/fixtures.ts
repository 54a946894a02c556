// Test fixtures for the server: a fake Engine (no models, scripted output, records aborts), a compact chat
// template for the tiny golden GPT-2, and a larger random GPT-2 folder whose generation takes seconds.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClassifyResult, EmbedResult, Engine, GenerateEvent, GenerateRequest, ModelInfo } from '../../../src/server/engine.js';
import { BertchatError } from '../../../src/util/errors.js';
import { HttpError } from '../../../src/server/errors.js';
import { writeSafetensors } from '../../../src/io/safetensors-write.js';
import { GPT2LMHeadModel } from '../../../src/models/gpt2/modeling.js';
import { parseGPT2Config } from '../../../src/models/gpt2/config.js';
import { Rng } from '../../../src/util/rng.js';

/** ChatML-like but short: the tiny GPT-2's 300-token BPE spends many tokens on `<|im_start|>`. */
export const TINY_CHAT_TEMPLATE =
  "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";

export interface FakeOptions {
  /** Text pieces each choice produces. */
  pieces?: string[];
  /** Delay before each piece, ms. */
  delayMs?: number;
  /** Thrown from generate before the prompt event. */
  error?: Error;
  maxContext?: number;
}

/** An Engine with a causal LM 'fake-lm' (chat template known), an encoder 'fake-enc', and a plain LM 'no-chat'. */
export class FakeEngine implements Engine {
  aborted = 0;
  requests: GenerateRequest[] = [];
  running = 0;
  constructor(private readonly o: FakeOptions = {}) {}

  models(): ModelInfo[] {
    const max = this.o.maxContext ?? 64;
    return [
      { id: 'fake-lm', kind: 'causal-lm', maxContext: max, created: 1700000000, chat: true, labels: [] },
      { id: 'no-chat', kind: 'causal-lm', maxContext: max, created: 1700000000, chat: false, labels: [] },
      { id: 'fake-enc', kind: 'encoder', maxContext: max, created: 1700000000, chat: false, labels: ['negative', 'positive'] },
    ];
  }
  queueDepth(): number {
    return 0;
  }
  active(): number {
    return this.running;
  }
  async close(): Promise<void> {}

  async *generate(req: GenerateRequest, signal?: AbortSignal): AsyncGenerator<GenerateEvent> {
    this.requests.push(req);
    if (this.o.error) throw this.o.error;
    const promptText = 'text' in req.prompt ? req.prompt.text : 'ids' in req.prompt ? req.prompt.ids.join(' ') : JSON.stringify(req.prompt.messages);
    const promptTokens = promptText.split(/\s+/).filter(Boolean).length || 1;
    const pieces = this.o.pieces ?? ['Hello', ' world', '!'];
    if (req.maxTokens !== null && promptTokens + req.maxTokens > (this.o.maxContext ?? 64)) {
      throw new BertchatError('CONTEXT_LENGTH', `This model's maximum context length is ${this.o.maxContext ?? 64} tokens.`);
    }
    const ev: GenerateEvent = { type: 'prompt', promptTokens };
    if (req.echo) ev.text = promptText;
    yield ev;
    this.running++;
    try {
      for (let i = 0; i < req.n; i++) {
        let count = 0;
        for (const p of pieces.slice(0, req.maxTokens ?? pieces.length)) {
          if (this.o.delayMs) await new Promise((r) => setTimeout(r, this.o.delayMs));
          if (signal?.aborted) {
            this.aborted++;
            throw new BertchatError('CANCELLED', 'cancelled');
          }
          count++;
          const lp = req.logprobs === null ? undefined : [{ token: p, bytes: [...Buffer.from(p)], logprob: -0.5, top: [{ token: p, bytes: [...Buffer.from(p)], logprob: -0.5 }].slice(0, req.logprobs) }];
          yield { type: 'delta', index: i, text: p, ...(lp ? { logprobs: lp } : {}) };
        }
        yield { type: 'finish', index: i, reason: count < pieces.length ? 'length' : 'stop', completionTokens: count };
      }
    } finally {
      this.running--;
    }
  }

  async embed(_model: string, input: Array<string | number[]>): Promise<EmbedResult> {
    return { embeddings: input.map((_, i) => Float32Array.from([0.6, 0.8, i === 0 ? 0 : 0])), promptTokens: input.length * 2 };
  }
  async classify(_model: string, input: string[]): Promise<ClassifyResult> {
    return { results: input.map((t) => (t.includes('bad') ? { label: 'negative', score: 0.9, scores: { negative: 0.9, positive: 0.1 } } : { label: 'positive', score: 0.8, scores: { negative: 0.2, positive: 0.8 } })), promptTokens: input.length };
  }
}

/** A FakeEngine whose generate says the queue is full. */
export const busyEngine = (): FakeEngine => new FakeEngine({ error: new HttpError(429, 'busy', 'rate_limit_error', null, 'queue_full') });

/**
 * A random GPT-2 (4 layers, 256 wide, 4096 positions) using the tiny golden tokenizer, in a temp folder:
 * slow enough per token that a 900-token generation runs for seconds.
 */
export function writeSlowGpt2(tinyDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bertchat-slow-gpt2-'));
  const cfg = {
    architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', activation_function: 'gelu_new', vocab_size: 300, n_positions: 4096, n_ctx: 4096,
    n_embd: 256, n_layer: 4, n_head: 4, n_inner: null, layer_norm_epsilon: 1e-5, bos_token_id: 299, eos_token_id: 299,
    initializer_range: 0.02, attn_pdrop: 0, embd_pdrop: 0, resid_pdrop: 0,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  const model = new GPT2LMHeadModel(parseGPT2Config(cfg), { rng: new Rng(3) });
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, t] of model.stateDict()) tensors.set(k, { shape: t.shape, data: t.floats().slice() });
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  for (const f of ['vocab.json', 'merges.txt', 'special_tokens_map.json']) copyFileSync(join(tinyDir, f), join(dir, f));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>', model_max_length: 4096, chat_template: TINY_CHAT_TEMPLATE }),
  );
  return dir;
}

/** Parses an SSE body into its data payloads (the last is '[DONE]'). */
export function sseEvents(body: string): string[] {
  return body
    .split('\n\n')
    .filter((f) => f.startsWith('data: '))
    .map((f) => f.slice(6));
}

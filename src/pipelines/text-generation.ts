// The text-generation pipeline, like HF's TextGenerationPipeline: text (or a list, or chat messages) in,
// `[{generated_text}]` out. Greedy unless do_sample; defaults and extra EOS ids from generation_config.json, as HF.
// All prompts and num_return_sequences run as one left-padded batch through src/generation's generate().
import { readGenerationConfig, type GenerationConfig } from '../io/generation-config.js';
import { resolveModelDir } from '../io/hub.js';
import { loadForTaskFromDir, type FromPretrainedOptions } from '../models/auto.js';
import type { CausalLM } from '../nn/causal-lm.js';
import { generateIds, type GenerateOptions } from '../generation/index.js';
import { applyChatTemplate } from '../tokenizers/chat-template.js';
import { loadTokenizer } from '../tokenizers/load.js';
import { createStreamDecoder } from '../tokenizers/stream-decoder.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import type { ChatMessage } from '../tokenizers/types.js';
import { BertchatError } from '../util/errors.js';

/** Call options, with HF's names (defaults: generation_config.json, else HF's GenerationConfig defaults). */
export interface TextGenerationOptions {
  /** New tokens at most (default: generation_config's, else 256 as HF pipelines). */
  max_new_tokens?: number;
  /** Prompt + new tokens at most (used when max_new_tokens is not given). */
  max_length?: number;
  /** false → greedy (HF's default); true → sample. */
  do_sample?: boolean;
  temperature?: number;
  /** Sampling only; HF's default is 50. 0 = off. */
  top_k?: number;
  top_p?: number;
  min_p?: number;
  repetition_penalty?: number;
  /** Samples per prompt (needs do_sample, as HF without beam search). */
  num_return_sequences?: number;
  /** Prompt + continuation (default true) or the continuation only. */
  return_full_text?: boolean;
  /** Also return the new token ids as `generated_token_ids`. */
  return_tensors?: boolean;
  /** Strings that end generation; not part of the output (HF's stop_strings). */
  stop_strings?: string | string[];
  /** bertchat extension: seed for sampling (same seed, same output). */
  seed?: number;
  signal?: AbortSignal;
}

export interface GeneratedText {
  /** Text, or for chat input the conversation with the new assistant message appended (return_full_text). */
  generated_text: string | ChatMessage[];
  generated_token_ids?: number[];
}

type Input = string | ChatMessage[];
export interface TextGenerationPipeline {
  (input: string | ChatMessage[], opts?: TextGenerationOptions): Promise<GeneratedText[]>;
  (inputs: Array<string | ChatMessage[]>, opts?: TextGenerationOptions): Promise<GeneratedText[][]>;
  readonly task: 'text-generation';
  readonly model: CausalLM;
  readonly tokenizer: Tokenizer;
  /** generation_config.json merged under each call's options. */
  readonly defaults: TextGenerationOptions;
}

/** HF pipelines' max_new_tokens when neither the call nor generation_config.json sets a length. */
export const PIPELINE_MAX_NEW_TOKENS = 256;

/** generation_config.json as call defaults (HF: its max_length 20 default gives way to the pipelines' 256 new tokens). */
function generationDefaults(gc: GenerationConfig | null): TextGenerationOptions {
  if (!gc) return {};
  const d: TextGenerationOptions = { do_sample: gc.do_sample, temperature: gc.temperature, top_k: gc.top_k, top_p: gc.top_p, repetition_penalty: gc.repetition_penalty };
  if (gc.min_p !== null) d.min_p = gc.min_p;
  if (gc.max_new_tokens !== null) d.max_new_tokens = gc.max_new_tokens;
  else if (gc.max_length !== 20) d.max_length = gc.max_length;
  if (gc.stop_strings) d.stop_strings = gc.stop_strings;
  return d;
}

const isChat = (x: unknown): x is ChatMessage[] => Array.isArray(x) && x.length > 0 && typeof x[0] === 'object' && x[0] !== null && 'role' in (x[0] as object);

/**
 * The generate() options of a call, HF style: greedy unless do_sample; sampling gets top_k 50 unless set.
 * @example toGenerateOptions({ do_sample: true, temperature: 0.7 }, 10) // { temperature: 0.7, topK: 50, ... }
 */
export function toGenerateOptions(o: TextGenerationOptions, longestPrompt: number): GenerateOptions {
  const n = o.num_return_sequences ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new BertchatError('INVALID_ARGUMENT', `text-generation: num_return_sequences must be a positive integer, got ${n}`);
  if (!o.do_sample && n > 1) throw new BertchatError('INVALID_ARGUMENT', 'text-generation: greedy decoding (do_sample false) gives one sequence; set do_sample: true for num_return_sequences > 1');
  const maxTokens = o.max_new_tokens ?? (o.max_length !== undefined ? Math.max(0, o.max_length - longestPrompt) : PIPELINE_MAX_NEW_TOKENS);
  const g: GenerateOptions = { maxTokens, n, temperature: 0 };
  if (o.do_sample) {
    g.temperature = o.temperature ?? 1;
    if (g.temperature === 0) throw new BertchatError('INVALID_ARGUMENT', 'text-generation: temperature must be > 0 when do_sample is true');
    g.topK = o.top_k ?? 50;
    if (o.top_p !== undefined) g.topP = o.top_p;
    if (o.min_p !== undefined) g.minP = o.min_p;
  }
  if (o.repetition_penalty !== undefined) g.repetitionPenalty = o.repetition_penalty;
  if (o.stop_strings !== undefined) g.stop = o.stop_strings;
  if (o.seed !== undefined) g.seed = o.seed;
  if (o.signal) g.signal = o.signal;
  return g;
}

/**
 * Loads a causal LM (folder or hub id) and returns HF's text-generation pipeline over it.
 * @example
 * const generator = await textGenerationPipeline('openai-community/gpt2');
 * await generator('Hello, I am', { max_new_tokens: 20 }); // [{ generated_text: 'Hello, I am ...' }]
 * await generator(['a', 'b'], { do_sample: true, num_return_sequences: 2, seed: 1 }); // [[{...}, {...}], [{...}, {...}]]
 */
export async function textGenerationPipeline(modelDirOrId: string, opts: FromPretrainedOptions = {}): Promise<TextGenerationPipeline> {
  const dir = await resolveModelDir(modelDirOrId, opts);
  const model = loadForTaskFromDir(dir, 'causal-lm', opts) as unknown as CausalLM;
  const tokenizer = loadTokenizer(dir);
  const gc = readGenerationConfig(dir);
  const defaults = generationDefaults(gc);
  // generation_config's eos ids end a sequence too (chat models often add their end-of-turn token there)
  const stopTokenIds = gc?.eos_token_id === null || gc === null ? [] : typeof gc.eos_token_id === 'number' ? [gc.eos_token_id] : gc.eos_token_id;

  const encode = (x: Input): number[] => {
    let ids: number[];
    if (isChat(x)) {
      if (tokenizer.chatTemplate === null) throw new BertchatError('INVALID_ARGUMENT', 'text-generation: chat input needs a tokenizer with a chat template');
      ids = tokenizer.encode(applyChatTemplate(tokenizer, x, { addGenerationPrompt: true }), { addSpecialTokens: false }).inputIds;
    } else if (typeof x === 'string') ids = tokenizer.encode(x).inputIds;
    else throw new BertchatError('INVALID_ARGUMENT', 'text-generation: an input must be a string or a list of chat messages');
    if (ids.length === 0) {
      const start = tokenizer.bosTokenId ?? model.eosTokenIds[0];
      if (start === undefined || start === null) throw new BertchatError('INVALID_ARGUMENT', 'text-generation: the prompt is empty and the model has no BOS token');
      ids = [start];
    }
    return ids;
  };

  const run = async (input: Input | Input[], call: TextGenerationOptions = {}): Promise<GeneratedText[] | GeneratedText[][]> => {
    const single = typeof input === 'string' || isChat(input);
    const inputs: Input[] = single ? [input as Input] : [...(input as Input[])];
    if (inputs.length === 0) throw new BertchatError('INVALID_ARGUMENT', 'text-generation: the input list is empty');
    const o = { ...defaults, ...call };
    const prompts = inputs.map(encode);
    const g = toGenerateOptions(o, Math.max(...prompts.map((p) => p.length)));
    const n = g.n ?? 1;
    const results = await generateIds(model, prompts, { ...g, stopTokenIds, decoder: { decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }) }, streamDecoder: () => createStreamDecoder(tokenizer, { skipSpecialTokens: true }) });
    const full = o.return_full_text ?? true;
    const out = inputs.map((x, p) =>
      results.slice(p * n, (p + 1) * n).map((r): GeneratedText => {
        const generated_text: GeneratedText['generated_text'] = !full ? r.text : isChat(x) ? [...x, { role: 'assistant', content: r.text }] : (x as string) + r.text;
        return o.return_tensors ? { generated_text, generated_token_ids: r.tokenIds } : { generated_text };
      }),
    );
    return single ? out[0]! : out;
  };
  return Object.assign(run, { task: 'text-generation' as const, model, tokenizer, defaults }) as TextGenerationPipeline;
}

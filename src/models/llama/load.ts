// Loading Llama-family checkpoints (llama, qwen2, mistral) from HF folders. Old conversions carry the
// non-persistent `rotary_emb.inv_freq` buffers, and tied models sometimes also store `lm_head.weight`: both ignored.
import { join } from 'node:path';
import { readConfig } from '../../io/config.js';
import { loadModelWeights } from '../../io/sharded.js';
import { readSafetensors, type TensorData } from '../../io/safetensors.js';
import { BertchatError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { LlamaForCausalLM } from './modeling.js';
import { LLAMA_MODEL_TYPES, type LlamaConfig } from './config.js';

/** Buffers ignored by full name. */
export const LLAMA_IGNORED_KEYS = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;

/** A checkpoint's tensors (readSafetensors / loadModelWeights output, or plain float arrays). */
export type Weights = ReadonlyMap<string, { shape: readonly number[]; data: TensorData | ArrayLike<number> }>;

function floats(name: string, data: TensorData | ArrayLike<number>): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) throw new BertchatError('CHECKPOINT', `${name}: 64-bit integer tensor where float weights are expected`);
  return Float32Array.from(data as ArrayLike<number>);
}

/** Loads weights into a model (strict: missing, unexpected and mis-shaped names fail, listed by name). */
export function loadLlamaWeights(model: LlamaForCausalLM, tensors: Weights): LlamaForCausalLM {
  const tied = model.config.tie_word_embeddings;
  const sd = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, v] of tensors) sd.set(k, { shape: v.shape, data: floats(k, v.data) });
  model.loadStateDict(sd, { ignore: (k) => LLAMA_IGNORED_KEYS.test(k) || (tied && k === 'lm_head.weight') });
  return model;
}

/**
 * A Llama-family model from a HF folder (config.json + model.safetensors or shards), in eval mode, grads off.
 * @example const model = loadLlama('golden/llama-tiny-random');
 */
export function loadLlama(dir: string, opts: { weightsFile?: string } = {}): LlamaForCausalLM {
  const config = readConfig(dir);
  if (!(LLAMA_MODEL_TYPES as readonly string[]).includes(config.model_type)) {
    throw new BertchatError('CONFIG', `${dir}: model_type "${config.model_type}" is not one of ${LLAMA_MODEL_TYPES.join(', ')}`);
  }
  const tensors = opts.weightsFile ? readSafetensors(join(dir, opts.weightsFile)).tensors : loadModelWeights(dir).tensors;
  const model = new LlamaForCausalLM(config as LlamaConfig, { rng: new Rng(0) });
  return loadLlamaWeights(model, tensors).eval().requiresGrad_(false);
}

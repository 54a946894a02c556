// Loading GPT-2 checkpoints: HF names (`transformer.h.0...`) and the original Hub file's legacy layout (no
// `transformer.` prefix, old attention buffers `h.N.attn.bias` / `h.N.attn.masked_bias`, which are ignored).
import { join } from 'node:path';
import { readConfig } from '../../io/config.js';
import { loadModelWeights } from '../../io/sharded.js';
import { readSafetensors, type TensorData } from '../../io/safetensors.js';
import { BertchatError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { GPT2LMHeadModel } from './modeling.js';
import type { GPT2Config } from './config.js';

/**
 * Old buffers matched by their FULL name: a suffix test for `attn.bias` would also match `attn.c_attn.bias`.
 * `lm_head.weight` is tied to wte, so an explicit copy in the file is redundant.
 */
export const GPT2_IGNORED_KEYS = /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$|^lm_head\.weight$/;

/** A checkpoint's tensors (readSafetensors / loadModelWeights output, or plain float arrays). */
export type Weights = ReadonlyMap<string, { shape: readonly number[]; data: TensorData | ArrayLike<number> }>;

function floats(name: string, data: TensorData | ArrayLike<number>): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) throw new BertchatError('CHECKPOINT', `${name}: 64-bit integer tensor where float weights are expected`);
  return Float32Array.from(data as ArrayLike<number>);
}

/** Checkpoint names → this model's names (adds the `transformer.` prefix of legacy files); float32 data. */
export function gpt2StateDict(tensors: Weights): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, v] of tensors) {
    const name = k.startsWith('transformer.') || k.startsWith('lm_head.') ? k : `transformer.${k}`;
    const data = floats(k, v.data);
    out.set(name, { shape: v.shape, data });
  }
  return out;
}

/** Loads weights into a model (strict: missing, unexpected and mis-shaped names fail, listed by name). */
export function loadGPT2Weights(model: GPT2LMHeadModel, tensors: Weights): GPT2LMHeadModel {
  model.loadStateDict(gpt2StateDict(tensors), { ignore: (k) => GPT2_IGNORED_KEYS.test(k) });
  return model;
}

/**
 * A GPT-2 model from a HF folder (config.json + model.safetensors or shards), in eval mode, grads off.
 * @example const model = loadGPT2('golden/gpt2-tiny-random');
 */
export function loadGPT2(dir: string, opts: { weightsFile?: string } = {}): GPT2LMHeadModel {
  const config = readConfig(dir);
  if (config.model_type !== 'gpt2') throw new BertchatError('CONFIG', `${dir}: model_type "${config.model_type}" is not gpt2`);
  const tensors = opts.weightsFile ? readSafetensors(join(dir, opts.weightsFile)).tensors : loadModelWeights(dir).tensors;
  const model = new GPT2LMHeadModel(config as GPT2Config, { rng: new Rng(0) });
  return loadGPT2Weights(model, tensors).eval().requiresGrad_(false);
}

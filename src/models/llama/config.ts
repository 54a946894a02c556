// LlamaConfig: HF config.json fields shared by llama, qwen2 and mistral (SmolLM is llama). Parsing and
// validation with each family's HF defaults live in src/io/configs/llama.ts; this file is the family's view.
import { parseConfig, attentionBiases, type LlamaConfig, type LlamaFamily, type RopeScaling } from '../../io/config.js';
import { BertchatError } from '../../util/errors.js';

export type { LlamaConfig, LlamaFamily, RopeScaling };
export { attentionBiases };

/** The model types that map to LlamaForCausalLM. */
export const LLAMA_MODEL_TYPES: readonly LlamaFamily[] = ['llama', 'qwen2', 'mistral'];

/**
 * Validates a parsed llama / qwen2 / mistral config.json object (model_type defaults to "llama").
 * @example const cfg = parseLlamaConfig({ hidden_size: 64, ... }, 'config.json');
 */
export function parseLlamaConfig(json: unknown, source = 'config.json'): LlamaConfig {
  const obj = typeof json === 'object' && json !== null && !Array.isArray(json) && !('model_type' in json) ? { ...json, model_type: 'llama' } : json;
  const cfg = parseConfig(obj, source);
  if (!(LLAMA_MODEL_TYPES as readonly string[]).includes(cfg.model_type)) {
    throw new BertchatError('CONFIG', `${source}: model_type "${cfg.model_type}" is not one of ${LLAMA_MODEL_TYPES.join(', ')}`, { file: source });
  }
  return cfg as LlamaConfig;
}

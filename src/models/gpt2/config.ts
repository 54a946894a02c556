// GPT2Config: HF config.json fields for model_type "gpt2". Parsing and validation (HF defaults: n_inner null
// → 4·n_embd, gelu_new, layer_norm_epsilon 1e-5, bos/eos 50256, tied embeddings) live in src/io/configs/gpt2.ts;
// this file is the family's view of it.
import { parseConfig, gpt2InnerSize, type GPT2Config } from '../../io/config.js';
import { BertchatError } from '../../util/errors.js';

export type { GPT2Config };
export { gpt2InnerSize };

/**
 * Validates a parsed GPT-2 config.json object (model_type defaults to "gpt2" when absent).
 * @example const cfg = parseGPT2Config(JSON.parse(readFileSync('config.json', 'utf8')), 'config.json');
 */
export function parseGPT2Config(json: unknown, source = 'config.json'): GPT2Config {
  const obj = typeof json === 'object' && json !== null && !Array.isArray(json) && !('model_type' in json) ? { ...json, model_type: 'gpt2' } : json;
  const cfg = parseConfig(obj, source);
  if (cfg.model_type !== 'gpt2') throw new BertchatError('CONFIG', `${source}: model_type "${cfg.model_type}" is not gpt2`, { file: source });
  return cfg;
}

// BertConfig: Hugging Face's config.json for model_type "bert" (HF field names and defaults).
// Parsing and validation live in src/io/configs/bert.ts; this is the family's entry point to it.
import { parseConfig, type BertConfig } from '../../io/config.js';
import { BertchatError } from '../../util/errors.js';

export type { BertConfig } from '../../io/config.js';
export { numLabels } from '../../io/config.js';

/**
 * A validated BertConfig from a plain object (HF defaults for absent fields).
 * @example const cfg = bertConfig({ hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 });
 */
export function bertConfig(fields: Record<string, unknown>, source = 'config'): BertConfig {
  const cfg = parseConfig({ model_type: 'bert', ...fields }, source);
  if (cfg.model_type !== 'bert') throw new BertchatError('CONFIG', `${source}: expected model_type "bert", got "${cfg.model_type}"`);
  return cfg;
}

// DistilBertConfig: Hugging Face's config.json for model_type "distilbert" (HF field names: dim, n_heads,
// n_layers, hidden_dim, activation...). Parsing and validation live in src/io/configs/distilbert.ts.
import { parseConfig, type DistilBertConfig } from '../../io/config.js';
import { BertchatError } from '../../util/errors.js';

export type { DistilBertConfig } from '../../io/config.js';

/**
 * A validated DistilBertConfig from a plain object (HF defaults for absent fields).
 * @example const cfg = distilBertConfig({ dim: 32, n_heads: 4, n_layers: 2, hidden_dim: 37, vocab_size: 239 });
 */
export function distilBertConfig(fields: Record<string, unknown>, source = 'config'): DistilBertConfig {
  const cfg = parseConfig({ model_type: 'distilbert', ...fields }, source);
  if (cfg.model_type !== 'distilbert') throw new BertchatError('CONFIG', `${source}: expected model_type "distilbert", got "${cfg.model_type}"`);
  return cfg;
}

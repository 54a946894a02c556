// BertConfig: HF field names and defaults (transformers/models/bert/configuration_bert.py).
import { ACTIVATIONS, readBase, type Activation, type BaseConfig } from './base.js';
import type { FieldReader } from './fields.js';

export interface BertConfig extends BaseConfig {
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: Activation;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  position_embedding_type: 'absolute' | 'relative_key' | 'relative_key_query';
  use_cache: boolean;
  classifier_dropout: number | null;
}

/**
 * Parses a BERT config.json object.
 *
 * @example
 * parseBertConfig(new FieldReader({ model_type: 'bert', hidden_size: 32, num_attention_heads: 4 }, 'config.json'));
 */
export function parseBertConfig(r: FieldReader): BertConfig {
  const base = readBase(r, 'bert', { bos_token_id: null, eos_token_id: null, pad_token_id: 0, tie_word_embeddings: true });
  const cfg: BertConfig = {
    ...base,
    model_type: 'bert',
    vocab_size: r.posInt('vocab_size', 30522),
    hidden_size: r.posInt('hidden_size', 768),
    num_hidden_layers: r.natInt('num_hidden_layers', 12),
    num_attention_heads: r.posInt('num_attention_heads', 12),
    intermediate_size: r.posInt('intermediate_size', 3072),
    hidden_act: r.oneOf('hidden_act', ACTIVATIONS, 'gelu'),
    hidden_dropout_prob: r.prob('hidden_dropout_prob', 0.1),
    attention_probs_dropout_prob: r.prob('attention_probs_dropout_prob', 0.1),
    max_position_embeddings: r.posInt('max_position_embeddings', 512),
    type_vocab_size: r.posInt('type_vocab_size', 2),
    initializer_range: r.num('initializer_range', 0.02),
    layer_norm_eps: r.posNum('layer_norm_eps', 1e-12),
    position_embedding_type: r.oneOf('position_embedding_type', ['absolute', 'relative_key', 'relative_key_query'] as const, 'absolute'),
    use_cache: r.bool('use_cache', true),
    classifier_dropout: r.probOrNull('classifier_dropout', null),
    extra: {},
  };
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    r.fail('hidden_size', `(${cfg.hidden_size}) must be a multiple of num_attention_heads (${cfg.num_attention_heads})`);
  }
  cfg.extra = r.extra();
  return cfg;
}

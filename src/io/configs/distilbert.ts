// DistilBertConfig: HF field names and defaults (configuration_distilbert.py), including its
// attribute_map aliases (hidden_size → dim, num_attention_heads → n_heads, num_hidden_layers → n_layers).
import { ACTIVATIONS, readBase, type Activation, type BaseConfig } from './base.js';
import type { FieldReader } from './fields.js';

export interface DistilBertConfig extends BaseConfig {
  model_type: 'distilbert';
  vocab_size: number;
  max_position_embeddings: number;
  sinusoidal_pos_embds: boolean;
  n_layers: number;
  n_heads: number;
  dim: number;
  hidden_dim: number;
  dropout: number;
  attention_dropout: number;
  activation: Activation;
  initializer_range: number;
  qa_dropout: number;
  seq_classif_dropout: number;
}

/** Parses a DistilBERT config.json object. @example parseDistilBertConfig(new FieldReader(json, 'config.json')) */
export function parseDistilBertConfig(r: FieldReader): DistilBertConfig {
  const base = readBase(r, 'distilbert', { bos_token_id: null, eos_token_id: null, pad_token_id: 0, tie_word_embeddings: true });
  const cfg: DistilBertConfig = {
    ...base,
    model_type: 'distilbert',
    vocab_size: r.posInt('vocab_size', 30522),
    max_position_embeddings: r.posInt('max_position_embeddings', 512),
    sinusoidal_pos_embds: r.bool('sinusoidal_pos_embds', false),
    n_layers: r.natInt(['n_layers', 'num_hidden_layers'], 6),
    n_heads: r.posInt(['n_heads', 'num_attention_heads'], 12),
    dim: r.posInt(['dim', 'hidden_size'], 768),
    hidden_dim: r.posInt('hidden_dim', 3072),
    dropout: r.prob('dropout', 0.1),
    attention_dropout: r.prob('attention_dropout', 0.1),
    activation: r.oneOf('activation', ACTIVATIONS, 'gelu'),
    initializer_range: r.num('initializer_range', 0.02),
    qa_dropout: r.prob('qa_dropout', 0.1),
    seq_classif_dropout: r.prob('seq_classif_dropout', 0.2),
    extra: {},
  };
  if (cfg.dim % cfg.n_heads !== 0) r.fail('dim', `(${cfg.dim}) must be a multiple of n_heads (${cfg.n_heads})`);
  cfg.extra = r.extra();
  return cfg;
}

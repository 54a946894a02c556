// GPT2Config: HF field names and defaults (configuration_gpt2.py), with its attribute_map aliases
// (hidden_size → n_embd, max_position_embeddings → n_positions, num_attention_heads → n_head, num_hidden_layers → n_layer).
import { ACTIVATIONS, readBase, type Activation, type BaseConfig } from './base.js';
import type { FieldReader } from './fields.js';

export interface GPT2Config extends BaseConfig {
  model_type: 'gpt2';
  vocab_size: number;
  n_positions: number;
  /** Legacy context size; defaults to n_positions. */
  n_ctx: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** MLP inner size; null means 4 * n_embd (see gpt2InnerSize). */
  n_inner: number | null;
  activation_function: Activation;
  resid_pdrop: number;
  embd_pdrop: number;
  attn_pdrop: number;
  layer_norm_epsilon: number;
  initializer_range: number;
  scale_attn_weights: boolean;
  scale_attn_by_inverse_layer_idx: boolean;
  reorder_and_upcast_attn: boolean;
  use_cache: boolean;
}

/** Parses a GPT-2 config.json object. @example parseGPT2Config(new FieldReader(json, 'config.json')) */
export function parseGPT2Config(r: FieldReader): GPT2Config {
  const base = readBase(r, 'gpt2', { bos_token_id: 50256, eos_token_id: 50256, pad_token_id: null, tie_word_embeddings: true });
  const n_positions = r.posInt(['n_positions', 'max_position_embeddings'], 1024);
  const cfg: GPT2Config = {
    ...base,
    model_type: 'gpt2',
    vocab_size: r.posInt('vocab_size', 50257),
    n_positions,
    n_ctx: r.posInt('n_ctx', n_positions),
    n_embd: r.posInt(['n_embd', 'hidden_size'], 768),
    n_layer: r.natInt(['n_layer', 'num_hidden_layers'], 12),
    n_head: r.posInt(['n_head', 'num_attention_heads'], 12),
    n_inner: r.posIntOrNull('n_inner', null),
    activation_function: r.oneOf('activation_function', ACTIVATIONS, 'gelu_new'),
    resid_pdrop: r.prob('resid_pdrop', 0.1),
    embd_pdrop: r.prob('embd_pdrop', 0.1),
    attn_pdrop: r.prob('attn_pdrop', 0.1),
    layer_norm_epsilon: r.posNum('layer_norm_epsilon', 1e-5),
    initializer_range: r.num('initializer_range', 0.02),
    scale_attn_weights: r.bool('scale_attn_weights', true),
    scale_attn_by_inverse_layer_idx: r.bool('scale_attn_by_inverse_layer_idx', false),
    reorder_and_upcast_attn: r.bool('reorder_and_upcast_attn', false),
    use_cache: r.bool('use_cache', true),
    extra: {},
  };
  if (cfg.n_embd % cfg.n_head !== 0) r.fail('n_embd', `(${cfg.n_embd}) must be a multiple of n_head (${cfg.n_head})`);
  cfg.extra = r.extra();
  return cfg;
}

/** The MLP inner size: n_inner, or 4 * n_embd when n_inner is null. @example gpt2InnerSize(cfg) // 128 for n_embd 32 */
export function gpt2InnerSize(cfg: GPT2Config): number {
  return cfg.n_inner ?? 4 * cfg.n_embd;
}

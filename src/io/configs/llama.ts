// LlamaConfig, shared by the Llama-family decoders (llama, qwen2, mistral; SmolLM is llama): HF field
// names with each family's HF defaults. Stricter than HF on one point: the size fields are required,
// since HF's 7B defaults would silently build the wrong model from an incomplete file.
import { ACTIVATIONS, readBase, type Activation, type BaseConfig } from './base.js';
import { REQUIRED, type FieldReader } from './fields.js';
import { readRopeScaling, type RopeScaling } from './rope.js';

export type LlamaFamily = 'llama' | 'qwen2' | 'mistral';

export interface LlamaConfig extends BaseConfig {
  model_type: LlamaFamily;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Defaults to num_attention_heads (no GQA). */
  num_key_value_heads: number;
  /** Defaults to hidden_size / num_attention_heads. */
  head_dim: number;
  hidden_act: Activation;
  max_position_embeddings: number;
  initializer_range: number;
  rms_norm_eps: number;
  use_cache: boolean;
  pretraining_tp: number;
  rope_theta: number;
  rope_scaling: RopeScaling | null;
  /** Bias on the attention projections. Qwen2 always has q/k/v biases (and none on o_proj): see attentionBiases(). */
  attention_bias: boolean;
  attention_dropout: number;
  mlp_bias: boolean;
  /** Mistral / Qwen2 sliding-window attention size; null for none. */
  sliding_window: number | null;
  use_sliding_window: boolean;
  max_window_layers: number | null;
}

interface FamilyDefaults {
  max_position_embeddings: number;
  bos: number | null;
  eos: number | null;
  attention_bias: boolean;
  sliding_window: number | null;
  use_sliding_window: boolean;
  max_window_layers: number | null;
}

const DEFAULTS: Record<LlamaFamily, FamilyDefaults> = {
  llama: { max_position_embeddings: 2048, bos: 1, eos: 2, attention_bias: false, sliding_window: null, use_sliding_window: false, max_window_layers: null },
  qwen2: { max_position_embeddings: 32768, bos: null, eos: null, attention_bias: true, sliding_window: 4096, use_sliding_window: false, max_window_layers: 28 },
  mistral: { max_position_embeddings: 4096 * 32, bos: 1, eos: 2, attention_bias: false, sliding_window: 4096, use_sliding_window: true, max_window_layers: null },
};

/** Parses a llama / qwen2 / mistral config.json object. @example parseLlamaConfig(new FieldReader(json, 'config.json'), 'llama') */
export function parseLlamaConfig(r: FieldReader, family: LlamaFamily): LlamaConfig {
  const d = DEFAULTS[family];
  const base = readBase(r, family, { bos_token_id: d.bos, eos_token_id: d.eos, pad_token_id: null, tie_word_embeddings: false });
  const hidden_size = r.posInt('hidden_size', REQUIRED);
  const num_attention_heads = r.posInt('num_attention_heads', REQUIRED);
  const hasHeadDim = r.has('head_dim') && r.json.head_dim !== null;
  if (!hasHeadDim && hidden_size % num_attention_heads !== 0) {
    r.fail('hidden_size', `(${hidden_size}) must be a multiple of num_attention_heads (${num_attention_heads}) when head_dim is not given`);
  }
  const kvRaw = r.posIntOrNull('num_key_value_heads', null);
  const cfg: LlamaConfig = {
    ...base,
    model_type: family,
    vocab_size: r.posInt('vocab_size', REQUIRED),
    hidden_size,
    intermediate_size: r.posInt('intermediate_size', REQUIRED),
    num_hidden_layers: r.natInt('num_hidden_layers', REQUIRED),
    num_attention_heads,
    num_key_value_heads: kvRaw ?? num_attention_heads,
    head_dim: r.posIntOrNull('head_dim', null) ?? Math.floor(hidden_size / num_attention_heads),
    hidden_act: r.oneOf('hidden_act', ACTIVATIONS, 'silu'),
    max_position_embeddings: r.posInt('max_position_embeddings', d.max_position_embeddings),
    initializer_range: r.num('initializer_range', 0.02),
    rms_norm_eps: r.posNum('rms_norm_eps', 1e-6),
    use_cache: r.bool('use_cache', true),
    pretraining_tp: r.posInt('pretraining_tp', 1),
    rope_theta: r.posNum('rope_theta', 10000),
    rope_scaling: readRopeScaling(r),
    attention_bias: r.bool('attention_bias', d.attention_bias),
    attention_dropout: r.prob('attention_dropout', 0),
    mlp_bias: r.bool('mlp_bias', false),
    sliding_window: r.posIntOrNull('sliding_window', d.sliding_window),
    use_sliding_window: r.bool('use_sliding_window', d.use_sliding_window),
    max_window_layers: r.posIntOrNull('max_window_layers', d.max_window_layers),
    extra: {},
  };
  if (cfg.num_attention_heads % cfg.num_key_value_heads !== 0) {
    r.fail('num_key_value_heads', `(${cfg.num_key_value_heads}) must divide num_attention_heads (${cfg.num_attention_heads})`);
  }
  cfg.extra = r.extra();
  return cfg;
}

/**
 * Which attention projections carry a bias: Llama/Mistral follow attention_bias for all four;
 * Qwen2 hard-codes bias on q/k/v and none on o_proj.
 *
 * @example attentionBiases(qwenCfg) // { qkv: true, o: false }
 */
export function attentionBiases(cfg: LlamaConfig): { qkv: boolean; o: boolean } {
  if (cfg.model_type === 'qwen2') return { qkv: true, o: false };
  return { qkv: cfg.attention_bias, o: cfg.attention_bias };
}

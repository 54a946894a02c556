// Llama (Touvron et al. 2023), as Hugging Face modeling_llama.py; Qwen2 and Mistral share it (Qwen2 adds
// q/k/v biases). embed_tokens → pre-norm layers (RMSNorm, RoPE self-attention with grouped-query heads,
// SwiGLU MLP) → norm → lm_head (untied, or tied to embed_tokens). Attribute paths are the HF weight names.
import { Tensor } from '../../tensor/tensor.js';
import { add, mul, activationByName } from '../../tensor/ops/elementwise.js';
import { linear } from '../../tensor/ops/matmul.js';
import { applyRope, ropeTables } from '../../tensor/ops/rope.js';
import { Module } from '../../nn/module.js';
import { Embedding, Linear, RMSNorm } from '../../nn/layers.js';
import { Rng } from '../../util/rng.js';
import { BertchatError } from '../../util/errors.js';
import { attend, causalMask } from '../../nn/attention.js';
import { KVCache } from '../../nn/kv-cache.js';
import { eosList, type CausalLM, type CausalLMForwardOptions, type TraceHook } from '../../nn/causal-lm.js';
import { attentionBiases, type LlamaConfig } from './config.js';
import { ropeInvFreq } from './rope.js';

/** cos/sin tables for one forward: (T, hs) shared by the batch, or (B, T, hs) per row. */
interface Rope {
  cos: Tensor;
  sin: Tensor;
}

export class LlamaAttention extends Module {
  q_proj: Linear;
  k_proj: Linear;
  v_proj: Linear;
  o_proj: Linear;
  readonly nh: number;
  readonly nkv: number;
  readonly hs: number;
  constructor(config: LlamaConfig, rng: Rng) {
    super();
    const C = config.hidden_size;
    this.nh = config.num_attention_heads;
    this.nkv = config.num_key_value_heads;
    this.hs = config.head_dim;
    const bias = attentionBiases(config);
    const std = config.initializer_range;
    this.q_proj = new Linear(C, this.nh * this.hs, { bias: bias.qkv, std, rng });
    this.k_proj = new Linear(C, this.nkv * this.hs, { bias: bias.qkv, std, rng });
    this.v_proj = new Linear(C, this.nkv * this.hs, { bias: bias.qkv, std, rng });
    this.o_proj = new Linear(this.nh * this.hs, C, { bias: bias.o, std, rng });
  }
  forward(x: Tensor, rope: Rope, mask: Tensor | null, cache: KVCache | null, layer: number): Tensor {
    const [B, T] = x.shape as [number, number];
    const { nh, nkv, hs } = this;
    const q = applyRope(this.q_proj.forward(x).reshape(B, T, nh, hs), rope.cos, rope.sin); // (B, T, nh, hs)
    const k = applyRope(this.k_proj.forward(x).reshape(B, T, nkv, hs), rope.cos, rope.sin); // (B, T, nkv, hs), before any GQA sharing
    const v = this.v_proj.forward(x).reshape(B, T, nkv, hs); // (B, T, nkv, hs)
    const { keys, values } = cache ? cache.update(layer, k, v) : { keys: k.transpose(1, 2), values: v.transpose(1, 2) }; // (B, nkv, L, hs)
    return this.o_proj.forward(attend(q, keys, values, mask)); // (B, T, C)
  }
}

export class LlamaMLP extends Module {
  gate_proj: Linear;
  up_proj: Linear;
  down_proj: Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: LlamaConfig, rng: Rng) {
    super();
    const { hidden_size: C, intermediate_size: I, mlp_bias: bias, initializer_range: std } = config;
    this.gate_proj = new Linear(C, I, { bias, std, rng });
    this.up_proj = new Linear(C, I, { bias, std, rng });
    this.down_proj = new Linear(I, C, { bias, std, rng });
    this.act = activationByName(config.hidden_act);
  }
  forward(x: Tensor): Tensor {
    return this.down_proj.forward(mul(this.act(this.gate_proj.forward(x)), this.up_proj.forward(x))); // down(silu(gate(x)) * up(x))
  }
}

export class LlamaDecoderLayer extends Module {
  self_attn: LlamaAttention;
  mlp: LlamaMLP;
  input_layernorm: RMSNorm;
  post_attention_layernorm: RMSNorm;
  constructor(config: LlamaConfig, rng: Rng) {
    super();
    this.self_attn = new LlamaAttention(config, rng);
    this.mlp = new LlamaMLP(config, rng);
    this.input_layernorm = new RMSNorm(config.hidden_size, config.rms_norm_eps);
    this.post_attention_layernorm = new RMSNorm(config.hidden_size, config.rms_norm_eps);
  }
  forward(x: Tensor, rope: Rope, mask: Tensor | null, cache: KVCache | null, layer: number, trace?: TraceHook): Tensor {
    const a = add(x, this.self_attn.forward(this.input_layernorm.forward(x), rope, mask, cache, layer));
    trace?.(`layers.${layer}.self_attn`, a);
    const out = add(a, this.mlp.forward(this.post_attention_layernorm.forward(a)));
    trace?.(`layers.${layer}`, out);
    return out;
  }
}

export class LlamaModel extends Module {
  embed_tokens: Embedding;
  layers: LlamaDecoderLayer[];
  norm: RMSNorm;
  /** Mistral's sliding window (keys at most window − 1 positions back); Infinity when off. */
  readonly window: number;
  constructor(readonly config: LlamaConfig, rng: Rng) {
    super();
    if (config.model_type === 'qwen2' && config.use_sliding_window) {
      throw new BertchatError('CONFIG', 'qwen2 with use_sliding_window true (per-layer sliding attention) is not supported yet');
    }
    this.window = config.model_type === 'mistral' && config.use_sliding_window && config.sliding_window ? config.sliding_window : Infinity;
    this.embed_tokens = new Embedding(config.vocab_size, config.hidden_size, { std: config.initializer_range, rng });
    this.layers = Array.from({ length: config.num_hidden_layers }, () => new LlamaDecoderLayer(config, rng));
    this.norm = new RMSNorm(config.hidden_size, config.rms_norm_eps);
  }

  /** cos/sin for these positions: int32 (B, T) or (1, T) / (T). */
  rope(positions: Tensor, B: number, T: number): Rope {
    const pv = positions.values();
    let maxPos = 0;
    for (let i = 0; i < pv.length; i++) if (pv[i]! > maxPos) maxPos = pv[i]!;
    const { cos, sin } = ropeTables(pv, ropeInvFreq(this.config, maxPos + 1));
    const hs = this.config.head_dim;
    const shape = pv.length === T ? [T, hs] : [B, T, hs];
    if (pv.length !== T && pv.length !== B * T) throw new BertchatError('SHAPE_MISMATCH', `Llama: positionIds [${positions.shape.join(', ')}] do not match inputIds [${B}, ${T}]`);
    return { cos: new Tensor(cos, shape), sin: new Tensor(sin, shape) };
  }

  /** ids (B, T) → final hidden states (B, T, C). */
  forward(ids: Tensor, opts: CausalLMForwardOptions = {}): Tensor {
    if (ids.ndim !== 2 || ids.dtype !== 'int32') throw new BertchatError('SHAPE_MISMATCH', `LlamaModel: inputIds must be int32 (B, T), got ${ids.dtype} [${ids.shape.join(', ')}]`);
    const [B, T] = ids.shape as [number, number];
    if (T === 0) throw new BertchatError('INVALID_ARGUMENT', 'LlamaModel: inputIds has no positions');
    const cache = opts.cache ?? null;
    const past = cache ? cache.length : 0;
    if (past + T > this.config.max_position_embeddings) {
      throw new BertchatError('CONTEXT_LENGTH', `Llama: ${past + T} positions exceed max_position_embeddings ${this.config.max_position_embeddings}`, {
        positions: past + T,
        maxContext: this.config.max_position_embeddings,
      });
    }
    if (cache) cache.checkRoom(T);
    const pos = opts.positionIds ?? new Tensor(Int32Array.from({ length: T }, (_, i) => past + i), [T]);
    const rope = this.rope(pos, B, T);
    let h = this.embed_tokens.forward(ids); // (B, T, C)
    opts.trace?.('embeddings', h);
    const mask = causalMask(B, T, past, opts.attentionMask, this.window); // (B|1, T, L) or null
    this.layers.forEach((layer, i) => (h = layer.forward(h, rope, mask, cache, i, opts.trace)));
    if (cache) cache.advance(T);
    return this.norm.forward(h);
  }
}

/** LlamaForCausalLM (also qwen2 and mistral). lm_head is its own Linear, or embed_tokens when tied. */
export class LlamaForCausalLM extends Module implements CausalLM {
  model: LlamaModel;
  lm_head: Linear | { weight: Tensor };
  constructor(readonly config: LlamaConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    this.model = new LlamaModel(config, rng);
    // Tied: a plain holder, so the shared tensor is listed once (as model.embed_tokens.weight).
    this.lm_head = config.tie_word_embeddings
      ? { weight: this.model.embed_tokens.weight }
      : new Linear(config.hidden_size, config.vocab_size, { bias: false, std: config.initializer_range, rng });
  }
  get vocabSize(): number {
    return this.config.vocab_size;
  }
  get maxContext(): number {
    return this.config.max_position_embeddings;
  }
  get eosTokenIds(): readonly number[] {
    return eosList(this.config.eos_token_id);
  }
  newCache(batch: number, maxLength = this.maxContext): KVCache {
    const c = this.config;
    return new KVCache({ numLayers: c.num_hidden_layers, batch, numKvHeads: c.num_key_value_heads, headDim: c.head_dim, maxLength: Math.min(maxLength, this.maxContext) });
  }
  /** ids (B, T) → logits (B, T, V), or (B, 1, V) with lastOnly. */
  forward(ids: Tensor, opts: CausalLMForwardOptions = {}): Tensor {
    let h = this.model.forward(ids, opts); // (B, T, C)
    if (opts.lastOnly) h = h.narrow(1, h.shape[1]! - 1, 1); // (B, 1, C)
    // the tied holder's weight is re-read each call: loadStateDict may have swapped embed_tokens' storage
    const w = this.lm_head instanceof Linear ? this.lm_head.weight : this.model.embed_tokens.weight;
    return linear(h, w); // (B, T|1, V)
  }
}

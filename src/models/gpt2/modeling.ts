// GPT-2 (Radford et al. 2019), as Hugging Face modeling_gpt2.py: token + position embeddings → pre-LN blocks
// (causal self-attention, GELU MLP) → ln_f → LM head tied to wte. Attribute paths are the HF weight names
// (transformer.h.0.attn.c_attn.weight ...). Implements CausalLM, with an optional KV cache.
import { Tensor } from '../../tensor/tensor.js';
import { add, activationByName } from '../../tensor/ops/elementwise.js';
import { linear } from '../../tensor/ops/matmul.js';
import { addmm } from '../../tensor/ops/addmm.js';
import { randn, zeros } from '../../tensor/ops/create.js';
import { Module, parameter } from '../../nn/module.js';
import { Dropout, Embedding, LayerNorm } from '../../nn/layers.js';
import { Rng } from '../../util/rng.js';
import { BertchatError } from '../../util/errors.js';
import { attend, causalMask } from '../../nn/attention.js';
import { KVCache } from '../../nn/kv-cache.js';
import { eosList, type CausalLM, type CausalLMForwardOptions, type TraceHook } from '../../nn/causal-lm.js';
import { gpt2InnerSize, type GPT2Config } from './config.js';

/**
 * The one layout difference from torch.nn.Linear: GPT-2's Conv1D stores its weight [in, out] and computes
 * y = x·W + b (torch.addmm). Every Conv1D in this file goes through this constant and `conv1d` below.
 */
export const CONV1D_WEIGHTS = 'in_out' as const;

/** y = x·W + b with W [in, out] (HF Conv1D). */
function conv1d(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return addmm(x, w, b);
}

/** HF's Conv1D(nf = out, nx = in): weight [in, out] ~ N(0, std), bias zeros. */
export class Conv1D extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(inFeatures: number, outFeatures: number, std: number, rng: Rng) {
    super();
    this.weight = parameter(randn([inFeatures, outFeatures], rng, std)); // CONV1D_WEIGHTS: [in, out]
    this.bias = parameter(zeros([outFeatures]));
  }
  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias);
  }
}

export class GPT2Attention extends Module {
  c_attn: Conv1D;
  c_proj: Conv1D;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly nh: number;
  readonly hs: number;
  private readonly scale: number;
  constructor(config: GPT2Config, rng: Rng, layer: number) {
    super();
    const C = config.n_embd;
    this.nh = config.n_head;
    this.hs = C / this.nh;
    // HF: scores / sqrt(hs) when scale_attn_weights, and / (layer + 1) when scale_attn_by_inverse_layer_idx
    this.scale = (config.scale_attn_weights ? 1 / Math.sqrt(this.hs) : 1) / (config.scale_attn_by_inverse_layer_idx ? layer + 1 : 1);
    const std = config.initializer_range;
    this.c_attn = new Conv1D(C, 3 * C, std, rng);
    this.c_proj = new Conv1D(C, C, std / Math.sqrt(2 * config.n_layer), rng);
    this.attn_dropout = new Dropout(config.attn_pdrop, rng);
    this.resid_dropout = new Dropout(config.resid_pdrop, rng);
  }
  forward(x: Tensor, mask: Tensor | null, cache: KVCache | null, layer: number): Tensor {
    const [B, T] = x.shape as [number, number];
    const { nh, hs } = this;
    const qkv = this.c_attn.forward(x).reshape(B, T, 3, nh, hs); // (B, T, 3, nh, hs): q | k | v along the last dim
    const q = qkv.select(2, 0); // (B, T, nh, hs)
    const k = qkv.select(2, 1);
    const v = qkv.select(2, 2);
    let keys: Tensor;
    let values: Tensor;
    if (cache) ({ keys, values } = cache.update(layer, k, v)); // (B, nh, L, hs) views of the cache
    else {
      keys = k.transpose(1, 2); // (B, nh, T, hs)
      values = v.transpose(1, 2);
    }
    const drop = this.attn_dropout.training && this.attn_dropout.p > 0 ? (p: Tensor) => this.attn_dropout.forward(p) : null; // null: fused paths
    const y = attend(q, keys, values, mask, drop, this.scale); // (B, T, C)
    return this.resid_dropout.forward(this.c_proj.forward(y));
  }
}

export class GPT2MLP extends Module {
  c_fc: Conv1D;
  c_proj: Conv1D;
  dropout: Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: GPT2Config, rng: Rng) {
    super();
    const inner = gpt2InnerSize(config);
    this.c_fc = new Conv1D(config.n_embd, inner, config.initializer_range, rng);
    this.c_proj = new Conv1D(inner, config.n_embd, config.initializer_range / Math.sqrt(2 * config.n_layer), rng);
    this.act = activationByName(config.activation_function);
    this.dropout = new Dropout(config.resid_pdrop, rng);
  }
  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.act(this.c_fc.forward(x)))); // (B, T, C)
  }
}

export class GPT2Block extends Module {
  ln_1: LayerNorm;
  attn: GPT2Attention;
  ln_2: LayerNorm;
  mlp: GPT2MLP;
  constructor(config: GPT2Config, rng: Rng, layer: number) {
    super();
    this.ln_1 = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
    this.attn = new GPT2Attention(config, rng, layer);
    this.ln_2 = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
    this.mlp = new GPT2MLP(config, rng);
  }
  forward(x: Tensor, mask: Tensor | null, cache: KVCache | null, layer: number, trace?: TraceHook): Tensor {
    const a = add(x, this.attn.forward(this.ln_1.forward(x), mask, cache, layer)); // x += attn(ln_1(x))
    trace?.(`h.${layer}.attn`, a);
    const out = add(a, this.mlp.forward(this.ln_2.forward(a))); // x += mlp(ln_2(x))
    trace?.(`h.${layer}`, out);
    return out;
  }
}

export class GPT2Model extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: GPT2Block[];
  ln_f: LayerNorm;
  constructor(readonly config: GPT2Config, rng: Rng) {
    super();
    const std = config.initializer_range;
    this.wte = new Embedding(config.vocab_size, config.n_embd, { std, rng });
    this.wpe = new Embedding(config.n_positions, config.n_embd, { std, rng });
    this.drop = new Dropout(config.embd_pdrop, rng);
    this.h = Array.from({ length: config.n_layer }, (_, i) => new GPT2Block(config, rng, i));
    this.ln_f = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
  }
  /** ids (B, T) → final hidden states (B, T, C). */
  forward(ids: Tensor, opts: CausalLMForwardOptions = {}): Tensor {
    const [B, T] = checkIds(ids, 'GPT2Model');
    const cache = opts.cache ?? null;
    const past = cache ? cache.length : 0;
    if (past + T > this.config.n_positions) {
      throw new BertchatError('CONTEXT_LENGTH', `GPT-2: ${past + T} positions exceed n_positions ${this.config.n_positions}`, { positions: past + T, maxContext: this.config.n_positions });
    }
    if (cache) cache.checkRoom(T);
    const pos = opts.positionIds ?? new Tensor(Int32Array.from({ length: T }, (_, i) => past + i), [1, T]);
    let h = this.drop.forward(add(this.wte.forward(ids), this.wpe.forward(pos))); // (B, T, C)
    opts.trace?.('embeddings', h);
    const mask = causalMask(B, T, past, opts.attentionMask); // (B|1, T, L) or null
    this.h.forEach((block, i) => (h = block.forward(h, mask, cache, i, opts.trace)));
    if (cache) cache.advance(T);
    return this.ln_f.forward(h);
  }
}

/** GPT2LMHeadModel: the transformer plus an LM head whose weight is wte (tied, as in every GPT-2 checkpoint). */
export class GPT2LMHeadModel extends Module implements CausalLM {
  transformer: GPT2Model;
  lm_head: { weight: Tensor };
  constructor(readonly config: GPT2Config, opts: { rng?: Rng } = {}) {
    super();
    if (!config.tie_word_embeddings) throw new BertchatError('CONFIG', 'GPT2LMHeadModel: untied lm_head (tie_word_embeddings false) is not supported');
    this.transformer = new GPT2Model(config, opts.rng ?? new Rng(42));
    // Not a Module attribute walk: lm_head.weight IS transformer.wte.weight (listed once, under wte).
    this.lm_head = { weight: this.transformer.wte.weight };
  }
  get vocabSize(): number {
    return this.config.vocab_size;
  }
  get maxContext(): number {
    return this.config.n_positions;
  }
  get eosTokenIds(): readonly number[] {
    return eosList(this.config.eos_token_id);
  }
  newCache(batch: number, maxLength = this.maxContext): KVCache {
    const c = this.config;
    return new KVCache({ numLayers: c.n_layer, batch, numKvHeads: c.n_head, headDim: c.n_embd / c.n_head, maxLength: Math.min(maxLength, this.maxContext) });
  }
  /** ids (B, T) → logits (B, T, V), or (B, 1, V) with lastOnly. */
  forward(ids: Tensor, opts: CausalLMForwardOptions = {}): Tensor {
    let h = this.transformer.forward(ids, opts); // (B, T, C)
    if (opts.lastOnly) h = h.narrow(1, h.shape[1]! - 1, 1); // (B, 1, C)
    return linear(h, this.transformer.wte.weight); // h · wteᵀ
  }
}

export function checkIds(ids: Tensor, who: string): [number, number] {
  if (ids.ndim !== 2 || ids.dtype !== 'int32') throw new BertchatError('SHAPE_MISMATCH', `${who}: inputIds must be int32 (B, T), got ${ids.dtype} [${ids.shape.join(', ')}]`);
  if (ids.shape[1] === 0) throw new BertchatError('INVALID_ARGUMENT', `${who}: inputIds has no positions`);
  return ids.shape as [number, number];
}

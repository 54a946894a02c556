// BERT (Devlin et al. 2019), as Hugging Face modeling_bert.py: embeddings → self-attention → feed-forward
// → stacked layers → pooler, post-LN. Attribute paths are the HF weight names (bert.encoder.layer.0...).
import { Tensor } from '../../tensor/tensor.js';
import { add, mul, activationByName, tanh } from '../../tensor/ops/elementwise.js';
import { matmul } from '../../tensor/ops/matmul.js';
import { softmax } from '../../tensor/ops/softmax.js';
import { multiHeadAttention } from '../../tensor/ops/attention.js';
import { Module } from '../../nn/module.js';
import { Dropout, Embedding, LayerNorm, Linear } from '../../nn/layers.js';
import { Rng } from '../../util/rng.js';
import { BertchatError } from '../../util/errors.js';
import type { BertConfig } from './config.js';
import { PreTrainedModel } from '../loading.js';

/** Called with a name such as `encoder.layer.3.attention.probs` and the activation at that step. */
export type TraceHook = (name: string, t: Tensor) => void;

export interface BertInputs {
  /** int32 (B, T) */
  inputIds: Tensor;
  /** (B, T), 1 = attend, 0 = padding; default all ones */
  attentionMask?: Tensor | null;
  /** int32 (B, T); default zeros */
  tokenTypeIds?: Tensor | null;
  /** int32 (B, T) or (T); default 0..T-1 */
  positionIds?: Tensor | null;
  trace?: TraceHook;
}

/** float32 min, what HF multiplies (1 - mask) by: finite, so fully masked rows stay finite. */
export const MASK_MIN = -3.4028234663852886e38;

/** (B, T) 0/1 mask → additive (B, 1, 1, T): 0 where attended, MASK_MIN where padded (keys only). */
export function extendedAttentionMask(mask: Tensor): Tensor {
  const [B, T] = mask.shape as [number, number];
  const v = mask.values();
  const out = new Float32Array(B * T);
  for (let i = 0; i < out.length; i++) out[i] = v[i] ? 0 : MASK_MIN;
  return new Tensor(out, [B, 1, 1, T]);
}

function initRng(rng?: Rng): Rng {
  return rng ?? new Rng(42);
}

export class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;
  constructor(readonly config: BertConfig, rng: Rng) {
    super();
    const std = config.initializer_range;
    this.word_embeddings = new Embedding(config.vocab_size, config.hidden_size, { paddingIdx: config.pad_token_id, std, rng });
    this.position_embeddings = new Embedding(config.max_position_embeddings, config.hidden_size, { std, rng });
    this.token_type_embeddings = new Embedding(config.type_vocab_size, config.hidden_size, { std, rng });
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.dropout = new Dropout(config.hidden_dropout_prob, rng);
  }
  forward(inputIds: Tensor, tokenTypeIds: Tensor, positionIds: Tensor): Tensor {
    let h = this.word_embeddings.forward(inputIds); // (B, T, C)
    h = add(h, this.token_type_embeddings.forward(tokenTypeIds));
    h = add(h, this.position_embeddings.forward(positionIds)); // (B|1, T, C) broadcasts
    return this.dropout.forward(this.LayerNorm.forward(h));
  }
}

export class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  dropout: Dropout;
  readonly nh: number;
  readonly hs: number;
  constructor(config: BertConfig, rng: Rng) {
    super();
    const C = config.hidden_size;
    if (C % config.num_attention_heads !== 0) {
      throw new BertchatError('CONFIG', `hidden_size ${C} is not a multiple of num_attention_heads ${config.num_attention_heads}`);
    }
    this.nh = config.num_attention_heads;
    this.hs = C / this.nh;
    const std = config.initializer_range;
    this.query = new Linear(C, C, { std, rng });
    this.key = new Linear(C, C, { std, rng });
    this.value = new Linear(C, C, { std, rng });
    this.dropout = new Dropout(config.attention_probs_dropout_prob, rng);
  }
  /** Use the fused attention op when attention dropout is inactive (eval, or p = 0); false forces the reference path. */
  static fused = true;
  forward(x: Tensor, mask: Tensor | null, name: string, trace?: TraceHook): Tensor {
    if (BertSelfAttention.fused && (!this.dropout.training || this.dropout.p === 0)) {
      // one op: heads read in place, scale in the GEMM, mask + softmax in place, output in (B, T, C)
      const { out, probs } = multiHeadAttention(this.query.forward(x), this.key.forward(x), this.value.forward(x), { heads: this.nh, mask });
      trace?.(`${name}.probs`, probs); // (B, nh, T, T)
      return out; // (B, T, C)
    }
    const [B, T, C] = x.shape as [number, number, number];
    const { nh, hs } = this;
    const q = this.query.forward(x).reshape(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    const k = this.key.forward(x).reshape(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    const v = this.value.forward(x).reshape(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    const scores = mul(matmul(q, k.transpose(-1, -2)), 1 / Math.sqrt(hs)); // (B, nh, T, T)
    const probs = this.dropout.forward(softmax(scores, -1, mask)); // (B, nh, T, T)
    trace?.(`${name}.probs`, probs);
    const ctx = matmul(probs, v); // (B, nh, T, hs)
    return ctx.transpose(1, 2).reshape(B, T, C); // (B, T, C)
  }
}

/** dense → dropout → LayerNorm(x + residual): BertSelfOutput and BertOutput share this shape. */
export class BertResidualOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;
  constructor(config: BertConfig, inSize: number, rng: Rng) {
    super();
    this.dense = new Linear(inSize, config.hidden_size, { std: config.initializer_range, rng });
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.dropout = new Dropout(config.hidden_dropout_prob, rng);
  }
  forward(h: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(add(this.dropout.forward(this.dense.forward(h)), residual));
  }
}

export class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertResidualOutput;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.self = new BertSelfAttention(config, rng);
    this.output = new BertResidualOutput(config, config.hidden_size, rng);
  }
  forward(x: Tensor, mask: Tensor | null, name: string, trace?: TraceHook): Tensor {
    return this.output.forward(this.self.forward(x, mask, name, trace), x);
  }
}

export class BertIntermediate extends Module {
  dense: Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.hidden_size, config.intermediate_size, { std: config.initializer_range, rng });
    this.act = activationByName(config.hidden_act);
  }
  forward(x: Tensor): Tensor {
    return this.act(this.dense.forward(x)); // (B, T, intermediate)
  }
}

export class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertResidualOutput;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.attention = new BertAttention(config, rng);
    this.intermediate = new BertIntermediate(config, rng);
    this.output = new BertResidualOutput(config, config.intermediate_size, rng);
  }
  forward(x: Tensor, mask: Tensor | null, name: string, trace?: TraceHook): Tensor {
    const a = this.attention.forward(x, mask, `${name}.attention`, trace);
    trace?.(`${name}.attention.output`, a);
    const out = this.output.forward(this.intermediate.forward(a), a);
    trace?.(`${name}.output`, out);
    return out;
  }
}

export class BertEncoder extends Module {
  layer: BertLayer[];
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.layer = Array.from({ length: config.num_hidden_layers }, () => new BertLayer(config, rng));
  }
  forward(x: Tensor, mask: Tensor | null, trace?: TraceHook): Tensor {
    let h = x;
    this.layer.forEach((l, i) => (h = l.forward(h, mask, `encoder.layer.${i}`, trace)));
    return h;
  }
}

export class BertPooler extends Module {
  dense: Linear;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size, { std: config.initializer_range, rng });
  }
  /** tanh(dense(h[:, 0])) → (B, C) */
  forward(h: Tensor): Tensor {
    return tanh(this.dense.forward(h.select(1, 0)));
  }
}

export interface BertModelOutput {
  lastHiddenState: Tensor; // (B, T, C)
  poolerOutput: Tensor | null; // (B, C)
}

/** Fills in HF's defaults for the optional inputs and validates shapes. */
export function resolveInputs(config: BertConfig, inp: BertInputs): { ids: Tensor; types: Tensor; pos: Tensor; mask: Tensor | null } {
  const ids = inp.inputIds;
  if (ids.ndim !== 2 || ids.dtype !== 'int32') throw new BertchatError('SHAPE_MISMATCH', `BertModel: inputIds must be int32 (B, T), got ${ids.dtype} [${ids.shape.join(', ')}]`);
  const [B, T] = ids.shape as [number, number];
  if (T > config.max_position_embeddings) {
    throw new BertchatError('CONTEXT_LENGTH', `BertModel: sequence length ${T} exceeds max_position_embeddings ${config.max_position_embeddings}; truncate the input`);
  }
  const same = (t: Tensor | null | undefined, what: string) => {
    if (t && (t.ndim !== 2 || t.shape[0] !== B || t.shape[1] !== T)) throw new BertchatError('SHAPE_MISMATCH', `BertModel: ${what} [${t.shape.join(', ')}] does not match inputIds [${B}, ${T}]`);
    return t ?? null;
  };
  const types = same(inp.tokenTypeIds, 'tokenTypeIds') ?? new Tensor(new Int32Array(B * T), [B, T]);
  const pos = inp.positionIds ?? new Tensor(Int32Array.from({ length: T }, (_, i) => i), [1, T]);
  const mask = same(inp.attentionMask, 'attentionMask');
  return { ids, types, pos, mask: mask ? extendedAttentionMask(mask) : null };
}

export class BertModel extends PreTrainedModel {
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler | null;
  constructor(readonly config: BertConfig, opts: { addPoolingLayer?: boolean; rng?: Rng } = {}) {
    super();
    const rng = initRng(opts.rng);
    this.embeddings = new BertEmbeddings(config, rng);
    this.encoder = new BertEncoder(config, rng);
    this.pooler = opts.addPoolingLayer === false ? null : new BertPooler(config, rng);
  }
  forward(inp: BertInputs): BertModelOutput {
    const { ids, types, pos, mask } = resolveInputs(this.config, inp);
    const emb = this.embeddings.forward(ids, types, pos);
    inp.trace?.('embeddings', emb);
    const h = this.encoder.forward(emb, mask, inp.trace);
    const pooled = this.pooler ? this.pooler.forward(h) : null;
    if (pooled) inp.trace?.('pooler', pooled);
    return { lastHiddenState: h, poolerOutput: pooled };
  }
}

// DistilBERT (Sanh et al. 2019), as Hugging Face modeling_distilbert.py: BERT with half the layers, no token
// types, no pooler. Embeddings (word + position, optionally sinusoidal) → LayerNorm; each layer is post-LN
// self-attention (q_lin/k_lin/v_lin/out_lin → sa_layer_norm) then FFN (lin1 → act → lin2 → output_layer_norm).
import { Tensor } from '../../tensor/tensor.js';
import { add, mul, activationByName } from '../../tensor/ops/elementwise.js';
import { matmul } from '../../tensor/ops/matmul.js';
import { softmax } from '../../tensor/ops/softmax.js';
import { Dropout, Embedding, LayerNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { Rng } from '../../util/rng.js';
import { BertchatError } from '../../util/errors.js';
import { PreTrainedModel } from '../loading.js';
import { BertSelfAttention, extendedAttentionMask, type TraceHook } from '../bert/modeling.js';
import { multiHeadAttention } from '../../tensor/ops/attention.js';
import type { DistilBertConfig } from './config.js';

/** DistilBERT's LayerNorms use eps 1e-12 (not a config field). */
export const DISTILBERT_LN_EPS = 1e-12;

export interface DistilBertInputs {
  /** int32 (B, T) */
  inputIds: Tensor;
  /** (B, T), 1 = attend, 0 = padding; default all ones */
  attentionMask?: Tensor | null;
  /** Accepted so BERT-style inputs can be passed unchanged; DistilBERT has no token types and ignores them. */
  tokenTypeIds?: Tensor | null;
  /** int32 (B, T) or (1, T); default 0..T-1 */
  positionIds?: Tensor | null;
  /** Called with `embeddings`, `transformer.layer.N.attention.probs`, `...attention.output`, `...output`. */
  trace?: TraceHook;
}

/**
 * HF create_sinusoidal_embeddings: out[pos, 2i] = sin(pos / 10000^(2i/dim)), out[pos, 2i+1] = cos(same angle).
 * @example sinusoidalPositions(512, 768) // Float32Array of 512·768
 */
export function sinusoidalPositions(nPos: number, dim: number): Float32Array {
  const out = new Float32Array(nPos * dim);
  for (let pos = 0; pos < nPos; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export class DistilBertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;
  constructor(config: DistilBertConfig, rng: Rng) {
    super();
    const std = config.initializer_range;
    this.word_embeddings = new Embedding(config.vocab_size, config.dim, { paddingIdx: config.pad_token_id, std, rng });
    this.position_embeddings = new Embedding(config.max_position_embeddings, config.dim, { std, rng });
    if (config.sinusoidal_pos_embds) {
      // fixed, as HF (requires_grad False); checkpoints still store the table
      this.position_embeddings.weight.data = sinusoidalPositions(config.max_position_embeddings, config.dim);
      this.position_embeddings.weight.requiresGrad = false;
    }
    this.LayerNorm = new LayerNorm(config.dim, DISTILBERT_LN_EPS);
    this.dropout = new Dropout(config.dropout, rng);
  }
  forward(inputIds: Tensor, positionIds: Tensor): Tensor {
    const h = add(this.word_embeddings.forward(inputIds), this.position_embeddings.forward(positionIds)); // (B, T, C)
    return this.dropout.forward(this.LayerNorm.forward(h));
  }
}

export class MultiHeadSelfAttention extends Module {
  q_lin: Linear;
  k_lin: Linear;
  v_lin: Linear;
  out_lin: Linear;
  dropout: Dropout;
  readonly nh: number;
  readonly hs: number;
  constructor(config: DistilBertConfig, rng: Rng) {
    super();
    const C = config.dim;
    this.nh = config.n_heads;
    this.hs = C / this.nh;
    const std = config.initializer_range;
    this.q_lin = new Linear(C, C, { std, rng });
    this.k_lin = new Linear(C, C, { std, rng });
    this.v_lin = new Linear(C, C, { std, rng });
    this.out_lin = new Linear(C, C, { std, rng });
    this.dropout = new Dropout(config.attention_dropout, rng);
  }
  forward(x: Tensor, mask: Tensor | null, name: string, trace?: TraceHook): Tensor {
    if (BertSelfAttention.fused && (!this.dropout.training || this.dropout.p === 0)) {
      const { out, probs } = multiHeadAttention(this.q_lin.forward(x), this.k_lin.forward(x), this.v_lin.forward(x), { heads: this.nh, mask });
      trace?.(`${name}.probs`, probs); // (B, nh, T, T)
      return this.out_lin.forward(out); // (B, T, C)
    }
    const [B, T, C] = x.shape as [number, number, number];
    const { nh, hs } = this;
    // reference path; HF scales q before the product: q / sqrt(hs)
    const q = mul(this.q_lin.forward(x), 1 / Math.sqrt(hs)).reshape(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    const k = this.k_lin.forward(x).reshape(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    const v = this.v_lin.forward(x).reshape(B, T, nh, hs).transpose(1, 2); // (B, nh, T, hs)
    const probs = this.dropout.forward(softmax(matmul(q, k.transpose(-1, -2)), -1, mask)); // (B, nh, T, T)
    trace?.(`${name}.probs`, probs);
    const ctx = matmul(probs, v).transpose(1, 2).reshape(B, T, C); // (B, T, C)
    return this.out_lin.forward(ctx);
  }
}

export class FFN extends Module {
  lin1: Linear;
  lin2: Linear;
  dropout: Dropout;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: DistilBertConfig, rng: Rng) {
    super();
    const std = config.initializer_range;
    this.lin1 = new Linear(config.dim, config.hidden_dim, { std, rng });
    this.lin2 = new Linear(config.hidden_dim, config.dim, { std, rng });
    this.dropout = new Dropout(config.dropout, rng);
    this.act = activationByName(config.activation);
  }
  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.lin2.forward(this.act(this.lin1.forward(x)))); // (B, T, C)
  }
}

export class TransformerBlock extends Module {
  attention: MultiHeadSelfAttention;
  sa_layer_norm: LayerNorm;
  ffn: FFN;
  output_layer_norm: LayerNorm;
  constructor(config: DistilBertConfig, rng: Rng) {
    super();
    this.attention = new MultiHeadSelfAttention(config, rng);
    this.sa_layer_norm = new LayerNorm(config.dim, DISTILBERT_LN_EPS);
    this.ffn = new FFN(config, rng);
    this.output_layer_norm = new LayerNorm(config.dim, DISTILBERT_LN_EPS);
  }
  forward(x: Tensor, mask: Tensor | null, name: string, trace?: TraceHook): Tensor {
    const sa = this.sa_layer_norm.forward(add(this.attention.forward(x, mask, `${name}.attention`, trace), x)); // post-LN
    trace?.(`${name}.attention.output`, sa);
    const out = this.output_layer_norm.forward(add(this.ffn.forward(sa), sa));
    trace?.(`${name}.output`, out);
    return out;
  }
}

export class Transformer extends Module {
  layer: TransformerBlock[];
  constructor(config: DistilBertConfig, rng: Rng) {
    super();
    this.layer = Array.from({ length: config.n_layers }, () => new TransformerBlock(config, rng));
  }
  forward(x: Tensor, mask: Tensor | null, trace?: TraceHook): Tensor {
    let h = x;
    this.layer.forEach((l, i) => (h = l.forward(h, mask, `transformer.layer.${i}`, trace)));
    return h;
  }
}

export interface DistilBertModelOutput {
  lastHiddenState: Tensor; // (B, T, C)
}

export class DistilBertModel extends PreTrainedModel {
  embeddings: DistilBertEmbeddings;
  transformer: Transformer;
  constructor(readonly config: DistilBertConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    this.embeddings = new DistilBertEmbeddings(config, rng);
    this.transformer = new Transformer(config, rng);
  }
  forward(inp: DistilBertInputs): DistilBertModelOutput {
    const ids = inp.inputIds;
    if (ids.ndim !== 2 || ids.dtype !== 'int32') throw new BertchatError('SHAPE_MISMATCH', `DistilBertModel: inputIds must be int32 (B, T), got ${ids.dtype} [${ids.shape.join(', ')}]`);
    const [B, T] = ids.shape as [number, number];
    if (T > this.config.max_position_embeddings) {
      throw new BertchatError('CONTEXT_LENGTH', `DistilBertModel: sequence length ${T} exceeds max_position_embeddings ${this.config.max_position_embeddings}; truncate the input`, {
        length: T,
        limit: this.config.max_position_embeddings,
      });
    }
    const m = inp.attentionMask;
    if (m && (m.ndim !== 2 || m.shape[0] !== B || m.shape[1] !== T)) {
      throw new BertchatError('SHAPE_MISMATCH', `DistilBertModel: attentionMask [${m.shape.join(', ')}] does not match inputIds [${B}, ${T}]`);
    }
    const pos = inp.positionIds ?? new Tensor(Int32Array.from({ length: T }, (_, i) => i), [1, T]);
    const emb = this.embeddings.forward(ids, pos);
    inp.trace?.('embeddings', emb);
    const h = this.transformer.forward(emb, m ? extendedAttentionMask(m) : null, inp.trace);
    return { lastHiddenState: h };
  }
}

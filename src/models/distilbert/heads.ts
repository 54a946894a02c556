// DistilBERT task heads, as HF: sequence classification ([CLS] → pre_classifier → ReLU → dropout → classifier),
// masked LM (vocab_transform → act → vocab_layer_norm → vocab_projector tied to the word embeddings),
// token classification (dropout → classifier per token).
import { Tensor } from '../../tensor/tensor.js';
import { activationByName, relu } from '../../tensor/ops/elementwise.js';
import { linear } from '../../tensor/ops/matmul.js';
import { crossEntropy, mseLoss, bceWithLogits } from '../../tensor/ops/loss.js';
import { full } from '../../tensor/ops/create.js';
import { parameter } from '../../nn/module.js';
import { Dropout, LayerNorm, Linear } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import { Rng } from '../../util/rng.js';
import { numLabels } from '../../io/config.js';
import { PreTrainedModel } from '../loading.js';
import { problemType, type ModelOutput } from '../bert/heads.js';
import type { DistilBertConfig } from './config.js';
import { DISTILBERT_LN_EPS, DistilBertModel, type DistilBertInputs } from './modeling.js';

export class DistilBertForSequenceClassification extends PreTrainedModel {
  distilbert: DistilBertModel;
  pre_classifier: Linear;
  classifier: Linear;
  dropout: Dropout;
  constructor(readonly config: DistilBertConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    const std = config.initializer_range;
    this.distilbert = new DistilBertModel(config, { rng });
    this.pre_classifier = new Linear(config.dim, config.dim, { std, rng });
    this.classifier = new Linear(config.dim, numLabels(config), { std, rng });
    this.dropout = new Dropout(config.seq_classif_dropout, rng);
  }
  /** labels: int32 (B) for single-label, float32 (B, L) for multi-label, float32 (B) for regression */
  forward(inp: DistilBertInputs & { labels?: Tensor | null }): ModelOutput {
    const h = this.distilbert.forward(inp).lastHiddenState; // (B, T, C)
    const pooled = this.dropout.forward(relu(this.pre_classifier.forward(h.select(1, 0)))); // (B, C)
    const logits = this.classifier.forward(pooled); // (B, L)
    const res: ModelOutput = { logits, lastHiddenState: h };
    if (inp.labels) {
      const kind = problemType(this.config, inp.labels);
      if (kind === 'regression') res.loss = mseLoss(logits.reshape(-1), inp.labels.reshape(-1));
      else if (kind === 'single_label_classification') res.loss = crossEntropy(logits, inp.labels.reshape(-1));
      else res.loss = bceWithLogits(logits, inp.labels);
    }
    return res;
  }
}

/** vocab_projector: weight tied to distilbert.embeddings.word_embeddings.weight (listed once, there), own bias. */
export class TiedProjector extends Module {
  readonly weight: Tensor;
  bias: Tensor;
  constructor(wordEmbeddings: Tensor, vocabSize: number) {
    super();
    this.weight = wordEmbeddings;
    this.bias = parameter(full([vocabSize], 0));
  }
  forward(h: Tensor): Tensor {
    return linear(h, this.weight, this.bias); // (B, T, V)
  }
}

/**
 * Checkpoint keys DistilBertForMaskedLM ignores: the explicit tied copy of the projector weight, which older
 * saves contain (the parameter is the word-embedding matrix).
 */
export const DISTILBERT_MLM_IGNORED_KEYS = /^vocab_projector\.weight$/;

export class DistilBertForMaskedLM extends PreTrainedModel {
  distilbert: DistilBertModel;
  vocab_transform: Linear;
  vocab_layer_norm: LayerNorm;
  vocab_projector: TiedProjector;
  private readonly act: (x: Tensor) => Tensor;
  constructor(readonly config: DistilBertConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    this.distilbert = new DistilBertModel(config, { rng });
    this.vocab_transform = new Linear(config.dim, config.dim, { std: config.initializer_range, rng });
    this.vocab_layer_norm = new LayerNorm(config.dim, DISTILBERT_LN_EPS);
    this.vocab_projector = new TiedProjector(this.distilbert.embeddings.word_embeddings.weight, config.vocab_size);
    this.act = activationByName(config.activation);
  }
  /** labels: int32 (B, T) with -100 on positions that carry no loss */
  forward(inp: DistilBertInputs & { labels?: Tensor | null }): ModelOutput {
    const h = this.distilbert.forward(inp).lastHiddenState; // (B, T, C)
    const logits = this.vocab_projector.forward(this.vocab_layer_norm.forward(this.act(this.vocab_transform.forward(h)))); // (B, T, V)
    const res: ModelOutput = { logits, lastHiddenState: h };
    if (inp.labels) res.loss = crossEntropy(logits.reshape(-1, this.config.vocab_size), inp.labels.reshape(-1));
    return res;
  }
}

export class DistilBertForTokenClassification extends PreTrainedModel {
  distilbert: DistilBertModel;
  dropout: Dropout;
  classifier: Linear;
  constructor(readonly config: DistilBertConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    this.distilbert = new DistilBertModel(config, { rng });
    this.dropout = new Dropout(config.dropout, rng);
    this.classifier = new Linear(config.dim, numLabels(config), { std: config.initializer_range, rng });
  }
  /** labels: int32 (B, T) with -100 on ignored positions */
  forward(inp: DistilBertInputs & { labels?: Tensor | null }): ModelOutput {
    const h = this.distilbert.forward(inp).lastHiddenState;
    const logits = this.classifier.forward(this.dropout.forward(h)); // (B, T, L)
    const res: ModelOutput = { logits, lastHiddenState: h };
    if (inp.labels) res.loss = crossEntropy(logits.reshape(-1, logits.shape[2]!), inp.labels.reshape(-1));
    return res;
  }
}

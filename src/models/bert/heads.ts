// BERT task heads, as HF: sequence classification (pooler → dropout → classifier), masked LM
// (transform → decoder tied to the word embeddings + bias), token classification (per-token classifier).
import { Tensor } from '../../tensor/tensor.js';
import { activationByName } from '../../tensor/ops/elementwise.js';
import { linear } from '../../tensor/ops/matmul.js';
import { crossEntropy, mseLoss, bceWithLogits } from '../../tensor/ops/loss.js';
import { full } from '../../tensor/ops/create.js';
import { Module, parameter } from '../../nn/module.js';
import { Dropout, LayerNorm, Linear } from '../../nn/layers.js';
import { Rng } from '../../util/rng.js';
import { numLabels, type BertConfig } from './config.js';
import type { BaseConfig } from '../../io/config.js';
import { BertModel, type BertInputs } from './modeling.js';
import { PreTrainedModel } from '../loading.js';

export interface ModelOutput {
  /** (B, num_labels) for sequence classification, (B, T, V|num_labels) for token-level heads */
  logits: Tensor;
  /** scalar, when labels were given */
  loss?: Tensor;
  lastHiddenState: Tensor;
}

export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';

/** HF's rule: explicit problem_type, else regression for 1 label, else single-label for int labels. */
export function problemType(config: BaseConfig, labels: Tensor | null): ProblemType {
  if (config.problem_type) return config.problem_type;
  if (numLabels(config) === 1) return 'regression';
  return !labels || labels.dtype === 'int32' ? 'single_label_classification' : 'multi_label_classification';
}

export class BertForSequenceClassification extends PreTrainedModel {
  bert: BertModel;
  dropout: Dropout;
  classifier: Linear;
  constructor(readonly config: BertConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    this.bert = new BertModel(config, { rng });
    this.dropout = new Dropout(config.classifier_dropout ?? config.hidden_dropout_prob, rng);
    this.classifier = new Linear(config.hidden_size, numLabels(config), { std: config.initializer_range, rng });
  }
  /** labels: int32 (B) for single-label, float32 (B, L) for multi-label, float32 (B) for regression */
  forward(inp: BertInputs & { labels?: Tensor | null }): ModelOutput {
    const out = this.bert.forward(inp);
    const logits = this.classifier.forward(this.dropout.forward(out.poolerOutput!)); // (B, L)
    const res: ModelOutput = { logits, lastHiddenState: out.lastHiddenState };
    if (inp.labels) {
      const kind = problemType(this.config, inp.labels);
      if (kind === 'regression') res.loss = mseLoss(logits.reshape(-1), inp.labels);
      else if (kind === 'single_label_classification') res.loss = crossEntropy(logits, inp.labels.reshape(-1));
      else res.loss = bceWithLogits(logits, inp.labels);
    }
    return res;
  }
}

export class BertPredictionHeadTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  private readonly act: (x: Tensor) => Tensor;
  constructor(config: BertConfig, rng: Rng) {
    super();
    this.dense = new Linear(config.hidden_size, config.hidden_size, { std: config.initializer_range, rng });
    this.LayerNorm = new LayerNorm(config.hidden_size, config.layer_norm_eps);
    this.act = activationByName(config.hidden_act);
  }
  forward(h: Tensor): Tensor {
    return this.LayerNorm.forward(this.act(this.dense.forward(h)));
  }
}

export class BertLMPredictionHead extends Module {
  transform: BertPredictionHeadTransform;
  /** The decoder weight is the word-embedding matrix (V, C), tied as HF ties it; not a separate parameter. */
  readonly decoderWeight: Tensor;
  bias: Tensor;
  constructor(config: BertConfig, wordEmbeddings: Tensor, rng: Rng) {
    super();
    this.transform = new BertPredictionHeadTransform(config, rng);
    this.decoderWeight = wordEmbeddings;
    this.bias = parameter(full([config.vocab_size], 0));
  }
  forward(h: Tensor): Tensor {
    return linear(this.transform.forward(h), this.decoderWeight, this.bias); // (B, T, V)
  }
}

export class BertOnlyMLMHead extends Module {
  predictions: BertLMPredictionHead;
  constructor(config: BertConfig, wordEmbeddings: Tensor, rng: Rng) {
    super();
    this.predictions = new BertLMPredictionHead(config, wordEmbeddings, rng);
  }
}

/**
 * Keys a BertForMaskedLM checkpoint may hold that are not separate parameters here: the tied decoder
 * (`cls.predictions.decoder.weight` = word embeddings, `.bias` = `cls.predictions.bias`) and the
 * pre-training heads of BertForPreTraining (pooler, NSP) that BertForMaskedLM drops.
 */
export const BERT_MLM_IGNORED_KEYS = /^(cls\.predictions\.decoder\.(weight|bias)|bert\.pooler\..*|cls\.seq_relationship\..*)$/;

export class BertForMaskedLM extends PreTrainedModel {
  bert: BertModel;
  cls: BertOnlyMLMHead;
  constructor(readonly config: BertConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    this.bert = new BertModel(config, { addPoolingLayer: false, rng });
    this.cls = new BertOnlyMLMHead(config, this.bert.embeddings.word_embeddings.weight, rng);
  }
  /** labels: int32 (B, T) with -100 on positions that carry no loss */
  forward(inp: BertInputs & { labels?: Tensor | null }): ModelOutput {
    const out = this.bert.forward(inp);
    const logits = this.cls.predictions.forward(out.lastHiddenState); // (B, T, V)
    const res: ModelOutput = { logits, lastHiddenState: out.lastHiddenState };
    if (inp.labels) res.loss = crossEntropy(logits.reshape(-1, this.config.vocab_size), inp.labels.reshape(-1));
    return res;
  }
}

export class BertForTokenClassification extends PreTrainedModel {
  bert: BertModel;
  dropout: Dropout;
  classifier: Linear;
  constructor(readonly config: BertConfig, opts: { rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? new Rng(42);
    this.bert = new BertModel(config, { addPoolingLayer: false, rng });
    this.dropout = new Dropout(config.classifier_dropout ?? config.hidden_dropout_prob, rng);
    this.classifier = new Linear(config.hidden_size, numLabels(config), { std: config.initializer_range, rng });
  }
  /** labels: int32 (B, T) with -100 on ignored positions */
  forward(inp: BertInputs & { labels?: Tensor | null }): ModelOutput {
    const out = this.bert.forward(inp);
    const logits = this.classifier.forward(this.dropout.forward(out.lastHiddenState)); // (B, T, L)
    const res: ModelOutput = { logits, lastHiddenState: out.lastHiddenState };
    if (inp.labels) res.loss = crossEntropy(logits.reshape(-1, logits.shape[2]!), inp.labels.reshape(-1));
    return res;
  }
}

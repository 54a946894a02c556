// The model a run trains, per objective and family (a registry, as data): BERT for text classification and
// masked LM, GPT-2 and Llama-family decoders for causal LM behind a small `{forward(ids, {labels}) → {logits, loss}}`
// interface. Builds from a preset or config.json (from scratch) or loads a pretrained folder (HF rules:
// missing heads are newly initialised, mismatched classifier sizes are dropped).
import { parseConfig, type BertConfig, type GPT2Config, type LlamaConfig, type ModelConfig } from '../io/config.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { BertForMaskedLM, BertForSequenceClassification, BERT_MLM_IGNORED_KEYS } from '../models/bert/heads.js';
import { GPT2LMHeadModel } from '../models/gpt2/modeling.js';
import { LlamaForCausalLM } from '../models/llama/modeling.js';
import type { CausalLM } from '../nn/causal-lm.js';
import { BertchatError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Objective } from './config.js';
import type { Batch } from './data/batching.js';

export interface LossOutput {
  logits: Tensor;
  loss: Tensor;
}

/** What a causal-LM trainer needs from a decoder: next-token loss over (B, T) targets (-100 = none). */
export interface CausalLMTrainable {
  forward(ids: Tensor, opts: { labels: Tensor; attentionMask?: Tensor | null }): LossOutput;
}

/** Adapts a generation CausalLM (logits only) to the training interface; labels are already shifted. */
export function causalLMWithLoss(model: CausalLM): CausalLMTrainable {
  return {
    forward(ids, opts) {
      const logits = model.forward(ids, { attentionMask: opts.attentionMask ?? null }); // (B, T, V)
      const V = logits.shape[2]!;
      return { logits, loss: crossEntropy(logits.reshape(-1, V), opts.labels.reshape(-1)) };
    },
  };
}

/** A model under training: the parameter tree, its config, and a loss on a batch. */
export interface TaskModel {
  module: Module;
  config: ModelConfig;
  /** HF class name written as `architectures`. */
  architecture: string;
  forward(batch: Batch): LossOutput;
}

type Builder = (config: ModelConfig, rng: Rng) => TaskModel;

function bertClassifier(config: ModelConfig, rng: Rng): TaskModel {
  const m = new BertForSequenceClassification(config as BertConfig, { rng });
  return {
    module: m,
    config,
    architecture: 'BertForSequenceClassification',
    forward: (b) => {
      const out = m.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds, labels: b.labels });
      return { logits: out.logits, loss: out.loss! };
    },
  };
}

function bertMlm(config: ModelConfig, rng: Rng): TaskModel {
  const m = new BertForMaskedLM(config as BertConfig, { rng });
  return {
    module: m,
    config,
    architecture: 'BertForMaskedLM',
    forward: (b) => {
      const out = m.forward({ inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds, labels: b.labels });
      return { logits: out.logits, loss: out.loss! };
    },
  };
}

function decoder(make: (c: ModelConfig, rng: Rng) => Module & CausalLM, architecture: string): Builder {
  return (config, rng) => {
    const m = make(config, rng);
    const lm = causalLMWithLoss(m);
    return { module: m, config, architecture, forward: (b) => lm.forward(b.inputIds, { labels: b.labels, attentionMask: b.attentionMask }) };
  };
}

/** model_type → objective → builder. A new family is one entry. */
const FAMILIES: Record<string, Partial<Record<Objective, Builder>>> = {
  bert: { 'text-classification': bertClassifier, 'masked-lm': bertMlm },
  gpt2: { 'causal-lm': decoder((c, rng) => new GPT2LMHeadModel(c as GPT2Config, { rng }), 'GPT2LMHeadModel') },
  llama: { 'causal-lm': decoder((c, rng) => new LlamaForCausalLM(c as LlamaConfig, { rng }), 'LlamaForCausalLM') },
  qwen2: { 'causal-lm': decoder((c, rng) => new LlamaForCausalLM(c as LlamaConfig, { rng }), 'Qwen2ForCausalLM') },
  mistral: { 'causal-lm': decoder((c, rng) => new LlamaForCausalLM(c as LlamaConfig, { rng }), 'MistralForCausalLM') },
};

/** Builds the task model for `objective` on a validated config; `rng` seeds init and then drives dropout. */
export function buildTaskModel(objective: Objective, config: ModelConfig, rng: Rng): TaskModel {
  const b = FAMILIES[config.model_type]?.[objective];
  if (!b) {
    const ok = Object.entries(FAMILIES).filter(([, v]) => v[objective]).map(([k]) => k);
    throw new BertchatError('CONFIG', `${objective} is not supported for model_type "${config.model_type}" (supported: ${ok.join(', ')})`);
  }
  return b(config, rng);
}

/** Size presets for training from scratch (`--config tiny|mini|small`). */
const PRESETS: Record<string, { bert: Record<string, number>; gpt2: Record<string, number> }> = {
  tiny: { bert: { hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512 }, gpt2: { n_embd: 128, n_layer: 2, n_head: 4 } },
  mini: { bert: { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 }, gpt2: { n_embd: 256, n_layer: 4, n_head: 4 } },
  small: { bert: { hidden_size: 512, num_hidden_layers: 4, num_attention_heads: 8, intermediate_size: 2048 }, gpt2: { n_embd: 384, n_layer: 6, n_head: 6 } },
};
export const PRESET_NAMES = Object.keys(PRESETS);

export interface ScratchConfigOptions {
  objective: Objective;
  vocabSize: number;
  padTokenId: number | null;
  bosTokenId: number | null;
  eosTokenId: number | null;
  maxLength: number;
  dropout: number | null;
  id2label: Record<number, string> | null;
}

/** Applies a dropout override to whichever dropout fields the family has. */
export function dropoutFields(modelType: string, p: number): Record<string, number> {
  if (modelType === 'bert') return { hidden_dropout_prob: p, attention_probs_dropout_prob: p };
  if (modelType === 'gpt2') return { resid_pdrop: p, embd_pdrop: p, attn_pdrop: p };
  return { attention_dropout: p };
}

/** A from-scratch config: a preset name or a config.json object, sized to the tokenizer. */
export function scratchConfig(preset: string | Record<string, unknown>, opts: ScratchConfigOptions, source: string): ModelConfig {
  let fields: Record<string, unknown>;
  if (typeof preset === 'string') {
    const p = PRESETS[preset];
    if (!p) throw new BertchatError('CONFIG', `unknown config preset "${preset}" (presets: ${PRESET_NAMES.join(', ')}, or a path to a config.json)`);
    const pos = Math.max(128, 2 ** Math.ceil(Math.log2(opts.maxLength)));
    fields = opts.objective === 'causal-lm'
      ? { model_type: 'gpt2', ...p.gpt2, n_positions: pos, n_ctx: pos }
      : { model_type: 'bert', ...p.bert, max_position_embeddings: Math.max(512, pos), type_vocab_size: 2 };
  } else fields = { ...preset };
  fields['vocab_size'] = opts.vocabSize;
  if (opts.padTokenId !== null) fields['pad_token_id'] = opts.padTokenId;
  if (opts.objective === 'causal-lm') {
    if (opts.bosTokenId !== null) fields['bos_token_id'] = opts.bosTokenId;
    if (opts.eosTokenId !== null) fields['eos_token_id'] = opts.eosTokenId;
  }
  if (opts.id2label) {
    fields['id2label'] = Object.fromEntries(Object.entries(opts.id2label));
    fields['label2id'] = Object.fromEntries(Object.entries(opts.id2label).map(([k, v]) => [v, Number(k)]));
  }
  const mt = typeof fields['model_type'] === 'string' ? fields['model_type'] : '';
  if (opts.dropout !== null) Object.assign(fields, dropoutFields(mt, opts.dropout));
  return parseConfig(fields, source);
}

type Weights = Map<string, { shape: readonly number[]; data: ArrayLike<number> }>;

/**
 * Loads pretrained weights into a task model like HF from_pretrained: tensors of other heads are ignored,
 * heads the checkpoint lacks stay newly initialised (returned in `initialised`), a classifier of another
 * size is dropped. Fails when nothing matches.
 */
export function loadPretrained(task: TaskModel, tensors: Weights, source: string): { initialised: string[]; ignored: string[] } {
  const own = new Map(task.module.namedParameters().map(([n, p]) => [n, p.shape]));
  const mt = task.config.model_type;
  const sd = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const ignored: string[] = [];
  const bare = mt === 'bert' && ![...tensors.keys()].some((k) => k.startsWith('bert.'));
  for (const [k0, v] of tensors) {
    let k = k0.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    if (bare && /^(embeddings|encoder|pooler)\./.test(k)) k = `bert.${k}`;
    if (mt === 'gpt2' && !k.startsWith('transformer.') && !k.startsWith('lm_head.')) k = `transformer.${k}`;
    const shape = own.get(k);
    if (!shape || shape.length !== v.shape.length || shape.some((d, i) => d !== v.shape[i])) {
      ignored.push(k0);
      continue;
    }
    sd.set(k, { shape: v.shape, data: v.data instanceof Float32Array ? v.data : Float32Array.from(v.data) });
  }
  if (sd.size === 0) throw new BertchatError('CHECKPOINT', `${source}: no tensor of the checkpoint matches ${task.architecture} (is it another model family?)`);
  const report = task.module.loadStateDict(sd, { strict: false });
  return { initialised: report.missing, ignored: ignored.filter((k) => !BERT_MLM_IGNORED_KEYS.test(k)) };
}

/** Parameters HF Trainer keeps out of weight decay: biases and LayerNorm weights (by name). */
export function isNoDecayName(name: string): boolean {
  return /(^|\.)bias$/.test(name) || /LayerNorm\.weight$|layer_?norm\.weight$|ln_\w+\.weight$|_layernorm\.weight$|norm\.weight$/i.test(name);
}

// Loads one served model from a folder (or hub id) into what the engine runs: a causal LM + tokenizer, or a
// BERT encoder (with its classifier head when the checkpoint has one) + tokenizer. Loaders are a table by
// model_type; switch it to src/models/registry.ts when that lands.
import { readConfig, type BertConfig, type ModelConfig } from '../io/config.js';
import { resolveModelDir } from '../io/hub.js';
import { loadModelWeights } from '../io/sharded.js';
import { loadGPT2 } from '../models/gpt2/load.js';
import { loadLlama } from '../models/llama/load.js';
import { BertForSequenceClassification } from '../models/bert/heads.js';
import { BertModel } from '../models/bert/modeling.js';
import type { CausalLM } from '../nn/causal-lm.js';
import { loadTokenizer, type Tokenizer } from '../tokenizers/index.js';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import type { ModelInfo, ModelSpec } from './engine.js';

export interface LoadedCausalLM {
  info: ModelInfo;
  kind: 'causal-lm';
  lm: CausalLM;
  tokenizer: Tokenizer;
  /** The chat template to use (the spec's override, else the tokenizer's), or null. */
  chatTemplate: string | null;
}
export interface LoadedEncoder {
  info: ModelInfo;
  kind: 'encoder';
  /** The classifier when the checkpoint has a head; its `.bert` is the encoder. */
  classifier: BertForSequenceClassification | null;
  encoder: BertModel;
  tokenizer: Tokenizer;
  multiLabel: boolean;
}
export type LoadedModel = LoadedCausalLM | LoadedEncoder;

type Weights = Map<string, { shape: readonly number[]; data: Float32Array }>;

function float32Weights(dir: string): Weights {
  const out: Weights = new Map();
  for (const [k, v] of loadModelWeights(dir).tensors) {
    out.set(k, { shape: v.shape, data: v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as ArrayLike<number>) });
  }
  return out;
}

function loadBert(dir: string, config: BertConfig): { classifier: BertForSequenceClassification | null; encoder: BertModel } {
  const weights = float32Weights(dir);
  if (weights.has('classifier.weight')) {
    const classifier = new BertForSequenceClassification(config);
    classifier.loadStateDict(weights);
    classifier.eval().requiresGrad_(false);
    return { classifier, encoder: classifier.bert };
  }
  // A bare or MLM checkpoint: keep the encoder's weights (with or without the `bert.` prefix).
  const enc: Weights = new Map();
  for (const [k, v] of weights) {
    const name = k.startsWith('bert.') ? k.slice(5) : k;
    if (/^(embeddings|encoder|pooler)\./.test(name)) enc.set(name, v);
  }
  const encoder = new BertModel(config, { addPoolingLayer: enc.has('pooler.dense.weight') });
  encoder.loadStateDict(enc);
  encoder.eval().requiresGrad_(false);
  return { classifier: null, encoder };
}

const CAUSAL: Record<string, (dir: string) => CausalLM> = {
  gpt2: loadGPT2,
  llama: loadLlama,
  qwen2: loadLlama,
  mistral: loadLlama,
};

function causalMaxContext(lm: CausalLM, tok: Tokenizer): number {
  const t = tok.modelMaxLength;
  return t !== null && t > 0 ? Math.min(t, lm.maxContext) : lm.maxContext;
}

/**
 * Loads the model a spec names.
 * @example const m = await loadServedModel({ name: 'gpt2', source: 'golden/gpt2-tiny-random' }); m.info.kind // 'causal-lm'
 */
export async function loadServedModel(spec: ModelSpec): Promise<LoadedModel> {
  const dir = await resolveModelDir(spec.source);
  const config: ModelConfig = readConfig(dir);
  const tokenizer = loadTokenizer(dir);
  const created = Math.floor(Date.now() / 1000);
  const causal = CAUSAL[config.model_type];
  if (causal) {
    const lm = causal(dir);
    const chatTemplate = spec.chatTemplate ?? tokenizer.chatTemplate;
    if (chatTemplate === null) log.info(`model ${spec.name}: no chat template; /v1/chat/completions will refuse it`);
    const info: ModelInfo = { id: spec.name, kind: 'causal-lm', maxContext: causalMaxContext(lm, tokenizer), created, chat: chatTemplate !== null, labels: [] };
    return { info, kind: 'causal-lm', lm, tokenizer, chatTemplate };
  }
  if (config.model_type === 'bert') {
    const bert = config as BertConfig;
    const { classifier, encoder } = loadBert(dir, bert);
    const labels = classifier ? Object.keys(bert.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => bert.id2label[Number(k)]!) : [];
    const max = Math.min(bert.max_position_embeddings, tokenizer.modelMaxLength ?? Infinity);
    const info: ModelInfo = { id: spec.name, kind: 'encoder', maxContext: max, created, chat: false, labels };
    return { info, kind: 'encoder', classifier, encoder, tokenizer, multiLabel: bert.problem_type === 'multi_label_classification' };
  }
  throw new BertchatError('CONFIG', `${dir}: model_type "${config.model_type}" cannot be served (supported: ${[...Object.keys(CAUSAL), 'bert'].join(', ')})`);
}

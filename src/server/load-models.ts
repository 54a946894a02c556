// Loads one served model from a folder (or hub id) into what the engine runs: a causal LM + tokenizer, or an
// encoder (BERT, DistilBERT; with its classification head when the checkpoint has one) + tokenizer. Which
// architecture a model_type has comes from src/models/registry.ts; loading goes through src/models/auto.ts.
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, type ModelConfig } from '../io/config.js';
import { readGenerationConfig } from '../io/generation-config.js';
import { resolveModelDir } from '../io/hub.js';
import { loadForTaskFromDir, type EncoderWithHead } from '../models/auto.js';
import { familyOf, findArchitecture, type ModelTask } from '../models/registry.js';
import type { CausalLM } from '../nn/causal-lm.js';
import { loadTokenizer, type Tokenizer } from '../tokenizers/index.js';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import type { ModelInfo, ModelSpec } from './engine.js';

/** An encoder as the engine uses it: token vectors, and logits when it has a classification head. */
export type ServedEncoder = Pick<EncoderWithHead, 'forward'>;

export interface LoadedCausalLM {
  info: ModelInfo;
  kind: 'causal-lm';
  lm: CausalLM;
  tokenizer: Tokenizer;
  /** The chat template to use (the spec's override, else the tokenizer's), or null. */
  chatTemplate: string | null;
  /** generation_config.json's eos ids: they end a choice as the model's own EOS ids do (HF generate). */
  stopTokenIds: number[];
}
export interface LoadedEncoder {
  info: ModelInfo;
  kind: 'encoder';
  /** Runs the encoder; `.logits` is meaningful only when `hasClassifier`. */
  encoder: ServedEncoder;
  hasClassifier: boolean;
  vocabSize: number;
  tokenizer: Tokenizer;
  multiLabel: boolean;
}
export type LoadedModel = LoadedCausalLM | LoadedEncoder;

/** Tensor names of a folder's weights, from the safetensors header or the shard index (no tensor data read). */
export function weightNames(dir: string): string[] {
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(index)) return Object.keys((JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map);
  const file = join(dir, 'model.safetensors');
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    if (n > 100 * 1024 * 1024) throw new BertchatError('CHECKPOINT', `${file}: safetensors header of ${n} bytes`);
    const header = Buffer.alloc(n);
    readSync(fd, header, 0, n, 8);
    return Object.keys(JSON.parse(header.toString('utf8')) as Record<string, unknown>).filter((k) => k !== '__metadata__');
  } finally {
    closeSync(fd);
  }
}

/** The encoder task to load: the classifier when config.json names one (or the weights hold its head), else the base model. */
function encoderTask(dir: string, config: ModelConfig): ModelTask {
  const archs = config.architectures ?? [];
  if (archs.some((a) => findArchitecture(a)?.arch.task === 'sequence-classification')) return 'sequence-classification';
  if (archs.length > 0) return 'base';
  return weightNames(dir).some((k) => /(^|\.)classifier\.weight$/.test(k)) ? 'sequence-classification' : 'base';
}

function hasTask(modelType: string, task: ModelTask): boolean {
  return Object.values(familyOf(modelType).architectures).some((a) => a.task === task);
}

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
  familyOf(config.model_type, join(dir, 'config.json')); // CONFIG error listing the supported model types
  const tokenizer = loadTokenizer(dir);
  const created = Math.floor(Date.now() / 1000);
  if (hasTask(config.model_type, 'causal-lm')) {
    const lm = loadForTaskFromDir(dir, 'causal-lm') as unknown as CausalLM;
    const chatTemplate = spec.chatTemplate ?? tokenizer.chatTemplate;
    if (chatTemplate === null) log.info(`model ${spec.name}: no chat template; /v1/chat/completions will refuse it`);
    const info: ModelInfo = { id: spec.name, kind: 'causal-lm', maxContext: causalMaxContext(lm, tokenizer), created, chat: chatTemplate !== null, labels: [] };
    const eos = readGenerationConfig(dir)?.eos_token_id ?? null;
    const stopTokenIds = eos === null ? [] : typeof eos === 'number' ? [eos] : eos;
    return { info, kind: 'causal-lm', lm, tokenizer, chatTemplate, stopTokenIds };
  }
  if (hasTask(config.model_type, 'base')) {
    const task = encoderTask(dir, config);
    const encoder = (loadForTaskFromDir(dir, task) as EncoderWithHead).packForInference() as ServedEncoder; // weights stay constant while served
    const hasClassifier = task === 'sequence-classification';
    const labels = hasClassifier ? Object.keys(config.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => config.id2label[Number(k)]!) : [];
    const positions = (config as { max_position_embeddings?: number }).max_position_embeddings ?? Infinity;
    const max = Math.min(positions, tokenizer.modelMaxLength ?? Infinity);
    const info: ModelInfo = { id: spec.name, kind: 'encoder', maxContext: max, created, chat: false, labels };
    return { info, kind: 'encoder', encoder, hasClassifier, vocabSize: (config as { vocab_size: number }).vocab_size, tokenizer, multiLabel: config.problem_type === 'multi_label_classification' };
  }
  throw new BertchatError('CONFIG', `${dir}: model_type "${config.model_type}" has neither a causal LM nor an encoder architecture, so it cannot be served`);
}

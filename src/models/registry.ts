// The model registry, as data: config.json's model_type → family entry (config parser, base-model prefix,
// key rules, architectures by HF class name). A new family is one folder in models/ and one entry here;
// the Auto classes (auto.ts) and the loader (loading.ts) read nothing else.
import { parseConfig, type ModelConfig } from '../io/config.js';
import type { Module } from '../nn/module.js';
import { BertchatError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import type { LoadSpec } from './loading.js';
import { BertModel } from './bert/modeling.js';
import { BERT_MLM_IGNORED_KEYS, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification } from './bert/heads.js';
import { DistilBertModel } from './distilbert/modeling.js';
import { DISTILBERT_MLM_IGNORED_KEYS, DistilBertForMaskedLM, DistilBertForSequenceClassification, DistilBertForTokenClassification } from './distilbert/heads.js';
import { GPT2LMHeadModel } from './gpt2/modeling.js';
import { GPT2_IGNORED_KEYS } from './gpt2/load.js';
import { LlamaForCausalLM } from './llama/modeling.js';
import { LLAMA_IGNORED_KEYS } from './llama/load.js';

/** What an Auto class asks for. */
export type ModelTask = 'base' | 'sequence-classification' | 'masked-lm' | 'token-classification' | 'causal-lm';

/** A model built from the registry: a Module with its config. */
export type RegisteredModel = Module & { config: ModelConfig };

export interface ArchitectureEntry {
  task: ModelTask;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each family's constructor takes its own config type
  create: (config: any, opts: { rng?: Rng }) => RegisteredModel;
  /** Parameters a checkpoint may lack (HF "newly initialized" heads), initialised fresh with a warning. */
  newlyInitialized?: RegExp;
  /** Checkpoint keys this architecture ignores silently. */
  ignoreKeys?: RegExp;
}

export interface FamilyEntry {
  /** Validates config.json for this family (parseConfig dispatches on model_type). */
  parseConfig: (json: unknown, source: string) => ModelConfig;
  /** HF base_model_prefix: the attribute holding the base model inside head architectures. */
  basePrefix: string;
  /** Keys of the family's heads; a checkpoint's head that an architecture does not use is dropped with a warning. */
  headKeys: RegExp;
  /** Checkpoint keys every architecture of the family ignores (old buffers). */
  ignoreKeys?: (key: string, config: ModelConfig) => boolean;
  /** Architectures by HF class name (config.json `architectures`). */
  architectures: Record<string, ArchitectureEntry>;
}

/** Old `embeddings.position_ids` buffers (int64) that pre-4.31 BERT/DistilBERT saves contain. */
const POSITION_IDS_BUFFER = /(^|\.)embeddings\.position_ids$/;

/** Llama, Qwen2 and Mistral share one implementation (models/llama); only the architecture name differs. */
function llamaFamily(archName: string): FamilyEntry {
  return {
    parseConfig,
    basePrefix: 'model',
    headKeys: /^$/,
    ignoreKeys: (k, c) => LLAMA_IGNORED_KEYS.test(k) || (c.tie_word_embeddings && k === 'lm_head.weight'),
    architectures: { [archName]: { task: 'causal-lm', create: (c, o) => new LlamaForCausalLM(c, o) } },
  };
}

export const MODEL_FAMILIES: Readonly<Record<string, FamilyEntry>> = {
  bert: {
    parseConfig,
    basePrefix: 'bert',
    headKeys: /^(cls\.|classifier\.|qa_outputs\.|(bert\.)?pooler\.)/,
    ignoreKeys: (k) => POSITION_IDS_BUFFER.test(k),
    architectures: {
      BertModel: { task: 'base', create: (c, o) => new BertModel(c, o), newlyInitialized: /^pooler\./ },
      BertForSequenceClassification: { task: 'sequence-classification', create: (c, o) => new BertForSequenceClassification(c, o), newlyInitialized: /^(classifier\.|bert\.pooler\.)/ },
      BertForMaskedLM: { task: 'masked-lm', create: (c, o) => new BertForMaskedLM(c, o), ignoreKeys: BERT_MLM_IGNORED_KEYS },
      BertForTokenClassification: { task: 'token-classification', create: (c, o) => new BertForTokenClassification(c, o), newlyInitialized: /^classifier\./ },
    },
  },
  distilbert: {
    parseConfig,
    basePrefix: 'distilbert',
    headKeys: /^(vocab_transform\.|vocab_layer_norm\.|vocab_projector\.|pre_classifier\.|classifier\.|qa_outputs\.)/,
    ignoreKeys: (k) => POSITION_IDS_BUFFER.test(k),
    architectures: {
      DistilBertModel: { task: 'base', create: (c, o) => new DistilBertModel(c, o) },
      DistilBertForSequenceClassification: {
        task: 'sequence-classification',
        create: (c, o) => new DistilBertForSequenceClassification(c, o),
        newlyInitialized: /^(pre_classifier|classifier)\./,
      },
      DistilBertForMaskedLM: { task: 'masked-lm', create: (c, o) => new DistilBertForMaskedLM(c, o), ignoreKeys: DISTILBERT_MLM_IGNORED_KEYS },
      DistilBertForTokenClassification: { task: 'token-classification', create: (c, o) => new DistilBertForTokenClassification(c, o), newlyInitialized: /^classifier\./ },
    },
  },
  // ---- decoder families -------------------------------------------------------------------------
  // GPT-2 and the Llama family (models/gpt2, models/llama) load through the same path; their checkpoint
  // rules are the named constants of their load.ts. Another decoder family is one entry like these.
  gpt2: {
    parseConfig,
    basePrefix: 'transformer',
    headKeys: /^$/,
    ignoreKeys: (k) => GPT2_IGNORED_KEYS.test(k),
    architectures: { GPT2LMHeadModel: { task: 'causal-lm', create: (c, o) => new GPT2LMHeadModel(c, o) } },
  },
  llama: llamaFamily('LlamaForCausalLM'),
  qwen2: llamaFamily('Qwen2ForCausalLM'),
  mistral: llamaFamily('MistralForCausalLM'),
};

/** The family of a model_type, or a CONFIG error listing the supported ones. */
export function familyOf(modelType: string, where = 'config.json'): FamilyEntry {
  const f = Object.prototype.hasOwnProperty.call(MODEL_FAMILIES, modelType) ? MODEL_FAMILIES[modelType] : undefined;
  if (!f) throw new BertchatError('CONFIG', `${where}: model_type "${modelType}" has no model family (supported: ${Object.keys(MODEL_FAMILIES).join(', ')})`);
  return f;
}

/** The architecture of a family for a task, e.g. ('bert', 'masked-lm') → ['BertForMaskedLM', entry]. */
export function architectureForTask(modelType: string, task: ModelTask, where = 'config.json'): [string, ArchitectureEntry] {
  const fam = familyOf(modelType, where);
  const found = Object.entries(fam.architectures).find(([, a]) => a.task === task);
  if (!found) {
    const tasks = [...new Set(Object.values(fam.architectures).map((a) => a.task))].join(', ');
    throw new BertchatError('CONFIG', `${where}: model_type "${modelType}" has no ${task} architecture (it has: ${tasks})`);
  }
  return found;
}

/** An architecture by HF class name, with its model_type. */
export function findArchitecture(name: string): { modelType: string; family: FamilyEntry; arch: ArchitectureEntry } | null {
  for (const [modelType, family] of Object.entries(MODEL_FAMILIES)) {
    const arch = family.architectures[name];
    if (arch) return { modelType, family, arch };
  }
  return null;
}

/** The loader's rules for one architecture of a family. */
export function loadSpecOf(family: FamilyEntry, arch: ArchitectureEntry): LoadSpec {
  const ignore = arch.ignoreKeys;
  return {
    basePrefix: family.basePrefix,
    newlyInitialized: arch.newlyInitialized,
    otherHeadKeys: family.headKeys,
    ignoreKeys: (k, c) => (family.ignoreKeys?.(k, c) ?? false) || (ignore?.test(k) ?? false),
  };
}

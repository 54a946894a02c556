// The Auto classes (HF AutoModel*, AutoConfig, AutoTokenizer): resolve a folder or hub id, read config.json,
// pick the family's architecture for the task from the registry, build it and load the weights strictly.
// Models come back in eval mode with gradients off; call `.train()` and `.requiresGrad_(true)` to fine-tune.
import { join } from 'node:path';
import { parseConfig, readConfig, readJsonFile, type ModelConfig } from '../io/config.js';
import { resolveModelDir } from '../io/hub.js';
import { loadModelWeights } from '../io/sharded.js';
import { readSafetensors } from '../io/safetensors.js';
import type { Tensor } from '../tensor/tensor.js';
import { loadTokenizer, type LoadTokenizerOptions } from '../tokenizers/load.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { BertchatError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { withoutInit } from '../nn/layers.js';
import { loadCheckpoint, type FromPretrainedOptions, type RawWeight } from './loading.js';
import { architectureForTask, findArchitecture, familyOf, loadSpecOf, type ArchitectureEntry, type FamilyEntry, type ModelTask, type RegisteredModel } from './registry.js';
import type { BertInputs } from './bert/modeling.js';
import type { ModelOutput } from './bert/heads.js';

export type { FromPretrainedOptions } from './loading.js';

/** Inputs every encoder (BERT, DistilBERT) accepts; DistilBERT ignores tokenTypeIds. */
export type EncoderInputs = BertInputs;

/** A base encoder: token vectors (and BERT's pooler output when it has one). */
export interface EncoderModel extends RegisteredModel {
  forward(inp: EncoderInputs): { lastHiddenState: Tensor; poolerOutput?: Tensor | null };
}
/** An encoder with a task head: logits (B, L) or (B, T, V|L), plus the loss when labels are given. */
export interface EncoderWithHead extends RegisteredModel {
  forward(inp: EncoderInputs & { labels?: Tensor | null }): ModelOutput;
}

/**
 * config.json of a folder, with HF-style overrides (`num_labels` replaces the labels of the file).
 * @example readConfigWithOverrides(dir, { num_labels: 5 })
 */
export function readConfigWithOverrides(dir: string, overrides?: Record<string, unknown>): ModelConfig {
  if (!overrides || Object.keys(overrides).length === 0) return readConfig(dir);
  const path = join(dir, 'config.json');
  const json = { ...(readJsonFile(path) as Record<string, unknown>) };
  if ('num_labels' in overrides && !('id2label' in overrides)) {
    delete json.id2label;
    delete json.label2id;
  }
  if ('id2label' in overrides && !('label2id' in overrides)) delete json.label2id;
  return parseConfig({ ...json, ...overrides }, `${path} (with overrides)`);
}

function readWeights(dir: string, opts: FromPretrainedOptions): Map<string, RawWeight> {
  return opts.weightsFile ? readSafetensors(join(dir, opts.weightsFile)).tensors : loadModelWeights(dir).tensors;
}

function build(dir: string, config: ModelConfig, family: FamilyEntry, arch: ArchitectureEntry, opts: FromPretrainedOptions): RegisteredModel {
  // no random init for weights the checkpoint overwrites (seconds for BERT-base); fresh heads are initialised by the loader
  const rng = opts.rng ?? new Rng(42);
  const model = withoutInit(() => arch.create(config, { rng }));
  loadCheckpoint(model, readWeights(dir, opts), loadSpecOf(family, arch), dir, { ignoreMismatchedSizes: opts.ignoreMismatchedSizes, rng });
  return model.eval().requiresGrad_(false);
}

/**
 * Loads a local model folder into a named architecture (synchronous; no hub access).
 * @example const m = loadArchitectureFromDir('golden/bert-tiny-random', 'BertForSequenceClassification');
 */
export function loadArchitectureFromDir(dir: string, archName: string, opts: FromPretrainedOptions = {}): RegisteredModel {
  const found = findArchitecture(archName);
  if (!found) throw new BertchatError('INVALID_ARGUMENT', `${archName} is not a registered architecture`);
  const config = readConfigWithOverrides(dir, opts.config);
  if (config.model_type !== found.modelType) {
    const alt = Object.entries(familyOf(config.model_type, dir).architectures).find(([, a]) => a.task === found.arch.task)?.[0];
    throw new BertchatError(
      'CONFIG',
      `${dir}: model_type is "${config.model_type}", but ${archName} is a ${found.modelType} architecture` + (alt ? `; use ${alt} or an Auto class` : ''),
    );
  }
  return build(dir, config, found.family, found.arch, opts);
}

/** Resolves `idOrPath` (folder or hub id) and loads it into a named architecture. */
export async function loadArchitecture(idOrPath: string, archName: string, opts: FromPretrainedOptions = {}): Promise<RegisteredModel> {
  return loadArchitectureFromDir(await resolveModelDir(idOrPath, opts), archName, opts);
}

/**
 * Loads a local folder with the family's architecture for `task` (synchronous).
 * @example const mlm = loadForTaskFromDir('golden/bert-tiny-random-mlm', 'masked-lm');
 */
export function loadForTaskFromDir(dir: string, task: ModelTask, opts: FromPretrainedOptions = {}): RegisteredModel {
  const config = readConfigWithOverrides(dir, opts.config);
  const family = familyOf(config.model_type, join(dir, 'config.json'));
  const [, arch] = architectureForTask(config.model_type, task, join(dir, 'config.json'));
  return build(dir, config, family, arch, opts);
}

function auto<T>(task: ModelTask) {
  return {
    /** Resolves a folder or hub id and loads the family's architecture for this task (eval mode, grads off). */
    async fromPretrained(idOrPath: string, opts: FromPretrainedOptions = {}): Promise<T> {
      return loadForTaskFromDir(await resolveModelDir(idOrPath, opts), task, opts) as T;
    },
    /** The same, from a local folder, synchronously. */
    fromDir(dir: string, opts: FromPretrainedOptions = {}): T {
      return loadForTaskFromDir(dir, task, opts) as T;
    },
  };
}

/**
 * The base encoder (BertModel, DistilBertModel), for embeddings.
 * @example const model = await AutoModel.fromPretrained('sentence-transformers/all-MiniLM-L6-v2');
 */
export const AutoModel = auto<EncoderModel>('base');
/** @example const model = await AutoModelForSequenceClassification.fromPretrained('distilbert-base-uncased-finetuned-sst-2-english'); */
export const AutoModelForSequenceClassification = auto<EncoderWithHead>('sequence-classification');
/** @example const model = await AutoModelForMaskedLM.fromPretrained('bert-base-uncased'); */
export const AutoModelForMaskedLM = auto<EncoderWithHead>('masked-lm');
/** @example const model = await AutoModelForTokenClassification.fromPretrained('dslim/bert-base-NER'); */
export const AutoModelForTokenClassification = auto<EncoderWithHead>('token-classification');
/** GPT-2 and Llama-family decoders. @example const lm = await AutoModelForCausalLM.fromPretrained('gpt2'); */
export const AutoModelForCausalLM = auto<RegisteredModel>('causal-lm');

/** @example const cfg = await AutoConfig.fromPretrained('bert-base-uncased'); cfg.model_type // 'bert' */
export const AutoConfig = {
  async fromPretrained(idOrPath: string, opts: FromPretrainedOptions = {}): Promise<ModelConfig> {
    return readConfigWithOverrides(await resolveModelDir(idOrPath, opts), opts.config);
  },
};

/**
 * A folder's or hub id's tokenizer (tokenizer.json, vocab.txt, vocab.json + merges.txt, ...).
 * @example const tokenizer = await AutoTokenizer.fromPretrained('bert-base-uncased');
 */
export const AutoTokenizer = {
  async fromPretrained(idOrPath: string, opts: FromPretrainedOptions & LoadTokenizerOptions = {}): Promise<Tokenizer> {
    return loadTokenizer(await resolveModelDir(idOrPath, opts), opts);
  },
};

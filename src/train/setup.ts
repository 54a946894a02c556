// Everything a run needs before its first step: the tokenizer, the data (fully read and checked), the model
// config (pretrained, from scratch, or the checkpoint's when resuming), the model with its weights, and the
// optimizer with restored state. Failures here happen before any training time is spent.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configToJSON, parseConfig, readConfig, readJsonFile, type ModelConfig } from '../io/config.js';
import { resolveModelDir } from '../io/hub.js';
import { loadModelWeights } from '../io/sharded.js';
import { loadTokenizer } from '../tokenizers/load.js';
import { saveTokenizer } from '../tokenizers/save.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { BertchatError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { AdamW } from '../optim/adamw.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TrainingConfig } from './config.js';
import { loadCheckpoint, restoreOptimizer, type LoadedCheckpoint } from './checkpoint.js';
import { loadTrainingData, type TrainingData } from './data/dataset.js';
import { buildTaskModel, dropoutFields, loadPretrained, PRESET_NAMES, scratchConfig, type TaskModel } from './models.js';
import { createOptimizer } from './step.js';

export interface PreparedRun {
  tokenizer: Tokenizer;
  /** Folder the tokenizer files are copied from (null: saved with saveTokenizer). */
  tokenizerDir: string | null;
  data: TrainingData;
  task: TaskModel;
  /** Init/dropout generator of the model (re-seeded every micro-batch). */
  rng: Rng;
  optimizer: AdamW;
  params: Tensor[];
  paramNames: string[];
  checkpoint: LoadedCheckpoint | null;
  /** Notes for the log: newly initialised heads, ignored tensors. */
  notes: string[];
}

const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'tokenizer.bin'];

/** Copies a tokenizer's files into a model folder (or saves it when it has no folder). */
export function writeTokenizerFiles(tok: Tokenizer, srcDir: string | null, dst: string): void {
  mkdirSync(dst, { recursive: true });
  if (srcDir === null) {
    saveTokenizer(tok, dst);
    return;
  }
  for (const f of TOKENIZER_FILES) if (existsSync(join(srcDir, f))) copyFileSync(join(srcDir, f), join(dst, f));
}

function labelNamesFor(cfg: TrainingConfig, labels: string[]): Record<number, string> {
  if (cfg.labelNames && cfg.labelNames.length !== labels.length) {
    throw new BertchatError('CONFIG', `--label-names gives ${cfg.labelNames.length} names but the training data has ${labels.length} labels (${labels.join(', ')})`);
  }
  return Object.fromEntries(labels.map((l, i) => [i, cfg.labelNames?.[i] ?? l]));
}

/** Sets labels, architectures and dropout on a parsed config (through its JSON, so it stays validated). */
function adjustConfig(config: ModelConfig, cfg: TrainingConfig, id2label: Record<number, string> | null, source: string): ModelConfig {
  const json = configToJSON(config);
  if (id2label) {
    json['id2label'] = Object.fromEntries(Object.entries(id2label));
    json['label2id'] = Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)]));
    delete json['num_labels'];
    json['problem_type'] = 'single_label_classification';
  }
  if (cfg.dropout !== null) Object.assign(json, dropoutFields(config.model_type, cfg.dropout));
  return parseConfig(json, source);
}

/** Prepares a run from its config (see PreparedRun). */
export async function prepareRun(cfg: TrainingConfig): Promise<PreparedRun> {
  const notes: string[] = [];
  const checkpoint = cfg.resume !== null ? loadCheckpoint(cfg.resume, cfg.outputDir) : null;
  let modelDir: string | null = null;
  if (checkpoint) modelDir = checkpoint.path;
  else if (cfg.model !== null) modelDir = await resolveModelDir(cfg.model);

  const tokenizerDir = cfg.tokenizer ?? modelDir;
  if (tokenizerDir === null) {
    throw new BertchatError('CONFIG', 'training from scratch needs --tokenizer DIR (train one with `bertchat train-tokenizer`)');
  }
  if (!existsSync(tokenizerDir)) throw new BertchatError('NOT_FOUND', `tokenizer folder not found: ${tokenizerDir}`, { file: tokenizerDir });
  const tokenizer = loadTokenizer(tokenizerDir);
  const tokDir = statSync(tokenizerDir).isDirectory() ? tokenizerDir : null;

  const data = loadTrainingData(cfg, tokenizer, { labels: checkpoint?.state.labels ?? null });
  const id2label = data.labels ? labelNamesFor(cfg, data.labels) : null;

  let config: ModelConfig;
  if (checkpoint) config = readConfig(checkpoint.path);
  else if (modelDir !== null) config = adjustConfig(readConfig(modelDir), cfg, id2label, join(modelDir, 'config.json'));
  else {
    const preset = cfg.config!;
    const fromFile = !PRESET_NAMES.includes(preset);
    const base = fromFile ? (readJsonFile(preset.endsWith('.json') ? preset : join(preset, 'config.json')) as Record<string, unknown>) : preset;
    config = scratchConfig(base, {
      objective: cfg.objective,
      vocabSize: tokenizer.vocabSize,
      padTokenId: tokenizer.padTokenId,
      bosTokenId: tokenizer.bosTokenId,
      eosTokenId: tokenizer.eosTokenId,
      maxLength: cfg.maxLength,
      dropout: cfg.dropout,
      id2label,
    }, fromFile ? preset : `preset ${preset}`);
  }
  const vocab = (config as { vocab_size?: number }).vocab_size;
  if (vocab !== undefined && tokenizer.vocabSize > vocab) {
    throw new BertchatError('CONFIG', `the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${vocab}`);
  }

  const rng = new Rng(cfg.seed);
  const task = buildTaskModel(cfg.objective, config, rng);
  config.architectures = [task.architecture];
  if (checkpoint) task.module.loadStateDict(checkpoint.weights);
  else if (modelDir !== null) {
    const r = loadPretrained(task, loadModelWeights(modelDir).tensors as Map<string, { shape: readonly number[]; data: ArrayLike<number> }>, modelDir);
    if (r.initialised.length) notes.push(`newly initialised (not in the checkpoint): ${r.initialised.join(', ')}`);
    if (r.ignored.length) notes.push(`checkpoint tensors not used: ${r.ignored.join(', ')}`);
  }
  task.module.train();

  const { optimizer, params, names } = createOptimizer(task.module, {
    learningRate: cfg.learningRate,
    weightDecay: cfg.weightDecay,
    beta1: cfg.adamBeta1,
    beta2: cfg.adamBeta2,
    eps: cfg.adamEpsilon,
  });
  if (checkpoint) {
    restoreOptimizer(optimizer, names, checkpoint.optimizer, checkpoint.path);
    rng.setState(checkpoint.state.rng.dropout);
  }
  return { tokenizer, tokenizerDir: tokDir, data, task, rng, optimizer, params, paramNames: names, checkpoint, notes };
}

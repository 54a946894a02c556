// The flat training config (HF TrainingArguments in spirit, camelCase here, snake_case in training_args.json):
// every setting of a run in one object, validated once, printed in full at start and saved beside the model.
import { BertchatError } from '../util/errors.js';

export type Objective = 'text-classification' | 'masked-lm' | 'causal-lm';
export type DataFormat = 'auto' | 'csv' | 'tsv' | 'jsonl' | 'text' | 'label-text' | 'dialogue';
export type LrScheduler = 'linear' | 'cosine' | 'constant';

export interface TrainingConfig {
  objective: Objective;
  /** Pretrained model folder or hub id to start from (null: from scratch with `config`). */
  model: string | null;
  /** From scratch: a preset (tiny, mini, small) or a path to a config.json. */
  config: string | null;
  /** Tokenizer folder; defaults to the model folder. Required from scratch. */
  tokenizer: string | null;
  trainFiles: string[];
  validationFile: string | null;
  /** Fraction of the training file held out for validation when no validation file is given (seeded). */
  validationSplit: number;
  format: DataFormat;
  /** Column name or 0-based index (CSV/TSV), key (JSONL). null: detected. */
  textColumn: string | null;
  textPairColumn: string | null;
  labelColumn: string | null;
  /** Names for the sorted label set (e.g. negative,positive), written as id2label. */
  labelNames: string[] | null;
  outputDir: string;
  maxLength: number;
  /** Causal LM over plain text: false concatenates the text and cuts blocks of maxLength (HF run_clm). */
  lineByLine: boolean | null;
  epochs: number;
  /** Stop after this many optimizer steps (overrides epochs when > 0). */
  maxSteps: number;
  batchSize: number;
  evalBatchSize: number;
  gradientAccumulationSteps: number;
  learningRate: number;
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  lrScheduler: LrScheduler;
  warmupSteps: number;
  warmupRatio: number;
  /** Global gradient-norm clipping; 0 disables it. */
  maxGradNorm: number;
  /** Overrides the config's dropout probabilities when set. */
  dropout: number | null;
  seed: number;
  /** Evaluate every N optimizer steps; 0 = at the end of every epoch. */
  evalSteps: number;
  /** Log the training loss every N optimizer steps. */
  loggingSteps: number;
  /** Write checkpoint-<step>/ every N optimizer steps; 0 = only at the end of each epoch. */
  saveSteps: number;
  /** Keep at most this many checkpoint-<step>/ folders (0 = all). */
  saveTotalLimit: number;
  /** Stop after this many evaluations without improvement (0 = never). */
  earlyStoppingPatience: number;
  /** eval metric for best model and early stopping: loss, accuracy, f1, perplexity. */
  metricForBestModel: string | null;
  /** Copy the best checkpoint's weights to the output folder at the end. */
  loadBestModelAtEnd: boolean;
  mlmProbability: number;
  wholeWordMasking: boolean;
  assistantOnlyLoss: boolean;
  /** Length bucketing: examples are sorted by length within chunks of this many batches. */
  bucketBatches: number;
  /** Weights dtype of the saved model: F32, or F16 for a half-size folder. */
  saveDtype: 'F32' | 'F16';
  /** Resume from a checkpoint folder, or 'latest' for the newest in outputDir. */
  resume: string | null;
}

export const DEFAULT_TRAINING_CONFIG: Omit<TrainingConfig, 'objective' | 'trainFiles' | 'outputDir'> = {
  model: null,
  config: null,
  tokenizer: null,
  validationFile: null,
  validationSplit: 0,
  format: 'auto',
  textColumn: null,
  textPairColumn: null,
  labelColumn: null,
  labelNames: null,
  maxLength: 128,
  lineByLine: null,
  epochs: 3,
  maxSteps: 0,
  batchSize: 32,
  evalBatchSize: 64,
  gradientAccumulationSteps: 1,
  learningRate: 5e-5,
  weightDecay: 0.01,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  lrScheduler: 'linear',
  warmupSteps: 0,
  warmupRatio: 0,
  maxGradNorm: 1,
  dropout: null,
  seed: 42,
  evalSteps: 0,
  loggingSteps: 50,
  saveSteps: 0,
  saveTotalLimit: 2,
  earlyStoppingPatience: 0,
  metricForBestModel: null,
  loadBestModelAtEnd: true,
  mlmProbability: 0.15,
  wholeWordMasking: false,
  assistantOnlyLoss: false,
  bucketBatches: 50,
  saveDtype: 'F32',
  resume: null,
};

const OBJECTIVES: readonly Objective[] = ['text-classification', 'masked-lm', 'causal-lm'];
const FORMATS: readonly DataFormat[] = ['auto', 'csv', 'tsv', 'jsonl', 'text', 'label-text', 'dialogue'];

function fail(field: string, why: string): never {
  throw new BertchatError('CONFIG', `training config: ${field} ${why}`, { field });
}

function intIn(cfg: TrainingConfig, k: keyof TrainingConfig, min: number): void {
  const v = cfg[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(k, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
}

function numIn(cfg: TrainingConfig, k: keyof TrainingConfig, min: number, max: number, openMax = false): void {
  const v = cfg[k];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (openMax && v === max)) {
    fail(k, `must be a number in [${min}, ${max}${openMax ? ')' : ']'}, got ${JSON.stringify(v)}`);
  }
}

/**
 * Fills defaults and validates a training config; CONFIG errors name the field.
 * @example const cfg = resolveTrainingConfig({ objective: 'text-classification', trainFiles: ['train.csv'], outputDir: 'out', config: 'tiny', tokenizer: 'tok/' });
 */
export function resolveTrainingConfig(partial: Partial<TrainingConfig> & Pick<TrainingConfig, 'objective' | 'trainFiles' | 'outputDir'>): TrainingConfig {
  const cfg: TrainingConfig = { ...DEFAULT_TRAINING_CONFIG, ...partial } as TrainingConfig;
  for (const [k, v] of Object.entries(partial)) if (v === undefined) (cfg as unknown as Record<string, unknown>)[k] = (DEFAULT_TRAINING_CONFIG as Record<string, unknown>)[k];
  if (!OBJECTIVES.includes(cfg.objective)) fail('objective', `must be one of ${OBJECTIVES.join(', ')}, got ${JSON.stringify(cfg.objective)}`);
  if (!FORMATS.includes(cfg.format)) fail('format', `must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(cfg.format)}`);
  if (!Array.isArray(cfg.trainFiles) || cfg.trainFiles.length === 0) fail('trainFiles', 'must name at least one file');
  if (!cfg.outputDir) fail('outputDir', 'is required');
  if (cfg.model === null && cfg.config === null && cfg.resume === null) fail('model', 'or config is required (a pretrained folder, or a preset tiny|mini|small|PATH/config.json to train from scratch)');
  if (cfg.model !== null && cfg.config !== null) fail('config', 'and model are exclusive (start from a pretrained model or from a config)');
  intIn(cfg, 'maxLength', 2);
  numIn(cfg, 'epochs', 0, 1e6);
  intIn(cfg, 'maxSteps', 0);
  if (cfg.epochs === 0 && cfg.maxSteps === 0) fail('epochs', 'or maxSteps must be > 0');
  intIn(cfg, 'batchSize', 1);
  intIn(cfg, 'evalBatchSize', 1);
  intIn(cfg, 'gradientAccumulationSteps', 1);
  numIn(cfg, 'learningRate', 0, 10);
  numIn(cfg, 'weightDecay', 0, 10);
  numIn(cfg, 'adamBeta1', 0, 1, true);
  numIn(cfg, 'adamBeta2', 0, 1, true);
  numIn(cfg, 'adamEpsilon', 0, 1);
  if (!['linear', 'cosine', 'constant'].includes(cfg.lrScheduler)) fail('lrScheduler', `must be linear, cosine or constant, got ${JSON.stringify(cfg.lrScheduler)}`);
  intIn(cfg, 'warmupSteps', 0);
  numIn(cfg, 'warmupRatio', 0, 1);
  numIn(cfg, 'maxGradNorm', 0, 1e9);
  if (cfg.dropout !== null) numIn(cfg, 'dropout', 0, 1, true);
  intIn(cfg, 'seed', 0);
  intIn(cfg, 'evalSteps', 0);
  intIn(cfg, 'loggingSteps', 1);
  intIn(cfg, 'saveSteps', 0);
  intIn(cfg, 'saveTotalLimit', 0);
  intIn(cfg, 'earlyStoppingPatience', 0);
  numIn(cfg, 'validationSplit', 0, 1, true);
  numIn(cfg, 'mlmProbability', 0, 1, true);
  intIn(cfg, 'bucketBatches', 1);
  if (cfg.saveDtype !== 'F32' && cfg.saveDtype !== 'F16') fail('saveDtype', `must be F32 or F16, got ${JSON.stringify(cfg.saveDtype)}`);
  if (cfg.metricForBestModel !== null) {
    const m = cfg.metricForBestModel.replace(/^eval_/, '');
    const ok = cfg.objective === 'text-classification' ? ['loss', 'accuracy', 'f1'] : ['loss', 'perplexity'];
    if (!ok.includes(m)) fail('metricForBestModel', `must be one of ${ok.join(', ')} for ${cfg.objective}, got ${JSON.stringify(cfg.metricForBestModel)}`);
    cfg.metricForBestModel = m;
  }
  if (cfg.assistantOnlyLoss && cfg.objective !== 'causal-lm') fail('assistantOnlyLoss', 'applies to causal-lm dialogues only');
  return cfg;
}

/** The config as HF-style snake_case JSON (training_args.json). */
export function trainingArgsJSON(cfg: TrainingConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return out;
}

/** One `key = value` line per setting, for printing at start. */
export function formatTrainingConfig(cfg: TrainingConfig): string {
  const args = trainingArgsJSON(cfg);
  const w = Math.max(...Object.keys(args).map((k) => k.length));
  return Object.entries(args)
    .map(([k, v]) => `${k.padEnd(w)} = ${JSON.stringify(v)}`)
    .join('\n');
}

// The training layer's public surface (re-exported from src/index.ts): train(), its flat config, events and
// progress rendering, the step and optimizer the loop uses, evaluation, checkpoints, data readers and the chart.
export { train } from './trainer.js';
export type { TrainEvent, TrainHooks, TrainResult } from './trainer.js';
export { resolveTrainingConfig, formatTrainingConfig, trainingArgsJSON, DEFAULT_TRAINING_CONFIG } from './config.js';
export type { TrainingConfig, Objective, DataFormat, LrScheduler } from './config.js';
export { progressPrinter } from './progress.js';
export { trainingStep, createOptimizer } from './step.js';
export type { StepOptions, StepResult, OptimizerOptions } from './step.js';
export { evaluate, unigramBaseline } from './evaluate.js';
export { accuracy, macroF1, perplexity } from './metrics.js';
export { buildTaskModel, causalLMWithLoss, loadPretrained, scratchConfig, PRESET_NAMES } from './models.js';
export type { TaskModel, CausalLMTrainable, LossOutput } from './models.js';
export { saveCheckpoint, loadCheckpoint, listCheckpoints, saveModelFolder } from './checkpoint.js';
export type { TrainerState, LoadedCheckpoint } from './checkpoint.js';
export { readRecords, buildLabelSet } from './data/records.js';
export type { RawRecord, ReadRecordsOptions } from './data/records.js';
export { loadTrainingData } from './data/dataset.js';
export { collate, epochBatches } from './data/batching.js';
export type { Batch } from './data/batching.js';
export { maskTokens } from './data/masking.js';
export { parseCsv, parseTsv } from './data/csv.js';
export { trainingChart } from './chart.js';

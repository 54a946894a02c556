// One optimizer step, the heart of the trainer: forward + loss + backward over the micro-batches of a step
// (each loss weighted by its share of the step's targets, so accumulation equals one big batch), global
// gradient clipping, then AdamW at the scheduled learning rate. Also the optimizer with HF's no-decay groups.
import { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/schedule.js';
import type { Tensor } from '../tensor/tensor.js';
import { mul } from '../tensor/ops/elementwise.js';
import type { Module } from '../nn/module.js';
import type { Batch } from './data/batching.js';
import { isNoDecayName, type TaskModel } from './models.js';

export interface OptimizerOptions {
  learningRate: number;
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Exclude biases and LayerNorm weights from weight decay, as HF Trainer does (default true). */
  noDecayGrouping?: boolean;
}

/**
 * AdamW over a module's parameters, with HF Trainer's no-decay grouping unless turned off.
 * @example const { optimizer, params, names } = createOptimizer(model, { learningRate: 5e-5, weightDecay: 0.01 });
 */
export function createOptimizer(module: Module, opts: OptimizerOptions): { optimizer: AdamW; params: Tensor[]; names: string[] } {
  const named = module.namedParameters();
  const params = named.map(([, p]) => p);
  const noDecay = new Set<Tensor>(opts.noDecayGrouping === false ? [] : named.filter(([n]) => isNoDecayName(n)).map(([, p]) => p));
  const optimizer = new AdamW(params, {
    lr: opts.learningRate,
    weightDecay: opts.weightDecay,
    beta1: opts.beta1 ?? 0.9,
    beta2: opts.beta2 ?? 0.999,
    eps: opts.eps ?? 1e-8,
    noDecay: (p) => noDecay.has(p),
  });
  return { optimizer, params, names: named.map(([n]) => n) };
}

export interface StepOptions {
  /** Learning rate for this step (the schedule's value). */
  learningRate: number;
  /** Clip the global gradient norm to this (0 = no clipping). */
  maxGradNorm: number;
  /** Called before each micro-batch's forward (the trainer re-seeds dropout here). */
  beforeMicroBatch?: (index: number) => void;
}

export interface StepResult {
  /** The step's loss: the target-weighted mean over its micro-batches. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  examples: number;
  tokens: number;
}

/**
 * Runs one optimizer step over `batches` (gradient accumulation when more than one).
 * @example const r = trainingStep(task, optimizer, params, [batch], { learningRate: 1e-3, maxGradNorm: 1 });
 */
export function trainingStep(task: TaskModel, optimizer: AdamW, params: Tensor[], batches: Batch[], opts: StepOptions): StepResult {
  optimizer.zeroGrad();
  const total = batches.reduce((s, b) => s + b.numTargets, 0);
  let loss = 0;
  let examples = 0;
  let tokens = 0;
  batches.forEach((b, i) => {
    opts.beforeMicroBatch?.(i);
    const out = task.forward(b);
    examples += b.numExamples;
    tokens += b.numTokens;
    if (b.numTargets === 0) return; // nothing to learn from (all targets ignored)
    const w = batches.length === 1 ? 1 : b.numTargets / total;
    const l = out.loss;
    loss += l.item() * w;
    (w === 1 ? l : mul(l, w)).backward();
  });
  const gradNorm = clipGradNorm(params, opts.maxGradNorm > 0 ? opts.maxGradNorm : Infinity);
  optimizer.lr = opts.learningRate;
  optimizer.step();
  return { loss, gradNorm, examples, tokens };
}

// The training loop: `train(config)` runs epochs of length-bucketed batches through trainingStep with a
// warmup + decay schedule, logs and evaluates, keeps the best model, checkpoints periodically and on abort
// (Ctrl-C in the CLI), and writes the output folder in HF layout with metrics.jsonl and training.svg.
// Resuming from a checkpoint gives the same result, bit for bit, as a run that was never interrupted.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { readSafetensors } from '../io/safetensors.js';
import { lrFactor } from '../optim/schedule.js';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { trainingChart, type MetricPoint } from './chart.js';
import { pruneCheckpoints, saveCheckpoint, saveModelFolder, type TrainerState } from './checkpoint.js';
import { formatTrainingConfig, resolveTrainingConfig, trainingArgsJSON, type TrainingConfig } from './config.js';
import { collate, derivedRng, epochBatches, type Batch, type CollateKind } from './data/batching.js';
import type { MaskingOptions } from './data/masking.js';
import { evaluate, unigramBaseline } from './evaluate.js';
import { lowerIsBetter } from './metrics.js';
import { prepareRun, writeTokenizerFiles, type PreparedRun } from './setup.js';
import { trainingStep } from './step.js';

export type TrainEvent =
  | { type: 'start'; configText: string; trainExamples: number; validationExamples: number; validationSource: string | null; parameters: number; totalSteps: number; stepsPerEpoch: number; resumedFrom: string | null; notes: string[]; labels: string[] | null }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; learningRate: number; examplesPerSecond: number; tokensPerSecond: number; etaSeconds: number }
  | { type: 'log'; record: Record<string, number | string> }
  | { type: 'eval'; record: Record<string, number | string>; improved: boolean }
  | { type: 'checkpoint'; path: string; reason: 'periodic' | 'interrupt' | 'final' }
  | { type: 'early-stop'; step: number; patience: number }
  | { type: 'done'; result: TrainResult };

export interface TrainHooks {
  onEvent?: (e: TrainEvent) => void;
  /** Aborting saves a checkpoint after the current step and returns with `interrupted: true`. */
  signal?: AbortSignal;
}

export interface TrainResult {
  outputDir: string;
  globalStep: number;
  totalSteps: number;
  interrupted: boolean;
  stoppedEarly: boolean;
  bestMetric: number | null;
  bestStep: number | null;
  /** Metrics of the last evaluation (or of the best model when it was loaded at the end). */
  evalMetrics: Record<string, number> | null;
  /** Mean training loss of the last logging window. */
  trainLoss: number | null;
  trainSeconds: number;
}

function kindOf(cfg: TrainingConfig): CollateKind {
  return cfg.objective === 'text-classification' ? 'classification' : cfg.objective === 'masked-lm' ? 'masked-lm' : 'causal-lm';
}

function maskingOf(run: PreparedRun, cfg: TrainingConfig): MaskingOptions | undefined {
  if (cfg.objective !== 'masked-lm') return undefined;
  const maskId = run.tokenizer.maskTokenId;
  if (maskId === null) throw new BertchatError('TOKENIZER', 'masked-lm needs a tokenizer with a mask_token (tokenizer_config.json "mask_token")');
  return { probability: cfg.mlmProbability, maskId, vocabSize: run.tokenizer.vocabSize, specialIds: run.tokenizer.allSpecialIds, wholeWord: cfg.wholeWordMasking };
}

function readMetrics(path: string): MetricPoint[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricPoint);
}

const round = (x: number, d = 6): number => (Number.isFinite(x) ? +x.toPrecision(d) : x);

/**
 * Trains a model as `config` says and writes the output folder. Library code: no console output; watch
 * progress through `hooks.onEvent`.
 * @example
 * const res = await train({ objective: 'text-classification', trainFiles: ['train.csv'], validationFile: 'dev.csv',
 *   outputDir: 'out/sentiment', config: 'tiny', tokenizer: 'out/tok', epochs: 2, learningRate: 1e-3 });
 */
export async function train(config: Partial<TrainingConfig> & Pick<TrainingConfig, 'objective' | 'trainFiles' | 'outputDir'>, hooks: TrainHooks = {}): Promise<TrainResult> {
  const cfg = resolveTrainingConfig(config);
  const emit = (e: TrainEvent): void => hooks.onEvent?.(e);
  const run = await prepareRun(cfg);
  const { task, data, tokenizer } = run;
  const kind = kindOf(cfg);
  const masking = maskingOf(run, cfg);
  const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
  const lengths = Int32Array.from(data.train, (e) => e.ids.length);
  const accum = cfg.gradientAccumulationSteps;
  const batchesPerEpoch = Math.ceil(data.train.length / cfg.batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / accum);
  const totalSteps = cfg.maxSteps > 0 ? cfg.maxSteps : Math.ceil(cfg.epochs * stepsPerEpoch);
  const warmup = cfg.warmupSteps > 0 ? cfg.warmupSteps : Math.ceil(cfg.warmupRatio * totalSteps);
  const metric = cfg.metricForBestModel ?? (kind === 'classification' ? 'accuracy' : 'loss');
  const lower = lowerIsBetter(metric);

  mkdirSync(cfg.outputDir, { recursive: true });
  writeFileAtomic(join(cfg.outputDir, 'training_args.json'), `${JSON.stringify(trainingArgsJSON(cfg), null, 2)}\n`);
  const metricsPath = join(cfg.outputDir, 'metrics.jsonl');
  const ck = run.checkpoint;
  const st: TrainerState = ck
    ? ck.state
    : {
        format: 'bertchat-trainer-state',
        version: 1,
        global_step: 0,
        epoch: 0,
        epoch_index: 0,
        batch_in_epoch: 0,
        max_steps: totalSteps,
        scheduler: { kind: cfg.lrScheduler, base_lr: cfg.learningRate, warmup_steps: warmup, total_steps: totalSteps, last_lr: 0 },
        rng: { seed: cfg.seed, scheme: 'dropout and masking re-seeded per micro-batch from (seed, step, micro-batch)', dropout: run.rng.getState() },
        best_metric: null,
        best_step: null,
        metric_for_best_model: metric,
        evals_without_improvement: 0,
        examples_seen: 0,
        tokens_seen: 0,
        labels: data.labels,
      };
  // metrics.jsonl: a resumed run keeps the events up to its checkpoint, so the file matches an uninterrupted run
  const kept = ck ? readMetrics(metricsPath).filter((e) => e.step <= st.global_step && e.type !== 'train_end') : [];
  writeFileAtomic(metricsPath, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
  const events: MetricPoint[] = [...kept];
  const record = (e: MetricPoint): void => {
    events.push(e);
    appendFileSync(metricsPath, `${JSON.stringify(e)}\n`);
  };

  emit({
    type: 'start',
    configText: formatTrainingConfig(cfg),
    trainExamples: data.train.length,
    validationExamples: data.validation?.length ?? 0,
    validationSource: data.validationSource,
    parameters: task.module.numParameters(),
    totalSteps,
    stepsPerEpoch,
    resumedFrom: ck?.path ?? null,
    notes: run.notes,
    labels: data.labels ? data.labels.map((l, i) => (task.config.id2label[i] === l ? l : `${l} → ${task.config.id2label[i]}`)) : null,
  });
  if (kind !== 'classification' && data.validation && !ck) {
    const skip = kind === 'masked-lm' ? tokenizer.allSpecialIds : new Set<number>();
    const u = unigramBaseline(data.train, data.validation, tokenizer.vocabSize, skip);
    const rec = { type: 'baseline', step: 0, unigram_eval_loss: round(u), unigram_eval_perplexity: round(Math.exp(u)) };
    record(rec as unknown as MetricPoint);
    emit({ type: 'log', record: rec });
  }
  log.info(`training ${task.architecture}: ${data.train.length} examples, ${totalSteps} steps`);

  const bestDir = join(cfg.outputDir, 'best');
  const checkpointNow = (reason: 'periodic' | 'interrupt' | 'final'): string => {
    st.rng.dropout = run.rng.getState();
    const path = saveCheckpoint(cfg.outputDir, { module: task.module, config: task.config, tokenizer, optimizer: run.optimizer, paramNames: run.paramNames, state: st });
    writeTokenizerFiles(tokenizer, run.tokenizerDir, path);
    pruneCheckpoints(cfg.outputDir, cfg.saveTotalLimit, path);
    emit({ type: 'checkpoint', path, reason });
    return path;
  };
  let lastEval: Record<string, number> | null = null;
  const runEval = (epochF: number): boolean => {
    if (!data.validation) return false;
    const t0 = performance.now();
    const m = evaluate(task, data.validation, { kind, batchSize: cfg.evalBatchSize, padId, masking, seed: cfg.seed });
    lastEval = m;
    const value = m[`eval_${metric}`]!;
    const improved = st.best_metric === null || (lower ? value < st.best_metric : value > st.best_metric);
    if (improved) {
      st.best_metric = value;
      st.best_step = st.global_step;
      st.evals_without_improvement = 0;
      rmSync(bestDir, { recursive: true, force: true });
      saveModelFolder(bestDir, task.module, task.config, null, 'F32');
      writeTokenizerFiles(tokenizer, run.tokenizerDir, bestDir);
      writeFileAtomic(join(bestDir, 'eval_results.json'), `${JSON.stringify({ step: st.global_step, ...m }, null, 2)}\n`);
    } else st.evals_without_improvement++;
    const rec: Record<string, number | string> = { type: 'eval', step: st.global_step, epoch: round(epochF, 4) };
    for (const [k, v] of Object.entries(m)) rec[k] = round(v);
    rec['eval_seconds'] = round((performance.now() - t0) / 1000, 4);
    record(rec as MetricPoint);
    emit({ type: 'eval', record: rec, improved });
    return true;
  };

  const t0 = performance.now();
  let evalTime = 0;
  let winLoss = 0;
  let winSteps = 0;
  let winNorm = 0;
  let lastTrainLoss: number | null = null;
  let runExamples = 0;
  let runTokens = 0;
  let smooth: number | null = null;
  let interrupted = false;
  let stoppedEarly = false;
  const startStep = st.global_step;

  while (st.global_step < totalSteps && !stoppedEarly && !interrupted) {
    const batches = epochBatches(lengths, cfg.batchSize, cfg.seed, st.epoch_index, cfg.bucketBatches);
    while (st.batch_in_epoch < batches.length && st.global_step < totalSteps) {
      const step = st.global_step;
      const micro = batches.slice(st.batch_in_epoch, st.batch_in_epoch + accum);
      const collated: Batch[] = micro.map((idx, k) =>
        collate(idx.map((i) => data.train[i]!), { kind, padId, masking, rng: derivedRng(cfg.seed, 4, step, k) }),
      );
      const lr = cfg.learningRate * lrFactor(cfg.lrScheduler, step, warmup, totalSteps);
      const res = trainingStep(task, run.optimizer, run.params, collated, {
        learningRate: lr,
        maxGradNorm: cfg.maxGradNorm,
        beforeMicroBatch: (k) => run.rng.setState(derivedRng(cfg.seed, 2, step, k).getState()),
      });
      st.batch_in_epoch += micro.length;
      st.global_step++;
      st.examples_seen += res.examples;
      st.tokens_seen += res.tokens;
      st.scheduler.last_lr = lr;
      st.epoch = st.epoch_index + st.batch_in_epoch / batches.length;
      runExamples += res.examples;
      runTokens += res.tokens;
      winLoss += res.loss;
      winNorm += res.gradNorm;
      winSteps++;
      smooth = smooth === null ? res.loss : 0.9 * smooth + 0.1 * res.loss;
      const secs = Math.max(1e-3, (performance.now() - t0 - evalTime) / 1000);
      const done = st.global_step - startStep;
      emit({
        type: 'step',
        step: st.global_step,
        totalSteps,
        epoch: st.epoch,
        loss: smooth,
        learningRate: lr,
        examplesPerSecond: runExamples / secs,
        tokensPerSecond: runTokens / secs,
        etaSeconds: (secs / done) * (totalSteps - st.global_step),
      });
      const last = st.global_step === totalSteps;
      if (st.global_step % cfg.loggingSteps === 0 || last) {
        lastTrainLoss = winLoss / winSteps;
        const rec = {
          type: 'log',
          step: st.global_step,
          epoch: round(st.epoch, 4),
          loss: round(lastTrainLoss),
          learning_rate: round(lr),
          grad_norm: round(winNorm / winSteps),
          examples_per_second: round(runExamples / secs, 4),
          tokens_per_second: round(runTokens / secs, 4),
          elapsed_seconds: round((performance.now() - t0) / 1000, 4),
        };
        record(rec as MetricPoint);
        emit({ type: 'log', record: rec });
        winLoss = winNorm = winSteps = 0;
      }
      const endOfEpoch = st.batch_in_epoch >= batches.length;
      const evalNow = cfg.evalSteps > 0 ? st.global_step % cfg.evalSteps === 0 || last : endOfEpoch || last;
      if (evalNow) {
        const e0 = performance.now();
        if (runEval(st.epoch) && cfg.earlyStoppingPatience > 0 && st.evals_without_improvement >= cfg.earlyStoppingPatience) {
          stoppedEarly = true;
          emit({ type: 'early-stop', step: st.global_step, patience: cfg.earlyStoppingPatience });
        }
        evalTime += performance.now() - e0;
      }
      if (endOfEpoch) {
        st.epoch_index++;
        st.batch_in_epoch = 0;
      }
      const saveNow = cfg.saveSteps > 0 ? st.global_step % cfg.saveSteps === 0 : endOfEpoch;
      if (hooks.signal?.aborted) {
        checkpointNow('interrupt');
        interrupted = true;
        break;
      }
      if (last || stoppedEarly) checkpointNow('final');
      else if (saveNow) checkpointNow('periodic');
      if (stoppedEarly) break;
      await new Promise<void>((r) => setImmediate(r)); // let signals and I/O in
      if (hooks.signal?.aborted) {
        checkpointNow('interrupt');
        interrupted = true;
        break;
      }
      if (endOfEpoch) break; // the next epoch has its own order
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const result: TrainResult = {
    outputDir: cfg.outputDir,
    globalStep: st.global_step,
    totalSteps,
    interrupted,
    stoppedEarly,
    bestMetric: st.best_metric,
    bestStep: st.best_step,
    evalMetrics: lastEval,
    trainLoss: lastTrainLoss,
    trainSeconds,
  };
  if (interrupted) {
    emit({ type: 'done', result });
    return result;
  }
  // the final model: the best checkpoint's weights when asked (HF load_best_model_at_end), else the last
  if (cfg.loadBestModelAtEnd && st.best_step !== null && st.best_step !== st.global_step && existsSync(join(bestDir, 'model.safetensors'))) {
    const best = readSafetensors(join(bestDir, 'model.safetensors')).tensors;
    task.module.loadStateDict(new Map([...best].map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }])));
    const r = readFileSync(join(bestDir, 'eval_results.json'), 'utf8');
    const { step: _s, ...m } = JSON.parse(r) as Record<string, number>;
    result.evalMetrics = m;
  }
  saveModelFolder(cfg.outputDir, task.module, task.config, null, cfg.saveDtype);
  writeTokenizerFiles(tokenizer, run.tokenizerDir, cfg.outputDir);
  writeFileAtomic(join(cfg.outputDir, 'trainer_state.json'), `${JSON.stringify(st, null, 2)}\n`);
  record({ type: 'train_end', step: st.global_step, train_seconds: round(trainSeconds, 4), best_step: st.best_step, best_metric: st.best_metric, metric_for_best_model: metric } as MetricPoint);
  writeFileSync(join(cfg.outputDir, 'training.svg'), trainingChart(events, `${task.architecture} — ${cfg.objective}`));
  emit({ type: 'done', result });
  return result;
}

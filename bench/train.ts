// Training throughput through the trainer's own step (collate → forward → loss → backward → clip → AdamW with
// HF no-decay groups): a BERT-mini-shaped classifier (4 layers, 256 hidden, 4 heads, 1024 intermediate,
// vocab 30522) at sequence 64, batch 32, on random token ids. bench/bert.ts' benchBertTrain is the raw loop.
import { bertConfig } from './bert.js';
import { getBackend } from '../src/tensor/index.js';
import { Rng } from '../src/util/rng.js';
import { buildTaskModel } from '../src/train/models.js';
import { createOptimizer, trainingStep } from '../src/train/step.js';
import { collate } from '../src/train/data/batching.js';
import type { Example } from '../src/train/data/examples.js';

export async function benchTrain(opts: { steps?: number; batch?: number; seq?: number } = {}): Promise<object[]> {
  const B = opts.batch ?? 32;
  const T = opts.seq ?? 64;
  const steps = opts.steps ?? 5;
  const rng = new Rng(3);
  const task = buildTaskModel('text-classification', bertConfig('mini'), rng);
  task.module.train();
  const { optimizer, params } = createOptimizer(task.module, { learningRate: 1e-4, weightDecay: 0.01 });
  const data = new Rng(4);
  const examples: Example[] = Array.from({ length: B }, () => ({
    ids: Int32Array.from({ length: T }, (_, t) => (t === 0 ? 101 : t === T - 1 ? 102 : 1000 + data.int(20000))),
    typeIds: null,
    label: data.int(2),
    lmLabels: null,
    wordStarts: null,
  }));
  const step = (): void => {
    const batch = collate(examples, { kind: 'classification', padId: 0 });
    trainingStep(task, optimizer, params, [batch], { learningRate: 1e-4, maxGradNorm: 1 });
  };
  step(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const s = (performance.now() - t0) / 1000;
  const be = getBackend();
  return [{ bench: 'trainer_bert_mini_classifier', backend: be.name, threads: be.threads, batch: B, seq: T, steps, ms_per_step: +((s * 1000) / steps).toFixed(1), examples_per_s: +((B * steps) / s).toFixed(1), tokens_per_s: Math.round((B * T * steps) / s) }];
}

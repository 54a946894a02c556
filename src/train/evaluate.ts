// Evaluation on held-out examples, without gradients and with dropout off: loss, accuracy and macro-F1 for
// classification; loss and perplexity for language models (masked LM uses a fixed masking of the eval set).
import { noGrad } from '../tensor/autograd.js';
import { collate, derivedRng, evalBatches, type CollateKind } from './data/batching.js';
import type { Example } from './data/examples.js';
import type { MaskingOptions } from './data/masking.js';
import { accuracy, argmaxRows, macroF1, perplexity } from './metrics.js';
import type { TaskModel } from './models.js';

export interface EvalOptions {
  kind: CollateKind;
  batchSize: number;
  padId: number;
  masking?: MaskingOptions;
  seed: number;
}

/** Metrics with HF's `eval_` names: eval_loss, eval_accuracy, eval_f1 / eval_perplexity. */
export function evaluate(task: TaskModel, examples: Example[], opts: EvalOptions): Record<string, number> {
  const wasTraining = task.module.training;
  task.module.eval();
  try {
    return noGrad((): Record<string, number> => {
      let lossSum = 0;
      let targets = 0;
      const preds: number[] = [];
      const gold: number[] = [];
      evalBatches(examples.map((e) => e.ids.length), opts.batchSize).forEach((idx, bi) => {
        const batch = collate(idx.map((i) => examples[i]!), { kind: opts.kind, padId: opts.padId, masking: opts.masking, rng: derivedRng(opts.seed, 3, bi) });
        if (batch.numTargets === 0) return;
        const out = task.forward(batch);
        lossSum += out.loss.item() * batch.numTargets;
        targets += batch.numTargets;
        if (opts.kind === 'classification') {
          const [B, C] = out.logits.shape as [number, number];
          const p = argmaxRows(out.logits.values(), B, C);
          const l = batch.labels.values();
          for (let i = 0; i < B; i++) {
            preds.push(p[i]!);
            gold.push(l[i]!);
          }
        }
      });
      const loss = targets > 0 ? lossSum / targets : NaN;
      if (opts.kind === 'classification') return { eval_loss: loss, eval_accuracy: accuracy(preds, gold), eval_f1: macroF1(preds, gold) };
      return { eval_loss: loss, eval_perplexity: perplexity(loss) };
    });
  } finally {
    task.module.train(wasTraining);
  }
}

/**
 * The validation loss of a unigram model (token frequencies of the training targets, add-one smoothed): the
 * baseline a language model must beat. Causal LM targets are ids[1:] (or the unmasked lmLabels).
 */
export function unigramBaseline(train: Example[], validation: Example[], vocabSize: number, skip: ReadonlySet<number> = new Set()): number {
  const counts = new Float64Array(vocabSize).fill(1);
  let total = vocabSize;
  const targets = (e: Example, f: (id: number) => void): void => {
    const src = e.lmLabels ?? e.ids;
    for (let t = 1; t < src.length; t++) {
      const id = src[t]!;
      if (id >= 0 && id < vocabSize && !skip.has(id)) f(id);
    }
  };
  for (const e of train) targets(e, (id) => {
    counts[id]!++;
    total++;
  });
  let nll = 0;
  let n = 0;
  for (const e of validation) targets(e, (id) => {
    nll -= Math.log(counts[id]! / total);
    n++;
  });
  return n > 0 ? nll / n : NaN;
}

// Evaluation metrics: accuracy and macro-F1 (as scikit-learn: the mean F1 over the labels that occur in the
// targets or the predictions) for classification; perplexity = exp(mean token loss) for language models.

/** Fraction of predictions equal to the targets. @example accuracy([1, 0], [1, 1]) // 0.5 */
export function accuracy(preds: ArrayLike<number>, targets: ArrayLike<number>): number {
  if (preds.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < preds.length; i++) if (preds[i] === targets[i]) ok++;
  return ok / preds.length;
}

/** Macro-averaged F1 over the labels present in targets ∪ predictions. @example macroF1([0, 1, 1], [0, 1, 0]) // 0.667 */
export function macroF1(preds: ArrayLike<number>, targets: ArrayLike<number>): number {
  const labels = new Set<number>();
  for (let i = 0; i < preds.length; i++) {
    labels.add(preds[i]!);
    labels.add(targets[i]!);
  }
  if (labels.size === 0) return 0;
  let sum = 0;
  for (const c of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < preds.length; i++) {
      const p = preds[i] === c;
      const t = targets[i] === c;
      if (p && t) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  }
  return sum / labels.size;
}

/** exp(mean loss), capped so a diverged run reports a finite number. */
export function perplexity(meanLoss: number): number {
  return Math.exp(Math.min(meanLoss, 80));
}

/** Whether the metric improves downward (loss, perplexity) or upward (accuracy, f1). */
export function lowerIsBetter(metric: string): boolean {
  return metric === 'loss' || metric === 'perplexity';
}

/** Row-wise argmax of a (rows, cols) array. */
export function argmaxRows(logits: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[r * cols + c]! > logits[r * cols + best]!) best = c;
    out[r] = best;
  }
  return out;
}

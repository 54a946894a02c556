// BERT's masked-LM recipe (Devlin et al. 2019, HF DataCollatorForLanguageModeling): choose 15% of the
// tokens (or of whole words), replace 80% of those with [MASK], 10% with a random token, keep 10%.
// Special tokens ([CLS], [SEP], [PAD], ...) are never chosen. Labels are -100 except at chosen positions.
import type { Rng } from '../../util/rng.js';

export interface MaskingOptions {
  probability: number;
  maskId: number;
  vocabSize: number;
  /** Ids never masked (the tokenizer's special tokens). */
  specialIds: ReadonlySet<number>;
  wholeWord: boolean;
}

/**
 * Masks `ids` in place and writes targets into `labels` (which must hold -100). Returns the number of
 * chosen positions. At least one position is chosen when the row has a maskable token, so no row is empty.
 */
export function maskTokens(ids: Int32Array, wordStarts: Uint8Array | null, labels: Int32Array, opts: MaskingOptions, rng: Rng): number {
  const n = ids.length;
  const chosen = new Uint8Array(n);
  let count = 0;
  const maskable = (t: number): boolean => !opts.specialIds.has(ids[t]!);
  if (opts.wholeWord && wordStarts) {
    // a word = a start token and the continuation tokens after it; choose words with probability p
    let t = 0;
    while (t < n) {
      let end = t + 1;
      while (end < n && wordStarts[end] === 0 && maskable(end)) end++;
      if (maskable(t) && rng.random() < opts.probability) {
        for (let k = t; k < end; k++) chosen[k] = 1;
        count += end - t;
      }
      t = end;
    }
  } else {
    for (let t = 0; t < n; t++) {
      if (maskable(t) && rng.random() < opts.probability) {
        chosen[t] = 1;
        count++;
      }
    }
  }
  if (count === 0) {
    // choose one token (or one whole word) so that no row is without a target
    const cands: number[] = [];
    for (let t = 0; t < n; t++) if (maskable(t) && (!opts.wholeWord || !wordStarts || wordStarts[t] === 1)) cands.push(t);
    if (cands.length === 0) return 0;
    const t = cands[rng.int(cands.length)]!;
    let end = t + 1;
    if (opts.wholeWord && wordStarts) while (end < n && wordStarts[end] === 0 && maskable(end)) end++;
    for (let k = t; k < end; k++) chosen[k] = 1;
    count = end - t;
  }
  for (let t = 0; t < n; t++) {
    if (!chosen[t]) continue;
    labels[t] = ids[t]!;
    const r = rng.random();
    if (r < 0.8) ids[t] = opts.maskId;
    else if (r < 0.9) {
      let id = rng.int(opts.vocabSize);
      for (let tries = 0; opts.specialIds.has(id) && tries < 10; tries++) id = rng.int(opts.vocabSize);
      ids[t] = id;
    }
    // else keep the original token
  }
  return count;
}

// 'text-classification' / 'sentiment-analysis', as HF TextClassificationPipeline: [{label, score}] per input,
// the score function picked by problem_type (softmax, sigmoid for multi-label or one label, none for regression).
import type { ModelConfig } from '../io/config.js';
import { numLabels } from '../io/config.js';
import { BertchatError } from '../util/errors.js';
import { asList, labelOf, runEncoder, type PipelineParts } from './base.js';
import { sigmoidRow, softmaxRow, type CommonOptions, type TextInput } from './inputs.js';

export type ClassificationFunction = 'softmax' | 'sigmoid' | 'none';

export interface LabelScore {
  label: string;
  score: number;
}

export interface TextClassificationOptions extends CommonOptions {
  /**
   * Labels per input, best first. When given (even null = all labels), each input yields a list; when absent,
   * HF's legacy shape is kept: one {label, score} per input (and a one-element list for a single string).
   */
  topK?: number | null;
  top_k?: number | null;
  /** Default from the config: regression → none, multi-label or one label → sigmoid, else softmax. */
  functionToApply?: ClassificationFunction;
  function_to_apply?: ClassificationFunction;
}

/** HF's choice of score function from the config. */
export function defaultFunction(config: ModelConfig): ClassificationFunction {
  if (config.problem_type === 'regression') return 'none';
  if (config.problem_type === 'multi_label_classification' || numLabels(config) === 1) return 'sigmoid';
  return 'softmax';
}

function scores(logits: Float32Array, fn: ClassificationFunction): number[] {
  if (fn === 'softmax') return softmaxRow(logits);
  if (fn === 'sigmoid') return sigmoidRow(logits);
  if (fn === 'none') return Array.from(logits);
  throw new BertchatError('INVALID_ARGUMENT', `text-classification: function_to_apply must be "softmax", "sigmoid" or "none", got ${JSON.stringify(fn)}`);
}

/** One input's result: a dict (legacy, no top_k) or a sorted list. */
export function classifyLogits(config: ModelConfig, logits: Float32Array, fn: ClassificationFunction, topK: number | null | undefined): LabelScore | LabelScore[] {
  const s = scores(logits, fn);
  if (topK === undefined) {
    let best = 0;
    for (let i = 1; i < s.length; i++) if (s[i]! > s[best]!) best = i;
    return { label: labelOf(config, best), score: s[best]! };
  }
  const all = s.map((score, i) => ({ label: labelOf(config, i), score }));
  all.sort((a, b) => b.score - a.score); // stable: ties keep label order, like Python's sort
  return topK === null ? all : all.slice(0, topK);
}

/**
 * Runs text classification. Output shapes as HF:
 * - `'text'` → `[{label, score}]`; `['a', 'b']` → `[{label, score}, {label, score}]`
 * - with `topK` (number or null for all): `'text'` → `[{label, score}, ...]`; `['a', 'b']` → `[[...], [...]]`
 *
 * @example await classify(parts, 'This movie was really good!') // [{ label: 'positive', score: 0.4735 }]
 */
export async function classify(parts: PipelineParts, inputs: TextInput | readonly TextInput[], opts: TextClassificationOptions = {}): Promise<LabelScore[] | LabelScore[][]> {
  const { list, single } = asList(inputs, 'text-classification');
  const config = parts.model.config;
  const hasTopK = 'topK' in opts || 'top_k' in opts;
  const topK = hasTopK ? (opts.topK !== undefined ? opts.topK : (opts.top_k ?? null)) : undefined;
  if (topK !== undefined && topK !== null && (!Number.isInteger(topK) || topK < 1)) {
    throw new BertchatError('INVALID_ARGUMENT', `text-classification: top_k must be a positive integer or null, got ${topK}`);
  }
  const fn = opts.functionToApply ?? opts.function_to_apply ?? defaultFunction(config);
  const rows = runEncoder(parts, list, opts, false);
  const results = rows.map((r) => {
    if (!r.logits) throw new BertchatError('INVALID_ARGUMENT', `text-classification: ${parts.model.constructor.name} has no classification head`);
    return classifyLogits(config, r.logits, fn, topK);
  });
  if (single) return topK === undefined ? [results[0] as LabelScore] : (results[0] as LabelScore[]);
  return results as LabelScore[] | LabelScore[][];
}

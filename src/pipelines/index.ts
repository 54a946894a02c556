// pipeline(task, model): HF-style task pipelines over bertchat models. Each task lives in its own file;
// this one maps task names to (architecture, runner) and returns a callable with the loaded parts attached.
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { loadTokenizer } from '../tokenizers/load.js';
import { resolveModelDir } from '../io/hub.js';
import { loadForTaskFromDir, type FromPretrainedOptions } from '../models/auto.js';
import type { ModelTask } from '../models/registry.js';
import { BertchatError } from '../util/errors.js';
import type { PipelineModel, PipelineParts } from './base.js';
import type { TextInput } from './inputs.js';
import { classify, type LabelScore, type TextClassificationOptions } from './text-classification.js';
import { fillMask, type FillMaskOptions, type FillMaskResult } from './fill-mask.js';
import { embed, extractFeatures, type EmbedOptions, type FeatureExtractionOptions } from './feature-extraction.js';
import { tagTokens, type EntityGroup, type TokenClassificationOptions, type TokenEntity } from './token-classification.js';
import { textGenerationPipeline, type TextGenerationPipeline } from './text-generation.js';

export { tokenizeToTensors, argmax, type TextInput, type TextPair, type TensorInputs, type CommonOptions } from './inputs.js';
export type { LabelScore, TextClassificationOptions, ClassificationFunction } from './text-classification.js';
export type { FillMaskCandidate, FillMaskOptions, FillMaskResult } from './fill-mask.js';
export type { FeatureExtractionOptions, EmbedOptions, Pooling } from './feature-extraction.js';
export type { TokenEntity, EntityGroup, TokenClassificationOptions, AggregationStrategy } from './token-classification.js';
export type { PipelineModel, PipelineParts } from './base.js';
export { classify, fillMask, extractFeatures, embed, tagTokens };
export { textGenerationPipeline, toGenerateOptions, PIPELINE_MAX_NEW_TOKENS, type TextGenerationPipeline, type TextGenerationOptions, type GeneratedText } from './text-generation.js';

/** Task names, with HF's aliases. */
export type PipelineTask =
  | 'text-classification'
  | 'sentiment-analysis'
  | 'fill-mask'
  | 'feature-extraction'
  | 'embeddings'
  | 'token-classification'
  | 'ner';

/** task → the architecture it loads and its canonical name. */
const TASKS: Record<PipelineTask, { model: ModelTask; name: string }> = {
  'text-classification': { model: 'sequence-classification', name: 'text-classification' },
  'sentiment-analysis': { model: 'sequence-classification', name: 'text-classification' },
  'fill-mask': { model: 'masked-lm', name: 'fill-mask' },
  'feature-extraction': { model: 'base', name: 'feature-extraction' },
  embeddings: { model: 'base', name: 'embeddings' },
  'token-classification': { model: 'token-classification', name: 'token-classification' },
  ner: { model: 'token-classification', name: 'token-classification' },
};

interface Attached<O> {
  readonly task: string;
  readonly model: PipelineModel;
  readonly tokenizer: Tokenizer;
  /** Default options merged under each call's options. */
  readonly defaults: O;
}

export type TextClassificationPipeline = Attached<TextClassificationOptions> & {
  (inputs: TextInput, opts?: TextClassificationOptions): Promise<LabelScore[]>;
  (inputs: readonly TextInput[], opts: TextClassificationOptions & ({ topK: number | null } | { top_k: number | null })): Promise<LabelScore[][]>;
  (inputs: readonly TextInput[], opts?: TextClassificationOptions): Promise<LabelScore[]>;
};
export type FillMaskPipeline = Attached<FillMaskOptions> & {
  (inputs: TextInput, opts?: FillMaskOptions): Promise<FillMaskResult>;
  (inputs: readonly TextInput[], opts?: FillMaskOptions): Promise<FillMaskResult | FillMaskResult[]>;
};
export type FeatureExtractionPipeline = Attached<FeatureExtractionOptions> & {
  (inputs: TextInput, opts: FeatureExtractionOptions & { pooling: 'cls' | 'mean' }): Promise<number[]>;
  (inputs: readonly TextInput[], opts: FeatureExtractionOptions & { pooling: 'cls' | 'mean' }): Promise<number[][]>;
  (inputs: TextInput, opts?: FeatureExtractionOptions): Promise<number[][][]>;
  (inputs: readonly TextInput[], opts?: FeatureExtractionOptions): Promise<number[][][][]>;
};
export type EmbeddingsPipeline = Attached<EmbedOptions> & {
  (inputs: TextInput, opts?: EmbedOptions): Promise<number[]>;
  (inputs: readonly TextInput[], opts?: EmbedOptions): Promise<number[][]>;
};
export type TokenClassificationPipeline = Attached<TokenClassificationOptions> & {
  (inputs: string, opts?: TokenClassificationOptions): Promise<Array<TokenEntity | EntityGroup>>;
  (inputs: readonly string[], opts?: TokenClassificationOptions): Promise<Array<Array<TokenEntity | EntityGroup>>>;
};

export interface PipelineOptions extends FromPretrainedOptions {
  /** Use this tokenizer instead of the model folder's. */
  tokenizer?: Tokenizer;
}

type AnyRunner = (parts: PipelineParts, inputs: never, opts: object) => Promise<unknown>;
const RUNNERS: Record<string, AnyRunner> = {
  'text-classification': classify as AnyRunner,
  'fill-mask': fillMask as AnyRunner,
  'feature-extraction': extractFeatures as AnyRunner,
  embeddings: embed as AnyRunner,
  'token-classification': tagTokens as AnyRunner,
};

/**
 * A task pipeline over a model folder, hub id, or an already loaded `{model, tokenizer}`. The result is
 * an async function taking one input or a list, with HF's output shapes; call options override `defaults`.
 *
 * @example
 * const classifier = await pipeline('sentiment-analysis', 'distilbert-base-uncased-finetuned-sst-2-english');
 * await classifier('I love this!'); // [{ label: 'POSITIVE', score: 0.9998 }]
 * const unmasker = await pipeline('fill-mask', 'bert-base-uncased');
 * await unmasker('Paris is the [MASK] of France.', { topK: 2 });
 * const embedder = await pipeline('embeddings', 'sentence-transformers/all-MiniLM-L6-v2', { defaults: { normalize: true } });
 */
export async function pipeline(task: 'text-classification' | 'sentiment-analysis', model: string | PipelineParts, opts?: PipelineOptions & { defaults?: TextClassificationOptions }): Promise<TextClassificationPipeline>;
export async function pipeline(task: 'fill-mask', model: string | PipelineParts, opts?: PipelineOptions & { defaults?: FillMaskOptions }): Promise<FillMaskPipeline>;
export async function pipeline(task: 'feature-extraction', model: string | PipelineParts, opts?: PipelineOptions & { defaults?: FeatureExtractionOptions }): Promise<FeatureExtractionPipeline>;
export async function pipeline(task: 'embeddings', model: string | PipelineParts, opts?: PipelineOptions & { defaults?: EmbedOptions }): Promise<EmbeddingsPipeline>;
export async function pipeline(task: 'token-classification' | 'ner', model: string | PipelineParts, opts?: PipelineOptions & { defaults?: TokenClassificationOptions }): Promise<TokenClassificationPipeline>;
export async function pipeline(task: 'text-generation', model: string, opts?: FromPretrainedOptions): Promise<TextGenerationPipeline>;
export async function pipeline(task: PipelineTask | 'text-generation', model: string | PipelineParts, opts: PipelineOptions & { defaults?: object } = {}): Promise<unknown> {
  if (task === 'text-generation') {
    if (typeof model !== 'string') throw new BertchatError('INVALID_ARGUMENT', 'pipeline(text-generation): pass a model folder or a hub id');
    return textGenerationPipeline(model, opts);
  }
  const spec = Object.prototype.hasOwnProperty.call(TASKS, task) ? TASKS[task] : undefined;
  if (!spec) throw new BertchatError('INVALID_ARGUMENT', `pipeline: unknown task "${task}" (supported: ${[...Object.keys(TASKS), 'text-generation'].join(', ')})`);
  let parts: PipelineParts;
  if (typeof model === 'string') {
    const dir = await resolveModelDir(model, opts);
    parts = { model: (loadForTaskFromDir(dir, spec.model, opts) as PipelineModel).packForInference(), tokenizer: opts.tokenizer ?? loadTokenizer(dir) };
  } else if (model && typeof model === 'object' && model.model && model.tokenizer) {
    parts = model;
  } else {
    throw new BertchatError('INVALID_ARGUMENT', `pipeline(${task}): pass a model folder, a hub id, or {model, tokenizer}`);
  }
  const run = RUNNERS[spec.name]!;
  const defaults = opts.defaults ?? {};
  const fn = (inputs: unknown, callOpts: object = {}): Promise<unknown> => run(parts, inputs as never, { ...defaults, ...callOpts });
  return Object.assign(fn, { task: spec.name, model: parts.model, tokenizer: parts.tokenizer, defaults });
}

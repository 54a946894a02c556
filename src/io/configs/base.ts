// Fields every HF config shares (PretrainedConfig): architectures, labels, special token ids,
// tie_word_embeddings, torch_dtype; plus the list of activation names HF's ACT2FN knows.
import type { FieldReader } from './fields.js';

export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

export interface BaseConfig {
  model_type: string;
  architectures: string[] | null;
  torch_dtype: string | null;
  /** Label names by class index (JSON keys are strings; here they are numbers). */
  id2label: Record<number, string>;
  label2id: Record<string, number>;
  problem_type: ProblemType | null;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
  tie_word_embeddings: boolean;
  /** Fields of config.json that bertchat does not model, kept verbatim for configToJSON. */
  extra: Record<string, unknown>;
}

/** Activation names accepted in hidden_act / activation / activation_function (HF ACT2FN keys). */
export const ACTIVATIONS = [
  'gelu', 'gelu_new', 'gelu_fast', 'gelu_pytorch_tanh', 'gelu_python', 'gelu_accurate', 'gelu_10', 'quick_gelu',
  'relu', 'relu2', 'relu6', 'leaky_relu', 'silu', 'swish', 'tanh', 'sigmoid', 'mish', 'linear', 'laplace',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** HF's labels when a config has none: {0: 'LABEL_0', 1: 'LABEL_1'} (num_labels defaults to 2). */
export function defaultId2Label(numLabels = 2): Record<number, string> {
  const out: Record<number, string> = {};
  for (let i = 0; i < numLabels; i++) out[i] = `LABEL_${i}`;
  return out;
}

/** Per-family defaults of the shared fields. */
export interface BaseDefaults {
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
  tie_word_embeddings: boolean;
}

/** Reads the PretrainedConfig fields (model_type must already be validated by the caller). */
export function readBase(r: FieldReader, modelType: string, d: BaseDefaults): Omit<BaseConfig, 'extra'> {
  r.markKnown('model_type', 'num_labels');
  let id2label: Record<number, string>;
  const rawId2Label = r.objOrNull('id2label');
  if (rawId2Label !== null) {
    id2label = {};
    for (const [k, v] of Object.entries(rawId2Label)) {
      if (!/^(0|[1-9]\d*)$/.test(k)) r.fail('id2label', `has key ${JSON.stringify(k)}, which is not a class index`);
      if (typeof v !== 'string') r.fail('id2label', `["${k}"] must be a string, got ${JSON.stringify(v)}`);
      id2label[Number(k)] = v;
    }
  } else {
    const n = r.has('num_labels') ? r.posInt('num_labels', 2) : 2;
    id2label = defaultId2Label(n);
  }
  let label2id: Record<string, number>;
  const rawLabel2Id = r.objOrNull('label2id');
  if (rawLabel2Id !== null) {
    label2id = {};
    for (const [k, v] of Object.entries(rawLabel2Id)) {
      if (!Number.isSafeInteger(v) || (v as number) < 0) r.fail('label2id', `["${k}"] must be a class index, got ${JSON.stringify(v)}`);
      Object.defineProperty(label2id, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  } else {
    label2id = {};
    for (const [k, v] of Object.entries(id2label)) Object.defineProperty(label2id, v, { value: Number(k), enumerable: true, writable: true, configurable: true });
  }
  return {
    model_type: modelType,
    architectures: r.strListOrNull('architectures', null),
    torch_dtype: r.strOrNull('torch_dtype', null),
    id2label,
    label2id,
    problem_type: r.oneOfOrNull('problem_type', ['regression', 'single_label_classification', 'multi_label_classification'] as const, null),
    bos_token_id: r.intOrNull('bos_token_id', d.bos_token_id),
    eos_token_id: r.intsOrNull('eos_token_id', d.eos_token_id),
    pad_token_id: r.intOrNull('pad_token_id', d.pad_token_id),
    tie_word_embeddings: r.bool('tie_word_embeddings', d.tie_word_embeddings),
  };
}

/** Number of classification labels (the size of id2label), like HF's `config.num_labels`. */
export function numLabels(cfg: BaseConfig): number {
  return Object.keys(cfg.id2label).length;
}

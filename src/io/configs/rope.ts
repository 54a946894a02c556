// rope_scaling validation (HF modeling_rope_utils.rope_config_validation): the rope type, read from
// `rope_type` or the legacy `type`, decides which keys are required.
import type { FieldReader } from './fields.js';

export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'yarn', 'longrope', 'llama3'] as const;
export type RopeType = (typeof ROPE_TYPES)[number];

export interface RopeScaling {
  rope_type: RopeType;
  factor?: number;
  original_max_position_embeddings?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  attention_factor?: number;
  beta_fast?: number;
  beta_slow?: number;
  mscale?: number;
  mscale_all_dim?: number;
  short_factor?: number[];
  long_factor?: number[];
  /** Other keys of the file's object, kept. */
  [key: string]: unknown;
}

const REQUIRED_KEYS: Record<RopeType, string[]> = {
  default: [],
  linear: ['factor'],
  dynamic: ['factor'],
  yarn: ['factor'],
  longrope: ['short_factor', 'long_factor'],
  llama3: ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'],
};

const NUMBER_KEYS = ['factor', 'low_freq_factor', 'high_freq_factor', 'attention_factor', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim'];

/** Reads and validates `rope_scaling` (null, or an object with a known rope type). */
export function readRopeScaling(r: FieldReader): RopeScaling | null {
  const raw = r.objOrNull('rope_scaling');
  if (raw === null) return null;
  const type = raw.rope_type ?? raw.type;
  if (typeof type !== 'string' || !(ROPE_TYPES as readonly string[]).includes(type)) {
    r.fail('rope_scaling', `has rope_type ${JSON.stringify(type)}; supported: ${ROPE_TYPES.join(', ')}`);
  }
  const rt = type as RopeType;
  for (const k of REQUIRED_KEYS[rt]) {
    if (!(k in raw)) r.fail('rope_scaling', `of type "${rt}" needs "${k}"`);
  }
  for (const k of NUMBER_KEYS) {
    if (k in raw && (typeof raw[k] !== 'number' || !Number.isFinite(raw[k]) || (raw[k] as number) <= 0)) {
      r.fail('rope_scaling', `.${k} must be a positive number, got ${JSON.stringify(raw[k])}`);
    }
  }
  const omp = raw.original_max_position_embeddings;
  if (omp !== undefined && !(Number.isSafeInteger(omp) && (omp as number) > 0)) {
    r.fail('rope_scaling', `.original_max_position_embeddings must be a positive integer, got ${JSON.stringify(omp)}`);
  }
  for (const k of ['short_factor', 'long_factor']) {
    const v = raw[k];
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)))) {
      r.fail('rope_scaling', `.${k} must be a list of numbers`);
    }
  }
  if (rt === 'llama3' && (raw.high_freq_factor as number) <= (raw.low_freq_factor as number)) {
    r.fail('rope_scaling', '.high_freq_factor must be greater than low_freq_factor');
  }
  return { ...raw, rope_type: rt };
}

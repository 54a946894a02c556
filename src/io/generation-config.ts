// generation_config.json (optional file): typed fields with HF GenerationConfig defaults; other fields kept.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { FieldReader } from './configs/fields.js';
import { readJsonFile } from './config.js';
import { writeFileAtomic } from './atomic.js';

export interface GenerationConfig {
  max_length: number;
  max_new_tokens: number | null;
  min_length: number;
  min_new_tokens: number | null;
  do_sample: boolean;
  num_beams: number;
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number | null;
  typical_p: number;
  repetition_penalty: number;
  no_repeat_ngram_size: number;
  length_penalty: number;
  use_cache: boolean;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  pad_token_id: number | null;
  decoder_start_token_id: number | null;
  stop_strings: string[] | null;
  /** Fields not modelled here, kept verbatim. */
  extra: Record<string, unknown>;
}

/**
 * Validates a parsed generation_config.json object.
 *
 * @example parseGenerationConfig({ eos_token_id: [2, 32000] }, 'generation_config.json').eos_token_id // [2, 32000]
 */
export function parseGenerationConfig(json: unknown, source = 'generation_config.json'): GenerationConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BertchatError('CONFIG', `${source}: expected a JSON object`, { file: source });
  }
  const r = new FieldReader(json as Record<string, unknown>, source);
  const stop = (json as Record<string, unknown>).stop_strings;
  const cfg: GenerationConfig = {
    max_length: r.posInt('max_length', 20),
    max_new_tokens: r.posIntOrNull('max_new_tokens', null),
    min_length: r.natInt('min_length', 0),
    min_new_tokens: r.intOrNull('min_new_tokens', null),
    do_sample: r.bool('do_sample', false),
    num_beams: r.posInt('num_beams', 1),
    temperature: r.num('temperature', 1.0),
    top_k: r.natInt('top_k', 50),
    top_p: r.num('top_p', 1.0),
    min_p: r.probOrNull('min_p', null),
    typical_p: r.num('typical_p', 1.0),
    repetition_penalty: r.num('repetition_penalty', 1.0),
    no_repeat_ngram_size: r.natInt('no_repeat_ngram_size', 0),
    length_penalty: r.num('length_penalty', 1.0),
    use_cache: r.bool('use_cache', true),
    bos_token_id: r.intOrNull('bos_token_id', null),
    eos_token_id: r.intsOrNull('eos_token_id', null),
    pad_token_id: r.intOrNull('pad_token_id', null),
    decoder_start_token_id: r.intOrNull('decoder_start_token_id', null),
    stop_strings: typeof stop === 'string' ? [stop] : r.strListOrNull('stop_strings', null),
    extra: {},
  };
  r.markKnown('stop_strings');
  cfg.extra = r.extra();
  return cfg;
}

/**
 * Reads `generation_config.json` from a model folder; null when the folder has none (the file is optional).
 *
 * @example readGenerationConfig('golden/llama-tiny-random')?.eos_token_id // 2
 */
export function readGenerationConfig(dir: string): GenerationConfig | null {
  const path = existsSync(dir) && statSync(dir).isDirectory() ? join(dir, 'generation_config.json') : dir;
  if (!existsSync(path)) return null;
  return parseGenerationConfig(readJsonFile(path), path);
}

/**
 * The generation_config.json that HF writes beside a decoder it saves (`GenerationConfig.from_model_config`):
 * the config's bos / eos / pad ids, so `generate()` stops at the model's end token without extra arguments.
 * Null for encoder-only configs, which HF saves without one.
 *
 * @example generationConfigJsonFor({ model_type: 'gpt2', bos_token_id: 0, eos_token_id: 2, pad_token_id: 0 })
 *          // { bos_token_id: 0, eos_token_id: 2, pad_token_id: 0 }
 */
export function generationConfigJsonFor(config: { model_type: string; bos_token_id?: number | null; eos_token_id?: number | number[] | null; pad_token_id?: number | null }): Record<string, unknown> | null {
  if (!DECODER_TYPES.has(config.model_type)) return null;
  const out: Record<string, unknown> = {};
  for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    if (config[k] !== null && config[k] !== undefined) out[k] = config[k];
  }
  return out;
}

const DECODER_TYPES = new Set(['gpt2', 'llama', 'qwen2', 'mistral']);

/** Writes `dir/generation_config.json` atomically; returns its path. */
export function writeGenerationConfig(dir: string, json: Record<string, unknown>): string {
  parseGenerationConfig(json, 'generation_config.json'); // never write what we would refuse to read
  const path = join(dir, 'generation_config.json');
  writeFileAtomic(path, `${JSON.stringify(json, null, 2)}\n`);
  return path;
}

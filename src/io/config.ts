// HF config.json: parse + validate into one typed interface per family (a union discriminated by
// model_type), read from a model folder, and write back with unknown fields kept (configToJSON).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';
import { defaultId2Label } from './configs/base.js';
import { parseBertConfig, type BertConfig } from './configs/bert.js';
import { parseDistilBertConfig, type DistilBertConfig } from './configs/distilbert.js';
import { FieldReader } from './configs/fields.js';
import { parseGPT2Config, type GPT2Config } from './configs/gpt2.js';
import { parseLlamaConfig, type LlamaConfig } from './configs/llama.js';

export type { BaseConfig, Activation, ProblemType } from './configs/base.js';
export { numLabels } from './configs/base.js';
export type { BertConfig } from './configs/bert.js';
export type { DistilBertConfig } from './configs/distilbert.js';
export type { GPT2Config } from './configs/gpt2.js';
export { gpt2InnerSize } from './configs/gpt2.js';
export type { LlamaConfig, LlamaFamily } from './configs/llama.js';
export { attentionBiases } from './configs/llama.js';
export type { RopeScaling, RopeType } from './configs/rope.js';

/** Any supported config; switch on `model_type`. */
export type ModelConfig = BertConfig | DistilBertConfig | GPT2Config | LlamaConfig;

/** model_type → parser. A new family is one line here (and one file in configs/). */
const PARSERS: Record<string, (r: FieldReader) => ModelConfig> = {
  bert: parseBertConfig,
  distilbert: parseDistilBertConfig,
  gpt2: parseGPT2Config,
  llama: (r) => parseLlamaConfig(r, 'llama'),
  qwen2: (r) => parseLlamaConfig(r, 'qwen2'),
  mistral: (r) => parseLlamaConfig(r, 'mistral'),
};

/** The model types parseConfig accepts. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = Object.keys(PARSERS);

/**
 * Validates a parsed config.json object; `source` names the file in errors.
 *
 * @example
 * const cfg = parseConfig(JSON.parse(text), 'models/bert/config.json');
 * if (cfg.model_type === 'bert') cfg.hidden_size; // typed as BertConfig here
 */
export function parseConfig(json: unknown, source = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BertchatError('CONFIG', `${source}: expected a JSON object`, { file: source });
  }
  const mt = (json as Record<string, unknown>).model_type;
  if (mt === undefined) {
    throw new BertchatError('CONFIG', `${source}: field "model_type" is required but missing (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`, {
      file: source,
      field: 'model_type',
    });
  }
  if (typeof mt !== 'string' || !Object.prototype.hasOwnProperty.call(PARSERS, mt)) {
    throw new BertchatError('CONFIG', `${source}: field "model_type" is ${JSON.stringify(mt)}, which bertchat does not support (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`, {
      file: source,
      field: 'model_type',
    });
  }
  return PARSERS[mt]!(new FieldReader(json as Record<string, unknown>, source));
}

/** Reads and parses JSON from a file; NOT_FOUND when missing, CONFIG when not JSON. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO';
    throw new BertchatError(code, `cannot read ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new BertchatError('CONFIG', `${path}: not valid JSON (${(err as Error).message})`, { file: path }, { cause: err });
  }
}

/**
 * Reads `config.json` from a model folder (or a path to a .json file).
 *
 * @example
 * const cfg = readConfig('golden/gpt2-tiny-random'); // GPT2Config
 */
export function readConfig(dirOrFile: string): ModelConfig {
  let path = dirOrFile;
  try {
    if (statSync(dirOrFile).isDirectory()) path = join(dirOrFile, 'config.json');
  } catch {
    if (!dirOrFile.endsWith('.json')) path = join(dirOrFile, 'config.json'); // readJsonFile reports it missing
  }
  return parseConfig(readJsonFile(path), path);
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) Object.defineProperty(out, k, { value: o[k], enumerable: true, writable: true, configurable: true });
  return out;
}

function isDefaultLabels(id2label: Record<number, string>): boolean {
  const def = defaultId2Label();
  const keys = Object.keys(id2label);
  return keys.length === 2 && keys.every((k) => id2label[Number(k)] === def[Number(k)]);
}

/**
 * The config as a JSON object like HF writes it (keys sorted, id2label keys as strings), with the
 * unknown fields of the original file kept; parseConfig(configToJSON(c)) gives back c.
 *
 * @example
 * writeFileSync('config.json', JSON.stringify(configToJSON(cfg), null, 2) + '\n');
 */
export function configToJSON(cfg: ModelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const copy = (k: string, v: unknown): void => {
    Object.defineProperty(out, k, { value: structuredClone(v), enumerable: true, writable: true, configurable: true });
  };
  for (const [k, v] of Object.entries(cfg.extra)) copy(k, v);
  for (const [k, v] of Object.entries(cfg)) {
    if (k === 'extra' || v === undefined) continue;
    if ((k === 'id2label' || k === 'label2id') && isDefaultLabels(cfg.id2label)) continue; // HF's diff drops the default labels
    copy(k, k === 'id2label' ? Object.fromEntries(Object.entries(v as Record<number, string>)) : v);
  }
  return sortKeys(out);
}

/**
 * Writes `config.json` into a folder atomically (2-space indent, sorted keys, trailing newline, as HF).
 *
 * @example writeConfig('out/my-model', cfg);
 */
export function writeConfig(dir: string, cfg: ModelConfig): string {
  const path = join(dir, 'config.json');
  writeFileAtomic(path, `${JSON.stringify(configToJSON(cfg), null, 2)}\n`);
  return path;
}

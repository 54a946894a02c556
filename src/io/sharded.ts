// Sharded checkpoints (model-00001-of-0000N.safetensors + model.safetensors.index.json, as HF
// save_pretrained writes them) and loadModelWeights(dir), which picks the single file or the index.
import { existsSync, readFileSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import { writeFileAtomic } from './atomic.js';
import { readSafetensors, type ReadSafetensorsOptions, type SafetensorsTensor } from './safetensors.js';
import { DEFAULT_METADATA, writeSafetensors, writtenByteSize, type TensorToWrite, type TensorsToWrite } from './safetensors-write.js';

export const SAFE_WEIGHTS_NAME = 'model.safetensors';
export const SAFE_WEIGHTS_INDEX_NAME = 'model.safetensors.index.json';

/** Weights of a model folder, merged over shards. */
export interface ModelWeights {
  tensors: Map<string, SafetensorsTensor>;
  /** `__metadata__` of the (first) file, or null. */
  metadata: Record<string, string> | null;
  /** Absolute paths of the files read, in order. */
  files: string[];
}

/** The `model.safetensors.index.json` content. */
export interface ShardIndex {
  metadata: Record<string, unknown>;
  weight_map: Record<string, string>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A shard name must be a plain file name in the index's folder (no path tricks from an untrusted index). */
function checkShardName(name: string, indexPath: string, tensor: string): void {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new BertchatError('SAFETENSORS', `${indexPath}: weight_map["${tensor}"] = ${JSON.stringify(name)} is not a plain file name`, {
      file: indexPath,
      tensor,
    });
  }
}

/**
 * Parses and validates a shard index (JSON text).
 *
 * @example
 * parseShardIndex('{"metadata":{"total_size":8},"weight_map":{"w":"model-00001-of-00001.safetensors"}}', 'index.json');
 */
export function parseShardIndex(text: string, indexPath: string): ShardIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BertchatError('SAFETENSORS', `${indexPath}: not valid JSON (${(err as Error).message})`, { file: indexPath });
  }
  if (!isPlainObject(json) || !isPlainObject(json.weight_map)) {
    throw new BertchatError('SAFETENSORS', `${indexPath}: expected an object with a "weight_map" object`, { file: indexPath });
  }
  const weightMap: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [tensor, file] of Object.entries(json.weight_map)) {
    if (typeof file !== 'string') {
      throw new BertchatError('SAFETENSORS', `${indexPath}: weight_map["${tensor}"] must be a file name, got ${JSON.stringify(file)}`, { file: indexPath, tensor });
    }
    checkShardName(file, indexPath, tensor);
    weightMap[tensor] = file;
  }
  return { metadata: isPlainObject(json.metadata) ? json.metadata : {}, weight_map: weightMap };
}

/**
 * Reads a sharded checkpoint: `dirOrIndex` is the folder (holding model.safetensors.index.json)
 * or the index file itself. Every listed tensor must be in its shard, and no tensor in two shards.
 *
 * @example
 * const { tensors, files } = readShardedSafetensors('models/llama-7b');
 */
export function readShardedSafetensors(dirOrIndex: string, opts: ReadSafetensorsOptions = {}): ModelWeights {
  const indexPath = dirOrIndex.endsWith('.json') ? dirOrIndex : join(dirOrIndex, SAFE_WEIGHTS_INDEX_NAME);
  const dir = dirname(indexPath);
  let text: string;
  try {
    text = readFileSync(indexPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO';
    throw new BertchatError(code, `cannot read shard index ${indexPath}: ${(err as Error).message}`, { file: indexPath }, { cause: err });
  }
  const index = parseShardIndex(text, indexPath);
  const shards = [...new Set(Object.values(index.weight_map))];
  const missing = shards.filter((s) => !existsSync(join(dir, s)));
  if (missing.length > 0) {
    throw new BertchatError('NOT_FOUND', `${indexPath} lists shard(s) that are missing in ${dir}: ${missing.join(', ')}`, { file: indexPath, missing });
  }

  const tensors = new Map<string, SafetensorsTensor>();
  const from = new Map<string, string>();
  let metadata: Record<string, string> | null = null;
  const files: string[] = [];
  for (const shard of shards) {
    const path = join(dir, shard);
    const st = readSafetensors(path, opts);
    if (files.length === 0) metadata = st.metadata;
    files.push(path);
    for (const [name, t] of st.tensors) {
      const other = from.get(name);
      if (other !== undefined) {
        throw new BertchatError('SAFETENSORS', `tensor "${name}" is in two shards: ${other} and ${shard} (${indexPath})`, { file: indexPath, tensor: name });
      }
      const listed = index.weight_map[name];
      if (listed === undefined) log.warn(`${path}: tensor "${name}" is not listed in ${basename(indexPath)}; loading it anyway`);
      else if (listed !== shard) {
        throw new BertchatError('SAFETENSORS', `tensor "${name}" is in ${shard} but ${basename(indexPath)} maps it to ${listed}`, { file: indexPath, tensor: name });
      }
      tensors.set(name, t);
      from.set(name, shard);
    }
  }
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (!tensors.has(name)) {
      throw new BertchatError('SAFETENSORS', `${indexPath} maps tensor "${name}" to ${shard}, which does not contain it`, { file: indexPath, tensor: name });
    }
  }
  return { tensors, metadata, files };
}

/** Parses a shard size: bytes, or a string like "5GB", "500MB", "2GiB" (decimal units as in HF). */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') {
    if (Number.isFinite(size) && size > 0) return Math.floor(size);
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(size);
    if (m) {
      const mult: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
      const bytes = Math.floor(Number(m[1]) * mult[(m[2] ?? 'B').toUpperCase()]!);
      if (bytes > 0) return bytes;
    }
  }
  throw new BertchatError('INVALID_ARGUMENT', `invalid shard size ${JSON.stringify(size)} (use bytes or e.g. "5GB")`);
}

/**
 * Splits tensors into shards the way huggingface_hub's `split_torch_state_dict_into_shards` does:
 * in the given order, a new shard starts when the next tensor would tip the current one over the limit;
 * a tensor bigger than the limit gets a shard of its own.
 */
export function planShards<T>(tensors: Array<readonly [string, T]>, sizeOf: (t: T) => number, maxShardSize: number): Array<Array<readonly [string, T]>> {
  const shards: Array<Array<readonly [string, T]>> = [];
  let current: Array<readonly [string, T]> = [];
  let currentSize = 0;
  for (const entry of tensors) {
    const size = sizeOf(entry[1]);
    if (size > maxShardSize) {
      shards.push([entry]);
      continue;
    }
    if (currentSize + size > maxShardSize && current.length > 0) {
      shards.push(current);
      current = [];
      currentSize = 0;
    }
    current.push(entry);
    currentSize += size;
  }
  if (current.length > 0 || shards.length === 0) shards.push(current);
  return shards;
}

export interface SaveWeightsOptions {
  /** Shard above this size (bytes or "5GB"); default "5GB" like transformers. */
  maxShardSize?: number | string;
  /** `__metadata__` for every file; default {"format":"pt"}. */
  metadata?: Record<string, string> | null;
}

const SHARD_RE = /^model-\d{5}-of-\d{5}\.safetensors$/;

/**
 * Saves weights into a model folder like HF `save_pretrained`: `model.safetensors` when they fit in one
 * shard, else `model-0000i-of-0000N.safetensors` + `model.safetensors.index.json`. Stale weight files of a
 * previous save are removed. Returns the paths written.
 *
 * @example
 * saveModelWeights('out/my-model', tensors, { maxShardSize: '2GB' });
 */
export function saveModelWeights(dir: string, tensors: TensorsToWrite, opts: SaveWeightsOptions = {}): string[] {
  const maxShardSize = parseSize(opts.maxShardSize ?? '5GB');
  const metadata = opts.metadata === undefined ? DEFAULT_METADATA : opts.metadata;
  const entries: Array<readonly [string, TensorToWrite]> =
    tensors instanceof Map ? [...tensors.entries()] : Symbol.iterator in (tensors as object) ? [...(tensors as Iterable<readonly [string, TensorToWrite]>)] : Object.entries(tensors);
  const shards = planShards(entries, writtenByteSize, maxShardSize);
  const written: string[] = [];
  if (shards.length === 1) {
    const path = join(dir, SAFE_WEIGHTS_NAME);
    writeSafetensors(path, shards[0]!, metadata);
    written.push(path);
  } else {
    const n = shards.length;
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    shards.forEach((shard, i) => {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
      writeSafetensors(join(dir, file), shard, metadata);
      written.push(join(dir, file));
      for (const [name, t] of shard) {
        weightMap[name] = file;
        totalSize += writtenByteSize(t);
      }
    });
    const sorted = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]!]));
    const indexPath = join(dir, SAFE_WEIGHTS_INDEX_NAME);
    writeFileAtomic(indexPath, `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sorted }, null, 2)}\n`);
    written.push(indexPath);
  }
  removeStale(dir, written);
  return written;
}

/** Removes weight files of an earlier save that the new save did not write (like save_pretrained). */
function removeStale(dir: string, written: string[]): void {
  const keep = new Set(written.map((p) => basename(p)));
  for (const name of readdirSync(dir)) {
    const stale = (SHARD_RE.test(name) || name === SAFE_WEIGHTS_NAME || name === SAFE_WEIGHTS_INDEX_NAME) && !keep.has(name);
    if (stale && statSync(join(dir, name)).isFile()) {
      log.debug(`removing stale weight file ${join(dir, name)}`);
      unlinkSync(join(dir, name));
    }
  }
}

/** Weight files bertchat cannot read, with the reason given in the error. */
const UNSUPPORTED: Array<[string, string]> = [
  ['pytorch_model.bin', 'PyTorch .bin pickles are not supported (convert with safetensors\' convert script or save_pretrained(safe_serialization=True))'],
  ['pytorch_model.bin.index.json', 'sharded PyTorch .bin pickles are not supported'],
  ['tf_model.h5', 'TensorFlow .h5 weights are not supported'],
  ['flax_model.msgpack', 'Flax .msgpack weights are not supported'],
  ['model.onnx', 'ONNX files are not supported'],
];

/**
 * Loads a model folder's weights: `model.safetensors`, else the sharded index. A NOT_FOUND error lists
 * what was looked for and which unsupported formats were found instead.
 *
 * @example
 * const { tensors } = loadModelWeights('golden/bert-tiny-random');
 */
export function loadModelWeights(dir: string, opts: ReadSafetensorsOptions = {}): ModelWeights {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BertchatError('NOT_FOUND', `model folder not found: ${dir}`, { dir });
  const single = join(dir, SAFE_WEIGHTS_NAME);
  if (existsSync(single)) {
    const st = readSafetensors(single, opts);
    return { tensors: st.tensors, metadata: st.metadata, files: [single] };
  }
  if (existsSync(join(dir, SAFE_WEIGHTS_INDEX_NAME))) return readShardedSafetensors(dir, opts);
  const found = UNSUPPORTED.filter(([f]) => existsSync(join(dir, f))).map(([f, why]) => `${f} is present, but ${why}`);
  const other = readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
  const hints = [...found];
  if (other.length > 0) hints.push(`other .safetensors files are present (${other.slice(0, 5).join(', ')}); read them with readSafetensors()`);
  throw new BertchatError(
    'NOT_FOUND',
    `no weights in ${dir}: looked for ${SAFE_WEIGHTS_NAME} and ${SAFE_WEIGHTS_INDEX_NAME}` + (hints.length > 0 ? `. ${hints.join('; ')}` : ''),
    { dir, lookedFor: [SAFE_WEIGHTS_NAME, SAFE_WEIGHTS_INDEX_NAME] },
  );
}

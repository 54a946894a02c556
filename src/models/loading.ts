// Loading and saving HF model folders, independent of any family: the PreTrainedModel base class
// (static fromPretrained, save), checkpoint-key normalisation (legacy LayerNorm names, base_model_prefix),
// the strict load with HF's "newly initialised head" exception, and saveModel. Family data lives in registry.ts.
import { mkdirSync } from 'node:fs';
import { configToJSON, type ModelConfig } from '../io/config.js';
import { writeFileAtomic } from '../io/atomic.js';
import { saveModelWeights } from '../io/sharded.js';
import type { TensorData } from '../io/safetensors.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { saveTokenizer } from '../tokenizers/save.js';
import { BertchatError } from '../util/errors.js';
import { log } from '../util/logging.js';
import type { ResolveOptions } from '../io/hub.js';
import { Rng } from '../util/rng.js';
import { randn } from '../tensor/ops/create.js';
import { join } from 'node:path';

/** One checkpoint tensor as the loader sees it (float32 after conversion). */
export interface WeightEntry {
  shape: readonly number[];
  data: Float32Array;
}
export type StateDict = Map<string, WeightEntry>;

/** A raw tensor from io (any dtype). */
export interface RawWeight {
  shape: readonly number[];
  data: TensorData;
}

/** Options of every fromPretrained. */
export interface FromPretrainedOptions extends ResolveOptions {
  /** Read this .safetensors file of the folder instead of model.safetensors / the shard index. */
  weightsFile?: string;
  /** config.json fields to override (e.g. `{ num_labels: 5 }` or `{ id2label: {...} }` for a new head). */
  config?: Record<string, unknown>;
  /**
   * Head parameters (those that may be newly initialised) whose checkpoint shape differs are
   * re-initialised with a warning instead of failing (HF `ignore_mismatched_sizes`). Default false.
   */
  ignoreMismatchedSizes?: boolean;
  /** Seed stream for newly initialised parameters. */
  rng?: Rng;
}

/** What the loader needs to know about one architecture (see registry.ts). */
export interface LoadSpec {
  /** Attribute holding the base model in head architectures (`bert`, `distilbert`, `transformer`, `model`). */
  basePrefix: string;
  /** Parameters a checkpoint may lack; they keep their fresh initialisation and a warning is logged. */
  newlyInitialized?: RegExp;
  /** Checkpoint keys this architecture ignores silently (tied copies, old buffers). */
  ignoreKeys?: (key: string, config: ModelConfig) => boolean;
  /** Keys of other heads of the family: dropped with a warning when this architecture does not use them. */
  otherHeadKeys?: RegExp;
  /** Family-specific renames applied to every key before prefix handling (legacy names). */
  renameKey?: (key: string) => string;
}

/**
 * HF's legacy renames (`_fix_state_dict_key_on_load`): TF-converted checkpoints name LayerNorm
 * parameters `gamma`/`beta`.
 */
export function legacyKeyRename(key: string): string {
  if (key.endsWith('.gamma')) return `${key.slice(0, -6)}.weight`;
  if (key.endsWith('.beta')) return `${key.slice(0, -5)}.bias`;
  return key;
}

function toFloat32(name: string, t: RawWeight): WeightEntry {
  const d = t.data;
  if (d instanceof Float32Array) return { shape: t.shape, data: d };
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    throw new BertchatError('CHECKPOINT', `checkpoint tensor ${name} holds 64-bit integers; it is not a weight this model uses`);
  }
  return { shape: t.shape, data: Float32Array.from(d as ArrayLike<number>) };
}

/**
 * Maps checkpoint keys onto a model's parameter names, HF-style: legacy renames, then base_model_prefix
 * (a base checkpoint `embeddings.*` loaded into a head model becomes `bert.embeddings.*`; a head checkpoint
 * `bert.embeddings.*` loaded into the base model loses the prefix). Only keys the model expects are re-prefixed.
 */
export function normalizeKeys(tensors: Map<string, RawWeight>, expected: ReadonlySet<string>, spec: LoadSpec, config: ModelConfig): StateDict {
  const out: StateDict = new Map();
  const prefix = `${spec.basePrefix}.`;
  const modelHasPrefix = [...expected].some((k) => k.startsWith(prefix));
  const renamed: [string, RawWeight][] = [...tensors].map(([k, v]) => [legacyKeyRename(spec.renameKey ? spec.renameKey(k) : k), v]);
  const ckptHasPrefix = renamed.some(([k]) => k.startsWith(prefix));
  for (const [k0, v] of renamed) {
    let k = k0;
    if (modelHasPrefix && !ckptHasPrefix && !expected.has(k) && expected.has(prefix + k)) k = prefix + k;
    else if (!modelHasPrefix && k.startsWith(prefix) && expected.has(k.slice(prefix.length))) k = k.slice(prefix.length);
    if (spec.ignoreKeys?.(k, config) || spec.ignoreKeys?.(k0, config)) continue;
    out.set(k, toFloat32(k0, v));
  }
  return out;
}

/**
 * Loads checkpoint tensors into `model`, strictly: mis-shaped, missing and unexpected names fail with one
 * CHECKPOINT error listing them. Two HF behaviours are kept: parameters matching `spec.newlyInitialized`
 * (a classification head, the pooler) may be missing and keep their initialisation with a warning, and
 * tensors of the family's other heads (`otherHeadKeys`) are dropped with a warning.
 *
 * @example loadCheckpoint(model, loadModelWeights(dir).tensors, registrySpec, 'models/my-bert');
 */
export function loadCheckpoint(
  model: Module & { config: ModelConfig },
  tensors: Map<string, RawWeight>,
  spec: LoadSpec,
  where: string,
  opts: { ignoreMismatchedSizes?: boolean; rng?: Rng } = {},
): void {
  const params = new Map(model.namedParameters());
  const expected = new Set(params.keys());
  const sd = normalizeKeys(tensors, expected, spec, model.config);
  const arch = model.constructor.name;
  const unused = [...sd.keys()].filter((k) => !expected.has(k) && spec.otherHeadKeys?.test(k));
  if (unused.length) {
    for (const k of unused) sd.delete(k);
    log.warn(`${where}: weights not used by ${arch} (other heads; expected when the checkpoint was trained for another task): ${unused.join(', ')}`);
  }
  const fresh: string[] = [];
  for (const [name, p] of params) {
    const src = sd.get(name);
    const isHead = spec.newlyInitialized?.test(name) ?? false;
    const misShaped = src && (src.shape.length !== p.shape.length || src.shape.some((d, i) => d !== p.shape[i]));
    if (isHead && (!src || (misShaped && opts.ignoreMismatchedSizes))) {
      fresh.push(misShaped ? `${name} (checkpoint [${src!.shape.join(', ')}], model [${p.shape.join(', ')}])` : name);
      sd.set(name, { shape: p.shape, data: freshInit(p, model.config, opts.rng) });
    }
  }
  if (fresh.length) {
    log.warn(`${where}: some weights of ${arch} were not in the checkpoint and are newly initialized: ${fresh.join(', ')}. Train the model before using its predictions.`);
  }
  // a whole head module is absent (e.g. fill-mask on a classifier): say so, rather than list its tensors
  const top = (k: string): string => k.split('.')[0]!;
  const present = new Set([...sd.keys()].map(top));
  const missing = [...expected].filter((k) => !sd.has(k));
  const absentHeads = [...new Set(missing.map(top))];
  if (missing.length > 0 && absentHeads.every((h) => !present.has(h))) {
    const saved = (model.config as { architectures?: string[] | null }).architectures;
    throw new BertchatError(
      'CHECKPOINT',
      `${where}: the checkpoint has no ${arch} head (no ${absentHeads.map((h) => `"${h}.*"`).join(', ')} weights)` +
        (saved?.length ? `; it was saved as ${saved.join(', ')}` : '') +
        `. Use a checkpoint trained for this task (bertchat train can train one from it).`,
      { missing, unexpected: [], misShaped: [] },
    );
  }
  try {
    model.loadStateDict(sd, { strict: true });
  } catch (e) {
    if (e instanceof BertchatError) throw new BertchatError(e.code, `${where}: ${e.message}`, e.details, { cause: e });
    throw e;
  }
}

/**
 * HF _init_weights for a newly initialised parameter: matrices N(0, initializer_range), vectors keep their
 * constructor value (zero biases, unit LayerNorm weights). Models are built under withoutInit(), so a matrix
 * would otherwise be all zeros.
 */
function freshInit(p: Tensor, config: ModelConfig, rng: Rng | undefined): Float32Array {
  if (p.ndim < 2) return p.values() as Float32Array;
  const std = (config as { initializer_range?: number }).initializer_range ?? 0.02;
  return randn([...p.shape], rng ?? new Rng(42), std).values() as Float32Array;
}

/** Tensor data of a state dict, as saveModelWeights wants it. */
function weightsToWrite(model: Module): Map<string, { shape: readonly number[]; data: Float32Array }> {
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of model.stateDict()) out.set(name, { shape: t.shape, data: (t as Tensor).floats(`save ${name}`) });
  return out;
}

/**
 * Writes an HF model folder: config.json (with `architectures`, `id2label`, `label2id`), model.safetensors
 * (tied weights once, as save_pretrained) and, when given, the tokenizer files. Loading it back gives
 * bit-identical tensors.
 *
 * @example saveModel(model, tokenizer, 'out/my-classifier');
 */
export function saveModel(model: Module & { config: ModelConfig }, tokenizer: Tokenizer | null, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const cfg = { ...model.config, architectures: [model.constructor.name] } as ModelConfig;
  const configPath = join(dir, 'config.json');
  writeFileAtomic(configPath, `${JSON.stringify(configToJSON(cfg), null, 2)}\n`);
  const written = [configPath, ...saveModelWeights(dir, weightsToWrite(model))];
  if (tokenizer) written.push(...saveTokenizer(tokenizer, dir).map((f) => join(dir, f)));
  return written;
}

/** A model class that PreTrainedModel.fromPretrained can build. */
export type PreTrainedClass<T> = (abstract new (...args: never[]) => T) & { name: string };

/**
 * Base of bertchat's HF-style models: a Module with a config, `Class.fromPretrained(idOrPath)` and
 * `model.save(dir)`. The architecture is found by class name in the registry (models/registry.ts).
 */
export abstract class PreTrainedModel extends Module {
  abstract readonly config: ModelConfig;

  /**
   * Loads a model folder or hub id into this architecture (eval mode, gradients off).
   * @example const model = await BertForSequenceClassification.fromPretrained('textattack/bert-base-uncased-SST-2');
   */
  static async fromPretrained<T extends Module>(this: PreTrainedClass<T>, idOrPath: string, opts: FromPretrainedOptions = {}): Promise<T> {
    const { loadArchitecture } = await import('./auto.js'); // dynamic: auto.ts imports the registry, which imports this file's subclasses
    return (await loadArchitecture(idOrPath, this.name, opts)) as unknown as T;
  }

  /**
   * Writes config.json + model.safetensors (+ tokenizer files when given) into `dir`.
   * @example model.save('out/my-model', tokenizer);
   */
  save(dir: string, tokenizer: Tokenizer | null = null): string[] {
    return saveModel(this, tokenizer, dir);
  }
}

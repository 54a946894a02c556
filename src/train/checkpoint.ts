// Checkpoints: `checkpoint-<step>/` holds model.safetensors (F32, exact), optimizer.safetensors (AdamW m and v
// per parameter name), trainer_state.json (step, epoch, data position, scheduler, RNG, best metric) plus
// config.json and the tokenizer, so it is also a loadable model folder. A checkpoint is written into a
// temporary folder and renamed into place: a crash leaves the old one or the new one, never half of one.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, fsyncDir } from '../io/atomic.js';
import { writeConfig, readJsonFile, type ModelConfig } from '../io/config.js';
import { generationConfigJsonFor, writeGenerationConfig } from '../io/generation-config.js';
import { readSafetensors } from '../io/safetensors.js';
import { writeSafetensors } from '../io/safetensors-write.js';
import { saveModelWeights } from '../io/sharded.js';
import type { Module } from '../nn/module.js';
import type { AdamW } from '../optim/adamw.js';
import { saveTokenizer } from '../tokenizers/save.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { BertchatError } from '../util/errors.js';

export interface TrainerState {
  format: 'bertchat-trainer-state';
  version: 1;
  /** Optimizer steps done. */
  global_step: number;
  /** Fractional epochs done (for display, as HF). */
  epoch: number;
  /** The epoch in progress (0-based) and how many of its micro-batches were consumed: the data order position. */
  epoch_index: number;
  batch_in_epoch: number;
  max_steps: number;
  scheduler: { kind: string; base_lr: number; warmup_steps: number; total_steps: number; last_lr: number };
  /** Dropout and masking streams are derived from (seed, step, micro-batch); the dropout generator state is kept too. */
  rng: { seed: number; scheme: string; dropout: { s: number[]; spare: number | null } };
  best_metric: number | null;
  best_step: number | null;
  metric_for_best_model: string | null;
  evals_without_improvement: number;
  examples_seen: number;
  tokens_seen: number;
  /** Labels of a classifier, index = class id. */
  labels: string[] | null;
}

/** A model's parameters as safetensors entries (tied tensors once), in F32 or F16. */
export function weightsOf(module: Module, dtype: 'F32' | 'F16' = 'F32'): Map<string, { dtype: 'F32' | 'F16'; shape: readonly number[]; data: Float32Array }> {
  const out = new Map<string, { dtype: 'F32' | 'F16'; shape: readonly number[]; data: Float32Array }>();
  for (const [name, p] of module.namedParameters()) out.set(name, { dtype, shape: p.shape, data: p.values() as Float32Array });
  return out;
}

/** Writes an HF model folder: config.json, model.safetensors, generation_config.json (decoders) and the tokenizer files. */
export function saveModelFolder(dir: string, module: Module, config: ModelConfig, tok: Tokenizer | null, dtype: 'F32' | 'F16' = 'F32'): void {
  mkdirSync(dir, { recursive: true });
  saveModelWeights(dir, weightsOf(module, dtype));
  writeConfig(dir, config);
  const generation = generationConfigJsonFor(config);
  if (generation) writeGenerationConfig(dir, generation);
  if (tok) saveTokenizer(tok, dir);
}

export interface CheckpointParts {
  module: Module;
  config: ModelConfig;
  tokenizer: Tokenizer;
  optimizer: AdamW;
  paramNames: string[];
  state: TrainerState;
}

/** Writes `<outputDir>/checkpoint-<step>/` atomically (temp folder + rename); returns its path. */
export function saveCheckpoint(outputDir: string, parts: CheckpointParts): string {
  const final = join(outputDir, `checkpoint-${parts.state.global_step}`);
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  saveModelFolder(tmp, parts.module, parts.config, parts.tokenizer, 'F32');
  const opt = parts.optimizer.stateDict();
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  parts.paramNames.forEach((n, i) => {
    tensors.set(`m.${n}`, { shape: [opt.m[i]!.length], data: opt.m[i]! });
    tensors.set(`v.${n}`, { shape: [opt.v[i]!.length], data: opt.v[i]! });
  });
  writeSafetensors(join(tmp, 'optimizer.safetensors'), tensors, { format: 'bertchat-adamw', step: String(opt.step) });
  writeFileAtomic(join(tmp, 'trainer_state.json'), `${JSON.stringify(parts.state, null, 2)}\n`);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(outputDir);
  return final;
}

/** Checkpoint folders of an output folder, oldest step first. */
export function listCheckpoints(outputDir: string): { step: number; path: string }[] {
  if (!existsSync(outputDir)) return [];
  const out: { step: number; path: string }[] = [];
  for (const name of readdirSync(outputDir)) {
    const m = /^checkpoint-(\d+)$/.exec(name);
    const p = join(outputDir, name);
    if (m && statSync(p).isDirectory() && existsSync(join(p, 'trainer_state.json'))) out.push({ step: Number(m[1]), path: p });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Removes the oldest checkpoints beyond `limit` (0 keeps all), never `keep`. */
export function pruneCheckpoints(outputDir: string, limit: number, keep: string | null = null): void {
  if (limit <= 0) return;
  const all = listCheckpoints(outputDir);
  for (const c of all.slice(0, Math.max(0, all.length - limit))) if (c.path !== keep) rmSync(c.path, { recursive: true, force: true });
}

export interface LoadedCheckpoint {
  path: string;
  state: TrainerState;
  weights: Map<string, { shape: readonly number[]; data: Float32Array }>;
  optimizer: { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> };
}

/** Reads a checkpoint folder ('latest' = the newest in outputDir). */
export function loadCheckpoint(pathOrLatest: string, outputDir: string): LoadedCheckpoint {
  let path = pathOrLatest;
  if (pathOrLatest === 'latest') {
    const all = listCheckpoints(outputDir);
    if (all.length === 0) throw new BertchatError('NOT_FOUND', `--resume: no checkpoint-<step>/ folder with a trainer_state.json in ${outputDir}`, { dir: outputDir });
    path = all[all.length - 1]!.path;
  }
  const statePath = join(path, 'trainer_state.json');
  if (!existsSync(statePath)) throw new BertchatError('NOT_FOUND', `--resume: ${path} is not a checkpoint (no trainer_state.json)`, { file: statePath });
  const state = readJsonFile(statePath) as TrainerState;
  if (state.format !== 'bertchat-trainer-state') throw new BertchatError('CHECKPOINT', `${statePath}: not a bertchat trainer state`, { file: statePath });
  const weights = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [k, v] of readSafetensors(join(path, 'model.safetensors')).tensors) weights.set(k, { shape: v.shape, data: v.data as Float32Array });
  const optFile = readSafetensors(join(path, 'optimizer.safetensors'));
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, t] of optFile.tensors) {
    if (k.startsWith('m.')) m.set(k.slice(2), t.data as Float32Array);
    else if (k.startsWith('v.')) v.set(k.slice(2), t.data as Float32Array);
  }
  return { path, state, weights, optimizer: { step: Number(optFile.metadata?.['step'] ?? state.global_step), m, v } };
}

/** Restores AdamW moments by parameter name (CHECKPOINT error naming a missing one). */
export function restoreOptimizer(opt: AdamW, paramNames: string[], saved: LoadedCheckpoint['optimizer'], path: string): void {
  const m: Float32Array[] = [];
  const v: Float32Array[] = [];
  for (const n of paramNames) {
    const a = saved.m.get(n);
    const b = saved.v.get(n);
    if (!a || !b) throw new BertchatError('CHECKPOINT', `${join(path, 'optimizer.safetensors')}: no optimizer state for parameter ${n}`);
    m.push(a);
    v.push(b);
  }
  opt.loadStateDict({ step: saved.step, m, v });
}

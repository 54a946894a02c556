// Helpers for parity tests against ../shared/golden: read cases and expected tensors, compare numbers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { readSafetensors } from '../../src/io/safetensors.js';
import { intTensor, Tensor } from '../../src/tensor/index.js';

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** name → {shape, data} of a safetensors file, float tensors as Float32Array/Float64Array. */
export function readTensors(path: string): Map<string, { shape: number[]; data: Float32Array | Float64Array | Int32Array }> {
  const f = readSafetensors(path);
  const out = new Map<string, { shape: number[]; data: any }>();
  for (const [k, v] of f.tensors) out.set(k, { shape: v.shape, data: v.data });
  return out;
}

/** Float32 weights of a model folder's model.safetensors (or another file in it). */
export function readWeights(dir: string, file = 'model.safetensors'): Map<string, { shape: number[]; data: Float32Array }> {
  return readTensors(join(dir, file)) as Map<string, { shape: number[]; data: Float32Array }>;
}

/** Optional int matrix from a case (null → undefined). */
export function ids(x: number[][] | null | undefined): Tensor | undefined {
  return x ? intTensor(x) : undefined;
}

/**
 * Asserts |a - e| <= atol + rtol·|e| elementwise, reporting the worst element.
 * `keep(i)` limits the comparison to some flat indices (e.g. unmasked positions).
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  opts: { atol?: number; rtol?: number; keep?: (i: number) => boolean } = {},
): number {
  const atol = opts.atol ?? 1e-4;
  const rtol = opts.rtol ?? 1e-4;
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs expected ${expected.length}`);
  let worst = 0;
  let worstI = -1;
  for (let i = 0; i < actual.length; i++) {
    if (opts.keep && !opts.keep(i)) continue;
    const d = Math.abs(actual[i]! - expected[i]!);
    const excess = d - (atol + rtol * Math.abs(expected[i]!));
    if (!(excess <= 0) && (worstI < 0 || !(d <= worst))) {
      worst = d;
      worstI = i;
    }
    if (worstI < 0 && d > worst) worst = d;
  }
  if (worstI >= 0) assert.fail(`${what}: element ${worstI} is ${actual[worstI]} but expected ${expected[worstI]} (|diff| ${worst}, atol ${atol}, rtol ${rtol})`);
  return worst;
}

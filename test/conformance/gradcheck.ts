// Finite-difference gradient checking for the conformance suite: L = Σ out·R with a fixed random R,
// analytic dL/dx from autograd against central differences, on a sample of elements of each input.
import assert from 'node:assert/strict';
import { Tensor, noGrad } from '../../src/tensor/index.js';
import { Rng } from '../../src/util/rng.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** elements sampled per input */
  samples?: number;
}

function weighted(out: Tensor, r: Float64Array): number {
  const v = out.values();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * r[i]!;
  return s;
}

/** Checks autograd of fn at the given float inputs (which get requiresGrad). */
export function gradcheck(name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const eps = opts.eps ?? 3e-3;
  const atol = opts.atol ?? 2e-3;
  const rtol = opts.rtol ?? 2e-2;
  const rng = new Rng(1234);
  for (const x of inputs) if (x.dtype === 'float32') x.requiresGrad = true;
  const out = fn(...inputs);
  const r = new Float64Array(out.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.normal();
  // backward of Σ out·R is R
  out.backward(new Tensor(Float32Array.from(r), out.shape));
  inputs.forEach((x, xi) => {
    if (x.dtype !== 'float32') return;
    const g = x.grad ? x.grad.values() : new Float32Array(x.size);
    const data = x.data as Float32Array;
    const n = Math.min(x.size, opts.samples ?? 24);
    for (let s = 0; s < n; s++) {
      const i = x.size <= (opts.samples ?? 24) ? s : rng.int(x.size);
      const at = x.offset + i; // inputs are contiguous
      const orig = data[at]!;
      data[at] = orig + eps;
      const lp = noGrad(() => weighted(fn(...inputs), r));
      data[at] = orig - eps;
      const lm = noGrad(() => weighted(fn(...inputs), r));
      data[at] = orig;
      const num = (lp - lm) / (2 * eps);
      const ana = g[i]!;
      assert.ok(Math.abs(num - ana) <= atol + rtol * Math.abs(num), `${name}: d/d input${xi}[${i}] analytic ${ana} vs numeric ${num}`);
    }
    x.grad = null;
  });
}

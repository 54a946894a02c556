// Basic layers with torch/HF parameter names: Linear (weight [out, in], bias), Embedding (weight),
// LayerNorm (weight, bias), RMSNorm (weight), Dropout. Initialisation is seeded.
import { Tensor } from '../tensor/tensor.js';
import { full, randn, zeros } from '../tensor/ops/create.js';
import { linear } from '../tensor/ops/matmul.js';
import { embedding } from '../tensor/ops/indexing.js';
import { layerNorm, rmsNorm } from '../tensor/ops/norm.js';
import { dropout } from '../tensor/ops/dropout.js';
import { Rng } from '../util/rng.js';
import { Module, parameter } from './module.js';

/** Shared default init stream; models pass their own seeded Rng. */
const defaultRng = new Rng(0);

let skipInit = false;

/**
 * Builds modules without random initialisation (weights start as zeros), for models whose weights
 * are loaded right after — as HF skips _init_weights for loaded checkpoints. Saves seconds per model.
 * @example const model = withoutInit(() => new BertModel(config)); model.loadStateDict(weights);
 */
export function withoutInit<T>(fn: () => T): T {
  const prev = skipInit;
  skipInit = true;
  try {
    return fn();
  } finally {
    skipInit = prev;
  }
}

/** N(0, std) weights, or zeros inside withoutInit() (zero pages cost no memory until written). */
function initNormal(shape: number[], rng: Rng, std: number): Tensor {
  return skipInit ? zeros(shape) : randn(shape, rng, std);
}

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean; std?: number; rng?: Rng } = {}) {
    super();
    const rng = opts.rng ?? defaultRng;
    this.weight = parameter(initNormal([outFeatures, inFeatures], rng, opts.std ?? 0.02));
    this.bias = opts.bias === false ? null : parameter(zeros([outFeatures]));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(num: number, dim: number, opts: { paddingIdx?: number | null; std?: number; rng?: Rng } = {}) {
    super();
    this.weight = parameter(initNormal([num, dim], opts.rng ?? defaultRng, opts.std ?? 0.02));
    this.paddingIdx = opts.paddingIdx ?? null;
    if (this.paddingIdx !== null && this.paddingIdx >= 0 && this.paddingIdx < num) {
      (this.weight.data as Float32Array).fill(0, this.paddingIdx * dim, (this.paddingIdx + 1) * dim);
    }
  }
  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids, this.paddingIdx);
  }
}

export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(dim: number, readonly eps = 1e-5, opts: { bias?: boolean } = {}) {
    super();
    this.weight = parameter(full([dim], 1));
    this.bias = opts.bias === false ? null : parameter(zeros([dim]));
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class RMSNorm extends Module {
  weight: Tensor;
  constructor(dim: number, readonly eps = 1e-6) {
    super();
    this.weight = parameter(full([dim], 1));
  }
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}

export class Dropout extends Module {
  constructor(readonly p: number, private readonly rng: Rng = defaultRng) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.rng, this.training);
  }
}

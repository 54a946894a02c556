// AdamW (Loshchilov & Hutter) with torch.optim.AdamW semantics: decoupled weight decay p -= lr·wd·p,
// bias-corrected moments. One param group; the learning rate can be changed each step by a schedule.
import type { Tensor } from '../tensor/tensor.js';
import { getBackend } from '../tensor/backend/index.js';
import { BertchatError } from '../util/errors.js';

export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Parameters excluded from weight decay (HF Trainer excludes biases and LayerNorm weights). */
  noDecay?: (p: Tensor) => boolean;
}

export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly params: Tensor[];
  private readonly decay: boolean[];
  private m: Float32Array[];
  private v: Float32Array[];
  stepCount = 0;

  /** @example const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 }); */
  constructor(params: Tensor[], opts: AdamWOptions = {}) {
    this.params = params;
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    if (!(this.lr >= 0) || !(this.beta1 >= 0 && this.beta1 < 1) || !(this.beta2 >= 0 && this.beta2 < 1) || !(this.eps >= 0)) {
      throw new BertchatError('INVALID_ARGUMENT', `AdamW: invalid hyper-parameters lr=${this.lr} betas=(${this.beta1}, ${this.beta2}) eps=${this.eps}`);
    }
    this.decay = params.map((p) => !(opts.noDecay?.(p) ?? false));
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }

  /** One update from the accumulated .grad of each parameter (parameters without grad are skipped). */
  step(): void {
    this.stepCount++;
    const be = getBackend();
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      if (!p.grad) continue;
      be.adamw(p.f32('AdamW'), p.grad.floats('AdamW grad'), this.m[i]!, this.v[i]!, this.lr, this.beta1, this.beta2, this.eps, this.decay[i] ? this.weightDecay : 0, this.stepCount);
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  stateDict(): AdamWState {
    return { step: this.stepCount, m: this.m, v: this.v };
  }

  loadStateDict(s: AdamWState): void {
    if (s.m.length !== this.params.length || s.m.some((m, i) => m.length !== this.params[i]!.size)) {
      throw new BertchatError('CHECKPOINT', 'AdamW: optimizer state does not match the parameters');
    }
    this.stepCount = s.step;
    this.m = s.m.map((x) => Float32Array.from(x));
    this.v = s.v.map((x) => Float32Array.from(x));
  }
}

/** Plain SGD with optional momentum (torch semantics) and L2 weight decay. */
export class SGD {
  private readonly buf: (Float32Array | null)[];
  constructor(private readonly params: Tensor[], public lr = 1e-2, private readonly momentum = 0, private readonly weightDecay = 0) {
    this.buf = params.map(() => null);
  }
  step(): void {
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const w = p.f32('SGD');
      const g = p.grad.floats();
      let b = this.buf[i];
      if (this.momentum !== 0 && !b) b = this.buf[i] = new Float32Array(w.length);
      for (let j = 0; j < w.length; j++) {
        let d = g[j]! + this.weightDecay * w[j]!;
        if (b) d = b[j] = this.momentum * b[j]! + d;
        w[j]! -= this.lr * d;
      }
    });
  }
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}

// Learning-rate schedules (HF get_linear_schedule_with_warmup / get_cosine_schedule_with_warmup)
// and global gradient-norm clipping (torch.nn.utils.clip_grad_norm_).
import type { Tensor } from '../tensor/tensor.js';

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

/**
 * Multiplier of the base learning rate at `step` (0-based): linear warmup over warmupSteps, then
 * constant, linear decay to 0, or cosine decay to 0 at totalSteps.
 * @example opt.lr = baseLr * lrFactor('linear', step, 100, 1000);
 */
export function lrFactor(kind: ScheduleKind, step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (kind === 'constant') return 1;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (kind === 'linear') return Math.max(0, 1 - progress);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Scales all gradients so their global L2 norm is at most maxNorm. Returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) {
    if (!p.grad) continue;
    const g = p.grad.floats();
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      if (!p.grad) continue;
      const g = p.grad.f32();
      for (let i = 0; i < g.length; i++) g[i]! *= coef;
    }
  }
  return norm;
}

// Dropout with a seeded generator: zeroes each element with probability p and scales the rest by 1/(1-p).
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import type { Rng } from '../../util/rng.js';
import { BertchatError } from '../../util/errors.js';

/** Identity when !training or p == 0. */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new BertchatError('INVALID_ARGUMENT', `dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const xv = x.floats('dropout');
  const scale = 1 / (1 - p);
  const mask = new Float32Array(x.size);
  const out = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) {
    const keep = rng.random() >= p ? scale : 0;
    mask[i] = keep;
    out[i] = xv[i]! * keep;
  }
  return attach(new Tensor(out, x.shape), 'dropout', [x], (g) => {
    const gv = g.floats();
    const dx = new Float32Array(x.size);
    for (let i = 0; i < dx.length; i++) dx[i] = gv[i]! * mask[i]!;
    return [new Tensor(dx, x.shape)];
  });
}

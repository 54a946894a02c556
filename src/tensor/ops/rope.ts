// Rotary position embedding, Hugging Face rotate_half convention (not the interleaved one):
// x' = x·cos + rotate_half(x)·sin, rotate_half(x) = cat(-x[d/2:], x[:d/2]). Applied to (B, T, nh, hs).
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend } from '../backend/index.js';
import { shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';

/**
 * Applies RoPE to x (B, T, nh, hs) with cos/sin of (B, T, hs) or (T, hs) (shared by the batch).
 * cos/sin come from ropeTables(); both halves of each row must be equal (HF emb = cat(freqs, freqs)).
 */
export function applyRope(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  if (x.ndim !== 4) throw new BertchatError('SHAPE_MISMATCH', `rope: x must be (B, T, nh, hs), got ${shapeStr(x.shape)}`);
  const [B, T, nh, hs] = x.shape as [number, number, number, number];
  const okTable = (c: Tensor) =>
    (c.ndim === 2 && c.shape[0] === T && c.shape[1] === hs) || (c.ndim === 3 && c.shape[0] === B && c.shape[1] === T && c.shape[2] === hs);
  if (!okTable(cos) || !okTable(sin) || hs % 2 !== 0) {
    throw new BertchatError('SHAPE_MISMATCH', `rope: cos ${shapeStr(cos.shape)} / sin ${shapeStr(sin.shape)} do not fit x ${shapeStr(x.shape)} (need (T, hs) or (B, T, hs), hs even)`);
  }
  const rows = B * T;
  const tile = (c: Tensor): Float32Array => {
    const v = c.floats('rope');
    if (c.ndim === 3 || B === 1) return v;
    const out = new Float32Array(rows * hs);
    for (let b = 0; b < B; b++) out.set(v, b * T * hs);
    return out;
  };
  const cv = tile(cos);
  const sv = tile(sin);
  const out = new Float32Array(x.size);
  getBackend().rope(x.floats('rope'), cv, sv, out, rows, nh, hs, 1);
  return attach(new Tensor(out, x.shape), 'rope', [x], (g) => {
    const dx = new Float32Array(x.size);
    getBackend().rope(g.floats('rope backward'), cv, sv, dx, rows, nh, hs, -1);
    return [new Tensor(dx, x.shape)];
  });
}

/**
 * cos/sin tables (len(positions), headDim) for the given positions: inv_freq = 1/theta^(2i/d),
 * emb = cat(pos·inv_freq, pos·inv_freq). `invFreq` may come from a rope_scaling rule; attentionScaling
 * multiplies cos and sin (yarn/longrope use it; 1 otherwise).
 */
export function ropeTables(positions: ArrayLike<number>, invFreq: Float64Array, attentionScaling = 1): { cos: Float32Array; sin: Float32Array } {
  const half = invFreq.length;
  const d = half * 2;
  const cos = new Float32Array(positions.length * d);
  const sin = new Float32Array(positions.length * d);
  for (let p = 0; p < positions.length; p++) {
    const pos = positions[p]!;
    for (let i = 0; i < half; i++) {
      // torch computes freqs in float32: pos(float32) * inv_freq(float32)
      const f = Math.fround(Math.fround(pos) * Math.fround(invFreq[i]!));
      const c = Math.cos(f) * attentionScaling;
      const s = Math.sin(f) * attentionScaling;
      cos[p * d + i] = c;
      cos[p * d + i + half] = c;
      sin[p * d + i] = s;
      sin[p * d + i + half] = s;
    }
  }
  return { cos, sin };
}

/** Default RoPE inverse frequencies: 1 / theta^(arange(0, d, 2) / d). */
export function defaultInvFreq(headDim: number, theta: number): Float64Array {
  const half = headDim >> 1;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  return inv;
}

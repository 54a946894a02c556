// Causal self-attention over fresh or cached keys, shared by the decoder families: scores = q·kᵀ/√hs plus
// an additive causal + padding mask, softmax, then ·v. Grouped-query attention without repeat_kv copies:
// query head j uses kv head j // (nh/nkv), done by viewing q as (B, nkv, g·T, hs) against (B, nkv, L, hs).
import { Tensor } from '../tensor/tensor.js';
import { shapeStr } from '../tensor/shape.js';
import { matmul } from '../tensor/ops/matmul.js';
import { scaledMaskedSoftmax } from '../tensor/ops/softmax.js';
import { decodeAttention } from '../tensor/ops/attention.js';
import { isGradEnabled } from '../tensor/autograd.js';
import { BertchatError } from '../util/errors.js';

/** float32 min (HF's finfo.min): finite, so a fully masked row stays finite. */
export const MASK_MIN = -3.4028234663852886e38;

/**
 * Additive mask (B', T, L) for T queries at positions past..past+T-1 over L = past + T keys: MASK_MIN where the
 * key is in the future or padded (attentionMask (B, L), 1 = attend), 0 elsewhere. null when nothing is masked
 * (one new token and no padding), so a batch-1 decode step builds no mask at all. `window` (Mistral's sliding
 * window) also masks keys `window` or more positions behind the query.
 */
export function causalMask(B: number, T: number, past: number, attentionMask: Tensor | null | undefined, window = Infinity): Tensor | null {
  const L = past + T;
  let pad: ArrayLike<number> | null = null;
  if (attentionMask) {
    if (attentionMask.ndim !== 2 || attentionMask.shape[0] !== B || attentionMask.shape[1] !== L) {
      throw new BertchatError('SHAPE_MISMATCH', `attention mask ${shapeStr(attentionMask.shape)} must be (B, past + T) = [${B}, ${L}]`);
    }
    const v = attentionMask.values();
    let all = true;
    for (let i = 0; i < v.length; i++) if (!v[i]) all = false;
    if (!all) pad = v;
  }
  if (!pad && T === 1 && L <= window) return null;
  const rows = pad ? B : 1;
  const out = new Float32Array(rows * T * L);
  for (let b = 0; b < rows; b++) {
    for (let i = 0; i < T; i++) {
      const o = (b * T + i) * L;
      for (let j = 0; j < L; j++) {
        if (j > past + i || past + i - j >= window || (pad && !pad[b * L + j])) out[o + j] = MASK_MIN;
      }
    }
  }
  return new Tensor(out, [rows, T, L]);
}

/**
 * softmax(q·kᵀ/√hs + mask)·v.
 * q: (B, T, nh, hs); keys, values: (B, nkv, L, hs), any strides (cache views or transposed fresh tensors);
 * mask: (B|1, T, L) from causalMask, or null; dropout (training) applies to the probabilities; scale defaults to
 * 1/√hs. Returns (B, T, nh·hs).
 */
export function attend(q: Tensor, keys: Tensor, values: Tensor, mask: Tensor | null, dropout?: ((probs: Tensor) => Tensor) | null, scale?: number): Tensor {
  const [B, T, nh, hs] = q.shape as [number, number, number, number];
  const nkv = keys.shape[1]!;
  const L = keys.shape[2]!;
  if (nh % nkv !== 0) throw new BertchatError('SHAPE_MISMATCH', `attention: ${nh} query heads are not a multiple of ${nkv} kv heads`);
  const g = nh / nkv;
  const s = scale ?? 1 / Math.sqrt(hs);
  const needsGrad = isGradEnabled() && (q.requiresGrad || keys.requiresGrad || values.requiresGrad);
  // decode step (one new position, inference): one fused kernel over the cache views
  if (T === 1 && !dropout && !needsGrad && (!mask || mask.shape[1] === 1)) return decodeAttention(q, keys, values, mask, s); // (B, 1, C)
  const qh = q.transpose(1, 2).reshape(B, nkv, g * T, hs); // (B, nkv, g·T, hs): heads kv·g + r, r < g
  const raw = matmul(qh, keys.transpose(-1, -2)); // (B, nkv, g·T, L)
  // scale + mask + softmax in one pass; mask (B|1, T, L) row t serves every head of batch row b
  const layout = mask ? { groupRows: nkv * g * T, strideGroup: mask.shape[0]! > 1 ? T * L : 0, period: T, strideRow: L } : null;
  const probs = scaledMaskedSoftmax(raw, s, mask, layout); // (B, nkv, g·T, L)
  const ctx = matmul(dropout ? dropout(probs) : probs, values); // (B, nkv, g·T, hs) = (B, nh, T, hs)
  return ctx.reshape(B, nh, T, hs).transpose(1, 2).reshape(B, T, nh * hs); // (B, T, C)
}

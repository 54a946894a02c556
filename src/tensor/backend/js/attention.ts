// Reference kernels for the optional fused attention pieces of the Backend interface: the scaled masked softmax
// and decode attention (one query position over the KV cache, grouped-query aware). The native back end has
// the same kernels in native/attention.c; the conformance suite compares the two.
import type { AttentionDecodeArgs, ScaledMaskedSoftmaxArgs } from '../backend.js';
import { softmax } from './kernels.js';

/** out[r, :] = softmax(scale · x[r, :] + mask row m(r)); see ScaledMaskedSoftmaxArgs. */
export function scaledMaskedSoftmax(a: ScaledMaskedSoftmaxArgs): void {
  const { x, out, rows, cols, scale, mask } = a;
  const row = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    if (mask) {
      const m = a.maskOff + Math.floor(r / a.groupRows) * a.maskStrideGroup + (r % a.period) * a.maskStrideRow;
      for (let c = 0; c < cols; c++) row[c] = Math.fround(scale * x[o + c]!) + mask[m + c]!;
    } else {
      for (let c = 0; c < cols; c++) row[c] = scale * x[o + c]!;
    }
    softmax(row, row, 1, cols);
    out.set(row, o);
  }
}

/** softmax(scale · q·Kᵀ + mask)·V per (b, h) for one query position; see AttentionDecodeArgs. */
export function attentionDecode(a: AttentionDecodeArgs): void {
  const { B, nh, nkv, L, hs, scale, q, k, v, mask, out } = a;
  const g = nh / nkv;
  const s = new Float32Array(Math.max(L, 1));
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const kh = Math.floor(h / g);
      const qo = a.qOff + b * a.qStrideB + h * a.qStrideH;
      const ko = a.kOff + b * a.kStrideB + kh * a.kStrideH;
      const vo = a.vOff + b * a.vStrideB + kh * a.vStrideH;
      const oo = a.outOff + (b * nh + h) * hs;
      for (let l = 0; l < L; l++) {
        let d = 0;
        const kl = ko + l * a.kStrideL;
        for (let i = 0; i < hs; i++) d += q[qo + i]! * k[kl + i]!;
        s[l] = scale * d + (mask ? mask[a.maskOff + b * a.maskStrideB + l]! : 0);
      }
      softmax(s, s, 1, L);
      for (let i = 0; i < hs; i++) out[oo + i] = 0;
      for (let l = 0; l < L; l++) {
        const p = s[l]!;
        const vl = vo + l * a.vStrideL;
        for (let i = 0; i < hs; i++) out[oo + i] += p * v[vl + i]!;
      }
    }
  }
}

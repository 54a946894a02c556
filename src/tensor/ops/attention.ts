// Fused multi-head scaled-dot-product attention on (B, T, C) projections: no head transposes, no scaled or
// masked copies of the (B, nh, T, S) scores. The heads are read in place through GEMM strides (head h of row t
// sits at t·C + h·hs), the scale is GEMM's alpha, the mask is added and the softmax taken in place, and the
// context is written straight back in (B, T, C) layout. Backward next to forward. The unfused reference is
// matmul → mul → softmax(mask) → matmul (models/bert/modeling.ts keeps it for attention dropout).
import { Tensor } from '../tensor.js';
import { attach } from '../autograd.js';
import { getBackend, type Backend } from '../backend/index.js';
import { broadcastShapes, broadcastStrides, shapeStr } from '../shape.js';
import { BertchatError } from '../../util/errors.js';
import { contiguous } from './views.js';
import { attentionDecode as attentionDecodeRef, scaledMaskedSoftmax as scaledMaskedSoftmaxRef } from '../backend/js/attention.js';

export interface AttentionOptions {
  /** Number of heads; C must be a multiple of it. */
  heads: number;
  /** Additive mask broadcastable to (B, nh, T, S): 0 where attended, a large negative where masked. */
  mask?: Tensor | null;
  /** Score scale; default 1/sqrt(head size). */
  scale?: number;
}

export interface AttentionResult {
  /** (B, T, C): heads concatenated, as ctx.transpose(1, 2).reshape(B, T, C). */
  out: Tensor;
  /** (B, nh, T, S) attention probabilities (for tracing; not part of the graph). */
  probs: Tensor;
}

/** Per batch row b: C[b,h] = alpha · op(A[b,h]) · op(B[b,h]) over the nh heads (a strided batched GEMM). */
function headsGemm(
  be: Backend,
  B: number,
  nh: number,
  g: { transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number },
  a: { d: Float32Array; off: number; perB: number; ld: number; perH: number },
  b: { d: Float32Array; off: number; perB: number; ld: number; perH: number },
  c: { d: Float32Array; perB: number; ld: number; perH: number },
): void {
  for (let i = 0; i < B; i++) {
    be.gemm({
      ...g, beta: 0, batch: nh,
      a: a.d, aOff: a.off + i * a.perB, lda: a.ld, strideA: a.perH,
      b: b.d, bOff: b.off + i * b.perB, ldb: b.ld, strideB: b.perH,
      c: c.d, cOff: i * c.perB, ldc: c.ld, strideC: c.perH,
    });
  }
}

/**
 * softmax(scale · Q·Kᵀ + mask) · V per head, for q (B, T, C) and k, v (B, S, C).
 * @example const { out, probs } = multiHeadAttention(q, k, v, { heads: 12, mask }); // out (B, T, C)
 */
export function multiHeadAttention(q0: Tensor, k0: Tensor, v0: Tensor, opts: AttentionOptions): AttentionResult {
  const nh = opts.heads;
  if (q0.ndim !== 3 || k0.ndim !== 3 || v0.ndim !== 3) {
    throw new BertchatError('SHAPE_MISMATCH', `multiHeadAttention: q, k, v must be (B, T, C); got ${shapeStr(q0.shape)}, ${shapeStr(k0.shape)}, ${shapeStr(v0.shape)}`);
  }
  const [B, T, C] = q0.shape as [number, number, number];
  const S = k0.shape[1]!;
  if (k0.shape[0] !== B || v0.shape[0] !== B || k0.shape[2] !== C || v0.shape[2] !== C || v0.shape[1] !== S) {
    throw new BertchatError('SHAPE_MISMATCH', `multiHeadAttention: q ${shapeStr(q0.shape)}, k ${shapeStr(k0.shape)}, v ${shapeStr(v0.shape)} do not fit (B, T, C), (B, S, C), (B, S, C)`);
  }
  if (!Number.isInteger(nh) || nh < 1 || C % nh !== 0) throw new BertchatError('INVALID_ARGUMENT', `multiHeadAttention: ${C} channels do not split into ${nh} heads`);
  const hs = C / nh;
  const scale = opts.scale ?? 1 / Math.sqrt(hs);
  const q = contiguous(q0);
  const k = contiguous(k0);
  const v = contiguous(v0);
  const be = getBackend();
  const qd = q.f32('multiHeadAttention');
  const kd = k.f32('multiHeadAttention');
  const vd = v.f32('multiHeadAttention');
  const TS = T * S;
  const N = B * nh * TS;

  // P = softmax(scale · Q·Kᵀ + mask): (B, nh, T, S), computed in one buffer
  const p = new Float32Array(N);
  headsGemm(be, B, nh, { transA: false, transB: true, M: T, N: S, K: hs, alpha: scale },
    { d: qd, off: q.offset, perB: T * C, ld: C, perH: hs }, { d: kd, off: k.offset, perB: S * C, ld: C, perH: hs }, { d: p, perB: nh * TS, ld: S, perH: TS });
  const mask = opts.mask ?? null;
  if (mask) {
    const shape = [B, nh, T, S];
    const bs = broadcastShapes(mask.shape, shape, 'multiHeadAttention mask');
    if (bs.length !== 4 || bs.some((d, i) => d !== shape[i])) throw new BertchatError('SHAPE_MISMATCH', `multiHeadAttention: mask ${shapeStr(mask.shape)} does not broadcast to ${shapeStr(shape)}`);
    const ms = broadcastStrides(mask.shape, mask.strides, shape); // [sB, sH, sT, sS]
    const md = mask.f32('multiHeadAttention mask');
    if ((ms[1] === 0 || nh === 1) && (ms[3] === 1 || S === 1)) {
      // mask add + softmax in one pass over P (the mask is shared by the heads: (B|1, 1, T|1, S))
      const args = { x: p, out: p, rows: B * nh * T, cols: S, scale: 1, mask: md, maskOff: mask.offset, groupRows: nh * T, maskStrideGroup: B === 1 ? 0 : ms[0]!, period: T, maskStrideRow: T === 1 ? 0 : ms[2]! };
      if (be.scaledMaskedSoftmax) be.scaledMaskedSoftmax(args);
      else scaledMaskedSoftmaxRef(args);
    } else {
      be.binary('add', shape, p, 0, [nh * TS, TS, S, 1], md, mask.offset, ms, p, 0);
      be.softmax(p, p, B * nh * T, S);
    }
  } else {
    be.softmax(p, p, B * nh * T, S);
  }

  // out = P·V, written as (B, T, nh, hs) = (B, T, C)
  const out = new Float32Array(B * T * C);
  headsGemm(be, B, nh, { transA: false, transB: false, M: T, N: hs, K: S, alpha: 1 },
    { d: p, off: 0, perB: nh * TS, ld: S, perH: TS }, { d: vd, off: v.offset, perB: S * C, ld: C, perH: hs }, { d: out, perB: T * C, ld: C, perH: hs });

  const probs = new Tensor(p, [B, nh, T, S]);
  const y = attach(new Tensor(out, [B, T, C]), 'multiHeadAttention', [q, k, v], (g0) => {
    const g = contiguous(g0);
    const gd = g.f32('multiHeadAttention backward');
    const bk = getBackend();
    const gv = { d: gd, off: g.offset, perB: T * C, ld: C, perH: hs };
    const pv = { d: p, off: 0, perB: nh * TS, ld: S, perH: TS };
    const res: (Tensor | null)[] = [null, null, null];
    if (v.requiresGrad) {
      // dV = Pᵀ · dO : (S, T)·(T, hs)
      const dv = new Float32Array(B * S * C);
      headsGemm(bk, B, nh, { transA: true, transB: false, M: S, N: hs, K: T, alpha: 1 }, pv, gv, { d: dv, perB: S * C, ld: C, perH: hs });
      res[2] = new Tensor(dv, v.shape);
    }
    if (q.requiresGrad || k.requiresGrad) {
      // dP = dO · Vᵀ, then dScores = softmax backward; the scale is folded into the last products
      const dp = new Float32Array(N);
      headsGemm(bk, B, nh, { transA: false, transB: true, M: T, N: S, K: hs, alpha: 1 }, gv, { d: vd, off: v.offset, perB: S * C, ld: C, perH: hs }, { d: dp, perB: nh * TS, ld: S, perH: TS });
      const dsd = new Float32Array(N);
      bk.softmaxBackward(p, dp, dsd, B * nh * T, S);
      const ds = { d: dsd, off: 0, perB: nh * TS, ld: S, perH: TS };
      if (q.requiresGrad) {
        const dq = new Float32Array(B * T * C); // dQ = scale · dS · K
        headsGemm(bk, B, nh, { transA: false, transB: false, M: T, N: hs, K: S, alpha: scale }, ds, { d: kd, off: k.offset, perB: S * C, ld: C, perH: hs }, { d: dq, perB: T * C, ld: C, perH: hs });
        res[0] = new Tensor(dq, q.shape);
      }
      if (k.requiresGrad) {
        const dk = new Float32Array(B * S * C); // dK = scale · dSᵀ · Q
        headsGemm(bk, B, nh, { transA: true, transB: false, M: S, N: hs, K: T, alpha: scale }, ds, { d: qd, off: q.offset, perB: T * C, ld: C, perH: hs }, { d: dk, perB: S * C, ld: C, perH: hs });
        res[1] = new Tensor(dk, k.shape);
      }
    }
    return res;
  });
  return { out: y, probs };
}

/**
 * Decode attention for one query position over cached keys/values, in one kernel (no score tensors, no head
 * transposes): softmax(scale · q·Kᵀ + mask)·V per head, query head h using kv head floor(h / (nh / nkv)).
 * q: (B, 1, nh, hs) and keys, values: (B, nkv, L, hs), any strides with a contiguous last axis (cache views);
 * mask: additive (B|1, 1, L) or null. Returns (B, 1, nh·hs). Inference only: no gradient is recorded.
 * @example const y = decodeAttention(q, keys, values, null, 1 / Math.sqrt(hs)); // (1, 1, C)
 */
export function decodeAttention(q0: Tensor, keys0: Tensor, values0: Tensor, mask0: Tensor | null, scale: number): Tensor {
  const [B, T, nh, hs] = q0.shape as [number, number, number, number];
  const nkv = keys0.shape[1]!;
  const L = keys0.shape[2]!;
  if (T !== 1 || q0.ndim !== 4 || keys0.ndim !== 4 || values0.ndim !== 4 || keys0.shape[0] !== B || keys0.shape[3] !== hs || values0.shape.some((d, i) => d !== keys0.shape[i]) || nh % nkv !== 0) {
    throw new BertchatError('SHAPE_MISMATCH', `decodeAttention: q ${shapeStr(q0.shape)}, keys ${shapeStr(keys0.shape)}, values ${shapeStr(values0.shape)} do not fit (B, 1, nh, hs), (B, nkv, L, hs)`);
  }
  const inner = (x: Tensor) => (x.strides[x.ndim - 1] === 1 || x.shape[x.ndim - 1] === 1 ? x : contiguous(x));
  const q = inner(q0);
  const keys = inner(keys0);
  const values = inner(values0);
  let mask: Tensor | null = null;
  if (mask0) {
    if (mask0.ndim !== 3 || (mask0.shape[0] !== 1 && mask0.shape[0] !== B) || mask0.shape[1] !== 1 || mask0.shape[2] !== L) {
      throw new BertchatError('SHAPE_MISMATCH', `decodeAttention: mask ${shapeStr(mask0.shape)} must be (B|1, 1, L) with L = ${L}`);
    }
    mask = contiguous(mask0);
  }
  const out = new Float32Array(B * nh * hs);
  const args = {
    B, nh, nkv, L, hs, scale,
    q: q.f32('decodeAttention'), qOff: q.offset, qStrideB: q.strides[0]!, qStrideH: q.strides[2]!,
    k: keys.f32('decodeAttention'), kOff: keys.offset, kStrideB: keys.strides[0]!, kStrideH: keys.strides[1]!, kStrideL: keys.strides[2]!,
    v: values.f32('decodeAttention'), vOff: values.offset, vStrideB: values.strides[0]!, vStrideH: values.strides[1]!, vStrideL: values.strides[2]!,
    mask: mask ? mask.f32('decodeAttention mask') : null, maskOff: mask ? mask.offset : 0, maskStrideB: mask && mask.shape[0] > 1 ? L : 0,
    out, outOff: 0,
  };
  const be = getBackend();
  if (be.attentionDecode) be.attentionDecode(args);
  else attentionDecodeRef(args);
  return new Tensor(out, [B, 1, nh * hs]);
}

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
    be.binary('add', shape, p, 0, [nh * TS, TS, S, 1], mask.f32('multiHeadAttention mask'), mask.offset, broadcastStrides(mask.shape, mask.strides, shape), p, 0);
  }
  be.softmax(p, p, B * nh * T, S);

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

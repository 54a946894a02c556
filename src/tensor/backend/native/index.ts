// Loads the native addon (build/Release/bertchat_native.node, built by `npm run build` from native/ and
// binding.gyp) and wraps it as a Backend. Never throws: a missing or broken addon gives {backend: null, reason}.
// Threads: BERTCHAT_THREADS=N at start-up, or setNativeThreads(n) at run time (0 = one per CPU).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import type { AttentionDecodeArgs, Backend, BinaryOp, GemmArgs, ScaledMaskedSoftmaxArgs, UnaryOp } from '../backend.js';
import * as js from '../js/kernels.js';

/** The raw addon surface (see native/addon.c for argument orders). */
interface NativeAddon {
  gemm(...args: (number | boolean | Float32Array)[]): void;
  packedBSize(K: number, N: number): number;
  packB(transB: boolean, K: number, N: number, b: Float32Array, bOff: number, ldb: number, dst: Float32Array): void;
  unary(op: number, x: Float32Array, xOff: number, out: Float32Array, outOff: number, n: number): void;
  unaryBackward(op: number, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void;
  binary(op: number, meta: Float64Array, a: Float32Array, aOff: number, b: Float32Array, bOff: number, out: Float32Array, outOff: number): void;
  copyStrided(meta: Float64Array, src: Float32Array | Int32Array, srcOff: number, dst: Float32Array | Int32Array, dstOff: number): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  scaledMaskedSoftmax?(x: Float32Array, out: Float32Array, rows: number, cols: number, scale: number, mask: Float32Array | null, maskOff: number, groupRows: number, maskStrideGroup: number, period: number, maskStrideRow: number): void;
  attentionDecode?(meta: Float64Array, q: Float32Array, k: Float32Array, v: Float32Array, mask: Float32Array | null, out: Float32Array): void;
  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  layerNorm(...args: (Float32Array | null | number)[]): void;
  layerNormBackward(...args: (Float32Array | null | number)[]): void;
  rmsNorm(...args: (Float32Array | null | number)[]): void;
  rmsNormBackward(...args: (Float32Array | null | number)[]): void;
  sumAxis(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;
  gatherRows(table: Float32Array, ids: Int32Array, out: Float32Array, cols: number): void;
  scatterAddRows(dout: Float32Array, ids: Int32Array, dtable: Float32Array, cols: number, skipId: number): void;
  rope(x: Float32Array, cos: Float32Array, sin: Float32Array, out: Float32Array, rows: number, nHeads: number, headDim: number, sign: number): void;
  adamw(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, beta1: number, beta2: number, eps: number, stepSize: number, bc2Sqrt: number, decay: number): void;
  setThreads(n: number): number;
  getThreads(): number;
  select(name: string): boolean;
  info(): NativeInfo;
}

/** What the addon reports about itself. */
export interface NativeInfo {
  /** GEMM kernel set in use: "avx512" (AVX-512F), "avx2" (AVX2+FMA) or "portable". */
  kernels: string;
  avx2: boolean;
  avx512: boolean;
  threads: number;
  cpus: number;
  gemmBlocks: string;
}

/** The native Backend plus native-only controls. */
export interface NativeBackend extends Backend {
  /** Sets the kernel thread count (0 = one per CPU); returns the count now in effect. */
  setThreads(n: number): number;
  info(): NativeInfo;
  /** Testing aid: forces "avx512", "avx2" or "portable" kernels; false when unavailable. */
  selectKernels(name: 'avx512' | 'avx2' | 'portable'): boolean;
}

// Order must match the enums in native/kernels.h.
const UNARY_CODES: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, tanh: 5, sigmoid: 6, relu: 7, gelu: 8, gelu_tanh: 9, silu: 10, abs: 11, square: 12,
};
const BINARY_CODES: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, pow: 6 };
const MAX_DIMS = 16;

const here = dirname(fileURLToPath(import.meta.url)); // dist/src/tensor/backend/native
/** Where the addon is looked for (BERTCHAT_NATIVE_PATH overrides). */
export const nativeAddonPath = process.env.BERTCHAT_NATIVE_PATH ?? resolve(here, '..', '..', '..', '..', '..', 'build', 'Release', 'bertchat_native.node');

let loaded: { backend: NativeBackend | null; reason: string } | null = null;

export function loadNativeBackend(): { backend: Backend | null; reason: string } {
  if (loaded) return loaded;
  if (process.env.BERTCHAT_SKIP_NATIVE === '1') return (loaded = { backend: null, reason: 'BERTCHAT_SKIP_NATIVE=1' });
  if (!existsSync(nativeAddonPath)) return (loaded = { backend: null, reason: `not built (${nativeAddonPath} is missing)` });
  try {
    const req = createRequire(import.meta.url);
    const addon = req(nativeAddonPath) as NativeAddon;
    if (typeof addon.gemm !== 'function' || typeof addon.info !== 'function') {
      return (loaded = { backend: null, reason: `${nativeAddonPath} is not a bertchat addon` });
    }
    return (loaded = { backend: wrap(addon), reason: 'ok' });
  } catch (e) {
    return (loaded = { backend: null, reason: `failed to load ${nativeAddonPath}: ${(e as Error).message}` });
  }
}

/** Sets the native thread count at run time (0 = one per CPU); returns the count in effect, or 0 without the addon. */
export function setNativeThreads(n: number): number {
  const b = loadNativeBackend().backend as NativeBackend | null;
  return b ? b.setThreads(n) : 0;
}

/** The native thread count, or 0 when the addon is not available. */
export function getNativeThreads(): number {
  const b = loadNativeBackend().backend as NativeBackend | null;
  return b ? b.threads : 0;
}

function isIndex(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function wrap(addon: NativeAddon): NativeBackend {
  // [nd, shape..., strides0..., strides1...], reused across calls (kernels are synchronous)
  const meta = new Float64Array(1 + 3 * MAX_DIMS);

  function gemm(p: GemmArgs): void {
    addon.gemm(
      p.transA, p.transB, p.M, p.N, p.K, p.alpha, p.beta,
      p.a, p.aOff, p.lda, p.strideA,
      p.b, p.bOff, p.ldb, p.strideB,
      p.c, p.cOff, p.ldc, p.strideC, p.batch,
      ...(p.packedB ? [p.packedB] : []),
    );
  }

  function packWeight(transB: boolean, K: number, N: number, b: Float32Array, bOff: number, ldb: number): Float32Array | null {
    if (K === 0 || N === 0) return null;
    const buf = new Float32Array(addon.packedBSize(K, N));
    addon.packB(transB, K, N, b, bOff, ldb, buf);
    return buf;
  }

  const attnMeta = new Float64Array(20);
  const backend: NativeBackend = {
    name: 'native',
    get threads() {
      return addon.getThreads();
    },
    gemm,
    packWeight,
    binary(op, shape, a, aOff, aStrides, b, bOff, bStrides, out, outOff) {
      const nd = shape.length;
      if (nd > MAX_DIMS || aStrides.length !== nd || bStrides.length !== nd) {
        js.binary(op, shape, a, aOff, aStrides, b, bOff, bStrides, out, outOff);
        return;
      }
      meta[0] = nd;
      for (let d = 0; d < nd; d++) {
        meta[1 + d] = shape[d]!;
        meta[1 + nd + d] = aStrides[d]!;
        meta[1 + 2 * nd + d] = bStrides[d]!;
      }
      addon.binary(BINARY_CODES[op], meta, a, aOff, b, bOff, out, outOff);
    },
    unary(op, x, xOff, out, outOff, n) {
      addon.unary(UNARY_CODES[op], x, xOff, out, outOff, n);
    },
    unaryBackward(op, x, dy, dx, n) {
      addon.unaryBackward(UNARY_CODES[op], x, dy, dx, n);
    },
    copyStrided(shape, src, srcOff, srcStrides, dst, dstOff) {
      const nd = shape.length;
      // mixed element types convert values: the js kernel does that
      if (nd > MAX_DIMS || srcStrides.length !== nd || src.constructor !== dst.constructor) {
        js.copyStrided(shape, src, srcOff, srcStrides, dst, dstOff);
        return;
      }
      meta[0] = nd;
      for (let d = 0; d < nd; d++) {
        meta[1 + d] = shape[d]!;
        meta[1 + nd + d] = srcStrides[d]!;
      }
      addon.copyStrided(meta, src, srcOff, dst, dstOff);
    },
    softmax: (x, out, rows, cols) => addon.softmax(x, out, rows, cols),
    softmaxBackward: (y, dy, dx, rows, cols) => addon.softmaxBackward(y, dy, dx, rows, cols),
    // optional fused kernels: absent when an older addon is loaded (callers then use the js reference)
    ...(addon.scaledMaskedSoftmax ? {
      scaledMaskedSoftmax: (a: ScaledMaskedSoftmaxArgs) =>
        addon.scaledMaskedSoftmax!(a.x, a.out, a.rows, a.cols, a.scale, a.mask, a.maskOff, a.groupRows, a.maskStrideGroup, a.period, a.maskStrideRow),
    } : {}),
    ...(addon.attentionDecode ? {
      attentionDecode(a: AttentionDecodeArgs) {
        const m = attnMeta;
        m[0] = a.B; m[1] = a.nh; m[2] = a.nkv; m[3] = a.L; m[4] = a.hs; m[5] = a.scale;
        m[6] = a.qOff; m[7] = a.qStrideB; m[8] = a.qStrideH;
        m[9] = a.kOff; m[10] = a.kStrideB; m[11] = a.kStrideH; m[12] = a.kStrideL;
        m[13] = a.vOff; m[14] = a.vStrideB; m[15] = a.vStrideH; m[16] = a.vStrideL;
        m[17] = a.maskOff; m[18] = a.maskStrideB; m[19] = a.outOff;
        addon.attentionDecode!(m, a.q, a.k, a.v, a.mask, a.out);
      },
    } : {}),
    logSoftmax: (x, out, rows, cols) => addon.logSoftmax(x, out, rows, cols),
    logSoftmaxBackward: (y, dy, dx, rows, cols) => addon.logSoftmaxBackward(y, dy, dx, rows, cols),
    layerNorm: (x, w, b, out, mean, rstd, rows, cols, eps) => addon.layerNorm(x, w, b, out, mean, rstd, rows, cols, eps),
    layerNormBackward: (x, w, mean, rstd, dy, dx, dw, db, rows, cols) =>
      addon.layerNormBackward(x, w, mean, rstd, dy, dx, dw, db, rows, cols),
    rmsNorm: (x, w, out, rstd, rows, cols, eps) => addon.rmsNorm(x, w, out, rstd, rows, cols, eps),
    rmsNormBackward: (x, w, rstd, dy, dx, dw, rows, cols) => addon.rmsNormBackward(x, w, rstd, dy, dx, dw, rows, cols),
    sumAxis: (x, out, outer, n, inner) => addon.sumAxis(x, out, outer, n, inner),
    gatherRows: (table, ids, out, cols) => addon.gatherRows(table, ids, out, cols),
    scatterAddRows: (dout, ids, dtable, cols, skipId) => addon.scatterAddRows(dout, ids, dtable, cols, skipId),
    rope: (x, cos, sin, out, rows, nHeads, headDim, sign) => addon.rope(x, cos, sin, out, rows, nHeads, headDim, sign),
    adamw(p, g, m, v, lr, beta1, beta2, eps, weightDecay, step) {
      if (!isIndex(step) || step < 1) throw new RangeError(`adamw: step must be an integer >= 1, got ${step}`);
      // same scalar arithmetic as the js reference, so results agree bit for bit
      const bc1 = 1 - Math.pow(beta1, step);
      const bc2 = 1 - Math.pow(beta2, step);
      addon.adamw(p, g, m, v, beta1, beta2, eps, lr / bc1, Math.sqrt(bc2), 1 - lr * weightDecay);
    },
    setThreads(n: number): number {
      if (!isIndex(n)) throw new RangeError(`threads must be a non-negative integer, got ${n}`);
      return addon.setThreads(n);
    },
    info: () => addon.info(),
    selectKernels: (name) => addon.select(name),
  };
  return backend;
}

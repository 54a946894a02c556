// Reference kernels in TypeScript for everything but GEMM: elementwise, softmax, norms, gathers, RoPE, AdamW.
// Straightforward loops over typed arrays; accumulations in float64 where it costs nothing.
import type { BinaryOp, UnaryOp } from '../backend.js';

const SQRT1_2 = Math.SQRT1_2;
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

/** erf with |error| < 1.2e-7 (Numerical Recipes erfc, Chebyshev fit), enough for float32. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'tanh': return Math.tanh;
    case 'sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    case 'relu': return (x) => (x > 0 ? x : 0);
    case 'gelu': return (x) => 0.5 * x * (1 + erf(x * SQRT1_2));
    case 'gelu_tanh': return (x) => 0.5 * x * (1 + Math.tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)));
    case 'silu': return (x) => x / (1 + Math.exp(-x));
    case 'abs': return Math.abs;
    case 'square': return (x) => x * x;
  }
}

/** Derivative d op(x) / dx, for ops whose backward the engine routes through the back end. */
export function unaryDerivative(op: UnaryOp): (x: number) => number {
  switch (op) {
    case 'gelu':
      return (x) => 0.5 * (1 + erf(x * SQRT1_2)) + x * Math.exp(-0.5 * x * x) * 0.3989422804014327;
    case 'gelu_tanh':
      return (x) => {
        const u = GELU_TANH_C * (x + 0.044715 * x * x * x);
        const th = Math.tanh(u);
        return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_TANH_C * (1 + 3 * 0.044715 * x * x);
      };
    case 'silu':
      return (x) => {
        const s = 1 / (1 + Math.exp(-x));
        return s * (1 + x * (1 - s));
      };
    case 'tanh':
      return (x) => {
        const t = Math.tanh(x);
        return 1 - t * t;
      };
    case 'sigmoid':
      return (x) => {
        const s = 1 / (1 + Math.exp(-x));
        return s * (1 - s);
      };
    case 'relu': return (x) => (x > 0 ? 1 : 0);
    case 'exp': return Math.exp;
    case 'log': return (x) => 1 / x;
    case 'sqrt': return (x) => 0.5 / Math.sqrt(x);
    case 'rsqrt': return (x) => -0.5 / (x * Math.sqrt(x));
    case 'neg': return () => -1;
    case 'abs': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'square': return (x) => 2 * x;
  }
}

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
    case 'max': return (a, b) => (a >= b || Number.isNaN(a) ? a : b);
    case 'min': return (a, b) => (a <= b || Number.isNaN(a) ? a : b);
    case 'pow': return Math.pow;
  }
}

export function binary(
  op: BinaryOp,
  shape: readonly number[],
  a: Float32Array,
  aOff: number,
  aStrides: readonly number[],
  b: Float32Array,
  bOff: number,
  bStrides: readonly number[],
  out: Float32Array,
  outOff: number,
): void {
  const nd = shape.length;
  const n = shape.reduce((x, y) => x * y, 1);
  if (n === 0) return;
  const inner = nd === 0 ? 1 : shape[nd - 1]!;
  const as = nd === 0 ? 0 : aStrides[nd - 1]!;
  const bs = nd === 0 ? 0 : bStrides[nd - 1]!;
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let ao = aOff;
  let bo = bOff;
  let o = outOff;
  // Specialised inner loops for the common cases; generic closure otherwise.
  for (let row = 0; row < n / inner; row++) {
    switch (op) {
      case 'add': for (let j = 0; j < inner; j++) out[o + j] = a[ao + j * as]! + b[bo + j * bs]!; break;
      case 'sub': for (let j = 0; j < inner; j++) out[o + j] = a[ao + j * as]! - b[bo + j * bs]!; break;
      case 'mul': for (let j = 0; j < inner; j++) out[o + j] = a[ao + j * as]! * b[bo + j * bs]!; break;
      case 'div': for (let j = 0; j < inner; j++) out[o + j] = a[ao + j * as]! / b[bo + j * bs]!; break;
      default: {
        const f = binaryFn(op);
        for (let j = 0; j < inner; j++) out[o + j] = f(a[ao + j * as]!, b[bo + j * bs]!);
      }
    }
    o += inner;
    // advance the outer multi-index (odometer), updating offsets incrementally
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      ao += aStrides[d]!;
      bo += bStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      ao -= aStrides[d]! * shape[d]!;
      bo -= bStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function unary(op: UnaryOp, x: Float32Array, xOff: number, out: Float32Array, outOff: number, n: number): void {
  const f = unaryFn(op);
  for (let i = 0; i < n; i++) out[outOff + i] = f(x[xOff + i]!);
}

export function unaryBackward(op: UnaryOp, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void {
  const f = unaryDerivative(op);
  for (let i = 0; i < n; i++) dx[i] = dy[i]! * f(x[i]!);
}

export function copyStrided(
  shape: readonly number[],
  src: Float32Array | Int32Array,
  srcOff: number,
  srcStrides: readonly number[],
  dst: Float32Array | Int32Array,
  dstOff: number,
): void {
  const nd = shape.length;
  const n = shape.reduce((x, y) => x * y, 1);
  if (n === 0) return;
  if (nd === 0) {
    dst[dstOff] = src[srcOff]!;
    return;
  }
  const inner = shape[nd - 1]!;
  const s = srcStrides[nd - 1]!;
  const idx = new Array<number>(nd - 1).fill(0);
  let so = srcOff;
  let o = dstOff;
  for (let row = 0; row < n / inner; row++) {
    if (s === 1) dst.set(src.subarray(so, so + inner), o);
    else for (let j = 0; j < inner; j++) dst[o + j] = src[so + j * s]!;
    o += inner;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      so += srcStrides[d]!;
      if (idx[d]! < shape[d]!) break;
      so -= srcStrides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}

export function softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j]! > mx) mx = x[o + j]!;
    if (mx === -Infinity) mx = 0; // a fully -inf row gives NaN in torch; we give uniform-free zeros below
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[o + j]! - mx);
      out[o + j] = e;
      s += e;
    }
    const inv = s > 0 ? 1 / s : 0;
    for (let j = 0; j < cols; j++) out[o + j]! *= inv;
  }
}

export function softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[o + j]! * y[o + j]!;
    for (let j = 0; j < cols; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - dot);
  }
}

export function logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j]! > mx) mx = x[o + j]!;
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(x[o + j]! - mx);
    const lse = mx + Math.log(s);
    for (let j = 0; j < cols; j++) out[o + j] = x[o + j]! - lse;
  }
}

export function logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let j = 0; j < cols; j++) s += dy[o + j]!;
    for (let j = 0; j < cols; j++) dx[o + j] = dy[o + j]! - Math.exp(y[o + j]!) * s;
  }
}

export function layerNorm(
  x: Float32Array,
  w: Float32Array | null,
  b: Float32Array | null,
  out: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  rows: number,
  cols: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    for (let j = 0; j < cols; j++) m += x[o + j]!;
    m /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j]! - m;
      v += d * d;
    }
    v /= cols;
    const rs = 1 / Math.sqrt(v + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      let y = (x[o + j]! - m) * rs;
      if (w) y *= w[j]!;
      if (b) y += b[j]!;
      out[o + j] = y;
    }
  }
}

export function layerNormBackward(
  x: Float32Array,
  w: Float32Array | null,
  mean: Float32Array,
  rstd: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  dw: Float32Array | null,
  db: Float32Array | null,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const m = mean[r]!;
    const rs = rstd[r]!;
    // dnorm = dy * w; dx = rs * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat))
    let sumD = 0;
    let sumDX = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j]! - m) * rs;
      const dn = dy[o + j]! * (w ? w[j]! : 1);
      sumD += dn;
      sumDX += dn * xhat;
      if (dw) dw[j]! += dy[o + j]! * xhat;
      if (db) db[j]! += dy[o + j]!;
    }
    sumD /= cols;
    sumDX /= cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j]! - m) * rs;
      const dn = dy[o + j]! * (w ? w[j]! : 1);
      dx[o + j] = rs * (dn - sumD - xhat * sumDX);
    }
  }
}

export function rmsNorm(x: Float32Array, w: Float32Array | null, out: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) ss += x[o + j]! * x[o + j]!;
    const rs = 1 / Math.sqrt(ss / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out[o + j] = x[o + j]! * rs * (w ? w[j]! : 1);
  }
}

export function rmsNormBackward(
  x: Float32Array,
  w: Float32Array | null,
  rstd: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  dw: Float32Array | null,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const rs = rstd[r]!;
    // y = x * rs * w;  dx = rs * (dn - xhat * mean(dn * xhat)), dn = dy * w, xhat = x * rs
    let sumDX = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = x[o + j]! * rs;
      const dn = dy[o + j]! * (w ? w[j]! : 1);
      sumDX += dn * xhat;
      if (dw) dw[j]! += dy[o + j]! * xhat;
    }
    sumDX /= cols;
    for (let j = 0; j < cols; j++) {
      const xhat = x[o + j]! * rs;
      const dn = dy[o + j]! * (w ? w[j]! : 1);
      dx[o + j] = rs * (dn - xhat * sumDX);
    }
  }
}

export function sumAxis(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      let s = 0;
      const base = o * n;
      for (let k = 0; k < n; k++) s += x[base + k]!;
      out[o] = s;
    }
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * inner;
      for (let i = 0; i < inner; i++) acc[i]! += x[base + i]!;
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i]!;
  }
}

export function gatherRows(table: Float32Array, ids: Int32Array, out: Float32Array, cols: number): void {
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i]! * cols;
    out.set(table.subarray(r, r + cols), i * cols);
  }
}

export function scatterAddRows(dout: Float32Array, ids: Int32Array, dtable: Float32Array, cols: number, skipId: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === skipId) continue;
    const r = id * cols;
    const o = i * cols;
    for (let j = 0; j < cols; j++) dtable[r + j]! += dout[o + j]!;
  }
}

export function rope(
  x: Float32Array,
  cos: Float32Array,
  sin: Float32Array,
  out: Float32Array,
  rows: number,
  nHeads: number,
  headDim: number,
  sign: 1 | -1,
): void {
  const half = headDim >> 1;
  for (let r = 0; r < rows; r++) {
    const cs = r * headDim;
    for (let h = 0; h < nHeads; h++) {
      const o = (r * nHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const x1 = x[o + i]!;
        const x2 = x[o + i + half]!;
        // out1 = x1*cos1 - x2*sin1 ; out2 = x2*cos2 + x1*sin2 (sign flips sin for the inverse)
        out[o + i] = x1 * cos[cs + i]! - sign * x2 * sin[cs + i]!;
        out[o + i + half] = x2 * cos[cs + i + half]! + sign * x1 * sin[cs + i + half]!;
      }
    }
  }
}

export function adamw(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  step: number,
): void {
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2 = 1 - Math.pow(beta2, step);
  const stepSize = lr / bc1;
  const bc2Sqrt = Math.sqrt(bc2);
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const mi = (m[i] = beta1 * m[i]! + (1 - beta1) * gi);
    const vi = (v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi);
    p[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

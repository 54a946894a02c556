// The kernel boundary. Every heavy loop in bertchat runs behind this interface.
// Kernels see typed arrays, offsets, sizes and strides — never a Tensor. Output buffers are passed in;
// kernels do not allocate their outputs. Layout convention: row-major, "rows x cols" means the last axis
// (cols) is contiguous and rows follow each other with stride `cols` unless a stride is given.

export type BackendName = 'js' | 'native';

/**
 * Strided batched GEMM: for b in [0, batch):
 *   C[b] = alpha * op(A[b]) · op(B[b]) + beta * C[b]
 * op(A) is M x K (A stored K x M when transA), op(B) is K x N (B stored N x K when transB), C is M x N.
 * Element (i, j) of a stored matrix X is X[xOff + b*strideX + i*ldx + j].
 * beta = 0 means C is write-only (its old contents, even NaN, are ignored).
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  a: Float32Array;
  aOff: number;
  lda: number;
  strideA: number;
  b: Float32Array;
  bOff: number;
  ldb: number;
  strideB: number;
  c: Float32Array;
  cOff: number;
  ldc: number;
  strideC: number;
  batch: number;
  /** op(B) pre-packed by the same back end's packWeight (for these K, N); the back end may ignore it. */
  packedB?: Float32Array | null;
}

/**
 * Fused decode attention: one query position per (b, h) over L keys, grouped-query aware. For b < B, h < nh and
 * kv head kh = floor(h / (nh / nkv)):
 *   s[l] = scale · Σ_d q(b, h, d)·k(b, kh, l, d) + mask(b, l);  p = softmax(s);  out(b, h, d) = Σ_l p[l]·v(b, kh, l, d)
 * q(b, h, d) = q[qOff + b·qStrideB + h·qStrideH + d]; k(b, kh, l, d) = k[kOff + b·kStrideB + kh·kStrideH + l·kStrideL + d]
 * (v likewise); mask(b, l) = mask[maskOff + b·maskStrideB + l] (additive, null for none); out (B, nh, hs)
 * contiguous at outOff. L = 0 writes zeros.
 */
export interface AttentionDecodeArgs {
  B: number;
  nh: number;
  nkv: number;
  L: number;
  hs: number;
  scale: number;
  q: Float32Array;
  qOff: number;
  qStrideB: number;
  qStrideH: number;
  k: Float32Array;
  kOff: number;
  kStrideB: number;
  kStrideH: number;
  kStrideL: number;
  v: Float32Array;
  vOff: number;
  vStrideB: number;
  vStrideH: number;
  vStrideL: number;
  mask: Float32Array | null;
  maskOff: number;
  maskStrideB: number;
  out: Float32Array;
  outOff: number;
}

/**
 * Scaled masked softmax rows: out[r, :] = softmax(scale · x[r, :] + mask[m(r) .. m(r) + cols)) with
 * m(r) = maskOff + floor(r / groupRows)·maskStrideGroup + (r mod period)·maskStrideRow (mask null: no mask).
 * Covers (B, H, T, L) scores against a (B|1, 1, T|1, L) mask: groupRows = H·T, period = T.
 */
export interface ScaledMaskedSoftmaxArgs {
  x: Float32Array;
  out: Float32Array;
  rows: number;
  cols: number;
  scale: number;
  mask: Float32Array | null;
  maskOff: number;
  groupRows: number;
  maskStrideGroup: number;
  period: number;
  maskStrideRow: number;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pow';
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu' // exact erf form: 0.5 x (1 + erf(x / sqrt 2))
  | 'gelu_tanh' // 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))
  | 'silu' // x * sigmoid(x)
  | 'abs'
  | 'square';

export interface Backend {
  readonly name: BackendName;
  /** Threads the back end uses for its parallel kernels (1 for js). */
  readonly threads: number;

  gemm(args: GemmArgs): void;
  /**
   * Optional: packs op(B) (K x N, read from b like GemmArgs' b) once, in the layout gemm would pack it into on
   * every call, for products with a constant B (weights at inference). Null when the back end has no use for it.
   */
  packWeight?(transB: boolean, K: number, N: number, b: Float32Array, bOff: number, ldb: number): Float32Array | null;

  /**
   * out[i] = op(a[aIdx(i)], b[bIdx(i)]) over an output of `shape` (contiguous, offset outOff).
   * aStrides/bStrides are per output axis (0 on broadcast axes), so broadcasting costs nothing.
   */
  binary(
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
  ): void;

  /** out[i] = op(x[i]) for i in [0, n) (contiguous). */
  unary(op: UnaryOp, x: Float32Array, xOff: number, out: Float32Array, outOff: number, n: number): void;

  /** dx[i] = dy[i] * op'(x[i]) for the activations (gelu, gelu_tanh, silu, tanh, sigmoid, relu). */
  unaryBackward(op: UnaryOp, x: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void;

  /** Copies a strided view of `shape` into a contiguous buffer. */
  copyStrided(
    shape: readonly number[],
    src: Float32Array | Int32Array,
    srcOff: number,
    srcStrides: readonly number[],
    dst: Float32Array | Int32Array,
    dstOff: number,
  ): void;

  /** Row softmax: out[r, :] = softmax(x[r, :]) over `rows` rows of `cols`. In-place allowed (out === x). */
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /**
   * Optional fused kernels. A back end may leave them out; callers then use the js reference beside them
   * (src/tensor/backend/js/attention.ts), so results never depend on whether one is present.
   */
  scaledMaskedSoftmax?(a: ScaledMaskedSoftmaxArgs): void;
  attentionDecode?(a: AttentionDecodeArgs): void;
  /** dx = y * (dy - sum(dy * y)) per row. */
  softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;
  /** Row log-softmax. */
  logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** dx = dy - exp(y) * sum(dy) per row, where y is the log-softmax output. */
  logSoftmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void;

  /**
   * LayerNorm over the last axis: out = (x - mean) * rstd * w + b. w/b may be null (no affine).
   * mean and rstd (length rows) are written for the backward pass.
   */
  layerNorm(
    x: Float32Array,
    w: Float32Array | null,
    b: Float32Array | null,
    out: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  /** Writes dx and accumulates (+=) dw, db (which may be null). */
  layerNormBackward(
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
  ): void;

  /** RMSNorm over the last axis: out = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps). */
  rmsNorm(x: Float32Array, w: Float32Array | null, out: Float32Array, rstd: Float32Array, rows: number, cols: number, eps: number): void;
  /** Writes dx and accumulates (+=) dw (which may be null). */
  rmsNormBackward(
    x: Float32Array,
    w: Float32Array | null,
    rstd: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    dw: Float32Array | null,
    rows: number,
    cols: number,
  ): void;

  /**
   * Sum over the middle axis of a contiguous (outer, n, inner) array: out[o, i] = sum_k x[o, k, i].
   * Covers sum over any single axis and reduction of broadcast gradients.
   */
  sumAxis(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;

  /**
   * Rows gather: out[i, :] = table[ids[i], :] (rows of `cols`). Ids are validated by the caller.
   */
  gatherRows(table: Float32Array, ids: Int32Array, out: Float32Array, cols: number): void;
  /** Scatter-add for the embedding backward: dtable[ids[i], :] += dout[i, :], skipping ids equal to skipId. */
  scatterAddRows(dout: Float32Array, ids: Int32Array, dtable: Float32Array, cols: number, skipId: number): void;

  /**
   * Rotary embedding (HF rotate_half convention) on x of (rows, nHeads, headDim) contiguous per row,
   * with cos/sin of (rows, headDim): out = x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1).
   * `sign` = -1 gives the inverse rotation, which is the backward pass.
   */
  rope(x: Float32Array, cos: Float32Array, sin: Float32Array, out: Float32Array, rows: number, nHeads: number, headDim: number, sign: 1 | -1): void;

  /** AdamW step on one parameter, torch semantics (decoupled decay, bias correction). Updates p, m, v in place. */
  adamw(
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
  ): void;
}

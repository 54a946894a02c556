/* Node-API entry points of bertchat_native.node. Every function validates its arguments (types, lengths,
 * index ranges) and throws a JS error instead of touching memory out of bounds. Argument order mirrors the
 * Backend interface in src/tensor/backend/backend.ts; the TS wrapper (src/tensor/backend/native/) adapts. */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr */
#endif
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"
#include "cpu.h"
#if !defined(_WIN32)
#include <dlfcn.h>
#include <stdatomic.h>
#endif

#define MAXARGS 24

typedef struct {
  napi_env env;
  napi_value argv[MAXARGS];
  size_t argc;
  int failed;
} args_t;

static int fail(args_t *a, const char *msg) {
  if (!a->failed) napi_throw_range_error(a->env, NULL, msg);
  a->failed = 1;
  return 0;
}

static int get_args(napi_env env, napi_callback_info info, args_t *a, size_t want) {
  a->env = env;
  a->argc = MAXARGS;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return fail(a, "bad call");
  if (a->argc < want) {
    char m[96];
    snprintf(m, sizeof m, "expected %zu arguments, got %zu", want, a->argc);
    return fail(a, m);
  }
  return 1;
}

static double num(args_t *a, size_t i, const char *name) {
  double v = 0;
  if (a->failed) return 0;
  napi_valuetype t;
  if (napi_typeof(a->env, a->argv[i], &t) != napi_ok || (t != napi_number && t != napi_boolean)) {
    char m[96];
    snprintf(m, sizeof m, "%s must be a number", name);
    fail(a, m);
    return 0;
  }
  if (t == napi_boolean) {
    bool b;
    napi_get_value_bool(a->env, a->argv[i], &b);
    return b ? 1 : 0;
  }
  napi_get_value_double(a->env, a->argv[i], &v);
  return v;
}

/* Non-negative integer below 2^53. */
static long integer(args_t *a, size_t i, const char *name) {
  double v = num(a, i, name);
  if (a->failed) return 0;
  if (!(v >= 0 && v <= 9007199254740991.0) || v != floor(v)) {
    char m[96];
    snprintf(m, sizeof m, "%s must be a non-negative integer", name);
    fail(a, m);
    return 0;
  }
  return (long)v;
}

/* Typed array of 4-byte elements: type f32 (want_float=1), i32 (0), either (-1). NULL/undefined allowed when nullable. */
static void *arr(args_t *a, size_t i, const char *name, int want_float, int nullable, long *len) {
  *len = 0;
  if (a->failed) return NULL;
  napi_valuetype t;
  napi_typeof(a->env, a->argv[i], &t);
  if (nullable && (t == napi_null || t == napi_undefined)) return NULL;
  bool is_ta = false;
  napi_is_typedarray(a->env, a->argv[i], &is_ta);
  char m[128];
  if (!is_ta) {
    snprintf(m, sizeof m, "%s must be a %s", name, want_float == 1 ? "Float32Array" : want_float == 0 ? "Int32Array" : "Float32Array or Int32Array");
    fail(a, m);
    return NULL;
  }
  napi_typedarray_type tt;
  size_t n;
  void *data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(a->env, a->argv[i], &tt, &n, &data, &ab, &off);
  int ok = want_float == 1 ? tt == napi_float32_array : want_float == 0 ? tt == napi_int32_array
                                                                        : (tt == napi_float32_array || tt == napi_int32_array);
  if (!ok) {
    snprintf(m, sizeof m, "%s must be a %s", name, want_float == 1 ? "Float32Array" : want_float == 0 ? "Int32Array" : "Float32Array or Int32Array");
    fail(a, m);
    return NULL;
  }
  *len = (long)n;
  if (n == 0) return (void *)a; /* non-NULL dummy: never dereferenced for empty work */
  return data;
}

static int need(args_t *a, long have, double need_elems, const char *name) {
  if (a->failed) return 0;
  if (need_elems > (double)have) {
    char m[160];
    snprintf(m, sizeof m, "%s is too short: needs %.0f elements, has %ld", name, need_elems, have);
    return fail(a, m);
  }
  return 1;
}

static napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* Highest element index + 1 of a strided batched matrix (rows x cols, ld, stride), or 0 when empty. */
static double extent(long off, long rows, long cols, long ld, long stride, long batch) {
  if (rows == 0 || cols == 0 || batch == 0) return 0;
  return (double)off + (double)(batch - 1) * stride + (double)(rows - 1) * ld + (double)cols;
}

/* gemm(transA, transB, M, N, K, alpha, beta, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC, batch) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 20)) return NULL;
  gemm_args g;
  long la, lb, lc;
  g.transA = num(&A, 0, "transA") != 0;
  g.transB = num(&A, 1, "transB") != 0;
  g.M = integer(&A, 2, "M");
  g.N = integer(&A, 3, "N");
  g.K = integer(&A, 4, "K");
  g.alpha = (float)num(&A, 5, "alpha");
  g.beta = (float)num(&A, 6, "beta");
  const float *a = arr(&A, 7, "a", 1, 0, &la);
  long aOff = integer(&A, 8, "aOff");
  g.lda = integer(&A, 9, "lda");
  g.strideA = integer(&A, 10, "strideA");
  const float *b = arr(&A, 11, "b", 1, 0, &lb);
  long bOff = integer(&A, 12, "bOff");
  g.ldb = integer(&A, 13, "ldb");
  g.strideB = integer(&A, 14, "strideB");
  float *c = arr(&A, 15, "c", 1, 0, &lc);
  long cOff = integer(&A, 16, "cOff");
  g.ldc = integer(&A, 17, "ldc");
  g.strideC = integer(&A, 18, "strideC");
  g.batch = integer(&A, 19, "batch");
  if (A.failed) return NULL;
  if (g.M == 0 || g.N == 0 || g.batch == 0) return undef(env);
  /* A stored (transA ? K x M : M x K) */
  long ar = g.transA ? g.K : g.M, ac = g.transA ? g.M : g.K;
  long br = g.transB ? g.N : g.K, bc = g.transB ? g.K : g.N;
  if (g.K > 0) {
    if (ar > 1 && g.lda < ac) return fail(&A, "lda is smaller than the row length"), NULL;
    if (br > 1 && g.ldb < bc) return fail(&A, "ldb is smaller than the row length"), NULL;
  }
  if (g.M > 1 && g.ldc < g.N) return fail(&A, "ldc is smaller than N"), NULL;
  if (g.K > 0 && !need(&A, la, extent(aOff, ar, ac, g.lda, g.strideA, g.batch), "a")) return NULL;
  if (g.K > 0 && !need(&A, lb, extent(bOff, br, bc, g.ldb, g.strideB, g.batch), "b")) return NULL;
  if (!need(&A, lc, extent(cOff, g.M, g.N, g.ldc, g.strideC, g.batch), "c")) return NULL;
  g.a = a + (g.K > 0 ? aOff : 0);
  g.b = b + (g.K > 0 ? bOff : 0);
  g.c = c + cOff;
  g.packed_b = NULL;
  if (A.argc > 20) { /* optional: B pre-packed by packB for these K, N with the kernels in use (else ignored) */
    long lp;
    const float *pk = arr(&A, 20, "packedB", 1, 1, &lp);
    if (A.failed) return NULL;
    if (pk && (g.batch == 1 || g.strideB == 0)) g.packed_b = gemm_packed_b_data(pk, lp, g.K, g.N);
  }
  sgemm(&g, pool_threads());
  return undef(env);
}

/* packedBSize(K, N): floats packB needs for op(B) of K x N with the kernels in use. */
static napi_value js_packed_b_size(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 2)) return NULL;
  long K = integer(&A, 0, "K"), N = integer(&A, 1, "N");
  if (A.failed) return NULL;
  napi_value v;
  napi_create_double(env, (double)gemm_packed_b_floats(K, N), &v);
  return v;
}

/* packB(transB, K, N, b, bOff, ldb, dst): packs op(B) whole into dst (length >= packedBSize(K, N)). */
static napi_value js_pack_b(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 7)) return NULL;
  int transB = num(&A, 0, "transB") != 0;
  long K = integer(&A, 1, "K"), N = integer(&A, 2, "N");
  long lb, ld;
  const float *b = arr(&A, 3, "b", 1, 0, &lb);
  long bOff = integer(&A, 4, "bOff"), ldb = integer(&A, 5, "ldb");
  float *dst = arr(&A, 6, "dst", 1, 0, &ld);
  if (A.failed) return NULL;
  if (K == 0 || N == 0) return fail(&A, "packB: K and N must be positive"), NULL;
  long br = transB ? N : K, bc = transB ? K : N;
  if (br > 1 && ldb < bc) return fail(&A, "ldb is smaller than the row length"), NULL;
  if (!need(&A, lb, extent(bOff, br, bc, ldb, 0, 1), "b")) return NULL;
  if (!need(&A, ld, (double)gemm_packed_b_floats(K, N), "dst")) return NULL;
  gemm_pack_b_whole(b + bOff, ldb, transB, K, N, dst);
  return undef(env);
}

/* unary(op, x, xOff, out, outOff, n) */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 6)) return NULL;
  long lx, lo;
  long op = integer(&A, 0, "op");
  const float *x = arr(&A, 1, "x", 1, 0, &lx);
  long xo = integer(&A, 2, "xOff");
  float *out = arr(&A, 3, "out", 1, 0, &lo);
  long oo = integer(&A, 4, "outOff");
  long n = integer(&A, 5, "n");
  if (A.failed) return NULL;
  if (op >= U_COUNT) return fail(&A, "unknown unary op"), NULL;
  if (n == 0) return undef(env);
  if (!need(&A, lx, (double)xo + n, "x") || !need(&A, lo, (double)oo + n, "out")) return NULL;
  k_unary((int)op, x + xo, out + oo, n);
  return undef(env);
}

/* unaryBackward(op, x, dy, dx, n) */
static napi_value js_unary_bwd(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 5)) return NULL;
  long lx, ly, ld;
  long op = integer(&A, 0, "op");
  const float *x = arr(&A, 1, "x", 1, 0, &lx);
  const float *dy = arr(&A, 2, "dy", 1, 0, &ly);
  float *dx = arr(&A, 3, "dx", 1, 0, &ld);
  long n = integer(&A, 4, "n");
  if (A.failed) return NULL;
  if (op >= U_COUNT) return fail(&A, "unknown unary op"), NULL;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, ly, n, "dy") || !need(&A, ld, n, "dx")) return NULL;
  k_unary_bwd((int)op, x, dy, dx, n);
  return undef(env);
}

/* A Float64Array argument (parameter blocks); NULL with a thrown error otherwise. */
static const double *arr64(args_t *A, size_t i, const char *name, long *len) {
  *len = 0;
  if (A->failed) return NULL;
  bool is_ta = false;
  napi_is_typedarray(A->env, A->argv[i], &is_ta);
  napi_typedarray_type tt;
  size_t n = 0;
  void *data = NULL;
  napi_value ab;
  size_t off;
  if (is_ta) napi_get_typedarray_info(A->env, A->argv[i], &tt, &n, &data, &ab, &off);
  if (!is_ta || tt != napi_float64_array) {
    char m[96];
    snprintf(m, sizeof m, "%s must be a Float64Array", name);
    fail(A, m);
    return NULL;
  }
  *len = (long)n;
  return (const double *)data;
}

/* Reads nd, shape and k stride lists from an Int32Array/Float64Array-free packed Float64Array:
 * meta = [nd, shape..., strides0..., strides1...]. Strides may be negative. */
static int read_meta(args_t *A, size_t i, int nlists, int *nd, long *shape, long *s0, long *s1) {
  bool is_ta = false;
  napi_is_typedarray(A->env, A->argv[i], &is_ta);
  if (!is_ta) return fail(A, "meta must be a Float64Array");
  napi_typedarray_type tt;
  size_t n;
  void *data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(A->env, A->argv[i], &tt, &n, &data, &ab, &off);
  if (tt != napi_float64_array || n < 1) return fail(A, "meta must be a Float64Array");
  const double *m = (const double *)data;
  double d = m[0];
  if (!(d >= 0 && d <= MAX_DIMS) || d != floor(d)) return fail(A, "too many dimensions (max 16)");
  *nd = (int)d;
  if (n < (size_t)(1 + (1 + nlists) * *nd)) return fail(A, "meta is too short");
  for (int k = 0; k < *nd; k++) {
    double v = m[1 + k];
    if (!(v >= 0 && v < 9.0e15) || v != floor(v)) return fail(A, "shape entries must be non-negative integers");
    shape[k] = (long)v;
    double a = m[1 + *nd + k];
    if (!(fabs(a) < 9.0e15) || a != floor(a)) return fail(A, "strides must be integers");
    s0[k] = (long)a;
    if (nlists > 1) {
      double b = m[1 + 2 * *nd + k];
      if (!(fabs(b) < 9.0e15) || b != floor(b)) return fail(A, "strides must be integers");
      s1[k] = (long)b;
    }
  }
  return 1;
}

/* Checks that every index off + sum idx[d]*s[d] of a strided view lies in [0, len). */
static int check_view(args_t *A, int nd, const long *shape, const long *s, long off, long len, const char *name) {
  double lo = (double)off, hi = (double)off;
  for (int d = 0; d < nd; d++) {
    if (shape[d] == 0) return 1;
    double span = (double)(shape[d] - 1) * s[d];
    if (span < 0) lo += span; else hi += span;
  }
  if (lo < 0 || hi >= (double)len) {
    char m[128];
    snprintf(m, sizeof m, "%s: strided view reaches outside the array", name);
    return fail(A, m);
  }
  return 1;
}

/* binary(op, meta[nd, shape, aStrides, bStrides], a, aOff, b, bOff, out, outOff) */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 8)) return NULL;
  int nd;
  long shape[MAX_DIMS], as[MAX_DIMS], bs[MAX_DIMS], la, lb, lo;
  long op = integer(&A, 0, "op");
  if (A.failed || !read_meta(&A, 1, 2, &nd, shape, as, bs)) return NULL;
  const float *a = arr(&A, 2, "a", 1, 0, &la);
  long ao = integer(&A, 3, "aOff");
  const float *b = arr(&A, 4, "b", 1, 0, &lb);
  long bo = integer(&A, 5, "bOff");
  float *out = arr(&A, 6, "out", 1, 0, &lo);
  long oo = integer(&A, 7, "outOff");
  if (A.failed) return NULL;
  if (op >= B_COUNT) return fail(&A, "unknown binary op"), NULL;
  double n = 1;
  for (int d = 0; d < nd; d++) n *= shape[d];
  if (n == 0) return undef(env);
  if (!check_view(&A, nd, shape, as, ao, la, "a") || !check_view(&A, nd, shape, bs, bo, lb, "b") || !need(&A, lo, oo + n, "out")) return NULL;
  k_binary((int)op, nd, shape, a + ao, as, b + bo, bs, out + oo);
  return undef(env);
}

/* copyStrided(meta[nd, shape, srcStrides], src, srcOff, dst, dstOff) */
static napi_value js_copy_strided(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 5)) return NULL;
  int nd;
  long shape[MAX_DIMS], ss[MAX_DIMS], ls, ld;
  if (!read_meta(&A, 0, 1, &nd, shape, ss, NULL)) return NULL;
  const unsigned *src = arr(&A, 1, "src", -1, 0, &ls);
  long so = integer(&A, 2, "srcOff");
  unsigned *dst = arr(&A, 3, "dst", -1, 0, &ld);
  long dof = integer(&A, 4, "dstOff");
  if (A.failed) return NULL;
  double n = 1;
  for (int d = 0; d < nd; d++) n *= shape[d];
  if (n == 0) return undef(env);
  if (!check_view(&A, nd, shape, ss, so, ls, "src") || !need(&A, ld, dof + n, "dst")) return NULL;
  k_copy_strided(nd, shape, src + so, ss, dst + dof);
  return undef(env);
}

/* (x, out, rows, cols) and (y, dy, dx, rows, cols) row kernels */
static napi_value row_fwd(napi_env env, napi_callback_info info, void (*fn)(const float *, float *, long, long)) {
  args_t A;
  if (!get_args(env, info, &A, 4)) return NULL;
  long lx, lo;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  float *out = arr(&A, 1, "out", 1, 0, &lo);
  long rows = integer(&A, 2, "rows"), cols = integer(&A, 3, "cols");
  if (A.failed) return NULL;
  double n = (double)rows * cols;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, lo, n, "out")) return NULL;
  fn(x, out, rows, cols);
  return undef(env);
}
static napi_value row_bwd(napi_env env, napi_callback_info info, void (*fn)(const float *, const float *, float *, long, long)) {
  args_t A;
  if (!get_args(env, info, &A, 5)) return NULL;
  long l1, l2, l3;
  const float *y = arr(&A, 0, "y", 1, 0, &l1);
  const float *dy = arr(&A, 1, "dy", 1, 0, &l2);
  float *dx = arr(&A, 2, "dx", 1, 0, &l3);
  long rows = integer(&A, 3, "rows"), cols = integer(&A, 4, "cols");
  if (A.failed) return NULL;
  double n = (double)rows * cols;
  if (n == 0) return undef(env);
  if (!need(&A, l1, n, "y") || !need(&A, l2, n, "dy") || !need(&A, l3, n, "dx")) return NULL;
  fn(y, dy, dx, rows, cols);
  return undef(env);
}
static napi_value js_softmax(napi_env e, napi_callback_info i) { return row_fwd(e, i, k_softmax); }
static napi_value js_logsoftmax(napi_env e, napi_callback_info i) { return row_fwd(e, i, k_logsoftmax); }
static napi_value js_softmax_bwd(napi_env e, napi_callback_info i) { return row_bwd(e, i, k_softmax_bwd); }
static napi_value js_logsoftmax_bwd(napi_env e, napi_callback_info i) { return row_bwd(e, i, k_logsoftmax_bwd); }

/* layerNorm(x, w|null, b|null, out, mean, rstd, rows, cols, eps) */
static napi_value js_layernorm(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 9)) return NULL;
  long lx, lw, lb, lo, lm, lr;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  const float *w = arr(&A, 1, "w", 1, 1, &lw);
  const float *b = arr(&A, 2, "b", 1, 1, &lb);
  float *out = arr(&A, 3, "out", 1, 0, &lo);
  float *mean = arr(&A, 4, "mean", 1, 0, &lm);
  float *rstd = arr(&A, 5, "rstd", 1, 0, &lr);
  long rows = integer(&A, 6, "rows"), cols = integer(&A, 7, "cols");
  double eps = num(&A, 8, "eps");
  if (A.failed) return NULL;
  double n = (double)rows * cols;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, lo, n, "out") || !need(&A, lm, rows, "mean") || !need(&A, lr, rows, "rstd")) return NULL;
  if ((w && !need(&A, lw, cols, "w")) || (b && !need(&A, lb, cols, "b"))) return NULL;
  k_layernorm(x, w, b, out, mean, rstd, rows, cols, (float)eps);
  return undef(env);
}

/* layerNormBackward(x, w|null, mean, rstd, dy, dx, dw|null, db|null, rows, cols) */
static napi_value js_layernorm_bwd(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 10)) return NULL;
  long lx, lw, lm, lr, ly, ld, ldw, ldb;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  const float *w = arr(&A, 1, "w", 1, 1, &lw);
  const float *mean = arr(&A, 2, "mean", 1, 0, &lm);
  const float *rstd = arr(&A, 3, "rstd", 1, 0, &lr);
  const float *dy = arr(&A, 4, "dy", 1, 0, &ly);
  float *dx = arr(&A, 5, "dx", 1, 0, &ld);
  float *dw = arr(&A, 6, "dw", 1, 1, &ldw);
  float *db = arr(&A, 7, "db", 1, 1, &ldb);
  long rows = integer(&A, 8, "rows"), cols = integer(&A, 9, "cols");
  if (A.failed) return NULL;
  double n = (double)rows * cols;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, ly, n, "dy") || !need(&A, ld, n, "dx") || !need(&A, lm, rows, "mean") || !need(&A, lr, rows, "rstd")) return NULL;
  if ((w && !need(&A, lw, cols, "w")) || (dw && !need(&A, ldw, cols, "dw")) || (db && !need(&A, ldb, cols, "db"))) return NULL;
  if (!k_layernorm_bwd(x, w, mean, rstd, dy, dx, dw, db, rows, cols)) return fail(&A, "out of memory"), NULL;
  return undef(env);
}

/* rmsNorm(x, w|null, out, rstd, rows, cols, eps) */
static napi_value js_rmsnorm(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 7)) return NULL;
  long lx, lw, lo, lr;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  const float *w = arr(&A, 1, "w", 1, 1, &lw);
  float *out = arr(&A, 2, "out", 1, 0, &lo);
  float *rstd = arr(&A, 3, "rstd", 1, 0, &lr);
  long rows = integer(&A, 4, "rows"), cols = integer(&A, 5, "cols");
  double eps = num(&A, 6, "eps");
  if (A.failed) return NULL;
  double n = (double)rows * cols;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, lo, n, "out") || !need(&A, lr, rows, "rstd") || (w && !need(&A, lw, cols, "w"))) return NULL;
  k_rmsnorm(x, w, out, rstd, rows, cols, (float)eps);
  return undef(env);
}

/* rmsNormBackward(x, w|null, rstd, dy, dx, dw|null, rows, cols) */
static napi_value js_rmsnorm_bwd(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 8)) return NULL;
  long lx, lw, lr, ly, ld, ldw;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  const float *w = arr(&A, 1, "w", 1, 1, &lw);
  const float *rstd = arr(&A, 2, "rstd", 1, 0, &lr);
  const float *dy = arr(&A, 3, "dy", 1, 0, &ly);
  float *dx = arr(&A, 4, "dx", 1, 0, &ld);
  float *dw = arr(&A, 5, "dw", 1, 1, &ldw);
  long rows = integer(&A, 6, "rows"), cols = integer(&A, 7, "cols");
  if (A.failed) return NULL;
  double n = (double)rows * cols;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, ly, n, "dy") || !need(&A, ld, n, "dx") || !need(&A, lr, rows, "rstd")) return NULL;
  if ((w && !need(&A, lw, cols, "w")) || (dw && !need(&A, ldw, cols, "dw"))) return NULL;
  if (!k_rmsnorm_bwd(x, w, rstd, dy, dx, dw, rows, cols)) return fail(&A, "out of memory"), NULL;
  return undef(env);
}

/* sumAxis(x, out, outer, n, inner) */
static napi_value js_sum_axis(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 5)) return NULL;
  long lx, lo;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  float *out = arr(&A, 1, "out", 1, 0, &lo);
  long outer = integer(&A, 2, "outer"), n = integer(&A, 3, "n"), inner = integer(&A, 4, "inner");
  if (A.failed) return NULL;
  double no = (double)outer * inner;
  if (no == 0) return undef(env);
  if (!need(&A, lx, no * n, "x") || !need(&A, lo, no, "out")) return NULL;
  k_sum_axis(x, out, outer, n, inner);
  return undef(env);
}

/* gatherRows(table, ids, out, cols) */
static napi_value js_gather_rows(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 4)) return NULL;
  long lt, li, lo;
  const float *table = arr(&A, 0, "table", 1, 0, &lt);
  const int *ids = arr(&A, 1, "ids", 0, 0, &li);
  float *out = arr(&A, 2, "out", 1, 0, &lo);
  long cols = integer(&A, 3, "cols");
  if (A.failed) return NULL;
  if (li == 0 || cols == 0) return undef(env);
  if (!need(&A, lo, (double)li * cols, "out")) return NULL;
  long nrows = lt / cols;
  for (long i = 0; i < li; i++)
    if (ids[i] < 0 || ids[i] >= nrows) return fail(&A, "gatherRows: id out of range"), NULL;
  k_gather_rows(table, ids, li, out, cols);
  return undef(env);
}

/* scatterAddRows(dout, ids, dtable, cols, skipId) */
static napi_value js_scatter_add_rows(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 5)) return NULL;
  long lo, li, lt;
  const float *dout = arr(&A, 0, "dout", 1, 0, &lo);
  const int *ids = arr(&A, 1, "ids", 0, 0, &li);
  float *dtable = arr(&A, 2, "dtable", 1, 0, &lt);
  long cols = integer(&A, 3, "cols");
  double skip = num(&A, 4, "skipId");
  if (A.failed) return NULL;
  if (li == 0 || cols == 0) return undef(env);
  if (!need(&A, lo, (double)li * cols, "dout")) return NULL;
  int skipi = (skip >= -2147483648.0 && skip <= 2147483647.0 && skip == floor(skip)) ? (int)skip : -2147483647 - 1;
  int skipvalid = skip == (double)skipi;
  long nrows = lt / cols;
  for (long i = 0; i < li; i++)
    if ((!skipvalid || ids[i] != skipi) && (ids[i] < 0 || ids[i] >= nrows)) return fail(&A, "scatterAddRows: id out of range"), NULL;
  k_scatter_add_rows(dout, ids, li, dtable, cols, skipvalid ? skipi : -2147483647 - 1);
  return undef(env);
}

/* rope(x, cos, sin, out, rows, nHeads, headDim, sign) */
static napi_value js_rope(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 8)) return NULL;
  long lx, lc, ls, lo;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  const float *cs = arr(&A, 1, "cos", 1, 0, &lc);
  const float *sn = arr(&A, 2, "sin", 1, 0, &ls);
  float *out = arr(&A, 3, "out", 1, 0, &lo);
  long rows = integer(&A, 4, "rows"), nh = integer(&A, 5, "nHeads"), hd = integer(&A, 6, "headDim");
  double sign = num(&A, 7, "sign");
  if (A.failed) return NULL;
  double n = (double)rows * nh * hd;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, lo, n, "out") || !need(&A, lc, (double)rows * hd, "cos") || !need(&A, ls, (double)rows * hd, "sin")) return NULL;
  k_rope(x, cs, sn, out, rows, nh, hd, sign < 0 ? -1 : 1);
  return undef(env);
}

/* adamw(p, g, m, v, beta1, beta2, eps, stepSize, bc2Sqrt, decay): the wrapper computes the bias corrections. */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 10)) return NULL;
  long lp, lg, lm, lv;
  float *p = arr(&A, 0, "p", 1, 0, &lp);
  const float *g = arr(&A, 1, "g", 1, 0, &lg);
  float *m = arr(&A, 2, "m", 1, 0, &lm);
  float *v = arr(&A, 3, "v", 1, 0, &lv);
  double b1 = num(&A, 4, "beta1"), b2 = num(&A, 5, "beta2"), eps = num(&A, 6, "eps");
  double step = num(&A, 7, "stepSize"), bc2s = num(&A, 8, "bc2Sqrt"), decay = num(&A, 9, "decay");
  if (A.failed) return NULL;
  if (lp == 0) return undef(env);
  if (!need(&A, lg, lp, "g") || !need(&A, lm, lp, "m") || !need(&A, lv, lp, "v")) return NULL;
  k_adamw(p, g, m, v, lp, b1, b2, eps, step, bc2s, decay);
  return undef(env);
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 1)) return NULL;
  long n = integer(&A, 0, "threads");
  if (A.failed) return NULL;
  pool_set_threads(n == 0 ? pool_cpu_count() : (int)n);
  napi_value r;
  napi_create_int32(env, pool_threads(), &r);
  return r;
}

static napi_value js_get_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_int32(env, pool_threads(), &r);
  return r;
}

/* attentionDecode(meta, q, k, v, mask|null, out); meta (Float64Array) = [B, nh, nkv, L, hs, scale, qOff, qsB, qsH,
 * kOff, ksB, ksH, ksL, vOff, vsB, vsH, vsL, maskOff, maskStrideB, outOff]. Every extent is checked. */
static napi_value js_attention_decode(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 6)) return NULL;
  long lm, lq, lk, lv, lmask, lo;
  const double *m = arr64(&A, 0, "meta", &lm);
  const float *q = arr(&A, 1, "q", 1, 0, &lq);
  const float *k = arr(&A, 2, "k", 1, 0, &lk);
  const float *v = arr(&A, 3, "v", 1, 0, &lv);
  const float *mask = arr(&A, 4, "mask", 1, 1, &lmask);
  float *out = arr(&A, 5, "out", 1, 0, &lo);
  if (A.failed) return NULL;
  if (lm < 20) return fail(&A, "meta must have 20 entries"), NULL;
  long iv[20];
  for (int i = 0; i < 20; i++) {
    if (i == 5) continue;
    if (!(m[i] >= 0 && m[i] <= 9007199254740991.0) || m[i] != floor(m[i])) return fail(&A, "attentionDecode: sizes, offsets and strides must be non-negative integers"), NULL;
    iv[i] = (long)m[i];
  }
  attn_decode_args p;
  p.B = iv[0]; p.nh = iv[1]; p.nkv = iv[2]; p.L = iv[3]; p.hs = iv[4]; p.scale = (float)m[5];
  if (p.nkv < 1 || p.nh < 1 || p.hs < 1 || p.nh % p.nkv != 0) return fail(&A, "attentionDecode: need nh a positive multiple of nkv >= 1 and hs >= 1"), NULL;
  double nout = (double)iv[19] + (double)p.B * p.nh * p.hs;
  if (!need(&A, lo, nout, "out")) return NULL;
  if (p.B == 0) return undef(env);
  if (!need(&A, lq, (double)iv[6] + (double)(p.B - 1) * iv[7] + (double)(p.nh - 1) * iv[8] + p.hs, "q")) return NULL;
  if (p.L > 0) {
    if (!need(&A, lk, (double)iv[9] + (double)(p.B - 1) * iv[10] + (double)(p.nkv - 1) * iv[11] + (double)(p.L - 1) * iv[12] + p.hs, "k")) return NULL;
    if (!need(&A, lv, (double)iv[13] + (double)(p.B - 1) * iv[14] + (double)(p.nkv - 1) * iv[15] + (double)(p.L - 1) * iv[16] + p.hs, "v")) return NULL;
    if (mask && !need(&A, lmask, (double)iv[17] + (double)(p.B - 1) * iv[18] + p.L, "mask")) return NULL;
  }
  p.q = q + iv[6]; p.qsB = iv[7]; p.qsH = iv[8];
  p.k = k + iv[9]; p.ksB = iv[10]; p.ksH = iv[11]; p.ksL = iv[12];
  p.v = v + iv[13]; p.vsB = iv[14]; p.vsH = iv[15]; p.vsL = iv[16];
  p.mask = mask ? mask + iv[17] : NULL; p.maskStrideB = iv[18];
  p.out = out + iv[19];
  if (p.L == 0) {
    memset(p.out, 0, (size_t)(p.B * p.nh * p.hs) * sizeof(float));
    return undef(env);
  }
  if (!k_attention_decode(&p)) return fail(&A, "attentionDecode: out of memory"), NULL;
  return undef(env);
}

/* scaledMaskedSoftmax(x, out, rows, cols, scale, mask|null, maskOff, groupRows, maskStrideGroup, period, maskStrideRow) */
static napi_value js_scaled_masked_softmax(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 11)) return NULL;
  long lx, lo, lm;
  const float *x = arr(&A, 0, "x", 1, 0, &lx);
  float *out = arr(&A, 1, "out", 1, 0, &lo);
  long rows = integer(&A, 2, "rows"), cols = integer(&A, 3, "cols");
  double scale = num(&A, 4, "scale");
  const float *mask = arr(&A, 5, "mask", 1, 1, &lm);
  long moff = integer(&A, 6, "maskOff"), groupRows = integer(&A, 7, "groupRows"), sg = integer(&A, 8, "maskStrideGroup");
  long period = integer(&A, 9, "period"), sr = integer(&A, 10, "maskStrideRow");
  if (A.failed) return NULL;
  double n = (double)rows * cols;
  if (n == 0) return undef(env);
  if (!need(&A, lx, n, "x") || !need(&A, lo, n, "out")) return NULL;
  if (mask) {
    if (groupRows < 1 || period < 1) return fail(&A, "scaledMaskedSoftmax: groupRows and period must be >= 1"), NULL;
    long pr = period < rows ? period : rows;
    if (!need(&A, lm, (double)moff + (double)((rows - 1) / groupRows) * sg + (double)(pr - 1) * sr + cols, "mask")) return NULL;
  }
  k_scaled_masked_softmax(x, out, rows, cols, (float)scale, mask ? mask + moff : NULL, groupRows, sg, period, sr);
  return undef(env);
}

/* select(name): "avx512", "avx2" or "portable" kernels (testing aid); returns false when unavailable. */
static napi_value js_select(napi_env env, napi_callback_info info) {
  args_t A;
  if (!get_args(env, info, &A, 1)) return NULL;
  char name[32];
  size_t len;
  if (napi_get_value_string_utf8(env, A.argv[0], name, sizeof name, &len) != napi_ok) return fail(&A, "name must be a string"), NULL;
  /* the non-GEMM kernels have no AVX-512 version: "avx512" pairs the AVX-512 GEMM with the AVX2 rows */
  int ok = gemm_select(name) && rows_select(strcmp(name, "avx512") == 0 ? "avx2" : name);
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, gemm_current()->name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "kernels", v);
  napi_get_boolean(env, cpu_has_avx2_fma(), &v);
  napi_set_named_property(env, o, "avx2", v);
  napi_get_boolean(env, cpu_has_avx512(), &v);
  napi_set_named_property(env, o, "avx512", v);
  napi_create_int32(env, pool_threads(), &v);
  napi_set_named_property(env, o, "threads", v);
  napi_create_int32(env, pool_cpu_count(), &v);
  napi_set_named_property(env, o, "cpus", v);
  const gemm_impl *g = gemm_current();
  char blk[96];
  snprintf(blk, sizeof blk, "mr=%d nr=%d mc=%d kc=%d nc=%d", g->mr, g->nr, g->mc, g->kc, g->nc);
  napi_create_string_utf8(env, blk, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "gemmBlocks", v);
  return o;
}

/* ---- lifetime: environments (main thread, worker threads) and the shared thread pool ----
 * The pool is process-wide and outlives any one environment. Two things keep a terminated worker thread (its
 * environment torn down, maybe mid-kernel) from crashing the process:
 * 1. the library is pinned (RTLD_NODELETE): Node dlclose()s an addon when the environment that loaded it goes
 *    away, and if that was the last reference the code under the still-spinning pool threads would be unmapped
 *    (the SIGSEGV seen in the server when a model worker was terminated);
 * 2. an env cleanup hook frees that thread's scratch and, when the last environment using the addon is torn
 *    down, stops and joins the pool threads (pool_shutdown waits for a job in flight). A kernel itself is never
 *    interrupted: Worker.terminate() only stops JS, so teardown starts after the native call has returned. */
static _Atomic int g_envs = 0;

static void pin_library(void) {
#if !defined(_WIN32) && defined(RTLD_NODELETE)
  static _Atomic int pinned = 0;
  if (atomic_exchange(&pinned, 1)) return;
  Dl_info info;
  if (dladdr((void *)&pin_library, &info) && info.dli_fname) {
    /* RTLD_NOLOAD: only bumps the existing mapping (and its refcount) and marks it never-unload */
    void *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
    (void)h; /* deliberately never closed */
  }
#endif
}

static void env_cleanup(void *arg) {
  (void)arg;
  thread_scratch_free(); /* this environment's thread may be about to exit */
  if (atomic_fetch_sub(&g_envs, 1) == 1) pool_shutdown();
}

NAPI_MODULE_INIT() {
  pin_library();
  if (napi_add_env_cleanup_hook(env, env_cleanup, NULL) == napi_ok) atomic_fetch_add(&g_envs, 1);
  napi_property_descriptor props[] = {
#define FN(name, f) {name, NULL, f, NULL, NULL, NULL, napi_enumerable, NULL}
    FN("gemm", js_gemm),
    FN("packedBSize", js_packed_b_size),
    FN("packB", js_pack_b),
    FN("unary", js_unary),
    FN("unaryBackward", js_unary_bwd),
    FN("binary", js_binary),
    FN("copyStrided", js_copy_strided),
    FN("softmax", js_softmax),
    FN("softmaxBackward", js_softmax_bwd),
    FN("scaledMaskedSoftmax", js_scaled_masked_softmax),
    FN("attentionDecode", js_attention_decode),
    FN("logSoftmax", js_logsoftmax),
    FN("logSoftmaxBackward", js_logsoftmax_bwd),
    FN("layerNorm", js_layernorm),
    FN("layerNormBackward", js_layernorm_bwd),
    FN("rmsNorm", js_rmsnorm),
    FN("rmsNormBackward", js_rmsnorm_bwd),
    FN("sumAxis", js_sum_axis),
    FN("gatherRows", js_gather_rows),
    FN("scatterAddRows", js_scatter_add_rows),
    FN("rope", js_rope),
    FN("adamw", js_adamw),
    FN("setThreads", js_set_threads),
    FN("getThreads", js_get_threads),
    FN("select", js_select),
    FN("info", js_info),
#undef FN
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

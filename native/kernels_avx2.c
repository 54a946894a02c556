/* AVX2/FMA row functions: vector exp (Cephes polynomial, ~1 ulp), tanh, sigmoid, erf-gelu (Numerical Recipes
 * erfc form, fractional error < 1.2e-7, cancellation-free for x < 0), gelu_tanh, silu; softmax and norm rows.
 * Compiled with -mavx2 -mfma only; used only after cpu_has_avx2_fma(). */
#include "kernels.h"
#include <immintrin.h>
#include <math.h>

#define V __m256
#define SET1 _mm256_set1_ps

static inline __m256i tail_mask(long n) {
  static const int m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

static inline V vexp(V x) {
  const V hi = SET1(88.3762626647949f), lo = SET1(-87.3365447504f);
  V xc = _mm256_max_ps(lo, _mm256_min_ps(hi, x)); /* x second: NaN propagates */
  V fx = _mm256_round_ps(_mm256_mul_ps(xc, SET1(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  V r = _mm256_fnmadd_ps(fx, SET1(0.693359375f), xc);
  r = _mm256_fnmadd_ps(fx, SET1(-2.12194440e-4f), r);
  V p = SET1(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, SET1(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, SET1(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, SET1(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, SET1(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, SET1(5.0000001201E-1f));
  V r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, SET1(1.f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  V y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  y = _mm256_blendv_ps(y, SET1(INFINITY), _mm256_cmp_ps(x, SET1(88.7228394f), _CMP_GT_OQ));
  y = _mm256_blendv_ps(y, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
  return y;
}

static inline V vsigmoid(V x) { return _mm256_div_ps(SET1(1.f), _mm256_add_ps(SET1(1.f), vexp(_mm256_sub_ps(_mm256_setzero_ps(), x)))); }

static inline V vtanh(V x) {
  const V sign = SET1(-0.f);
  V ax = _mm256_andnot_ps(sign, x);
  /* |x| >= 0.625: 1 - 2 / (exp(2|x|) + 1), sign restored */
  V e = vexp(_mm256_add_ps(ax, ax));
  V big = _mm256_sub_ps(SET1(1.f), _mm256_div_ps(SET1(2.f), _mm256_add_ps(e, SET1(1.f))));
  big = _mm256_or_ps(big, _mm256_and_ps(sign, x));
  /* |x| < 0.625: Cephes odd polynomial */
  V z = _mm256_mul_ps(x, x);
  V p = SET1(-5.70498872745E-3f);
  p = _mm256_fmadd_ps(p, z, SET1(2.06390887954E-2f));
  p = _mm256_fmadd_ps(p, z, SET1(-5.37397155531E-2f));
  p = _mm256_fmadd_ps(p, z, SET1(1.33314422036E-1f));
  p = _mm256_fmadd_ps(p, z, SET1(-3.33332819422E-1f));
  V small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(ax, SET1(0.625f), _CMP_LT_OQ));
}

/* 1 + erf(x / sqrt 2) = erfc(-x / sqrt 2) by the Numerical Recipes Chebyshev fit (fractional error < 1.2e-7):
 * erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2), z = |x| / sqrt 2. The exponent is formed as -x^2/2 + P
 * with an error-free product and sum (so its float32 rounding, ~1e-6 relative at |x| = 5, is corrected). */
static inline V vone_plus_erf(V x) {
  const V sign = SET1(-0.f);
  V ax = _mm256_andnot_ps(sign, x);
  V z = _mm256_mul_ps(ax, SET1(0.70710678118654752f));
  V t = _mm256_div_ps(SET1(1.f), _mm256_fmadd_ps(SET1(0.5f), z, SET1(1.f)));
  V p = SET1(0.17087277f);
  p = _mm256_fmadd_ps(p, t, SET1(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, SET1(1.48851587f));
  p = _mm256_fmadd_ps(p, t, SET1(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, SET1(0.27886807f));
  p = _mm256_fmadd_ps(p, t, SET1(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, SET1(0.09678418f));
  p = _mm256_fmadd_ps(p, t, SET1(0.37409196f));
  p = _mm256_fmadd_ps(p, t, SET1(1.00002368f));
  p = _mm256_fmadd_ps(p, t, SET1(-1.26551223f));
  V xh = _mm256_mul_ps(SET1(-0.5f), ax);            /* exact */
  V qh = _mm256_mul_ps(xh, ax);                     /* -x^2/2 rounded */
  V ql = _mm256_fmsub_ps(xh, ax, qh);               /* its exact error */
  V s = _mm256_add_ps(qh, p);                       /* 2Sum(qh, p) */
  V bb = _mm256_sub_ps(s, qh);
  V e = _mm256_add_ps(_mm256_sub_ps(qh, _mm256_sub_ps(s, bb)), _mm256_sub_ps(p, bb));
  V corr = _mm256_add_ps(e, ql);
  V y = _mm256_mul_ps(t, vexp(s));
  V r = _mm256_fmadd_ps(y, corr, y);                /* t exp(s) (1 + corr) */
  return _mm256_blendv_ps(_mm256_sub_ps(SET1(2.f), r), r, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

static inline V vgelu(V x) { return _mm256_mul_ps(_mm256_mul_ps(SET1(0.5f), x), vone_plus_erf(x)); }

/* sigmoid(2u) for gelu_tanh, u = sqrt(2/pi) (x + 0.044715 x^3): 0.5 (1 + tanh u) = sigmoid(2u). The exponent
 * -2u is formed in double and split into float hi + lo, so exp sees it without float32 rounding error
 * (which would be ~1e-6 relative at |x| = 5). */
static inline V vgelu_tanh_sig(V x) {
  const __m256d k1 = _mm256_set1_pd(-2 * 0.79788456080286535588), k2 = _mm256_set1_pd(-2 * 0.79788456080286535588 * 0.044715);
  __m256d x0 = _mm256_cvtps_pd(_mm256_castps256_ps128(x)), x1 = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
  __m256d a0 = _mm256_mul_pd(x0, _mm256_fmadd_pd(k2, _mm256_mul_pd(x0, x0), k1));
  __m256d a1 = _mm256_mul_pd(x1, _mm256_fmadd_pd(k2, _mm256_mul_pd(x1, x1), k1));
  __m128 h0 = _mm256_cvtpd_ps(a0), h1 = _mm256_cvtpd_ps(a1);
  __m128 l0 = _mm256_cvtpd_ps(_mm256_sub_pd(a0, _mm256_cvtps_pd(h0)));
  __m128 l1 = _mm256_cvtpd_ps(_mm256_sub_pd(a1, _mm256_cvtps_pd(h1)));
  V hi = _mm256_set_m128(h1, h0), lo = _mm256_set_m128(l1, l0);
  V e = vexp(hi);
  e = _mm256_fmadd_ps(e, lo, e);
  return _mm256_div_ps(SET1(1.f), _mm256_add_ps(SET1(1.f), e));
}

static inline V vunary(int op, V x) {
  switch (op) {
    case U_NEG: return _mm256_xor_ps(x, SET1(-0.f));
    case U_EXP: return vexp(x);
    case U_SQRT: return _mm256_sqrt_ps(x);
    case U_RSQRT: return _mm256_div_ps(SET1(1.f), _mm256_sqrt_ps(x));
    case U_TANH: return vtanh(x);
    case U_SIGMOID: return vsigmoid(x);
    case U_RELU: return _mm256_and_ps(x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
    case U_GELU: return vgelu(x);
    case U_GELU_TANH: return _mm256_mul_ps(x, vgelu_tanh_sig(x)); /* 0.5x(1+tanh u) = x sigmoid(2u) */
    case U_SILU: return _mm256_mul_ps(x, vsigmoid(x));
    case U_ABS: return _mm256_andnot_ps(SET1(-0.f), x);
    case U_SQUARE: return _mm256_mul_ps(x, x);
  }
  return x;
}

static int x_unary(int op, const float *x, float *out, long n) {
  if (op == U_LOG || op < 0 || op >= U_COUNT) return 0;
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, vunary(op, _mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(out + i, m, vunary(op, _mm256_maskload_ps(x + i, m)));
  }
  return 1;
}

static inline V vderiv(int op, V x) {
  const V one = SET1(1.f);
  switch (op) {
    case U_GELU: {
      V pdf = _mm256_mul_ps(vexp(_mm256_mul_ps(SET1(-0.5f), _mm256_mul_ps(x, x))), SET1(0.3989422804014327f));
      return _mm256_fmadd_ps(SET1(0.5f), vone_plus_erf(x), _mm256_mul_ps(x, pdf));
    }
    case U_GELU_TANH: {
      /* s = sigmoid(2u): 0.5(1+th) = s, 1-th^2 = 4 s (1-s) => d = s + 2 x s (1-s) c (1 + 3*0.044715 x^2) */
      V s = vgelu_tanh_sig(x);
      V du = _mm256_mul_ps(SET1(0.79788456080286535588f), _mm256_fmadd_ps(SET1(3 * 0.044715f), _mm256_mul_ps(x, x), one));
      V t = _mm256_mul_ps(_mm256_mul_ps(SET1(2.f), x), _mm256_mul_ps(s, _mm256_sub_ps(one, s)));
      return _mm256_fmadd_ps(t, du, s);
    }
    case U_SILU: {
      V s = vsigmoid(x);
      return _mm256_mul_ps(s, _mm256_fmadd_ps(x, _mm256_sub_ps(one, s), one));
    }
    case U_TANH: { /* 1 - tanh^2 = 4e / (1 + e)^2, e = exp(-2|x|): no cancellation for large |x| */
      V ax = _mm256_andnot_ps(SET1(-0.f), x);
      V e = vexp(_mm256_mul_ps(SET1(-2.f), ax));
      V d = _mm256_add_ps(one, e);
      return _mm256_div_ps(_mm256_mul_ps(SET1(4.f), e), _mm256_mul_ps(d, d));
    }
    case U_SIGMOID: { V s = vsigmoid(x); return _mm256_mul_ps(s, _mm256_sub_ps(one, s)); }
    case U_RELU: return _mm256_and_ps(one, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
    case U_EXP: return vexp(x);
    case U_SQUARE: return _mm256_add_ps(x, x);
    case U_NEG: return SET1(-1.f);
  }
  return x;
}

static int x_unary_bwd(int op, const float *x, const float *dy, float *dx, long n) {
  switch (op) {
    case U_GELU: case U_GELU_TANH: case U_SILU: case U_TANH: case U_SIGMOID: case U_RELU: case U_EXP: case U_SQUARE: case U_NEG: break;
    default: return 0;
  }
  long i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(dy + i), vderiv(op, _mm256_loadu_ps(x + i))));
  if (i < n) {
    __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(dx + i, m, _mm256_mul_ps(_mm256_maskload_ps(dy + i, m), vderiv(op, _mm256_maskload_ps(x + i, m))));
  }
  return 1;
}

static inline float hsum(V v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float hmax(V v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline double hsumd(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

static float x_rowmax(const float *x, long n) {
  V m0 = SET1(-INFINITY), m1 = m0;
  long j = 0;
  for (; j + 16 <= n; j += 16) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + j));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + j + 8));
  }
  float mx = hmax(_mm256_max_ps(m0, m1));
  for (; j < n; j++) if (x[j] > mx) mx = x[j];
  return mx;
}

static void x_softmax_row(const float *x, float *out, long n) {
  float mx = x_rowmax(x, n);
  if (mx == -INFINITY) mx = 0;
  V vm = SET1(mx), s0 = _mm256_setzero_ps(), s1 = s0;
  long j = 0;
  for (; j + 16 <= n; j += 16) {
    V e0 = vexp(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm)), e1 = vexp(_mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm));
    _mm256_storeu_ps(out + j, e0);
    _mm256_storeu_ps(out + j + 8, e1);
    s0 = _mm256_add_ps(s0, e0);
    s1 = _mm256_add_ps(s1, e1);
  }
  for (; j < n; j += 8) {
    __m256i m = tail_mask(n - j < 8 ? n - j : 8);
    V e = _mm256_and_ps(vexp(_mm256_sub_ps(_mm256_maskload_ps(x + j, m), vm)), _mm256_castsi256_ps(m));
    _mm256_maskstore_ps(out + j, m, e);
    s0 = _mm256_add_ps(s0, e);
  }
  float s = hsum(_mm256_add_ps(s0, s1));
  V inv = SET1(s > 0 ? 1.f / s : 0.f);
  for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, _mm256_mul_ps(_mm256_loadu_ps(out + j), inv));
  for (; j < n; j++) out[j] *= inv[0];
}

static void x_logsoftmax_row(const float *x, float *out, long n) {
  float mx = x_rowmax(x, n);
  V vm = SET1(mx), s0 = _mm256_setzero_ps();
  long j = 0;
  for (; j + 8 <= n; j += 8) s0 = _mm256_add_ps(s0, vexp(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm)));
  float s = hsum(s0);
  for (; j < n; j++) s += expf(x[j] - mx);
  float lse = (float)(mx + log((double)s));
  V vl = SET1(lse);
  for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(out + j, _mm256_sub_ps(_mm256_loadu_ps(x + j), vl));
  for (; j < n; j++) out[j] = x[j] - lse;
}

/* LayerNorm row: mean and variance accumulated in double (two passes), output in float with FMA. */
static void x_layernorm_row(const float *x, const float *w, const float *b, float *out, float *mean, float *rstd, long n, float eps) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0;
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    V v = _mm256_loadu_ps(x + j);
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  double s = hsumd(_mm256_add_pd(a0, a1));
  for (; j < n; j++) s += x[j];
  double m = s / n;
  __m256d vm = _mm256_set1_pd(m);
  a0 = _mm256_setzero_pd(); a1 = a0;
  for (j = 0; j + 8 <= n; j += 8) {
    V v = _mm256_loadu_ps(x + j);
    __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), vm);
    __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), vm);
    a0 = _mm256_fmadd_pd(d0, d0, a0);
    a1 = _mm256_fmadd_pd(d1, d1, a1);
  }
  double v2 = hsumd(_mm256_add_pd(a0, a1));
  for (; j < n; j++) { double d = x[j] - m; v2 += d * d; }
  double rs = 1 / sqrt(v2 / n + eps);
  *mean = (float)m;
  *rstd = (float)rs;
  /* y = x*rs - m*rs (then * w + b) */
  V vr = SET1((float)rs), vshift = SET1((float)(-m * rs));
  for (j = 0; j + 8 <= n; j += 8) {
    V y = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), vr, vshift);
    if (w) y = _mm256_mul_ps(y, _mm256_loadu_ps(w + j));
    if (b) y = _mm256_add_ps(y, _mm256_loadu_ps(b + j));
    _mm256_storeu_ps(out + j, y);
  }
  for (; j < n; j++) {
    double y = (x[j] - m) * rs;
    if (w) y *= w[j];
    if (b) y += b[j];
    out[j] = (float)y;
  }
}

static void x_rmsnorm_row(const float *x, const float *w, float *out, float *rstd, long n, float eps) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0;
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    V v = _mm256_loadu_ps(x + j);
    __m256d d0 = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), d1 = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    a0 = _mm256_fmadd_pd(d0, d0, a0);
    a1 = _mm256_fmadd_pd(d1, d1, a1);
  }
  double ss = hsumd(_mm256_add_pd(a0, a1));
  for (; j < n; j++) ss += (double)x[j] * x[j];
  double rs = 1 / sqrt(ss / n + eps);
  *rstd = (float)rs;
  V vr = SET1((float)rs);
  for (j = 0; j + 8 <= n; j += 8) {
    V y = _mm256_mul_ps(_mm256_loadu_ps(x + j), vr);
    if (w) y = _mm256_mul_ps(y, _mm256_loadu_ps(w + j));
    _mm256_storeu_ps(out + j, y);
  }
  for (; j < n; j++) out[j] = (float)(x[j] * rs * (w ? w[j] : 1.0));
}

static float x_dot(const float *a, const float *b, long n) {
  V s0 = _mm256_setzero_ps(), s1 = s0;
  long j = 0;
  for (; j + 16 <= n; j += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), s1);
  }
  float s = hsum(_mm256_add_ps(s0, s1));
  for (; j < n; j++) s += a[j] * b[j];
  return s;
}

static float x_sum(const float *a, long n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0;
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    V v = _mm256_loadu_ps(a + j);
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  double s = hsumd(_mm256_add_pd(a0, a1));
  for (; j < n; j++) s += a[j];
  return (float)s;
}

const row_impl rows_avx2 = {x_unary, x_unary_bwd, x_softmax_row, x_logsoftmax_row, x_layernorm_row, x_rmsnorm_row, x_dot, x_sum};

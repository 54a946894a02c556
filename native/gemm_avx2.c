/* AVX2/FMA pieces of the GEMM: 6x16 micro-kernel (12 ymm accumulators), vectorised packing (8x8 transposes
 * for the transposed operands) and bandwidth-bound GEMV kernels. Compiled with -mavx2 -mfma only; called
 * only after cpu_has_avx2_fma(). */
#include "gemm.h"
#include <immintrin.h>

#define MR 6
#define NR 16

void pack_a_generic(const float *a, long lda, int transA, long i0, long k0, int mc, int kc, int mr, float *dst);
void pack_b_generic(const float *b, long ldb, int transB, long k0, long j0, int kc, int nc, int nr, float *dst);

static inline void tr8x8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Panels are packed in increasing address order; full-panel packers may write up to 2 floats past a panel
 * (overlapping 8-wide stores of 6 values), which the next panel or the scratch slack absorbs. */
static void x_pack_a(const float *a, long lda, int transA, long i0, long k0, int mc, int kc, float *dst) {
  int p = 0;
  const __m256i m6 = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  for (; p + MR <= mc; p += MR) {
    float *d = dst + (long)p * kc;
    if (transA) {
      const float *src = a + k0 * lda + i0 + p;
      for (int k = 0; k < kc; k++) _mm256_storeu_ps(d + k * MR, _mm256_maskload_ps(src + k * lda, m6));
    } else {
      const float *src = a + (i0 + p) * lda + k0;
      int k = 0;
      for (; k + 8 <= kc; k += 8) {
        __m256 r[8];
        for (int i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(src + i * lda + k);
        r[6] = r[7] = _mm256_setzero_ps();
        tr8x8(r);
        for (int kk = 0; kk < 8; kk++) _mm256_storeu_ps(d + (k + kk) * MR, r[kk]);
      }
      for (; k < kc; k++)
        for (int i = 0; i < MR; i++) d[k * MR + i] = src[i * lda + k];
    }
  }
  if (p < mc) pack_a_generic(a, lda, transA, i0 + p, k0, mc - p, kc, MR, dst + (long)p * kc);
}

static void x_pack_b(const float *b, long ldb, int transB, long k0, long j0, int kc, int nc, float *dst) {
  int q = 0;
  for (; q + NR <= nc; q += NR) {
    float *d = dst + (long)q * kc;
    if (!transB) {
      const float *src = b + k0 * ldb + j0 + q;
      for (int k = 0; k < kc; k++) {
        _mm256_store_ps(d + k * NR, _mm256_loadu_ps(src + k * ldb));
        _mm256_store_ps(d + k * NR + 8, _mm256_loadu_ps(src + k * ldb + 8));
      }
    } else {
      const float *src = b + (j0 + q) * ldb + k0;
      /* 8 rows of B at a time, each read start to end: sequential streams for the hardware prefetchers */
      int k8 = kc & ~7;
      for (int h = 0; h < 2; h++) {
        const float *s8 = src + (long)h * 8 * ldb;
        for (int k = 0; k < k8; k += 8) {
          __m256 r[8];
          for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(s8 + i * ldb + k);
          tr8x8(r);
          for (int kk = 0; kk < 8; kk++) _mm256_store_ps(d + (k + kk) * NR + h * 8, r[kk]);
        }
      }
      for (int k = k8; k < kc; k++)
        for (int c = 0; c < NR; c++) d[k * NR + c] = src[c * ldb + k];
    }
  }
  if (q < nc) pack_b_generic(b, ldb, transB, k0, j0 + q, kc, nc - q, NR, dst + (long)q * kc);
}

static void x_kernel(long kc, const float *pa, const float *pb, float *c, long ldc, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int i = 0; i < MR; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0), _mm_prefetch((const char *)(c + i * ldc + 15), _MM_HINT_T0);
#define STEP(off)                                                             \
  {                                                                           \
    __m256 b0 = _mm256_load_ps(pb + (off) * NR), b1 = _mm256_load_ps(pb + (off) * NR + 8); \
    __m256 a;                                                                 \
    a = _mm256_broadcast_ss(pa + (off) * MR + 0); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01); \
    a = _mm256_broadcast_ss(pa + (off) * MR + 1); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11); \
    a = _mm256_broadcast_ss(pa + (off) * MR + 2); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21); \
    a = _mm256_broadcast_ss(pa + (off) * MR + 3); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31); \
    a = _mm256_broadcast_ss(pa + (off) * MR + 4); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41); \
    a = _mm256_broadcast_ss(pa + (off) * MR + 5); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51); \
  }
  long k = 0;
  for (; k + 4 <= kc; k += 4) {
    _mm_prefetch((const char *)(pa + 4 * MR * 8), _MM_HINT_T0);
    STEP(0) STEP(1) STEP(2) STEP(3)
    pa += 4 * MR;
    pb += 4 * NR;
  }
  for (; k < kc; k++) {
    STEP(0)
    pa += MR;
    pb += NR;
  }
#undef STEP
  __m256 va = _mm256_set1_ps(alpha);
#define OUT(i, r0, r1)                                                                                   \
  {                                                                                                      \
    float *ci = c + (i) * ldc;                                                                           \
    if (beta == 0.f) {                                                                                   \
      _mm256_storeu_ps(ci, _mm256_mul_ps(va, r0));                                                       \
      _mm256_storeu_ps(ci + 8, _mm256_mul_ps(va, r1));                                                   \
    } else {                                                                                             \
      __m256 vb = _mm256_set1_ps(beta);                                                                  \
      _mm256_storeu_ps(ci, _mm256_fmadd_ps(va, r0, _mm256_mul_ps(vb, _mm256_loadu_ps(ci))));             \
      _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(va, r1, _mm256_mul_ps(vb, _mm256_loadu_ps(ci + 8))));     \
    }                                                                                                    \
  }
  OUT(0, c00, c01) OUT(1, c10, c11) OUT(2, c20, c21) OUT(3, c30, c31) OUT(4, c40, c41) OUT(5, c50, c51)
#undef OUT
}

static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static inline __m256i tail_mask(long n) { /* first n (0..8) lanes */
  static const int m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

static inline float fin(float s, float *y, float alpha, float beta) {
  return beta == 0.f ? alpha * s : alpha * s + beta * *y;
}

/* y[j] = alpha * dot(x, W[j, :]) + beta * y[j]: 4 rows at a time, 2 accumulators per row. */
void avx2_gemv_t(const float *x, const float *w, long ldw, long K, long j0, long j1, float *y, long incy, float alpha, float beta) {
  long j = j0;
  long kt = K & ~15L;
  __m256i tm = tail_mask(K & 7);
  for (; j + 4 <= j1; j += 4) {
    const float *w0 = w + j * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    long k = 0;
    for (; k < kt; k += 16) {
      __m256 x0 = _mm256_loadu_ps(x + k), x1 = _mm256_loadu_ps(x + k + 8);
      a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w0 + k), a0); b0 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(w0 + k + 8), b0);
      a1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w1 + k), a1); b1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(w1 + k + 8), b1);
      a2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w2 + k), a2); b2 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(w2 + k + 8), b2);
      a3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w3 + k), a3); b3 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(w3 + k + 8), b3);
    }
    for (; k + 8 <= K; k += 8) {
      __m256 x0 = _mm256_loadu_ps(x + k);
      a0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w0 + k), a0);
      a1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w1 + k), a1);
      a2 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w2 + k), a2);
      a3 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(w3 + k), a3);
    }
    if (k < K) {
      __m256 x0 = _mm256_maskload_ps(x + k, tm);
      b0 = _mm256_fmadd_ps(x0, _mm256_maskload_ps(w0 + k, tm), b0);
      b1 = _mm256_fmadd_ps(x0, _mm256_maskload_ps(w1 + k, tm), b1);
      b2 = _mm256_fmadd_ps(x0, _mm256_maskload_ps(w2 + k, tm), b2);
      b3 = _mm256_fmadd_ps(x0, _mm256_maskload_ps(w3 + k, tm), b3);
    }
    a0 = _mm256_add_ps(a0, b0); a1 = _mm256_add_ps(a1, b1); a2 = _mm256_add_ps(a2, b2); a3 = _mm256_add_ps(a3, b3);
    /* horizontal sums of 4 vectors at once */
    __m256 h01 = _mm256_hadd_ps(a0, a1), h23 = _mm256_hadd_ps(a2, a3);
    __m256 h = _mm256_hadd_ps(h01, h23); /* lanes: s0lo s1lo s2lo s3lo | s0hi s1hi s2hi s3hi */
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    float out[4];
    _mm_storeu_ps(out, s);
    for (int r = 0; r < 4; r++) y[(j + r) * incy] = fin(out[r], y + (j + r) * incy, alpha, beta);
  }
  for (; j < j1; j++) {
    const float *w0 = w + j * ldw;
    __m256 a0 = _mm256_setzero_ps();
    long k = 0;
    for (; k + 8 <= K; k += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(w0 + k), a0);
    if (k < K) a0 = _mm256_fmadd_ps(_mm256_maskload_ps(x + k, tm), _mm256_maskload_ps(w0 + k, tm), a0);
    y[j * incy] = fin(hsum8(a0), y + j * incy, alpha, beta);
  }
}

/* y[j] = alpha * sum_k x[k] B[k, j] + beta * y[j]: column blocks of 64 held in 8 accumulators over all k. */
void avx2_gemv_n(const float *x, const float *b, long ldb, long K, long j0, long j1, float *y, long incy, float alpha, float beta) {
  long j = j0;
  for (; j + 64 <= j1; j += 64) {
    __m256 a[8];
    for (int i = 0; i < 8; i++) a[i] = _mm256_setzero_ps();
    const float *bk = b + j;
    long k = 0;
    for (; k + 2 <= K; k += 2, bk += 2 * ldb) {
      __m256 x0 = _mm256_broadcast_ss(x + k), x1 = _mm256_broadcast_ss(x + k + 1);
      for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(bk + 8 * i), a[i]);
      for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(x1, _mm256_loadu_ps(bk + ldb + 8 * i), a[i]);
    }
    if (k < K) {
      __m256 x0 = _mm256_broadcast_ss(x + k);
      for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(bk + 8 * i), a[i]);
    }
    float out[64];
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + 8 * i, a[i]);
    for (int t = 0; t < 64; t++) y[(j + t) * incy] = fin(out[t], y + (j + t) * incy, alpha, beta);
  }
  if (j < j1) { /* tail of up to 63 columns: up to 8 accumulators, the last one masked */
    long w = j1 - j;
    int nv = (int)((w + 7) / 8);
    __m256i tm = tail_mask(w - 8 * (nv - 1));
    __m256 a[8];
    for (int i = 0; i < 8; i++) a[i] = _mm256_setzero_ps();
    const float *bk = b + j;
    for (long k = 0; k < K; k++, bk += ldb) {
      __m256 x0 = _mm256_broadcast_ss(x + k);
      for (int i = 0; i < nv - 1; i++) a[i] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(bk + 8 * i), a[i]);
      a[nv - 1] = _mm256_fmadd_ps(x0, _mm256_maskload_ps(bk + 8 * (nv - 1), tm), a[nv - 1]);
    }
    float out[64];
    for (int i = 0; i < nv; i++) _mm256_storeu_ps(out + 8 * i, a[i]);
    for (long t = 0; t < w; t++) y[(j + t) * incy] = fin(out[t], y + (j + t) * incy, alpha, beta);
  }
}

/* acc[0, w) = sum_{k in [k0, k1)} x[k] * B[k, j0 + j]: four rows of B per pass, each read as one contiguous run
 * of w floats (the hardware prefetcher follows four sequential streams; no page-crossing stride per 64 columns
 * as in avx2_gemv_n), summed into the L1-resident acc. */
void avx2_gemv_n_band(const float *x, const float *b, long ldb, long k0, long k1, long j0, long w, float *acc) {
  long wv = w & ~15L, rem = w - wv;
  __m256i tm0 = tail_mask(rem > 8 ? 8 : rem), tm1 = tail_mask(rem > 8 ? rem - 8 : 0);
  for (long j = 0; j < w; j++) acc[j] = 0.f;
  long k = k0;
  for (; k + 4 <= k1; k += 4) {
    const float *b0 = b + k * ldb + j0, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    __m256 x0 = _mm256_broadcast_ss(x + k), x1 = _mm256_broadcast_ss(x + k + 1);
    __m256 x2 = _mm256_broadcast_ss(x + k + 2), x3 = _mm256_broadcast_ss(x + k + 3);
    long j = 0;
    for (; j < wv; j += 16) {
      __m256 p0 = _mm256_mul_ps(x0, _mm256_loadu_ps(b0 + j)), p1 = _mm256_mul_ps(x0, _mm256_loadu_ps(b0 + j + 8));
      p0 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b1 + j), p0); p1 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b1 + j + 8), p1);
      p0 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(b2 + j), p0); p1 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(b2 + j + 8), p1);
      p0 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(b3 + j), p0); p1 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(b3 + j + 8), p1);
      _mm256_store_ps(acc + j, _mm256_add_ps(_mm256_load_ps(acc + j), p0));
      _mm256_store_ps(acc + j + 8, _mm256_add_ps(_mm256_load_ps(acc + j + 8), p1));
    }
    if (rem) {
      __m256 a0 = _mm256_maskload_ps(acc + j, tm0), a1 = _mm256_maskload_ps(acc + j + 8, tm1);
      a0 = _mm256_fmadd_ps(x0, _mm256_maskload_ps(b0 + j, tm0), a0); a1 = _mm256_fmadd_ps(x0, _mm256_maskload_ps(b0 + j + 8, tm1), a1);
      a0 = _mm256_fmadd_ps(x1, _mm256_maskload_ps(b1 + j, tm0), a0); a1 = _mm256_fmadd_ps(x1, _mm256_maskload_ps(b1 + j + 8, tm1), a1);
      a0 = _mm256_fmadd_ps(x2, _mm256_maskload_ps(b2 + j, tm0), a0); a1 = _mm256_fmadd_ps(x2, _mm256_maskload_ps(b2 + j + 8, tm1), a1);
      a0 = _mm256_fmadd_ps(x3, _mm256_maskload_ps(b3 + j, tm0), a0); a1 = _mm256_fmadd_ps(x3, _mm256_maskload_ps(b3 + j + 8, tm1), a1);
      _mm256_maskstore_ps(acc + j, tm0, a0); _mm256_maskstore_ps(acc + j + 8, tm1, a1);
    }
  }
  for (; k < k1; k++) {
    const float *b0 = b + k * ldb + j0;
    __m256 x0 = _mm256_broadcast_ss(x + k);
    long j = 0;
    for (; j + 8 <= w; j += 8) _mm256_store_ps(acc + j, _mm256_fmadd_ps(x0, _mm256_loadu_ps(b0 + j), _mm256_load_ps(acc + j)));
    for (; j < w; j++) acc[j] += x[k] * b0[j];
  }
}

const gemm_impl gemm_avx2 = {"avx2", MR, NR, 144, 384, 4096, x_pack_a, x_pack_b, x_kernel, avx2_gemv_t, avx2_gemv_n, avx2_gemv_n_band};

/* AVX-512F pieces of the GEMM: 12x32 micro-kernel (24 zmm accumulators) and packing for it. Compiled with
 * -mavx512f -mavx2 -mfma only; used only after cpu_has_avx512() (x86 with AVX-512F, e.g. Zen 4/5, Ice Lake+).
 * The GEMV kernels are the AVX2 ones: GEMV is bound by memory bandwidth, not by vector width. */
#include "gemm.h"
#include <immintrin.h>

#define MR 12
#define NR 32

void pack_a_generic(const float *a, long lda, int transA, long i0, long k0, int mc, int kc, int mr, float *dst);
void pack_b_generic(const float *b, long ldb, int transB, long k0, long j0, int kc, int nc, int nr, float *dst);
void avx2_gemv_t(const float *x, const float *w, long ldw, long K, long j0, long j1, float *y, long incy, float alpha, float beta);
void avx2_gemv_n(const float *x, const float *b, long ldb, long K, long j0, long j1, float *y, long incy, float alpha, float beta);
void avx2_gemv_n_band(const float *x, const float *b, long ldb, long k0, long k1, long j0, long w, float *acc);

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

static void z_pack_a(const float *a, long lda, int transA, long i0, long k0, int mc, int kc, float *dst) {
  int p = 0;
  for (; p + MR <= mc; p += MR) {
    float *d = dst + (long)p * kc;
    if (transA) {
      const float *src = a + k0 * lda + i0 + p;
      for (int k = 0; k < kc; k++) {
        _mm256_storeu_ps(d + k * MR, _mm256_loadu_ps(src + k * lda));
        _mm_storeu_ps(d + k * MR + 8, _mm_loadu_ps(src + k * lda + 8));
      }
    } else {
      const float *src = a + (i0 + p) * lda + k0;
      int k = 0;
      for (; k + 8 <= kc; k += 8) {
        __m256 r[8], q[8];
        for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lda + k);
        for (int i = 0; i < 4; i++) q[i] = _mm256_loadu_ps(src + (8 + i) * lda + k);
        q[4] = q[5] = q[6] = q[7] = _mm256_setzero_ps();
        tr8x8(r);
        tr8x8(q);
        for (int kk = 0; kk < 8; kk++) {
          _mm256_storeu_ps(d + (k + kk) * MR, r[kk]);
          _mm_storeu_ps(d + (k + kk) * MR + 8, _mm256_castps256_ps128(q[kk]));
        }
      }
      for (; k < kc; k++)
        for (int i = 0; i < MR; i++) d[k * MR + i] = src[i * lda + k];
    }
  }
  if (p < mc) pack_a_generic(a, lda, transA, i0 + p, k0, mc - p, kc, MR, dst + (long)p * kc);
}

static void z_pack_b(const float *b, long ldb, int transB, long k0, long j0, int kc, int nc, float *dst) {
  int q = 0;
  for (; q + NR <= nc; q += NR) {
    float *d = dst + (long)q * kc;
    if (!transB) {
      const float *src = b + k0 * ldb + j0 + q;
      for (int k = 0; k < kc; k++) {
        _mm512_store_ps(d + k * NR, _mm512_loadu_ps(src + k * ldb));
        _mm512_store_ps(d + k * NR + 16, _mm512_loadu_ps(src + k * ldb + 16));
      }
    } else {
      const float *src = b + (j0 + q) * ldb + k0;
      /* 8 rows of B at a time, each read start to end: 8 sequential streams, which the hardware prefetchers
       * follow (interleaving all 32 rows per k step made 32 streams and left the pack latency-bound) */
      int k8 = kc & ~7;
      for (int h = 0; h < 4; h++) {
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

static void z_kernel(long kc, const float *pa, const float *pb, float *c, long ldc, float alpha, float beta) {
  __m512 c0[MR], c1[MR];
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
  for (int i = 0; i < MR; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0), _mm_prefetch((const char *)(c + i * ldc + 31), _MM_HINT_T0);
  for (long k = 0; k < kc; k++) {
    __m512 b0 = _mm512_load_ps(pb), b1 = _mm512_load_ps(pb + 16);
    _mm_prefetch((const char *)(pa + 8 * MR), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      __m512 a = _mm512_set1_ps(pa[i]);
      c0[i] = _mm512_fmadd_ps(a, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(a, b1, c1[i]);
    }
    pa += MR;
    pb += NR;
  }
  __m512 va = _mm512_set1_ps(alpha);
  if (beta == 0.f) {
    for (int i = 0; i < MR; i++) {
      _mm512_storeu_ps(c + i * ldc, _mm512_mul_ps(va, c0[i]));
      _mm512_storeu_ps(c + i * ldc + 16, _mm512_mul_ps(va, c1[i]));
    }
  } else {
    __m512 vb = _mm512_set1_ps(beta);
    for (int i = 0; i < MR; i++) {
      float *ci = c + i * ldc;
      _mm512_storeu_ps(ci, _mm512_fmadd_ps(va, c0[i], _mm512_mul_ps(vb, _mm512_loadu_ps(ci))));
      _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(va, c1[i], _mm512_mul_ps(vb, _mm512_loadu_ps(ci + 16))));
    }
  }
}

const gemm_impl gemm_avx512 = {"avx512", MR, NR, 144, 256, 4096, z_pack_a, z_pack_b, z_kernel, avx2_gemv_t, avx2_gemv_n, avx2_gemv_n_band};

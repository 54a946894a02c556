/* SGEMM / SGEMV for the native back end: strided, batched C = alpha*op(A)*op(B) + beta*C (see GemmArgs in
 * src/tensor/backend/backend.ts). GotoBLAS/BLIS structure: B packed into KCxNR panels, A into MRxKC panels,
 * a register-blocked micro-kernel, cache blocking MC/KC/NC, threads over independent tiles of C.
 * gemm.c holds the driver and the portable path; gemm_avx2.c the AVX2/FMA kernels and gemm_avx512.c the
 * AVX-512 micro-kernel (chosen at run time). */
#ifndef BERTCHAT_GEMM_H
#define BERTCHAT_GEMM_H
#include <stddef.h>

typedef struct {
  int transA, transB;
  long M, N, K;
  float alpha, beta;
  const float *a; long lda, strideA;
  const float *b; long ldb, strideB;
  float *c; long ldc, strideC;
  long batch;
  /* op(B) packed whole by gemm_pack_b_whole (NULL: packed per call). Used by the GEMM path of batch-1 (or
   * shared-B) products; GEMV ignores it and reads b. */
  const float *packed_b;
} gemm_args;

/* One implementation of the inner pieces; the driver is shared. */
typedef struct gemm_impl {
  const char *name;
  int mr, nr;        /* micro-tile */
  int mc, kc, nc;    /* cache blocks (mc multiple of mr, nc multiple of nr) */
  /* op(A)[i0:i0+mc, k0:k0+kc] -> panels of mr rows: panel p at dst + p*mr*kc, (r, k) at [k*mr + r]; zero-padded. */
  void (*pack_a)(const float *a, long lda, int transA, long i0, long k0, int mc, int kc, float *dst);
  /* op(B)[k0:k0+kc, j0:j0+nc] -> panels of nr cols: panel q at dst + q*nr*kc, (k, c) at [k*nr + c]; zero-padded. */
  void (*pack_b)(const float *b, long ldb, int transB, long k0, long j0, int kc, int nc, float *dst);
  /* Full mr x nr tile: C = alpha*Ap*Bp + beta*C (beta == 0: C is write-only). */
  void (*kernel)(long kc, const float *pa, const float *pb, float *c, long ldc, float alpha, float beta);
  /* y[j*incy] = alpha * dot(x, W[j, :K]) + beta*y, j in [j0, j1); W rows of stride ldw. */
  void (*gemv_t)(const float *x, const float *w, long ldw, long K, long j0, long j1, float *y, long incy, float alpha, float beta);
  /* y[j*incy] = alpha * sum_k x[k] * B[k, j] + beta*y, j in [j0, j1); B rows of stride ldb. */
  void (*gemv_n)(const float *x, const float *b, long ldb, long K, long j0, long j1, float *y, long incy, float alpha, float beta);
  /* acc[j] = sum_{k in [k0, k1)} x[k] * B[k, j0 + j] for j in [0, w): a band of rows of B streamed row by row
   * (4 rows per pass, contiguous runs of w floats), acc 64-byte aligned and small enough for L1. */
  void (*gemv_n_band)(const float *x, const float *b, long ldb, long k0, long k1, long j0, long w, float *acc);
} gemm_impl;

extern const gemm_impl gemm_portable;
#if defined(BERTCHAT_X86)
extern const gemm_impl gemm_avx2;
extern const gemm_impl gemm_avx512;
#endif

/* The implementation in use (AVX-512 when the CPU has it, else AVX2 with FMA, else portable). */
const gemm_impl *gemm_current(void);
/* Forces one by name ("avx512", "avx2", "portable"); returns 0 when unknown or unsupported. */
int gemm_select(const char *name);

void sgemm(const gemm_args *p, int nthreads);

/* Pre-packed weights: op(B) (K x N) packed once in the layout the GEMM driver packs per call, so products with a
 * constant B (a model's weights at inference) skip that work. The buffer is caller-owned float storage of at
 * least gemm_packed_b_floats(K, N); a small header records the kernel set and sizes, and the data starts at the
 * first 64-byte boundary after it. */
long gemm_packed_b_floats(long K, long N);
void gemm_pack_b_whole(const float *b, long ldb, int transB, long K, long N, float *buf);
/* The packed data inside buf when it was packed for (K, N) by the kernel set in use, else NULL. */
const float *gemm_packed_b_data(const float *buf, long buf_len, long K, long N);

/* Aligned scratch owned by the calling thread (slot 0..SCRATCH_SLOTS-1), grown on demand; NULL on allocation failure. */
#define SCRATCH_SLOTS 6
float *thread_scratch(int slot, size_t floats);
/* Frees the calling thread's scratch (thread exit, env teardown). */
void thread_scratch_free(void);

#endif

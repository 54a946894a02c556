/* GEMM driver (blocking, packing, threads, GEMV routing) and the portable C kernels; see gemm.h. */
#include "gemm.h"
#include "threadpool.h"
#include "cpu.h"
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdint.h>

/* ---------- per-thread scratch ---------- */
static _Thread_local float *t_buf[SCRATCH_SLOTS];
static _Thread_local size_t t_cap[SCRATCH_SLOTS];

float *thread_scratch(int slot, size_t floats) {
  if (floats > t_cap[slot]) {
    free(t_buf[slot]);
    t_buf[slot] = NULL;
    t_cap[slot] = 0;
    size_t want = floats + 64; /* slack: vector packers may write up to 16 floats past a panel */
    void *p = NULL;
    if (posix_memalign(&p, 64, want * sizeof(float)) != 0) return NULL;
    t_buf[slot] = (float *)p;
    t_cap[slot] = floats;
  }
  return t_buf[slot];
}

void thread_scratch_free(void) {
  for (int i = 0; i < SCRATCH_SLOTS; i++) {
    free(t_buf[i]);
    t_buf[i] = NULL;
    t_cap[i] = 0;
  }
}

/* ---------- portable pieces ---------- */
#define P_MR 4
#define P_NR 8

void pack_a_generic(const float *a, long lda, int transA, long i0, long k0, int mc, int kc, int mr, float *dst) {
  for (int p = 0; p < mc; p += mr) {
    int rows = mc - p < mr ? mc - p : mr;
    float *d = dst + (long)p * kc;
    for (int k = 0; k < kc; k++) {
      int r = 0;
      if (transA) {
        const float *src = a + (k0 + k) * lda + i0 + p;
        for (; r < rows; r++) d[k * mr + r] = src[r];
      } else {
        const float *src = a + (i0 + p) * lda + k0 + k;
        for (; r < rows; r++) d[k * mr + r] = src[r * lda];
      }
      for (; r < mr; r++) d[k * mr + r] = 0.f;
    }
  }
}

void pack_b_generic(const float *b, long ldb, int transB, long k0, long j0, int kc, int nc, int nr, float *dst) {
  for (int q = 0; q < nc; q += nr) {
    int cols = nc - q < nr ? nc - q : nr;
    float *d = dst + (long)q * kc;
    for (int k = 0; k < kc; k++) {
      int c = 0;
      if (transB) {
        const float *src = b + (j0 + q) * ldb + k0 + k;
        for (; c < cols; c++) d[k * nr + c] = src[c * ldb];
      } else {
        const float *src = b + (k0 + k) * ldb + j0 + q;
        for (; c < cols; c++) d[k * nr + c] = src[c];
      }
      for (; c < nr; c++) d[k * nr + c] = 0.f;
    }
  }
}

static void p_pack_a(const float *a, long lda, int transA, long i0, long k0, int mc, int kc, float *dst) {
  pack_a_generic(a, lda, transA, i0, k0, mc, kc, P_MR, dst);
}
static void p_pack_b(const float *b, long ldb, int transB, long k0, long j0, int kc, int nc, float *dst) {
  pack_b_generic(b, ldb, transB, k0, j0, kc, nc, P_NR, dst);
}

static void p_kernel(long kc, const float *pa, const float *pb, float *c, long ldc, float alpha, float beta) {
  float acc[P_MR][P_NR];
  memset(acc, 0, sizeof acc);
  for (long k = 0; k < kc; k++) {
    const float *av = pa + k * P_MR, *bv = pb + k * P_NR;
    for (int i = 0; i < P_MR; i++)
      for (int j = 0; j < P_NR; j++) acc[i][j] += av[i] * bv[j];
  }
  for (int i = 0; i < P_MR; i++) {
    float *ci = c + i * ldc;
    if (beta == 0.f) for (int j = 0; j < P_NR; j++) ci[j] = alpha * acc[i][j];
    else for (int j = 0; j < P_NR; j++) ci[j] = alpha * acc[i][j] + beta * ci[j];
  }
}

static void p_gemv_t(const float *x, const float *w, long ldw, long K, long j0, long j1, float *y, long incy, float alpha, float beta) {
  for (long j = j0; j < j1; j++) {
    const float *wj = w + j * ldw;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    long k = 0;
    for (; k + 4 <= K; k += 4) {
      s0 += x[k] * wj[k];
      s1 += x[k + 1] * wj[k + 1];
      s2 += x[k + 2] * wj[k + 2];
      s3 += x[k + 3] * wj[k + 3];
    }
    for (; k < K; k++) s0 += x[k] * wj[k];
    float s = (s0 + s1) + (s2 + s3);
    y[j * incy] = beta == 0.f ? alpha * s : alpha * s + beta * y[j * incy];
  }
}

static void p_gemv_n(const float *x, const float *b, long ldb, long K, long j0, long j1, float *y, long incy, float alpha, float beta) {
  enum { BLK = 64 };
  float acc[BLK];
  for (long jb = j0; jb < j1; jb += BLK) {
    int w = (int)(j1 - jb < BLK ? j1 - jb : BLK);
    for (int j = 0; j < w; j++) acc[j] = 0.f;
    for (long k = 0; k < K; k++) {
      const float *bk = b + k * ldb + jb;
      float xv = x[k];
      for (int j = 0; j < w; j++) acc[j] += xv * bk[j];
    }
    for (int j = 0; j < w; j++) {
      float *yy = y + (jb + j) * incy;
      *yy = beta == 0.f ? alpha * acc[j] : alpha * acc[j] + beta * *yy;
    }
  }
}

static void p_gemv_n_band(const float *x, const float *b, long ldb, long k0, long k1, long j0, long w, float *acc) {
  for (long j = 0; j < w; j++) acc[j] = 0.f;
  for (long k = k0; k < k1; k++) {
    const float *bk = b + k * ldb + j0;
    float xv = x[k];
    for (long j = 0; j < w; j++) acc[j] += xv * bk[j];
  }
}

const gemm_impl gemm_portable = {"portable", P_MR, P_NR, 64, 256, 2048, p_pack_a, p_pack_b, p_kernel, p_gemv_t, p_gemv_n, p_gemv_n_band};

/* ---------- selection ---------- */
static const gemm_impl *g_impl = NULL;
static gemm_impl g_tuned; /* copy with block sizes from the environment (tuning) */

static const gemm_impl *tune_env(const gemm_impl *base) {
  const char *mc = getenv("BERTCHAT_GEMM_MC"), *kc = getenv("BERTCHAT_GEMM_KC"), *nc = getenv("BERTCHAT_GEMM_NC");
  if (!mc && !kc && !nc) return base;
  g_tuned = *base;
  if (mc && atoi(mc) > 0) g_tuned.mc = (atoi(mc) + base->mr - 1) / base->mr * base->mr;
  if (kc && atoi(kc) > 0) g_tuned.kc = atoi(kc);
  if (nc && atoi(nc) > 0) g_tuned.nc = (atoi(nc) + base->nr - 1) / base->nr * base->nr;
  return &g_tuned;
}

const gemm_impl *gemm_current(void) {
  if (!g_impl) {
#if defined(BERTCHAT_X86)
    if (cpu_has_avx512()) g_impl = tune_env(&gemm_avx512);
    else if (cpu_has_avx2_fma()) g_impl = tune_env(&gemm_avx2);
    else
#endif
      g_impl = tune_env(&gemm_portable);
  }
  return g_impl;
}

int gemm_select(const char *name) {
  if (strcmp(name, "portable") == 0) { g_impl = tune_env(&gemm_portable); return 1; }
#if defined(BERTCHAT_X86)
  if (strcmp(name, "avx2") == 0 && cpu_has_avx2_fma()) { g_impl = tune_env(&gemm_avx2); return 1; }
  if (strcmp(name, "avx512") == 0 && cpu_has_avx512()) { g_impl = tune_env(&gemm_avx512); return 1; }
#endif
  return 0;
}

/* ---------- driver ---------- */

/* K split into equal-ish blocks no larger than the configured kc. gemm_tile and gemm_pack_b_whole must agree on
 * it: a pre-packed B is laid out in these blocks. */
static long k_block(const gemm_impl *im, long K) {
  long nkb = (K + im->kc - 1) / im->kc;
  return (K + nkb - 1) / nkb;
}

/* N rounded up to whole nr-column panels: the row length of a packed B block. */
static long n_padded(const gemm_impl *im, long N) {
  return (N + im->nr - 1) / im->nr * im->nr;
}

/* C = beta*C over an m x n block (the K == 0 / alpha == 0 case). */
static void scale_c(float *c, long ldc, long m, long n, float beta) {
  for (long i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    if (beta == 0.f) memset(ci, 0, (size_t)n * sizeof(float));
    else if (beta != 1.f) for (long j = 0; j < n; j++) ci[j] *= beta;
  }
}

/* One tile of C: rows [m0, m1), cols [n0, n1) of batch item bi. */
static void gemm_tile(const gemm_impl *im, const gemm_args *p, long bi, long m0, long m1, long n0, long n1) {
  const float *A = p->a + bi * p->strideA;
  const float *B = p->b + bi * p->strideB;
  float *C = p->c + bi * p->strideC;
  const int MR = im->mr, NR = im->nr;
  const long M = m1 - m0, N = n1 - n0, K = p->K;
  if (M <= 0 || N <= 0) return;
  if (K == 0 || p->alpha == 0.f) {
    scale_c(C + m0 * p->ldc + n0, p->ldc, M, N, p->beta);
    return;
  }
  /* balanced blocks: split each dimension into equal-ish pieces no larger than the configured block */
  long KC = k_block(im, K);
  long nmb = (M + im->mc - 1) / im->mc;
  long MC = ((M + nmb - 1) / nmb + MR - 1) / MR * MR;
  long nnb = (N + im->nc - 1) / im->nc;
  long NC = ((N + nnb - 1) / nnb + NR - 1) / NR * NR;
  long ncap = NC, mcap = MC;
  float *bp = thread_scratch(0, (size_t)KC * ncap);
  float *ap = thread_scratch(1, (size_t)KC * mcap);
  float *tmp = thread_scratch(2, (size_t)MR * NR);
  if (!bp || !ap || !tmp) return; /* out of memory: leave C (cannot report from here) */
  const long ldc = p->ldc;
  const long npad = n_padded(im, p->N); /* row length of a pre-packed B block */
  for (long jc = 0; jc < N; jc += NC) {
    int nc = (int)(N - jc < NC ? N - jc : NC);
    for (long pc = 0; pc < K; pc += KC) {
      int kc = (int)(K - pc < KC ? K - pc : KC);
      float beta = pc == 0 ? p->beta : 1.f;
      if (p->packed_b) bp = (float *)p->packed_b + pc * npad + (n0 + jc) * kc; /* the same panels, packed once */
      else im->pack_b(B, p->ldb, p->transB, pc, n0 + jc, kc, nc, bp);
      for (long ic = 0; ic < M; ic += MC) {
        int mc = (int)(M - ic < MC ? M - ic : MC);
        im->pack_a(A, p->lda, p->transA, m0 + ic, pc, mc, kc, ap);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? nc - jr : NR;
          const float *pb = bp + (long)jr * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? mc - ir : MR;
            const float *pa = ap + (long)ir * kc;
            float *c = C + (m0 + ic + ir) * ldc + n0 + jc + jr;
            if (mr == MR && nr == NR) {
              im->kernel(kc, pa, pb, c, ldc, p->alpha, beta);
            } else {
              im->kernel(kc, pa, pb, tmp, NR, 1.f, 0.f);
              for (int i = 0; i < mr; i++)
                for (int j = 0; j < nr; j++) {
                  float v = p->alpha * tmp[i * NR + j];
                  c[i * ldc + j] = beta == 0.f ? v : v + beta * c[i * ldc + j];
                }
            }
          }
        }
      }
    }
  }
}

/* ---- GEMV (M == 1, or N == 1 by transposing the problem): memory-bound, threads over the output ---- */
/* M == 1: y = x . op(B), x = op(A) row 0, outputs j in [j0, j1) of C row 0. */
static void gemv_rows(const gemm_impl *im, const gemm_args *p, long bi, long j0, long j1) {
  const float *A = p->a + bi * p->strideA;
  const float *B = p->b + bi * p->strideB;
  float *C = p->c + bi * p->strideC;
  const long K = p->K;
  if (j1 <= j0) return;
  if (K == 0 || p->alpha == 0.f) {
    for (long j = j0; j < j1; j++) C[j] = p->beta == 0.f ? 0.f : p->beta * C[j];
    return;
  }
  const float *x = A;
  if (p->transA && p->lda != 1) { /* op(A) row 0 is strided: gather it */
    float *xs = thread_scratch(3, (size_t)K);
    if (!xs) return;
    for (long k = 0; k < K; k++) xs[k] = A[k * p->lda];
    x = xs;
  }
  if (p->transB) im->gemv_t(x, B, p->ldb, K, j0, j1, C, 1, p->alpha, p->beta);
  else im->gemv_n(x, B, p->ldb, K, j0, j1, C, 1, p->alpha, p->beta);
}

/* N == 1: C[:, 0] = op(A) . x with x = op(B) column 0; outputs i in [i0, i1), stride ldc. */
static void gemv_cols(const gemm_impl *im, const gemm_args *p, long bi, long i0, long i1) {
  const float *A = p->a + bi * p->strideA;
  const float *B = p->b + bi * p->strideB;
  float *C = p->c + bi * p->strideC;
  const long K = p->K;
  if (i1 <= i0) return;
  if (K == 0 || p->alpha == 0.f) {
    for (long i = i0; i < i1; i++) C[i * p->ldc] = p->beta == 0.f ? 0.f : p->beta * C[i * p->ldc];
    return;
  }
  const float *x = B;
  if (!p->transB && p->ldb != 1) { /* op(B) column 0 is strided: gather it */
    float *xs = thread_scratch(3, (size_t)K);
    if (!xs) return;
    for (long k = 0; k < K; k++) xs[k] = B[k * p->ldb];
    x = xs;
  }
  /* op(A) row i: contiguous (A rows) unless transA, where op(A)[i, k] = A[k*lda + i] */
  if (!p->transA) im->gemv_t(x, A, p->lda, K, i0, i1, C, p->ldc, p->alpha, p->beta);
  else im->gemv_n(x, A, p->lda, K, i0, i1, C, p->ldc, p->alpha, p->beta);
}

/* ---- GEMV x·B with B stored [K, N] (transB = false, GPT-2's Conv1D layout): split K ----
 * Each task takes a chunk of rows of B and streams them whole (bands of up to GEMV_BAND columns, so the
 * accumulator stays in L1), writing a partial sum; the caller adds the partials. Every task reads one
 * contiguous slab of B, which is what the hardware prefetchers follow best. */
#define GEMV_BAND 2048
typedef struct {
  const gemm_impl *im;
  const float *x, *b;
  long ldb, K, N, nk;
  float *part; /* nk x N partial sums (or y itself when nk == 1 and incy == 1, beta == 0, alpha == 1) */
  _Atomic long next;
} gemv_split_job;

static void gemv_split_task(gemv_split_job *j, long t) {
  long k0 = j->K * t / j->nk, k1 = j->K * (t + 1) / j->nk;
  float *acc = thread_scratch(4, GEMV_BAND);
  if (!acc) return;
  float *out = j->part + t * j->N;
  for (long c = 0; c < j->N; c += GEMV_BAND) {
    long w = j->N - c < GEMV_BAND ? j->N - c : GEMV_BAND;
    j->im->gemv_n_band(j->x, j->b, j->ldb, k0, k1, c, w, acc);
    memcpy(out + c, acc, (size_t)w * sizeof(float));
  }
}

static void gemv_split_worker(void *ctx, int tid, int nt) {
  (void)tid; (void)nt;
  gemv_split_job *j = (gemv_split_job *)ctx;
  for (;;) {
    long t = atomic_fetch_add(&j->next, 1);
    if (t >= j->nk) break;
    gemv_split_task(j, t);
  }
}

/* y = alpha * x·B + beta * y for one M = 1 product with B [K, N]; returns 0 when it cannot (no memory). */
static int gemv_split(const gemm_impl *im, const gemm_args *p, int T) {
  const long K = p->K, N = p->N;
  const float *x = p->a;
  if (p->transA && p->lda != 1) {
    float *xs = thread_scratch(3, (size_t)K);
    if (!xs) return 0;
    for (long k = 0; k < K; k++) xs[k] = p->a[k * p->lda];
    x = xs;
  }
  /* chunks: 4 per thread for balance on a busy machine, at least 32 rows each */
  long nk = T > 1 ? 4L * T : 1;
  if (nk > K / 32) nk = K / 32;
  if (nk < 1) nk = 1;
  float *part = thread_scratch(5, (size_t)nk * N);
  if (!part) return 0;
  gemv_split_job job = {im, x, p->b, p->ldb, K, N, nk, part};
  atomic_init(&job.next, 0);
  if (T > 1 && nk > 1) pool_run(gemv_split_worker, &job, T);
  else for (long t = 0; t < nk; t++) gemv_split_task(&job, t);
  float *y = p->c;
  const float alpha = p->alpha, beta = p->beta;
  for (long jj = 0; jj < N; jj++) {
    float s = 0.f;
    for (long t = 0; t < nk; t++) s += part[t * N + jj];
    y[jj] = beta == 0.f ? alpha * s : alpha * s + beta * y[jj];
  }
  return 1;
}

typedef struct {
  const gemm_impl *im;
  const gemm_args *p;
  long pm, pn;          /* parts per batch item along M and N */
  long ntasks;
  int gemv;
  _Atomic long next;
} gemm_job;

static void run_task(gemm_job *job, long t) {
  const gemm_args *p = job->p;
  long per = job->pm * job->pn;
  long bi = t / per, r = t % per;
  long im_ = r / job->pn, in_ = r % job->pn;
  if (job->gemv) {
    /* split the output (N for M == 1, else M) into pn chunks, multiples of 16 */
    long len = p->M == 1 ? p->N : p->M;
    long chunk = (len + job->pn - 1) / job->pn;
    chunk = chunk >= 64 ? (chunk + 63) / 64 * 64 : (chunk + 15) / 16 * 16; /* whole 64-column blocks */
    long j0 = in_ * chunk, j1 = j0 + chunk < len ? j0 + chunk : len;
    if (p->M == 1) gemv_rows(job->im, p, bi, j0, j1);
    else gemv_cols(job->im, p, bi, j0, j1);
    return;
  }
  const int MR = job->im->mr, NR = job->im->nr;
  long mblk = (p->M + MR - 1) / MR, nblk = (p->N + NR - 1) / NR;
  long m0 = (mblk * im_ / job->pm) * MR, m1 = (mblk * (im_ + 1) / job->pm) * MR;
  long n0 = (nblk * in_ / job->pn) * NR, n1 = (nblk * (in_ + 1) / job->pn) * NR;
  if (m1 > p->M) m1 = p->M;
  if (n1 > p->N) n1 = p->N;
  gemm_tile(job->im, p, bi, m0, m1, n0, n1);
}

static void gemm_worker(void *ctx, int tid, int nt) {
  (void)tid; (void)nt;
  gemm_job *job = (gemm_job *)ctx;
  for (;;) {
    long t = atomic_fetch_add(&job->next, 1);
    if (t >= job->ntasks) break;
    run_task(job, t);
  }
}

void sgemm(const gemm_args *p, int nthreads) {
  if (p->M <= 0 || p->N <= 0 || p->batch <= 0) return;
  const gemm_impl *im = gemm_current();
  gemm_job job;
  job.im = im;
  job.p = p;
  job.gemv = p->M == 1 || p->N == 1;
  atomic_init(&job.next, 0);
  double flops = 2.0 * (double)p->M * (double)p->N * (double)p->K * (double)p->batch;
  int T = nthreads;
  /* small problems: one thread (dispatch costs ~1-2 us while workers spin, more when they sleep) */
  if (job.gemv) {
    if (flops < 65536.0) T = 1;
  } else if (flops < 400000.0) T = 1;
  if (job.gemv && p->M == 1 && !p->transB && p->batch == 1 && p->K >= 8 && p->K > 0 && p->alpha != 0.f && gemv_split(im, p, T)) return;
  job.pm = job.pn = 1;
  if (job.gemv && T > 1 && p->batch < 4 * T) {
    /* GEMV: no packing to repeat, so cut N finely (4 chunks per thread) for balance on a busy machine */
    long parts = (4 * T + p->batch - 1) / p->batch;
    long maxp = ((p->M == 1 ? p->N : p->M) + 63) / 64;
    job.pn = parts < maxp ? parts : maxp;
    if (job.pn < 1) job.pn = 1;
  } else if (!job.gemv && T > 1 && p->batch < T) {
    long parts = (T + p->batch - 1) / p->batch;
    {
      /* choose pm * pn = parts minimising redundant packing pn*M*K + pm*K*N */
      long mblk = (p->M + im->mr - 1) / im->mr, nblk = (p->N + im->nr - 1) / im->nr;
      double best = -1;
      for (long pm = 1; pm <= parts; pm++) {
        if (parts % pm) continue;
        long pn = parts / pm;
        if (pm > mblk || pn > nblk) continue;
        double cost = (double)pn * p->M + (double)pm * p->N;
        if (best < 0 || cost < best) { best = cost; job.pm = pm; job.pn = pn; }
      }
      if (best < 0) { /* tiny dimension: split the larger one as far as it goes */
        if (nblk >= mblk) job.pn = parts < nblk ? parts : nblk;
        else job.pm = parts < mblk ? parts : mblk;
      }
    }
  }
  job.ntasks = p->batch * job.pm * job.pn;
  if (T > job.ntasks) T = (int)job.ntasks;
  if (T <= 1) {
    for (long t = 0; t < job.ntasks; t++) run_task(&job, t);
    return;
  }
  pool_run(gemm_worker, &job, T);
}

/* ---- pre-packed B ----
 * Layout: KC blocks of K (balanced exactly as gemm_tile splits K), block at pc holding kc rows as the panels
 * pack_b writes for columns [0, N): panel of column j at block + j*kc. Header: floats 0..3 = nr, kc (the
 * configured block), K, N. */
#define PACK_HEADER 4
#define PACK_ALIGN_FLOATS 16

long gemm_packed_b_floats(long K, long N) {
  const gemm_impl *im = gemm_current();
  return PACK_HEADER + PACK_ALIGN_FLOATS + K * n_padded(im, N);
}

static float *packed_start(const float *buf) {
  uintptr_t a = (uintptr_t)(buf + PACK_HEADER);
  return (float *)((a + 63) & ~(uintptr_t)63);
}

void gemm_pack_b_whole(const float *b, long ldb, int transB, long K, long N, float *buf) {
  const gemm_impl *im = gemm_current();
  long KC = k_block(im, K);
  long npad = n_padded(im, N);
  float *dst = packed_start(buf);
  for (long pc = 0; pc < K; pc += KC) {
    int kc = (int)(K - pc < KC ? K - pc : KC);
    im->pack_b(b, ldb, transB, pc, 0, kc, (int)N, dst + pc * npad);
  }
  buf[0] = (float)im->nr;
  buf[1] = (float)im->kc;
  buf[2] = (float)K;
  buf[3] = (float)N;
}

const float *gemm_packed_b_data(const float *buf, long buf_len, long K, long N) {
  const gemm_impl *im = gemm_current();
  if (!buf || buf_len < gemm_packed_b_floats(K, N)) return NULL;
  if (buf[0] != (float)im->nr || buf[1] != (float)im->kc || buf[2] != (float)K || buf[3] != (float)N) return NULL;
  return packed_start(buf);
}

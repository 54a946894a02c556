/* Softmax, log-softmax, LayerNorm and RMSNorm (forward and backward), threaded over rows; the portable row
 * functions live here, AVX2 ones in kernels_avx2.c. */
#include "kernels.h"
#include "threadpool.h"
#include "cpu.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>

/* ---------- portable rows ---------- */
static int p_unary_none(int op, const float *x, float *out, long n) { (void)op; (void)x; (void)out; (void)n; return 0; }
static int p_unary_bwd_none(int op, const float *x, const float *dy, float *dx, long n) {
  (void)op; (void)x; (void)dy; (void)dx; (void)n;
  return 0;
}

static float p_sum(const float *a, long n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  long i = 0;
  for (; i + 4 <= n; i += 4) { s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3]; }
  for (; i < n; i++) s0 += a[i];
  return (float)((s0 + s1) + (s2 + s3));
}
static float p_dot(const float *a, const float *b, long n) {
  double s0 = 0, s1 = 0;
  long i = 0;
  for (; i + 2 <= n; i += 2) { s0 += (double)a[i] * b[i]; s1 += (double)a[i + 1] * b[i + 1]; }
  for (; i < n; i++) s0 += (double)a[i] * b[i];
  return (float)(s0 + s1);
}

static void p_softmax_row(const float *x, float *out, long n) {
  float mx = -INFINITY;
  for (long j = 0; j < n; j++) if (x[j] > mx) mx = x[j];
  if (mx == -INFINITY) mx = 0;
  double s = 0;
  for (long j = 0; j < n; j++) { float e = expf(x[j] - mx); out[j] = e; s += e; }
  float inv = s > 0 ? (float)(1 / s) : 0.f;
  for (long j = 0; j < n; j++) out[j] *= inv;
}

static void p_logsoftmax_row(const float *x, float *out, long n) {
  float mx = -INFINITY;
  for (long j = 0; j < n; j++) if (x[j] > mx) mx = x[j];
  double s = 0;
  for (long j = 0; j < n; j++) s += exp((double)x[j] - mx);
  double lse = mx + log(s);
  for (long j = 0; j < n; j++) out[j] = (float)(x[j] - lse);
}

static void p_layernorm_row(const float *x, const float *w, const float *b, float *out, float *mean, float *rstd, long n, float eps) {
  double m = 0;
  for (long j = 0; j < n; j++) m += x[j];
  m /= n;
  double v = 0;
  for (long j = 0; j < n; j++) { double d = x[j] - m; v += d * d; }
  v /= n;
  double rs = 1 / sqrt(v + eps);
  *mean = (float)m;
  *rstd = (float)rs;
  for (long j = 0; j < n; j++) {
    double y = (x[j] - m) * rs;
    if (w) y *= w[j];
    if (b) y += b[j];
    out[j] = (float)y;
  }
}

static void p_rmsnorm_row(const float *x, const float *w, float *out, float *rstd, long n, float eps) {
  double ss = 0;
  for (long j = 0; j < n; j++) ss += (double)x[j] * x[j];
  double rs = 1 / sqrt(ss / n + eps);
  *rstd = (float)rs;
  for (long j = 0; j < n; j++) out[j] = (float)(x[j] * rs * (w ? w[j] : 1.0));
}

const row_impl rows_portable = {p_unary_none, p_unary_bwd_none, p_softmax_row, p_logsoftmax_row,
                                p_layernorm_row, p_rmsnorm_row, p_dot, p_sum};

static const row_impl *g_rows = NULL;
const row_impl *rows_current(void) {
  if (!g_rows) {
#if defined(BERTCHAT_X86)
    g_rows = cpu_has_avx2_fma() ? &rows_avx2 : &rows_portable;
#else
    g_rows = &rows_portable;
#endif
  }
  return g_rows;
}
int rows_select(const char *name) {
  if (strcmp(name, "portable") == 0) { g_rows = &rows_portable; return 1; }
#if defined(BERTCHAT_X86)
  if (strcmp(name, "avx2") == 0 && cpu_has_avx2_fma()) { g_rows = &rows_avx2; return 1; }
#endif
  return 0;
}

/* ---------- threaded drivers ---------- */
typedef struct {
  const float *x, *y, *dy, *w, *b, *mean, *rstd_in;
  float *out, *mean_out, *rstd, *dx;
  long cols;
  float eps;
} row_ctx;

static void softmax_range(void *c, long r0, long r1) {
  row_ctx *p = (row_ctx *)c;
  const row_impl *ri = rows_current();
  for (long r = r0; r < r1; r++) ri->softmax_row(p->x + r * p->cols, p->out + r * p->cols, p->cols);
}
void k_softmax(const float *x, float *out, long rows, long cols) {
  row_ctx p = {.x = x, .out = out, .cols = cols};
  parallel_for(softmax_range, &p, rows, (double)cols * 3);
}

static void logsoftmax_range(void *c, long r0, long r1) {
  row_ctx *p = (row_ctx *)c;
  const row_impl *ri = rows_current();
  for (long r = r0; r < r1; r++) ri->logsoftmax_row(p->x + r * p->cols, p->out + r * p->cols, p->cols);
}
void k_logsoftmax(const float *x, float *out, long rows, long cols) {
  row_ctx p = {.x = x, .out = out, .cols = cols};
  parallel_for(logsoftmax_range, &p, rows, (double)cols * 3);
}

static void softmax_bwd_range(void *c, long r0, long r1) {
  row_ctx *p = (row_ctx *)c;
  const row_impl *ri = rows_current();
  long n = p->cols;
  for (long r = r0; r < r1; r++) {
    const float *y = p->y + r * n, *dy = p->dy + r * n;
    float *dx = p->dx + r * n;
    float dot = ri->dot(dy, y, n);
    for (long j = 0; j < n; j++) dx[j] = y[j] * (dy[j] - dot);
  }
}
void k_softmax_bwd(const float *y, const float *dy, float *dx, long rows, long cols) {
  row_ctx p = {.y = y, .dy = dy, .dx = dx, .cols = cols};
  parallel_for(softmax_bwd_range, &p, rows, (double)cols * 2);
}

static void logsoftmax_bwd_range(void *c, long r0, long r1) {
  row_ctx *p = (row_ctx *)c;
  const row_impl *ri = rows_current();
  long n = p->cols;
  for (long r = r0; r < r1; r++) {
    const float *y = p->y + r * n, *dy = p->dy + r * n;
    float *dx = p->dx + r * n;
    float s = ri->sum(dy, n);
    if (!ri->unary(U_EXP, y, dx, n)) for (long j = 0; j < n; j++) dx[j] = expf(y[j]);
    for (long j = 0; j < n; j++) dx[j] = dy[j] - dx[j] * s;
  }
}
void k_logsoftmax_bwd(const float *y, const float *dy, float *dx, long rows, long cols) {
  row_ctx p = {.y = y, .dy = dy, .dx = dx, .cols = cols};
  parallel_for(logsoftmax_bwd_range, &p, rows, (double)cols * 4);
}

static void layernorm_range(void *c, long r0, long r1) {
  row_ctx *p = (row_ctx *)c;
  const row_impl *ri = rows_current();
  long n = p->cols;
  for (long r = r0; r < r1; r++) ri->layernorm_row(p->x + r * n, p->w, p->b, p->out + r * n, p->mean_out + r, p->rstd + r, n, p->eps);
}
void k_layernorm(const float *x, const float *w, const float *b, float *out, float *mean, float *rstd, long rows, long cols, float eps) {
  row_ctx p = {.x = x, .w = w, .b = b, .out = out, .mean_out = mean, .rstd = rstd, .cols = cols, .eps = eps};
  parallel_for(layernorm_range, &p, rows, (double)cols * 3);
}

static void rmsnorm_range(void *c, long r0, long r1) {
  row_ctx *p = (row_ctx *)c;
  const row_impl *ri = rows_current();
  long n = p->cols;
  for (long r = r0; r < r1; r++) ri->rmsnorm_row(p->x + r * n, p->w, p->out + r * n, p->rstd + r, n, p->eps);
}
void k_rmsnorm(const float *x, const float *w, float *out, float *rstd, long rows, long cols, float eps) {
  row_ctx p = {.x = x, .w = w, .out = out, .rstd = rstd, .cols = cols, .eps = eps};
  parallel_for(rmsnorm_range, &p, rows, (double)cols * 2);
}

/* Backward passes accumulate dw/db per chunk of rows (double) and reduce at the end; threads claim chunks. */
typedef struct {
  const float *x, *w, *mean, *rstd, *dy;
  float *dx;
  double *part; /* [nchunks][2][cols] partial dw, db */
  long rows, cols, nchunks;
  int has_dw, has_db, rms;
  _Atomic long next;
} nb_ctx;

static void norm_bwd_rows(nb_ctx *p, long r0, long r1, double *pdw, double *pdb) {
  long n = p->cols;
  const float *w = p->w;
  for (long r = r0; r < r1; r++) {
    const float *x = p->x + r * n, *dy = p->dy + r * n;
    float *dx = p->dx + r * n;
    const float m = p->rms ? 0.f : p->mean[r];
    const float rs = p->rstd[r];
    float sumD = 0, sumDX = 0;
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
      float h0 = (x[j] - m) * rs, h1 = (x[j + 1] - m) * rs, h2 = (x[j + 2] - m) * rs, h3 = (x[j + 3] - m) * rs;
      float d0 = dy[j] * (w ? w[j] : 1.f), d1 = dy[j + 1] * (w ? w[j + 1] : 1.f);
      float d2 = dy[j + 2] * (w ? w[j + 2] : 1.f), d3 = dy[j + 3] * (w ? w[j + 3] : 1.f);
      a0 += d0; a1 += d1; a2 += d2; a3 += d3;
      b0 += d0 * h0; b1 += d1 * h1; b2 += d2 * h2; b3 += d3 * h3;
    }
    for (; j < n; j++) {
      float h = (x[j] - m) * rs, d = dy[j] * (w ? w[j] : 1.f);
      a0 += d; b0 += d * h;
    }
    sumD = ((a0 + a1) + (a2 + a3)) / n;
    sumDX = ((b0 + b1) + (b2 + b3)) / n;
    if (p->rms) sumD = 0;
    for (j = 0; j < n; j++) {
      float h = (x[j] - m) * rs, d = dy[j] * (w ? w[j] : 1.f);
      dx[j] = rs * (d - sumD - h * sumDX);
    }
    if (pdw) for (j = 0; j < n; j++) pdw[j] += (double)dy[j] * ((x[j] - m) * rs);
    if (pdb) for (j = 0; j < n; j++) pdb[j] += dy[j];
  }
}

static void norm_bwd_worker(void *c, int tid, int nt) {
  (void)tid; (void)nt;
  nb_ctx *p = (nb_ctx *)c;
  for (;;) {
    long k = atomic_fetch_add(&p->next, 1);
    if (k >= p->nchunks) break;
    long r0 = p->rows * k / p->nchunks, r1 = p->rows * (k + 1) / p->nchunks;
    double *pdw = p->has_dw ? p->part + k * 2 * p->cols : NULL;
    double *pdb = p->has_db ? p->part + k * 2 * p->cols + p->cols : NULL;
    norm_bwd_rows(p, r0, r1, pdw, pdb);
  }
}

static int norm_bwd(nb_ctx *p, float *dw, float *db) {
  int T = pool_threads();
  double work = (double)p->rows * p->cols * 6;
  if (work < 65536.0 * 2) T = 1;
  if (T > p->rows) T = (int)(p->rows < 1 ? 1 : p->rows);
  p->nchunks = T == 1 ? 1 : (T * 2 < p->rows ? T * 2 : p->rows);
  atomic_init(&p->next, 0);
  p->part = NULL;
  if (p->has_dw || p->has_db) {
    p->part = (double *)calloc((size_t)p->nchunks * 2 * p->cols, sizeof(double));
    if (!p->part) return 0;
  }
  if (T <= 1) norm_bwd_worker(p, 0, 1);
  else pool_run(norm_bwd_worker, p, T);
  if (p->part) {
    for (long j = 0; j < p->cols; j++) {
      double sw = 0, sb = 0;
      for (long t = 0; t < p->nchunks; t++) {
        sw += p->part[t * 2 * p->cols + j];
        sb += p->part[t * 2 * p->cols + p->cols + j];
      }
      if (dw) dw[j] += (float)sw;
      if (db) db[j] += (float)sb;
    }
    free(p->part);
  }
  return 1;
}

int k_layernorm_bwd(const float *x, const float *w, const float *mean, const float *rstd, const float *dy, float *dx,
                    float *dw, float *db, long rows, long cols) {
  nb_ctx p = {.x = x, .w = w, .mean = mean, .rstd = rstd, .dy = dy, .dx = dx, .rows = rows, .cols = cols,
              .has_dw = dw != NULL, .has_db = db != NULL, .rms = 0};
  return norm_bwd(&p, dw, db);
}

int k_rmsnorm_bwd(const float *x, const float *w, const float *rstd, const float *dy, float *dx, float *dw, long rows, long cols) {
  nb_ctx p = {.x = x, .w = w, .rstd = rstd, .dy = dy, .dx = dx, .rows = rows, .cols = cols,
              .has_dw = dw != NULL, .has_db = 0, .rms = 1};
  return norm_bwd(&p, dw, NULL);
}

/* Elementwise, strided copy, reductions, gathers, RoPE and AdamW (portable C; vector math for the
 * activations comes from rows_current()). Big inputs are split over the thread pool. */
#include "kernels.h"
#include "threadpool.h"
#include "cpu.h"
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include <stdatomic.h>

/* ---------- parallel_for ---------- */
/* [0, n) is cut into nchunks contiguous chunks that the threads claim dynamically (see threadpool.h). */
typedef struct { range_fn fn; void *ctx; long n, nchunks; _Atomic long next; } pf_job;

static void pf_worker(void *c, int tid, int nt) {
  (void)tid; (void)nt;
  pf_job *j = (pf_job *)c;
  for (;;) {
    long k = atomic_fetch_add(&j->next, 1);
    if (k >= j->nchunks) break;
    long i0 = j->n * k / j->nchunks, i1 = j->n * (k + 1) / j->nchunks;
    if (i1 > i0) j->fn(j->ctx, i0, i1);
  }
}

void parallel_for(range_fn fn, void *ctx, long n, double cost_per_item) {
  if (n <= 0) return;
  /* ~64k cost units (about an element-op each) per thread before splitting pays for the dispatch */
  double total = (double)n * cost_per_item;
  int T = pool_threads();
  long byWork = (long)(total / 65536.0);
  if (byWork < T) T = (int)(byWork < 1 ? 1 : byWork);
  if (T > n) T = (int)n;
  if (T <= 1) { fn(ctx, 0, n); return; }
  pf_job j;
  j.fn = fn; j.ctx = ctx; j.n = n;
  j.nchunks = (long)T * 4 < n ? (long)T * 4 : n; /* a few chunks per thread, for balance on a busy machine */
  atomic_init(&j.next, 0);
  pool_run(pf_worker, &j, T);
}

/* ---------- unary ---------- */
static const double SQRT1_2 = 0.70710678118654752440;
static const double GELU_TANH_C = 0.79788456080286535588; /* sqrt(2/pi) */

static double erf_nr(double x) { /* same formula as the js reference */
  double z = fabs(x), t = 1 / (1 + 0.5 * z);
  double r = t * exp(-z * z - 1.26551223 +
                     t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

static inline double unary_scalar(int op, double x) {
  switch (op) {
    case U_NEG: return -x;
    case U_EXP: return exp(x);
    case U_LOG: return log(x);
    case U_SQRT: return sqrt(x);
    case U_RSQRT: return 1 / sqrt(x);
    case U_TANH: return tanh(x);
    case U_SIGMOID: return 1 / (1 + exp(-x));
    case U_RELU: return x > 0 ? x : 0;
    case U_GELU: return 0.5 * x * (1 + erf_nr(x * SQRT1_2));
    case U_GELU_TANH: return 0.5 * x * (1 + tanh(GELU_TANH_C * (x + 0.044715 * x * x * x)));
    case U_SILU: return x / (1 + exp(-x));
    case U_ABS: return fabs(x);
    case U_SQUARE: return x * x;
  }
  return NAN;
}

static inline double deriv_scalar(int op, double x) {
  switch (op) {
    case U_GELU: return 0.5 * (1 + erf_nr(x * SQRT1_2)) + x * exp(-0.5 * x * x) * 0.3989422804014327;
    case U_GELU_TANH: {
      double u = GELU_TANH_C * (x + 0.044715 * x * x * x), th = tanh(u);
      return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * GELU_TANH_C * (1 + 3 * 0.044715 * x * x);
    }
    case U_SILU: { double s = 1 / (1 + exp(-x)); return s * (1 + x * (1 - s)); }
    case U_TANH: { double t = tanh(x); return 1 - t * t; }
    case U_SIGMOID: { double s = 1 / (1 + exp(-x)); return s * (1 - s); }
    case U_RELU: return x > 0 ? 1 : 0;
    case U_EXP: return exp(x);
    case U_LOG: return 1 / x;
    case U_SQRT: return 0.5 / sqrt(x);
    case U_RSQRT: return -0.5 / (x * sqrt(x));
    case U_NEG: return -1;
    case U_ABS: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case U_SQUARE: return 2 * x;
  }
  return NAN;
}

static int p_unary(int op, const float *x, float *out, long n) {
  switch (op) {
    case U_NEG: for (long i = 0; i < n; i++) out[i] = -x[i]; return 1;
    case U_RELU: for (long i = 0; i < n; i++) out[i] = x[i] > 0 ? x[i] : 0.f; return 1;
    case U_ABS: for (long i = 0; i < n; i++) out[i] = fabsf(x[i]); return 1;
    case U_SQUARE: for (long i = 0; i < n; i++) out[i] = (float)((double)x[i] * x[i]); return 1;
    default: for (long i = 0; i < n; i++) out[i] = (float)unary_scalar(op, x[i]); return 1;
  }
}

static int p_unary_bwd(int op, const float *x, const float *dy, float *dx, long n) {
  for (long i = 0; i < n; i++) dx[i] = (float)(dy[i] * deriv_scalar(op, x[i]));
  return 1;
}

typedef struct { int op; const float *x, *dy; float *out; } un_ctx;
static void un_range(void *c, long i0, long i1) {
  un_ctx *u = (un_ctx *)c;
  const row_impl *ri = rows_current();
  if (!ri->unary(u->op, u->x + i0, u->out + i0, i1 - i0)) p_unary(u->op, u->x + i0, u->out + i0, i1 - i0);
}
static void unb_range(void *c, long i0, long i1) {
  un_ctx *u = (un_ctx *)c;
  const row_impl *ri = rows_current();
  if (!ri->unary_bwd(u->op, u->x + i0, u->dy + i0, u->out + i0, i1 - i0))
    p_unary_bwd(u->op, u->x + i0, u->dy + i0, u->out + i0, i1 - i0);
}
static double unary_cost(int op) {
  return (op == U_NEG || op == U_RELU || op == U_ABS || op == U_SQUARE) ? 0.5 : 4.0;
}
void k_unary(int op, const float *x, float *out, long n) {
  un_ctx u = {op, x, NULL, out};
  parallel_for(un_range, &u, n, unary_cost(op));
}
void k_unary_bwd(int op, const float *x, const float *dy, float *dx, long n) {
  un_ctx u = {op, x, dy, dx};
  parallel_for(unb_range, &u, n, unary_cost(op) * 1.5);
}

/* ---------- binary ---------- */
static inline float bop(int op, float a, float b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MAX: return (a >= b || a != a) ? a : b;
    case B_MIN: return (a <= b || a != a) ? a : b;
    case B_POW: return (float)pow((double)a, (double)b);
  }
  return NAN;
}

/* out[j] = op(a[j*as], b[j*bs]), j < n; the common stride patterns get their own (vectorisable) loops. */
#define BIN_LOOPS(EXPR)                                                        \
  if (as == 1 && bs == 1) for (long j = 0; j < n; j++) { float x = a[j], y = b[j]; out[j] = EXPR; } \
  else if (as == 1 && bs == 0) { float y = b[0]; for (long j = 0; j < n; j++) { float x = a[j]; out[j] = EXPR; } } \
  else if (as == 0 && bs == 1) { float x = a[0]; for (long j = 0; j < n; j++) { float y = b[j]; out[j] = EXPR; } } \
  else for (long j = 0; j < n; j++) { float x = a[j * as], y = b[j * bs]; out[j] = EXPR; }

static void bin_inner(int op, const float *a, long as, const float *b, long bs, float *out, long n) {
  switch (op) {
    case B_ADD: BIN_LOOPS(x + y) break;
    case B_SUB: BIN_LOOPS(x - y) break;
    case B_MUL: BIN_LOOPS(x * y) break;
    case B_DIV: BIN_LOOPS(x / y) break;
    case B_MAX: BIN_LOOPS((x >= y || x != x) ? x : y) break;
    case B_MIN: BIN_LOOPS((x <= y || x != x) ? x : y) break;
    default: for (long j = 0; j < n; j++) out[j] = bop(op, a[j * as], b[j * bs]);
  }
}

typedef struct {
  int op, nd;
  long shape[MAX_DIMS], as[MAX_DIMS], bs[MAX_DIMS];
  const float *a, *b;
  float *out;
  long inner;
} bin_ctx;

/* rows [r0, r1) of the (outer..., inner) iteration space */
static void bin_range(void *c, long r0, long r1) {
  bin_ctx *x = (bin_ctx *)c;
  int nd = x->nd;
  long idx[MAX_DIMS];
  long rem = r0, ao = 0, bo = 0;
  for (int d = nd - 2; d >= 0; d--) {
    idx[d] = rem % x->shape[d];
    rem /= x->shape[d];
    ao += idx[d] * x->as[d];
    bo += idx[d] * x->bs[d];
  }
  long inner = x->inner, ias = x->as[nd - 1], ibs = x->bs[nd - 1];
  float *o = x->out + r0 * inner;
  for (long r = r0; r < r1; r++, o += inner) {
    bin_inner(x->op, x->a + ao, ias, x->b + bo, ibs, o, inner);
    for (int d = nd - 2; d >= 0; d--) {
      ao += x->as[d];
      bo += x->bs[d];
      if (++idx[d] < x->shape[d]) break;
      ao -= x->as[d] * x->shape[d];
      bo -= x->bs[d] * x->shape[d];
      idx[d] = 0;
    }
  }
}

/* Drops size-1 axes and merges axes that are contiguous for every operand (output is contiguous). */
static int coalesce(int nd, const long *shape, const long *s1, const long *s2, long *osh, long *o1, long *o2) {
  int m = 0;
  for (int d = 0; d < nd; d++) {
    if (shape[d] == 1) continue;
    if (m > 0 && o1[m - 1] == s1[d] * shape[d] && (!s2 || o2[m - 1] == s2[d] * shape[d])) {
      osh[m - 1] *= shape[d];
      o1[m - 1] = s1[d];
      if (s2) o2[m - 1] = s2[d];
      continue;
    }
    osh[m] = shape[d];
    o1[m] = s1[d];
    if (s2) o2[m] = s2[d];
    m++;
  }
  if (m == 0) { osh[0] = 1; o1[0] = 1; if (o2) o2[0] = 1; m = 1; }
  return m;
}

void k_binary(int op, int nd, const long *shape, const float *a, const long *as, const float *b, const long *bs, float *out) {
  long n = 1;
  for (int d = 0; d < nd; d++) n *= shape[d];
  if (n == 0) return;
  bin_ctx x;
  x.op = op;
  x.a = a; x.b = b; x.out = out;
  x.nd = coalesce(nd, shape, as, bs, x.shape, x.as, x.bs);
  x.inner = x.shape[x.nd - 1];
  long rows = n / x.inner;
  /* very long single rows: split the row itself */
  if (x.nd == 1 && n >= 131072) {
    x.nd = 2;
    long chunk = 8192;
    long r = (n + chunk - 1) / chunk;
    if (n % chunk == 0) {
      x.shape[0] = r; x.shape[1] = chunk;
      x.as[1] = x.as[0]; x.bs[1] = x.bs[0];
      x.as[0] = x.as[1] * chunk; x.bs[0] = x.bs[1] * chunk;
      x.inner = chunk;
      rows = r;
    } else x.nd = 1;
  }
  parallel_for(bin_range, &x, rows, (double)x.inner * (op == B_POW ? 8.0 : 0.5));
}

/* ---------- strided copy (4-byte elements: float32 or int32) ---------- */
typedef struct {
  int nd;
  long shape[MAX_DIMS], ss[MAX_DIMS];
  const unsigned *src;
  unsigned *dst;
  long inner;
} cp_ctx;

static void cp_range(void *c, long r0, long r1) {
  cp_ctx *x = (cp_ctx *)c;
  int nd = x->nd;
  long idx[MAX_DIMS];
  long rem = r0, so = 0;
  for (int d = nd - 2; d >= 0; d--) {
    idx[d] = rem % x->shape[d];
    rem /= x->shape[d];
    so += idx[d] * x->ss[d];
  }
  long inner = x->inner, s = x->ss[nd - 1];
  unsigned *o = x->dst + r0 * inner;
  for (long r = r0; r < r1; r++, o += inner) {
    const unsigned *sp = x->src + so;
    if (s == 1) memcpy(o, sp, (size_t)inner * 4);
    else for (long j = 0; j < inner; j++) o[j] = sp[j * s];
    for (int d = nd - 2; d >= 0; d--) {
      so += x->ss[d];
      if (++idx[d] < x->shape[d]) break;
      so -= x->ss[d] * x->shape[d];
      idx[d] = 0;
    }
  }
}

void k_copy_strided(int nd, const long *shape, const unsigned *src, const long *ss, unsigned *dst) {
  long n = 1;
  for (int d = 0; d < nd; d++) n *= shape[d];
  if (n == 0) return;
  cp_ctx x;
  x.src = src; x.dst = dst;
  x.nd = coalesce(nd, shape, ss, NULL, x.shape, x.ss, NULL);
  x.inner = x.shape[x.nd - 1];
  parallel_for(cp_range, &x, n / x.inner, (double)x.inner * 0.5);
}

/* ---------- sumAxis ---------- */
typedef struct { const float *x; float *out; long outer, n, inner; } sa_ctx;

static void sa_rows(void *c, long o0, long o1) { /* inner == 1: row sums */
  sa_ctx *s = (sa_ctx *)c;
  const row_impl *ri = rows_current();
  for (long o = o0; o < o1; o++) s->out[o] = ri->sum(s->x + o * s->n, s->n);
}
static void sa_cols(void *c, long i0, long i1) { /* inner > 1: columns [i0, i1) of every outer block */
  sa_ctx *s = (sa_ctx *)c;
  enum { W = 512 };
  double acc[W];
  for (long o = 0; o < s->outer; o++)
    for (long ib = i0; ib < i1; ib += W) {
      long w = i1 - ib < W ? i1 - ib : W;
      for (long i = 0; i < w; i++) acc[i] = 0;
      for (long k = 0; k < s->n; k++) {
        const float *xr = s->x + (o * s->n + k) * s->inner + ib;
        for (long i = 0; i < w; i++) acc[i] += xr[i];
      }
      for (long i = 0; i < w; i++) s->out[o * s->inner + ib + i] = (float)acc[i];
    }
}

void k_sum_axis(const float *x, float *out, long outer, long n, long inner) {
  sa_ctx s = {x, out, outer, n, inner};
  if (outer == 0 || inner == 0) return;
  if (inner == 1) parallel_for(sa_rows, &s, outer, (double)n);
  else parallel_for(sa_cols, &s, inner, (double)n * outer);
}

/* ---------- gather / scatter ---------- */
typedef struct { const float *table; const int *ids; float *out; long cols; } gr_ctx;
static void gr_range(void *c, long i0, long i1) {
  gr_ctx *g = (gr_ctx *)c;
  for (long i = i0; i < i1; i++) memcpy(g->out + i * g->cols, g->table + (long)g->ids[i] * g->cols, (size_t)g->cols * 4);
}
void k_gather_rows(const float *table, const int *ids, long nids, float *out, long cols) {
  gr_ctx g = {table, ids, out, cols};
  parallel_for(gr_range, &g, nids, (double)cols * 0.25);
}

typedef struct { const float *dout; const int *ids; long nids; float *dtable; long cols; int skip; } sc_ctx;
static void sc_range(void *c, long j0, long j1) { /* columns [j0, j1) of every row: no write conflicts */
  sc_ctx *s = (sc_ctx *)c;
  for (long i = 0; i < s->nids; i++) {
    int id = s->ids[i];
    if (id == s->skip) continue;
    float *d = s->dtable + (long)id * s->cols;
    const float *g = s->dout + i * s->cols;
    for (long j = j0; j < j1; j++) d[j] += g[j];
  }
}
void k_scatter_add_rows(const float *dout, const int *ids, long nids, float *dtable, long cols, int skip) {
  sc_ctx s = {dout, ids, nids, dtable, cols, skip};
  parallel_for(sc_range, &s, cols, (double)nids);
}

/* ---------- RoPE ---------- */
typedef struct { const float *x, *cos, *sin; float *out; long nh, hd; float sign; } rope_ctx;
static void rope_range(void *c, long r0, long r1) {
  rope_ctx *p = (rope_ctx *)c;
  long half = p->hd >> 1;
  float sg = p->sign;
  for (long r = r0; r < r1; r++) {
    const float *cs = p->cos + r * p->hd, *sn = p->sin + r * p->hd;
    for (long h = 0; h < p->nh; h++) {
      const float *x = p->x + (r * p->nh + h) * p->hd;
      float *o = p->out + (r * p->nh + h) * p->hd;
      for (long i = 0; i < half; i++) {
        float x1 = x[i], x2 = x[i + half];
        float o1 = x1 * cs[i] - sg * x2 * sn[i];
        float o2 = x2 * cs[i + half] + sg * x1 * sn[i + half];
        o[i] = o1;
        o[i + half] = o2;
      }
    }
  }
}
void k_rope(const float *x, const float *cos, const float *sin, float *out, long rows, long nh, long hd, int sign) {
  rope_ctx p = {x, cos, sin, out, nh, hd, (float)sign};
  parallel_for(rope_range, &p, rows, (double)nh * hd);
}

/* ---------- AdamW (double arithmetic, as the js reference) ---------- */
typedef struct { float *p; const float *g; float *m, *v; double b1, b2, eps, step, bc2s, decay; } adam_ctx;
static void adam_range(void *c, long i0, long i1) {
  adam_ctx *a = (adam_ctx *)c;
  const double b1 = a->b1, b2 = a->b2, ob1 = 1 - b1, ob2 = 1 - b2;
  for (long i = i0; i < i1; i++) {
    double gi = a->g[i];
    /* js: `const mi = (m[i] = ...)` keeps the unrounded double, so do we */
    double mi = b1 * a->m[i] + ob1 * gi;
    double vi = b2 * a->v[i] + ob2 * gi * gi;
    a->m[i] = (float)mi;
    a->v[i] = (float)vi;
    a->p[i] = (float)(a->p[i] * a->decay - (a->step * mi) / (sqrt(vi) / a->bc2s + a->eps));
  }
}
void k_adamw(float *p, const float *g, float *m, float *v, long n, double beta1, double beta2, double eps,
             double step_size, double bc2_sqrt, double decay) {
  adam_ctx a = {p, g, m, v, beta1, beta2, eps, step_size, bc2_sqrt, decay};
  parallel_for(adam_range, &a, n, 6.0);
}

/* Non-GEMM kernels of the native back end (plain functions on raw float pointers; shapes explicit).
 * kernels.c: elementwise, copies, gathers, RoPE, AdamW, reductions; norms.c: softmax and norms;
 * kernels_avx2.c: AVX2/FMA row functions (vector exp/tanh/erf) chosen at run time. Op codes follow the
 * order of UnaryOp / BinaryOp in src/tensor/backend/backend.ts. */
#ifndef BERTCHAT_KERNELS_H
#define BERTCHAT_KERNELS_H

enum { U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_SIGMOID, U_RELU, U_GELU, U_GELU_TANH, U_SILU, U_ABS, U_SQUARE, U_COUNT };
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_POW, B_COUNT };
#define MAX_DIMS 16

/* Row-level pieces with a portable and an AVX2 version (see row_impl()). */
typedef struct {
  /* Return 0 when the op has no version here (caller falls back to portable). */
  int (*unary)(int op, const float *x, float *out, long n);
  int (*unary_bwd)(int op, const float *x, const float *dy, float *dx, long n);
  void (*softmax_row)(const float *x, float *out, long n);
  void (*logsoftmax_row)(const float *x, float *out, long n);
  void (*layernorm_row)(const float *x, const float *w, const float *b, float *out, float *mean, float *rstd, long n, float eps);
  void (*rmsnorm_row)(const float *x, const float *w, float *out, float *rstd, long n, float eps);
  float (*dot)(const float *a, const float *b, long n);
  float (*sum)(const float *a, long n);
} row_impl;

extern const row_impl rows_portable;
#if defined(BERTCHAT_X86)
extern const row_impl rows_avx2;
#endif
const row_impl *rows_current(void);
int rows_select(const char *name);

/* Splits [0, n) into contiguous chunks over the pool when n * cost_per_item is large enough. */
typedef void (*range_fn)(void *ctx, long i0, long i1);
void parallel_for(range_fn fn, void *ctx, long n, double cost_per_item);

/* kernels.c */
void k_unary(int op, const float *x, float *out, long n);
void k_unary_bwd(int op, const float *x, const float *dy, float *dx, long n);
void k_binary(int op, int nd, const long *shape, const float *a, const long *as, const float *b, const long *bs, float *out);
void k_copy_strided(int nd, const long *shape, const unsigned *src, const long *ss, unsigned *dst);
void k_sum_axis(const float *x, float *out, long outer, long n, long inner);
void k_gather_rows(const float *table, const int *ids, long nids, float *out, long cols);
void k_scatter_add_rows(const float *dout, const int *ids, long nids, float *dtable, long cols, int skip);
void k_rope(const float *x, const float *cos, const float *sin, float *out, long rows, long nh, long hd, int sign);
void k_adamw(float *p, const float *g, float *m, float *v, long n, double beta1, double beta2, double eps,
             double step_size, double bc2_sqrt, double decay);

/* norms.c */
void k_softmax(const float *x, float *out, long rows, long cols);
/* attention.c: fused decode attention and the scaled masked softmax (js references in src/tensor/backend/js/attention.ts) */
typedef struct {
  long B, nh, nkv, L, hs;
  float scale;
  const float *q; long qsB, qsH;
  const float *k; long ksB, ksH, ksL;
  const float *v; long vsB, vsH, vsL;
  const float *mask; long maskStrideB; /* NULL: no mask */
  float *out;                          /* (B, nh, hs) contiguous */
} attn_decode_args;
int k_attention_decode(const attn_decode_args *p);
void k_scaled_masked_softmax(const float *x, float *out, long rows, long cols, float scale, const float *mask, long groupRows, long mStrideG,
                             long period, long mStrideR);
void k_softmax_bwd(const float *y, const float *dy, float *dx, long rows, long cols);
void k_logsoftmax(const float *x, float *out, long rows, long cols);
void k_logsoftmax_bwd(const float *y, const float *dy, float *dx, long rows, long cols);
void k_layernorm(const float *x, const float *w, const float *b, float *out, float *mean, float *rstd, long rows, long cols, float eps);
int k_layernorm_bwd(const float *x, const float *w, const float *mean, const float *rstd, const float *dy, float *dx,
                    float *dw, float *db, long rows, long cols);
void k_rmsnorm(const float *x, const float *w, float *out, float *rstd, long rows, long cols, float eps);
int k_rmsnorm_bwd(const float *x, const float *w, const float *rstd, const float *dy, float *dx, float *dw, long rows, long cols);

#endif

/* Fused decode attention (one query position over the KV cache), grouped-query aware, and the scaled masked
 * softmax rows. See AttentionDecodeArgs in src/tensor/backend/backend.ts; the js reference is
 * src/tensor/backend/js/attention.ts. One pass per head: scores = scale·q·Kᵀ (+ mask), softmax over the L valid
 * positions, out = p·V, with no intermediate tensors. Single-threaded: at decode sizes (L·hs·nh ~ 1e5 FMAs)
 * a thread hand-off costs more than it saves. */
#include "kernels.h"
#include "gemm.h"
#include <math.h>
#include <string.h>

static float dot_f(const float *a, const float *b, long n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int t = 0; t < 8; t++) s[t] += a[i + t] * b[i + t];
  float r = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
  for (; i < n; i++) r += a[i] * b[i];
  return r;
}

int k_attention_decode(const attn_decode_args *p) {
  const long L = p->L, hs = p->hs, g = p->nh / p->nkv;
  float *s = thread_scratch(4, (size_t)(L > 0 ? L : 1));
  if (!s) return 0;
  const row_impl *ri = rows_current();
  for (long b = 0; b < p->B; b++) {
    const float *mrow = p->mask ? p->mask + b * p->maskStrideB : NULL;
    for (long h = 0; h < p->nh; h++) {
      const long kh = h / g;
      const float *q = p->q + b * p->qsB + h * p->qsH;
      const float *K = p->k + b * p->ksB + kh * p->ksH;
      const float *V = p->v + b * p->vsB + kh * p->vsH;
      float *o = p->out + (b * p->nh + h) * hs;
      for (long l = 0; l < L; l++) {
        float v = p->scale * dot_f(q, K + l * p->ksL, hs);
        s[l] = mrow ? v + mrow[l] : v;
      }
      ri->softmax_row(s, s, L);
      for (long d = 0; d < hs; d++) o[d] = 0.f;
      for (long l = 0; l < L; l++) {
        const float pl = s[l];
        const float *vl = V + l * p->vsL;
        for (long d = 0; d < hs; d++) o[d] += pl * vl[d];
      }
    }
  }
  return 1;
}

/* out[r, :] = softmax(scale·x[r, :] + mask[mOff(r), :]), mOff(r) = (r / groupRows)·mStrideG + (r % period)·mStrideR */
typedef struct {
  const float *x;
  float *out;
  long cols;
  float scale;
  const float *mask;
  long groupRows, mStrideG, period, mStrideR;
} smsm_job;

static void smsm_range(void *c, long r0, long r1) {
  const smsm_job *j = (const smsm_job *)c;
  const row_impl *ri = rows_current();
  const long n = j->cols;
  for (long r = r0; r < r1; r++) {
    const float *x = j->x + r * n;
    float *o = j->out + r * n;
    if (j->mask) {
      const float *m = j->mask + (r / j->groupRows) * j->mStrideG + (r % j->period) * j->mStrideR;
      for (long c = 0; c < n; c++) o[c] = j->scale * x[c] + m[c];
    } else {
      for (long c = 0; c < n; c++) o[c] = j->scale * x[c];
    }
    ri->softmax_row(o, o, n);
  }
}

void k_scaled_masked_softmax(const float *x, float *out, long rows, long cols, float scale, const float *mask, long groupRows, long mStrideG,
                             long period, long mStrideR) {
  smsm_job j = {x, out, cols, scale, mask, groupRows > 0 ? groupRows : 1, mStrideG, period > 0 ? period : 1, mStrideR};
  parallel_for(smsm_range, &j, rows, (double)cols * 4);
}

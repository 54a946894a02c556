/* Persistent thread pool for the native kernels.
 * pool_run(fn, ctx, n) runs fn(ctx, tid, n) on n threads (the caller is tid 0) and returns when all are done.
 * Workers spin briefly after each job, then sleep (futex on Linux, condvar elsewhere), so back-to-back small
 * ops (decode) pay no wake-up cost while an idle process burns no CPU. If the pool is busy (another JS thread
 * is using it), the job runs inline with n = 1, so fn must accept any thread count. */
#ifndef BERTCHAT_THREADPOOL_H
#define BERTCHAT_THREADPOOL_H

typedef void (*pool_fn)(void *ctx, int tid, int nthreads);

/* Threads kernels may use (>= 1). */
int pool_threads(void);
/* Sets the thread count (clamped to [1, 64]); workers start lazily. */
void pool_set_threads(int n);
/* Runs fn on min(n, pool_threads()) threads; n <= 1 runs inline. */
void pool_run(pool_fn fn, void *ctx, int n);
/* Number of online CPUs. */
int pool_cpu_count(void);

#endif

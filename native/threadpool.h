/* Persistent thread pool for the native kernels.
 * pool_run(fn, ctx, n) calls fn(ctx, tid, n) on the caller (tid 0) and on those of n-1 workers that start before
 * the caller has finished its own call; it returns when every started call has returned. So fn must hand out
 * its work dynamically (claim chunks from an atomic counter in ctx), never assume that all n tids run: then a
 * worker that is descheduled (busy machine) costs nothing, the caller just does more of the work.
 * Workers spin briefly after each job, then sleep (futex on Linux, condvar elsewhere), so back-to-back small
 * ops (decode) pay no wake-up cost while an idle process burns no CPU. If the pool is busy (another JS thread
 * is using it), the job runs inline with n = 1. */
#ifndef BERTCHAT_THREADPOOL_H
#define BERTCHAT_THREADPOOL_H

typedef void (*pool_fn)(void *ctx, int tid, int nthreads);

/* Threads kernels may use (>= 1). */
int pool_threads(void);
/* Sets the thread count (clamped to [1, 64]); workers start lazily. */
void pool_set_threads(int n);
/* Runs fn on min(n, pool_threads()) threads; n <= 1 runs inline. */
void pool_run(pool_fn fn, void *ctx, int n);
/* Stops and joins the workers (after any job in flight); later jobs start new ones. */
void pool_shutdown(void);
/* Number of online CPUs. */
int pool_cpu_count(void);

#endif

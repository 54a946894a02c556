/* Persistent pthread pool: generation counter + spin-then-sleep workers + a "door" per job; see threadpool.h. */
#include "threadpool.h"
#include "gemm.h"
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
/* No pool on Windows builds: everything runs on the calling thread. */
int pool_threads(void) { return 1; }
void pool_set_threads(int n) { (void)n; }
int pool_cpu_count(void) { return 1; }
void pool_run(pool_fn fn, void *ctx, int n) { (void)n; fn(ctx, 0, 1); }
void pool_shutdown(void) {}
#else

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sched.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

#define MAX_THREADS 64
/* Spin iterations (each a pause, ~10-40 ns on current x86) before a worker sleeps: long enough to bridge the
 * gaps between back-to-back kernels of a decode step, short enough that an idle process burns no CPU. */
#define SPIN_WORKER 50000
#define SPIN_MASTER 20000

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* held while a job runs */
static pthread_mutex_t g_start_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_threads = 0; /* configured thread count */
static int g_started = 0; /* workers running (tids 1..g_started) */

static _Atomic unsigned g_gen = 0; /* bumped once per job */
/* Door of the current job: a worker adds 1 to enter. The caller closes it (DOOR_CLOSED) once its own share is
 * done and then waits only for the workers that entered; a worker that wakes late finds the door closed and
 * never touches the job. So a descheduled worker cannot stall the caller, provided the job hands out its work
 * dynamically (every kernel claims chunks from an atomic counter). */
#define DOOR_CLOSED 0x40000000
static _Atomic int g_door = DOOR_CLOSED;
static _Atomic int g_done = 0; /* entered workers that have finished */
static pool_fn g_fn;
static void *g_ctx;
static int g_n; /* threads in the current job */
static _Atomic int g_sleepers = 0;
static unsigned g_gen_at_create[MAX_THREADS];
static pthread_t g_tids[MAX_THREADS];
static _Atomic int g_quit = 0; /* pool_shutdown: workers leave their loop */

#if defined(__linux__)
static void fwait(_Atomic unsigned *addr, unsigned val) {
  syscall(SYS_futex, (void *)addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}
static void fwake(_Atomic unsigned *addr) {
  syscall(SYS_futex, (void *)addr, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}
#else
static pthread_mutex_t g_cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static void fwait(_Atomic unsigned *addr, unsigned val) {
  pthread_mutex_lock(&g_cv_lock);
  while (atomic_load(addr) == val) pthread_cond_wait(&g_cv, &g_cv_lock);
  pthread_mutex_unlock(&g_cv_lock);
}
static void fwake(_Atomic unsigned *addr) {
  (void)addr;
  pthread_mutex_lock(&g_cv_lock);
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_cv_lock);
}
#endif

static void *worker_main(void *arg) {
  int tid = (int)(long)arg;
  /* the generation current when this worker was created (jobs only start under g_lock, after creation) */
  unsigned seen = g_gen_at_create[tid];
  for (;;) {
    unsigned g;
    int spins = 0;
    while ((g = atomic_load_explicit(&g_gen, memory_order_acquire)) == seen) {
      if (++spins < SPIN_WORKER) {
        CPU_RELAX();
        /* on an oversubscribed machine, let a runnable thread (maybe our caller) have the core now and then */
        if ((spins & 1023) == 0) sched_yield();
        continue;
      }
      atomic_fetch_add(&g_sleepers, 1);
      /* re-check after announcing ourselves, so a wake between the load and the sleep is not lost */
      if (atomic_load(&g_gen) == seen) fwait(&g_gen, seen);
      atomic_fetch_sub(&g_sleepers, 1);
      spins = 0;
    }
    seen = g;
    if (atomic_load(&g_quit)) break;
    int d = atomic_fetch_add(&g_door, 1);
    if (d & DOOR_CLOSED) continue; /* that job is over (the caller did the work) */
    /* entered: g_fn/g_ctx/g_n belong to the open job (written before its door opened) */
    if (tid < g_n) g_fn(g_ctx, tid, g_n);
    atomic_fetch_add_explicit(&g_done, 1, memory_order_release);
  }
  thread_scratch_free();
  return NULL;
}

int pool_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (n > MAX_THREADS ? MAX_THREADS : (int)n);
}

static void init_threads(void) {
  if (g_threads > 0) return;
  const char *env = getenv("BERTCHAT_THREADS");
  int n = env ? atoi(env) : 0;
  if (n <= 0) n = pool_cpu_count();
  if (n > MAX_THREADS) n = MAX_THREADS;
  g_threads = n;
}

int pool_threads(void) {
  pthread_mutex_lock(&g_start_lock);
  init_threads();
  int n = g_threads;
  pthread_mutex_unlock(&g_start_lock);
  return n;
}

void pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pthread_mutex_lock(&g_start_lock);
  g_threads = n;
  pthread_mutex_unlock(&g_start_lock);
}

/* Starts workers up to n-1 (called with g_lock held). Returns how many threads a job may use. */
static int ensure_workers(int n) {
  pthread_mutex_lock(&g_start_lock);
  while (g_started < n - 1) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    g_gen_at_create[g_started + 1] = atomic_load(&g_gen);
    int rc = pthread_create(&th, &attr, worker_main, (void *)(long)(g_started + 1));
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    g_tids[g_started + 1] = th;
    g_started++;
  }
  int avail = g_started + 1;
  pthread_mutex_unlock(&g_start_lock);
  return n < avail ? n : avail;
}

void pool_run(pool_fn fn, void *ctx, int n) {
  int maxn = pool_threads();
  if (n > maxn) n = maxn;
  /* busy (another JS thread is using the pool): run inline */
  if (n <= 1 || pthread_mutex_trylock(&g_lock) != 0) {
    fn(ctx, 0, 1);
    return;
  }
  n = ensure_workers(n);
  if (n <= 1) {
    pthread_mutex_unlock(&g_lock);
    fn(ctx, 0, 1);
    return;
  }
  g_fn = fn;
  g_ctx = ctx;
  g_n = n;
  atomic_store(&g_done, 0);
  atomic_store(&g_door, 0); /* opens the door; the job fields above are visible to whoever enters */
  atomic_fetch_add_explicit(&g_gen, 1, memory_order_release);
  if (atomic_load(&g_sleepers) > 0) fwake(&g_gen);
  fn(ctx, 0, n);
  int entered = atomic_fetch_or(&g_door, DOOR_CLOSED) & ~DOOR_CLOSED;
  int spins = 0;
  while (atomic_load_explicit(&g_done, memory_order_acquire) < entered) {
    if (++spins < SPIN_MASTER && (spins & 255) != 0) { CPU_RELAX(); continue; }
    sched_yield();
  }
  pthread_mutex_unlock(&g_lock);
}

/* Stops and joins every worker (waiting for a job in flight to end first). The next pool_run starts fresh
 * ones. Called when the last Node environment using the addon is torn down, so no pool thread outlives the
 * environments (and the addon's code) it serves. */
void pool_shutdown(void) {
  pthread_mutex_lock(&g_lock);
  pthread_mutex_lock(&g_start_lock);
  if (g_started > 0) {
    atomic_store(&g_quit, 1);
    atomic_fetch_add_explicit(&g_gen, 1, memory_order_release);
    fwake(&g_gen);
    for (int t = 1; t <= g_started; t++) pthread_join(g_tids[t], NULL);
    g_started = 0;
    atomic_store(&g_quit, 0);
  }
  pthread_mutex_unlock(&g_start_lock);
  pthread_mutex_unlock(&g_lock);
}
#endif

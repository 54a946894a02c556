/* Persistent pthread pool: generation counter + spin-then-sleep workers; see threadpool.h. */
#include "threadpool.h"
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
/* No pool on Windows builds: everything runs on the calling thread. */
int pool_threads(void) { return 1; }
void pool_set_threads(int n) { (void)n; }
int pool_cpu_count(void) { return 1; }
void pool_run(pool_fn fn, void *ctx, int n) { (void)n; fn(ctx, 0, 1); }
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
/* Spin iterations (each a pause, ~10-40 ns on current x86) before sleeping. */
#define SPIN_WORKER 60000
#define SPIN_MASTER 200000

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* held while a job runs */
static pthread_mutex_t g_start_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_threads = 0;       /* configured thread count */
static int g_started = 0;       /* workers running (tids 1..g_started) */

static _Atomic unsigned g_gen = 0;      /* bumped once per job */
static _Atomic int g_pending = 0;       /* workers yet to finish the current job */
static pool_fn g_fn;
static void *g_ctx;
static int g_n;                         /* threads in the current job */

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

static _Atomic int g_sleepers = 0;
static _Atomic unsigned g_done_gen = 0; /* futex word the master sleeps on */
static _Atomic int g_master_sleeping = 0;

static unsigned g_gen_at_create[MAX_THREADS];

static void *worker_main(void *arg) {
  int tid = (int)(long)arg;
  /* The generation current when this worker was created (jobs only start under g_lock, after creation). */
  unsigned seen = g_gen_at_create[tid];
  for (;;) {
    unsigned g;
    int spins = 0;
    while ((g = atomic_load_explicit(&g_gen, memory_order_acquire)) == seen) {
      if (++spins < SPIN_WORKER) { CPU_RELAX(); continue; }
      atomic_fetch_add(&g_sleepers, 1);
      /* Re-check after announcing ourselves, so a wake between the load and the sleep is not lost. */
      if (atomic_load(&g_gen) == seen) fwait(&g_gen, seen);
      atomic_fetch_sub(&g_sleepers, 1);
      spins = 0;
    }
    seen = g;
    if (tid < g_n) g_fn(g_ctx, tid, g_n);
    if (atomic_fetch_sub_explicit(&g_pending, 1, memory_order_acq_rel) == 1) {
      if (atomic_load(&g_master_sleeping)) {
        atomic_fetch_add(&g_done_gen, 1);
        fwake(&g_done_gen);
      }
    }
  }
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
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);
    g_gen_at_create[g_started + 1] = atomic_load(&g_gen);
    int rc = pthread_create(&th, &attr, worker_main, (void *)(long)(g_started + 1));
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    g_started++;
  }
  int avail = g_started + 1;
  pthread_mutex_unlock(&g_start_lock);
  return n < avail ? n : avail;
}

void pool_run(pool_fn fn, void *ctx, int n) {
  int maxn = pool_threads();
  if (n > maxn) n = maxn;
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
  /* Every started worker takes part in the generation (idle ones just count down). */
  int workers;
  pthread_mutex_lock(&g_start_lock);
  workers = g_started;
  pthread_mutex_unlock(&g_start_lock);
  g_fn = fn;
  g_ctx = ctx;
  g_n = n;
  atomic_store(&g_pending, workers);
  atomic_fetch_add_explicit(&g_gen, 1, memory_order_release);
  if (atomic_load(&g_sleepers) > 0) fwake(&g_gen);
  fn(ctx, 0, n);
  int spins = 0;
  while (atomic_load_explicit(&g_pending, memory_order_acquire) > 0) {
    if (++spins < SPIN_MASTER) { CPU_RELAX(); continue; }
    unsigned d = atomic_load(&g_done_gen);
    atomic_store(&g_master_sleeping, 1);
    if (atomic_load(&g_pending) > 0) {
      /* bounded wait: a lost wake-up costs at most one futex timeout */
#if defined(__linux__)
      struct timespec ts = {0, 1000000};
      syscall(SYS_futex, (void *)&g_done_gen, FUTEX_WAIT_PRIVATE, d, &ts, NULL, 0);
#else
      sched_yield();
#endif
    }
    atomic_store(&g_master_sleeping, 0);
    spins = 0;
  }
  pthread_mutex_unlock(&g_lock);
}
#endif

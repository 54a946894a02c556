/* Run-time CPU feature checks (x86: AVX2 + FMA, AVX-512F). BERTCHAT_X86 is defined by binding.gyp on x64
 * builds; elsewhere both report 0 and the portable kernels run. */
#ifndef BERTCHAT_CPU_H
#define BERTCHAT_CPU_H
#include <stdlib.h>

/* AVX2 + FMA. BERTCHAT_NO_AVX2=1 turns it off (testing aid: forces the portable kernels). */
static inline int cpu_has_avx2_fma(void) {
#if defined(BERTCHAT_X86) && (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  static int cached = -1;
  if (cached < 0) {
    const char *off = getenv("BERTCHAT_NO_AVX2");
    __builtin_cpu_init();
    cached = (!off || off[0] == '0') && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return cached;
#else
  return 0;
#endif
}

/* AVX-512F on top of AVX2 + FMA: the wider GEMM micro-kernel. BERTCHAT_NO_AVX512=1 turns it off. */
static inline int cpu_has_avx512(void) {
#if defined(BERTCHAT_X86) && (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  static int cached = -1;
  if (cached < 0) {
    const char *off = getenv("BERTCHAT_NO_AVX512");
    __builtin_cpu_init();
    cached = (!off || off[0] == '0') && cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
  }
  return cached;
#else
  return 0;
#endif
}
#endif

/* Run-time CPU feature checks (x86: AVX2 + FMA). BERTCHAT_X86 is defined by binding.gyp on x64 builds. */
#ifndef BERTCHAT_CPU_H
#define BERTCHAT_CPU_H
#include <stdlib.h>
static inline int cpu_has_avx2_fma(void) {
#if defined(BERTCHAT_X86) && (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  static int cached = -1;
  if (cached < 0) {
    const char *off = getenv("BERTCHAT_NO_AVX2"); /* testing aid: force the portable path */
    __builtin_cpu_init();
    cached = (!off || off[0] == '0') && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return cached;
#else
  return 0;
#endif
}
#endif

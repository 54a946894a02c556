# Native CPU back end of bertchat (Node-API, plain C). The AVX2/FMA kernels and the AVX-512 GEMM micro-kernel
# are separate static libraries compiled with -mavx2 -mfma / -mavx512f (x64 only); everything else is portable
# C, and cpu.h picks the kernels at run time, so the addon loads on any x86-64 (and builds without the x86
# files elsewhere).
{
  "targets": [
    {
      "target_name": "bertchat_native",
      "sources": [
        "native/addon.c",
        "native/attention.c",
        "native/gemm.c",
        "native/kernels.c",
        "native/norms.c",
        "native/threadpool.c"
      ],
      "cflags": ["-O3", "-std=gnu11", "-fPIC", "-ffp-contract=off", "-fno-math-errno", "-Wall", "-Wno-unused-function"],
      "cflags!": ["-O2", "-O0"],
      "defines": ["NAPI_VERSION=8"],
      "libraries": ["-lpthread", "-lm"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["BERTCHAT_X86=1"],
          "dependencies": ["bertchat_avx2", "bertchat_avx512"]
        }],
        ["OS=='mac'", {
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=gnu11"] }
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "bertchat_avx2",
          "type": "static_library",
          "sources": ["native/gemm_avx2.c", "native/kernels_avx2.c"],
          "defines": ["BERTCHAT_X86=1", "NAPI_VERSION=8"],
          "cflags": ["-O3", "-std=gnu11", "-fPIC", "-mavx2", "-mfma", "-fno-math-errno", "-Wall"],
          "cflags!": ["-O2", "-O0"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx2", "-mfma"] }
        },
        {
          "target_name": "bertchat_avx512",
          "type": "static_library",
          "sources": ["native/gemm_avx512.c"],
          "defines": ["BERTCHAT_X86=1", "NAPI_VERSION=8"],
          "cflags": ["-O3", "-std=gnu11", "-fPIC", "-mavx512f", "-mavx2", "-mfma", "-Wall"],
          "cflags!": ["-O2", "-O0"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-mavx512f", "-mavx2", "-mfma"] }
        }
      ]
    }]
  ]
}

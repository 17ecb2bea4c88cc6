# qlinCpuFeatures.cmake: which x86 SIMD extensions the build machine can run (and its OS enables).
# Sets QLIN_CPU_HAS_AVX2 and QLIN_CPU_HAS_AVX512 (F + CD + DQ + BW + VL). Uses GCC/Clang's
# __builtin_cpu_supports, which also checks the OS's XSAVE support (xsimd 8.1's cpuid does not:
# reference/TOOLCHAIN.md section 2). Override with -DQLIN_CPU_HAS_AVX512=OFF etc.
include_guard(GLOBAL)
if(DEFINED QLIN_CPU_HAS_AVX2 AND DEFINED QLIN_CPU_HAS_AVX512)
  return()
endif()
set(_qlin_probe "${CMAKE_BINARY_DIR}/qlin_cpu_probe.cpp")
file(WRITE "${_qlin_probe}" [=[
#include <cstdio>
int main() {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl");
  std::printf("%d;%d", avx2 ? 1 : 0, avx512 ? 1 : 0);
  return 0;
}
]=])
try_run(_qlin_run _qlin_compile "${CMAKE_BINARY_DIR}/qlin_cpu_probe" "${_qlin_probe}"
        RUN_OUTPUT_VARIABLE _qlin_out)
if(_qlin_compile AND _qlin_run EQUAL 0)
  list(GET _qlin_out 0 _qlin_avx2)
  list(GET _qlin_out 1 _qlin_avx512)
else()
  set(_qlin_avx2 0)
  set(_qlin_avx512 0)
endif()
set(QLIN_CPU_HAS_AVX2 ${_qlin_avx2} CACHE BOOL "The build machine runs AVX2 + FMA code")
set(QLIN_CPU_HAS_AVX512 ${_qlin_avx512} CACHE BOOL "The build machine runs AVX-512 F/CD/DQ/BW/VL code")
message(STATUS "qlin: this CPU runs AVX2: ${QLIN_CPU_HAS_AVX2}, AVX-512: ${QLIN_CPU_HAS_AVX512}")
unset(_qlin_probe)
unset(_qlin_out)

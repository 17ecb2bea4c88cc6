// kernels_avx512bw.cpp: qlin's kernel table for xsimd::avx512bw. Compiled with -mavx2 -mfma -mavx512f -mavx512cd -mavx512dq -mavx512bw -mavx512vl
// (CMakeLists.txt, set_source_files_properties); every other translation unit of the program stays
// baseline x86-64. Only templates on the arch are instantiated here (qlin/dispatch.hpp explains why
// that is ODR-safe).
#define QLIN_DISPATCH_ARCH_TU 1
#include <qlin/dispatch.hpp>

QLIN_DISPATCH_DEFINE_TABLE(table_avx512bw, xsimd::avx512bw)

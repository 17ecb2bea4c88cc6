// kernels_sse41.cpp: qlin's kernel table for xsimd::sse4_1. Compiled with -msse4.1
// (CMakeLists.txt, set_source_files_properties); every other translation unit of the program stays
// baseline x86-64. Only templates on the arch are instantiated here (qlin/dispatch.hpp explains why
// that is ODR-safe).
#define QLIN_DISPATCH_ARCH_TU 1
#include <qlin/dispatch.hpp>

QLIN_DISPATCH_DEFINE_TABLE(table_sse4_1, xsimd::sse4_1)

// dispatch.hpp: opt-in runtime dispatch -- one binary that runs qlin's best compiled kernels for the CPU it finds.
//
// Copyright 2026 The qlin Authors. SPDX-License-Identifier: Apache-2.0
//
// qlin is header-only and its SIMD kernels (qlin/kernels/*.hpp) are chosen by the compiler flags
// of the translation unit that includes them (qlin/simd.hpp). To run AVX2 / AVX-512 kernels where
// the CPU has them and SSE2 elsewhere from ONE binary, the program builds one small translation unit
// per arch with that arch's flags, each defining a table of function pointers:
//
//   // kernels_avx2.cpp, compiled with -mavx2 -mfma
//   #define QLIN_DISPATCH_ARCH_TU 1
//   #include <qlin/dispatch.hpp>
//   QLIN_DISPATCH_DEFINE_TABLE(table_avx2, xsimd::avx2)
//
// and compiles every other translation unit (the caller) for the baseline, with
// QLIN_DISPATCH_AVX512BW / _AVX2 / _SSE4_1 / _SSE2 defined to 1 for the tables it links in. The
// caller then uses qlin::dispatch::quantize(...) & co., or qlin::dispatch::active() for the table;
// qlin::dispatch::active_arch_name() names the pick ("avx512bw", "avx2", "sse4.1", "sse2" or
// "scalar"). examples/runtime_dispatch/ is a complete CMake example (set_source_files_properties
// gives each TU its flags) and its test runs under qemu-x86_64 -cpu Nehalem / qemu64 / Haswell.
//
// The choice: the best table linked in whose instructions the CPU and OS support, with GCC/Clang's
// __builtin_cpu_supports (it checks XSAVE/OS support; xsimd 8.1's cpuid reads SSE2 from the wrong
// bit and has no OS check, reference/TOOLCHAIN.md section 2). AVX-512 needs F, CD, DQ, BW and VL,
// AVX2 needs FMA too (the TU is built with -mfma). The environment variable QLIN_DISPATCH_ARCH
// (a name above) forces a table, if the CPU supports it; the scalar reference is the fallback.
// Computed once, on first use (a function-local static: thread-safe).
//
// Why this cannot mix ISAs (the ODR hazard of TOOLCHAIN.md section 3b): everything an arch TU
// instantiates is a template on the arch (kernels::quantize_f32<T, A> and the scalar prologues /
// tails they call, arch::*<A>), so its symbols differ from every other TU's; the caller never names
// those specializations (it cannot: xsimd's batch<T, avx2> does not exist without -mavx2), it only
// calls the table's pointers, so no `extern template` is needed. A table function is an ordinary
// external function defined in exactly one TU. Caveats: do not call other qlin functions (qlin::
// quantize, qlin::simd::..., observers) from an arch TU -- they are plain inline functions whose
// copy compiled with -mavx2 the linker may keep for the whole program; and in builds with
// QLIN_ENABLE_ASSERTS the assertion handler (qlin::detail::assert_fail) is shared, which matters
// only once an assertion has failed.
#ifndef QLIN_DISPATCH_HPP_
#define QLIN_DISPATCH_HPP_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "quantize.hpp"
#include "requantize.hpp"

#if defined(QLIN_DISPATCH_ARCH_TU) && QLIN_DISPATCH_ARCH_TU
#include "simd.hpp"
#endif

namespace qlin {
namespace dispatch {

/// The kernels of one arch, as function pointers with the signatures of qlin::quantize & co.
/// Every pointer is non-null: an arch TU fills a table with make_table<A>(), scalar_table() with
/// the scalar reference.
struct kernel_table {
  /// The signature of qlin::quantize<T> (float to T, per-tensor parameters).
  template <class T>
  using quantize_fn = void (*)(const float*, std::size_t, T*, const quant_params&, quantize_method) noexcept;
  /// The signature of qlin::dequantize<T>.
  template <class T>
  using dequantize_fn = void (*)(const T*, std::size_t, float*, const quant_params&) noexcept;
  /// The signature of qlin::requantize<T>.
  template <class T>
  using requantize_fn = void (*)(const std::int32_t*, std::size_t, T*, const requantize_params&) noexcept;
  /// The signature of qlin::requantize_rows<T> with per-tensor parameters.
  template <class T>
  using requantize_rows_fn = void (*)(const std::int32_t*, std::size_t, std::size_t, const std::int32_t*, T*,
                                      const requantize_params&) noexcept;
  /// The signature of qlin::requantize_rows<T> with per-channel parameters.
  template <class T>
  using requantize_rows_pc_fn = void (*)(const std::int32_t*, std::size_t, std::size_t, const std::int32_t*, T*,
                                         const per_channel_requantize_params&) noexcept;

  /// The arch: "avx512bw", "avx2", "sse4.1", "sse2" (xsimd's names) or "scalar".
  const char* name;
  quantize_fn<std::int8_t> quantize_s8;      ///< quantize to int8_t
  quantize_fn<std::uint8_t> quantize_u8;     ///< quantize to uint8_t
  quantize_fn<std::int16_t> quantize_s16;    ///< quantize to int16_t
  dequantize_fn<std::int8_t> dequantize_s8;    ///< dequantize int8_t
  dequantize_fn<std::uint8_t> dequantize_u8;   ///< dequantize uint8_t
  dequantize_fn<std::int16_t> dequantize_s16;  ///< dequantize int16_t
  requantize_fn<std::int8_t> requantize_s8;    ///< requantize int32 to int8_t
  requantize_fn<std::uint8_t> requantize_u8;   ///< requantize int32 to uint8_t
  requantize_fn<std::int16_t> requantize_s16;  ///< requantize int32 to int16_t
  requantize_rows_fn<std::int8_t> requantize_rows_s8;   ///< requantize_rows to int8_t, per-tensor parameters
  requantize_rows_fn<std::uint8_t> requantize_rows_u8;  ///< requantize_rows to uint8_t, per-tensor parameters
  requantize_rows_pc_fn<std::int8_t> requantize_rows_per_channel_s8;   ///< requantize_rows to int8_t, per channel
  requantize_rows_pc_fn<std::uint8_t> requantize_rows_per_channel_u8;  ///< requantize_rows to uint8_t, per channel
};

/// The AVX-512 (F, CD, DQ, BW, VL) table. Declared here; an arch TU built with those flags defines it
/// with QLIN_DISPATCH_DEFINE_TABLE(table_avx512bw, xsimd::avx512bw). Link it in and define
/// QLIN_DISPATCH_AVX512BW=1 in the callers, or leave both out.
const kernel_table& table_avx512bw() noexcept;
/// The AVX2 + FMA table (an arch TU built with -mavx2 -mfma; callers define QLIN_DISPATCH_AVX2=1).
const kernel_table& table_avx2() noexcept;
/// The SSE4.1 table (an arch TU built with -msse4.1; callers define QLIN_DISPATCH_SSE4_1=1).
const kernel_table& table_sse4_1() noexcept;
/// The SSE2 table (an arch TU built for baseline x86-64; callers define QLIN_DISPATCH_SSE2=1).
const kernel_table& table_sse2() noexcept;

#if defined(QLIN_DISPATCH_ARCH_TU) && QLIN_DISPATCH_ARCH_TU && QLIN_SIMD
/// The table of arch A (only in an arch TU, built with A's flags).
template <class A>
constexpr kernel_table make_table() noexcept {
  return kernel_table{A::name(),
                      &kernels::quantize_f32<std::int8_t, A>,
                      &kernels::quantize_f32<std::uint8_t, A>,
                      &kernels::quantize_f32<std::int16_t, A>,
                      &kernels::dequantize_f32<std::int8_t, A>,
                      &kernels::dequantize_f32<std::uint8_t, A>,
                      &kernels::dequantize_f32<std::int16_t, A>,
                      &kernels::requantize_s32<std::int8_t, A>,
                      &kernels::requantize_s32<std::uint8_t, A>,
                      &kernels::requantize_s32<std::int16_t, A>,
                      &kernels::requantize_rows_s32<std::int8_t, A>,
                      &kernels::requantize_rows_s32<std::uint8_t, A>,
                      &kernels::requantize_rows_s32<std::int8_t, A>,
                      &kernels::requantize_rows_s32<std::uint8_t, A>};
}
/// Defines `const qlin::dispatch::kernel_table& qlin::dispatch::FN() noexcept` for xsimd arch ARCH.
/// Use it at namespace scope in a TU compiled with ARCH's flags and QLIN_DISPATCH_ARCH_TU defined.
#define QLIN_DISPATCH_DEFINE_TABLE(FN, ARCH)                                                             \
  static_assert(ARCH::supported(), "compile this translation unit with the flags of " #ARCH);            \
  const ::qlin::dispatch::kernel_table& ::qlin::dispatch::FN() noexcept {                              \
    static constexpr ::qlin::dispatch::kernel_table table = ::qlin::dispatch::make_table<ARCH>();       \
    return table;                                                                                      \
  }
#endif

#if !(defined(QLIN_DISPATCH_ARCH_TU) && QLIN_DISPATCH_ARCH_TU)
// ---------------------------------------------------------------- the caller's side (baseline TUs)

/// The scalar reference as a table (the fallback; compiled with the caller's flags).
inline const kernel_table& scalar_table() noexcept {
  static constexpr kernel_table table{
      "scalar",
      &qlin::quantize<std::int8_t>,
      &qlin::quantize<std::uint8_t>,
      &qlin::quantize<std::int16_t>,
      &qlin::dequantize<std::int8_t>,
      &qlin::dequantize<std::uint8_t>,
      &qlin::dequantize<std::int16_t>,
      &qlin::requantize<std::int8_t>,
      &qlin::requantize<std::uint8_t>,
      &qlin::requantize<std::int16_t>,
      static_cast<kernel_table::requantize_rows_fn<std::int8_t>>(&qlin::requantize_rows<std::int8_t>),
      static_cast<kernel_table::requantize_rows_fn<std::uint8_t>>(&qlin::requantize_rows<std::uint8_t>),
      static_cast<kernel_table::requantize_rows_pc_fn<std::int8_t>>(&qlin::requantize_rows<std::int8_t>),
      static_cast<kernel_table::requantize_rows_pc_fn<std::uint8_t>>(&qlin::requantize_rows<std::uint8_t>)};
  return table;
}

/// Whether the CPU (and OS) can run the table named `name` ("avx512bw", "avx2", "sse4.1", "sse2",
/// "scalar"). False for unknown names, and for every SIMD name on compilers without
/// __builtin_cpu_supports or on non-x86 targets.
inline bool cpu_supports(const char* name) noexcept {
  if (std::strcmp(name, "scalar") == 0) return true;
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  if (std::strcmp(name, "avx512bw") == 0) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
  }
  if (std::strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (std::strcmp(name, "sse4.1") == 0) return __builtin_cpu_supports("sse4.1");
  if (std::strcmp(name, "sse2") == 0) return __builtin_cpu_supports("sse2");
#endif
  return false;
}

/// The tables linked in (per QLIN_DISPATCH_* macros), best first, then the scalar one; nullptr-terminated.
inline const kernel_table* const* linked_tables() noexcept {
  static const kernel_table* const tables[] = {
#if defined(QLIN_DISPATCH_AVX512BW) && QLIN_DISPATCH_AVX512BW
      &table_avx512bw(),
#endif
#if defined(QLIN_DISPATCH_AVX2) && QLIN_DISPATCH_AVX2
      &table_avx2(),
#endif
#if defined(QLIN_DISPATCH_SSE4_1) && QLIN_DISPATCH_SSE4_1
      &table_sse4_1(),
#endif
#if defined(QLIN_DISPATCH_SSE2) && QLIN_DISPATCH_SSE2
      &table_sse2(),
#endif
      &scalar_table(), nullptr};
  return tables;
}

/// The table named `name` if it is linked in and the CPU supports it, else nullptr.
inline const kernel_table* find_table(const char* name) noexcept {
  for (const kernel_table* const* t = linked_tables(); *t != nullptr; ++t) {
    if (std::strcmp((*t)->name, name) == 0) return cpu_supports(name) ? *t : nullptr;
  }
  return nullptr;
}

/// The best linked table the CPU supports (QLIN_DISPATCH_ARCH may force one; see the top).
inline const kernel_table& select_table() noexcept {
  if (const char* forced = std::getenv("QLIN_DISPATCH_ARCH")) {
    if (const kernel_table* t = find_table(forced)) return *t;
  }
  for (const kernel_table* const* t = linked_tables(); *t != nullptr; ++t) {
    if (cpu_supports((*t)->name)) return **t;
  }
  return scalar_table();
}

/// The table in use, chosen on first call.
inline const kernel_table& active() noexcept {
  static const kernel_table& table = select_table();
  return table;
}

/// The name of the arch the dispatched functions run: "avx512bw", "avx2", "sse4.1", "sse2" or "scalar".
inline const char* active_arch_name() noexcept { return active().name; }

/// qlin::quantize through the active table (T = int8_t, uint8_t, int16_t).
template <class T>
inline void quantize(const float* x, std::size_t n, T* q, const quant_params& p,
                     quantize_method m = quantize_method{}) noexcept {
  if constexpr (std::is_same<T, std::int8_t>::value) {
    active().quantize_s8(x, n, q, p, m);
  } else if constexpr (std::is_same<T, std::uint8_t>::value) {
    active().quantize_u8(x, n, q, p, m);
  } else {
    static_assert(std::is_same<T, std::int16_t>::value, "quantize writes int8_t, uint8_t or int16_t");
    active().quantize_s16(x, n, q, p, m);
  }
}

/// qlin::dequantize through the active table.
template <class T>
inline void dequantize(const T* q, std::size_t n, float* r, const quant_params& p) noexcept {
  if constexpr (std::is_same<T, std::int8_t>::value) {
    active().dequantize_s8(q, n, r, p);
  } else if constexpr (std::is_same<T, std::uint8_t>::value) {
    active().dequantize_u8(q, n, r, p);
  } else {
    static_assert(std::is_same<T, std::int16_t>::value, "dequantize reads int8_t, uint8_t or int16_t");
    active().dequantize_s16(q, n, r, p);
  }
}

/// qlin::requantize through the active table.
template <class T>
inline void requantize(const std::int32_t* acc, std::size_t n, T* out, const requantize_params& p) noexcept {
  if constexpr (std::is_same<T, std::int8_t>::value) {
    active().requantize_s8(acc, n, out, p);
  } else if constexpr (std::is_same<T, std::uint8_t>::value) {
    active().requantize_u8(acc, n, out, p);
  } else {
    static_assert(std::is_same<T, std::int16_t>::value, "requantize writes int8_t, uint8_t or int16_t");
    active().requantize_s16(acc, n, out, p);
  }
}

/// qlin::requantize_rows (per-tensor or per-channel parameters) through the active table; int8 / uint8.
template <class T, class P>
inline void requantize_rows(const std::int32_t* acc, std::size_t rows, std::size_t channels, const std::int32_t* bias,
                            T* out, const P& p) noexcept {
  static_assert(std::is_same<T, std::int8_t>::value || std::is_same<T, std::uint8_t>::value,
                "dispatched requantize_rows writes int8_t or uint8_t");
  constexpr bool per_channel = std::is_same<P, per_channel_requantize_params>::value;
  static_assert(per_channel || std::is_same<P, requantize_params>::value, "requantize_params or per-channel");
  if constexpr (per_channel && std::is_same<T, std::int8_t>::value) {
    active().requantize_rows_per_channel_s8(acc, rows, channels, bias, out, p);
  } else if constexpr (per_channel) {
    active().requantize_rows_per_channel_u8(acc, rows, channels, bias, out, p);
  } else if constexpr (std::is_same<T, std::int8_t>::value) {
    active().requantize_rows_s8(acc, rows, channels, bias, out, p);
  } else {
    active().requantize_rows_u8(acc, rows, channels, bias, out, p);
  }
}
#endif  // !QLIN_DISPATCH_ARCH_TU

}  // namespace dispatch
}  // namespace qlin

#endif  // QLIN_DISPATCH_HPP_

// test_package.cpp: uses the packaged qlin: parameters, quantize (scalar and SIMD), dequantize.
#include <qlin/quant.hpp>

#include <cstdint>
#include <cstdio>

int main() {
  const qlin::result<qlin::quant_params> p = qlin::choose_qparams(-1.0f, 1.0f, {qlin::dtype::uint8});
  if (!p) return 1;
  const float x[4] = {-1.0f, 0.0f, 0.5f, 1.0f};
  std::uint8_t q[4];
  std::uint8_t v[4];
  qlin::quantize(x, 4, q, *p);
  qlin::simd::quantize(x, 4, v, *p);
  float r[4];
  qlin::dequantize(q, 4, r, *p);
  std::printf("qlin %d.%d.%d (%s): zero point %d, codes %d %d %d %d\n", QLIN_VERSION_MAJOR, QLIN_VERSION_MINOR,
              QLIN_VERSION_PATCH, qlin::simd::active_arch_name(), p->zero_point, q[0], q[1], q[2], q[3]);
  for (int i = 0; i < 4; ++i) {
    if (q[i] != v[i]) return 1;
  }
  return q[1] == p->zero_point ? 0 : 1;
}

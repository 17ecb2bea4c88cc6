// Uses the installed qlin: choose parameters, quantize, dequantize; exits non-zero on a wrong answer.
#include <qlin/quant.hpp>

#include <cstdint>
#include <cstdio>

int main() {
  const auto p = qlin::choose_qparams(-1.0f, 1.0f, {qlin::dtype::uint8});
  if (!p) return 1;
  const float x[3] = {-1.0f, 0.0f, 1.0f};
  std::uint8_t q[3];
  qlin::quantize(x, 3, q, *p);
  float r[3];
  qlin::dequantize(q, 3, r, *p);
  std::printf("qlin %d.%d.%d: zero point %d, codes %d %d %d\n", QLIN_VERSION_MAJOR, QLIN_VERSION_MINOR,
              QLIN_VERSION_PATCH, p->zero_point, q[0], q[1], q[2]);
  for (int i = 0; i < 3; ++i) {
    const float err = r[i] > x[i] ? r[i] - x[i] : x[i] - r[i];
    if (err > 0.5f * p->scale) return 1;  // round to nearest: within half a step
  }
  return q[1] == p->zero_point ? 0 : 1;
}

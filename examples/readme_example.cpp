#include <qlin/quant.hpp>

#include <cstdint>
#include <cstdio>

int main() {
  qlin::qparams_options opt;  // defaults: int8, affine, full range, compat::pytorch
  opt.type = qlin::dtype::uint8;
  const qlin::result<qlin::quant_params> p = qlin::choose_qparams(-1.0f, 3.0f, opt);
  if (!p) return std::printf("error: %s\n", p.error().message), 1;  // bad input: an error value, never UB

  const float x[4] = {-1.0f, 0.0f, 1.0f, 2.5f};
  std::uint8_t q[4];
  float r[4];
  qlin::quantize(x, 4, q, *p);    // q = clamp(round_half_even(x * (1 / scale)) + zero_point, 0, 255)
  qlin::dequantize(q, 4, r, *p);  // r = scale * (q - zero_point)
  std::printf("scale %.9g, zero point %d\n", p->scale, p->zero_point);
  for (int i = 0; i < 4; ++i) std::printf("%5.2f -> %3d -> %.6f\n", x[i], q[i], r[i]);
  return 0;
}

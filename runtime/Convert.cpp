//===- Convert.cpp - f32 to and from the device's 16-bit types ------------===//
#include "pfc/Runtime/Convert.h"

#include <cstring>

namespace pfc {

static uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

static float floatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

uint16_t toBf16(float value) {
  uint32_t bits = bitsOf(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it one, quiet
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

float fromBf16(uint16_t bits) { return floatOf(uint32_t(bits) << 16); }

uint16_t toF16(float value) {
  uint32_t bits = bitsOf(value);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  bits &= 0x7fffffffu;
  uint32_t half;
  if (bits >= 0x47800000u) { // 2^16 and above, inf, NaN
    half = bits > 0x7f800000u ? 0x7e00u : 0x7c00u;
  } else if (bits < 0x38800000u) {
    // Below f16's smallest normal, 2^-14: adding 0.5 lines the subnormal's
    // last bit up with f32's, and the FPU rounds to nearest even.
    half = bitsOf(floatOf(bits) + 0.5f) - bitsOf(0.5f);
  } else {
    // Rebias the exponent, round the 13 dropped bits to nearest even; a
    // carry out of the mantissa moves into the exponent (up to inf).
    bits += 0xc8000fffu + ((bits >> 13) & 1u);
    half = bits >> 13;
  }
  return static_cast<uint16_t>(sign | half);
}

float fromF16(uint16_t bits) {
  const uint32_t sign = uint32_t(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  if (exponent == 0x1f)
    return floatOf(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) // zero or subnormal: mantissa · 2^-24
    return floatOf(sign | bitsOf(float(mantissa) * 0x1p-24f));
  return floatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

void convertFromF32(const float *in, size_t count, DType dtype, void *out) {
  if (dtype == DType::F32) {
    std::memcpy(out, in, count * sizeof(float));
    return;
  }
  auto *half = static_cast<uint16_t *>(out);
  for (size_t i = 0; i < count; ++i)
    half[i] = dtype == DType::BF16 ? toBf16(in[i]) : toF16(in[i]);
}

void convertToF32(const void *in, size_t count, DType dtype, float *out) {
  if (dtype == DType::F32) {
    std::memcpy(out, in, count * sizeof(float));
    return;
  }
  const auto *half = static_cast<const uint16_t *>(in);
  for (size_t i = 0; i < count; ++i)
    out[i] = dtype == DType::BF16 ? fromBf16(half[i]) : fromF16(half[i]);
}

} // namespace pfc

//===- Convert.h - f32 to and from the device's 16-bit types ----*- C++ -*-===//
//
// Round to nearest, ties to even, as the CUDA intrinsics __float2bfloat16 and
// __float2half do: what the host does to f32 arrays before a bf16 or f16
// layer's kernels read them, and to their outputs after.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_CONVERT_H
#define PFC_RUNTIME_CONVERT_H

#include "pfc/Spec/Spec.h"

#include <cstddef>
#include <cstdint>

namespace pfc {

uint16_t toBf16(float value);
float fromBf16(uint16_t bits);
/// Beyond f16's range: ±inf; NaN stays NaN (quiet).
uint16_t toF16(float value);
float fromF16(uint16_t bits);

/// `count` floats as `dtype` elements (2 or 4 bytes each) at `out`.
void convertFromF32(const float *in, size_t count, DType dtype, void *out);
/// `count` `dtype` elements at `in` as floats.
void convertToF32(const void *in, size_t count, DType dtype, float *out);

} // namespace pfc

#endif // PFC_RUNTIME_CONVERT_H

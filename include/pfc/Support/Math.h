//===- Math.h - Integer helpers every layer of pfc uses ---------*- C++ -*-===//
#ifndef PFC_SUPPORT_MATH_H
#define PFC_SUPPORT_MATH_H

#include <cstdint>

namespace pfc {

/// ⌈a / b⌉ for a ≥ 0, b > 0.
constexpr int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// `a` rounded up to a multiple of `b` (a ≥ 0, b > 0).
constexpr int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

} // namespace pfc

#endif // PFC_SUPPORT_MATH_H

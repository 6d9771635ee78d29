//===- FiniteDifference.h - Central differences -----------------*- C++ -*-===//
#ifndef PFC_TESTS_UNIT_FINITEDIFFERENCE_H
#define PFC_TESTS_UNIT_FINITEDIFFERENCE_H

namespace pfc {

/// (f(value + h) − f(value − h)) / 2h, with `value` (a parameter `f` reads)
/// restored afterwards.
template <typename F> double centralDifference(float &value, float h, F f) {
  const float saved = value;
  value = saved + h;
  const double up = f();
  value = saved - h;
  const double down = f();
  value = saved;
  return (up - down) / (2 * h);
}

} // namespace pfc

#endif // PFC_TESTS_UNIT_FINITEDIFFERENCE_H

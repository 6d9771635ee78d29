//===- PlotAxis.h - Linear axes and tick labels for SVG plots ---*- C++ -*-===//
//
// The axis of every plot pfc draws (training curves, `pfc bench --sweep`):
// a range widened to whole steps of 1, 2, 2.5 or 5 times a power of ten.
// Header-only and free of LLVM, so that the CLI and bench/ share it.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_SUPPORT_PLOTAXIS_H
#define PFC_SUPPORT_PLOTAXIS_H

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace pfc {

struct PlotAxis {
  double lo = 0.0, hi = 1.0, step = 0.2;

  /// About `ticks` intervals covering [lo, hi]; `integer` keeps the step a
  /// whole number.
  static PlotAxis covering(double lo, double hi, int ticks,
                           bool integer = false) {
    if (!(hi > lo)) {
      const double pad = std::max(1.0, std::abs(lo) * 0.1);
      lo -= pad;
      hi += pad;
    }
    const double raw = (hi - lo) / ticks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10.0 * magnitude;
    for (double factor : {1.0, 2.0, 2.5, 5.0})
      if (raw <= factor * magnitude) {
        step = factor * magnitude;
        break;
      }
    if (integer)
      step = std::max(1.0, std::round(step));
    return {std::floor(lo / step + 1e-9) * step,
            std::ceil(hi / step - 1e-9) * step, step};
  }

  /// Where `value` lies between lo (0) and hi (1).
  double fraction(double value) const { return (value - lo) / (hi - lo); }
};

/// `value` with as many decimals as `step` needs (at most 6).
inline std::string tickLabel(double value, double step) {
  int decimals = 0;
  while (decimals < 6 &&
         std::abs(step * std::pow(10.0, decimals) -
                  std::round(step * std::pow(10.0, decimals))) > 1e-6)
    ++decimals;
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

} // namespace pfc

#endif // PFC_SUPPORT_PLOTAXIS_H

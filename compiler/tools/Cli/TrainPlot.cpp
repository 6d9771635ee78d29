//===- TrainPlot.cpp - Training curves, written as plain SVG --------------===//
//
// Two panels side by side: the mean cross-entropy loss and the accuracy (in
// %) against the epoch, each with a train and a test curve, axes with ticks
// at round values, grid lines and a legend.
//
//===----------------------------------------------------------------------===//
#include "pfc/Cli/TrainSupport.h"

#include "pfc/Support/PlotAxis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace pfc {

namespace {

constexpr double kWidth = 960, kHeight = 400, kPanelWidth = 480;
constexpr double kLeft = 70, kRight = 20, kTop = 56, kBottom = 340;
constexpr const char *kTrainColour = "#1f77b4", *kTestColour = "#d62728";

/// An axis over [lo, hi] with ticks every `step`, all round values.

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

struct Series {
  const char *name;
  const char *colour;
  bool dashed;
  std::function<double(const EpochMetrics &)> value;
};

/// One panel at horizontal offset `x0`; `fromZero` for a loss axis (from 0,
/// curves that fall).
void drawPanel(std::string &svg, double x0, const std::string &title,
               const std::string &yLabel,
               const std::vector<EpochMetrics> &epochs,
               const std::vector<Series> &series, bool fromZero) {
  const double left = x0 + kLeft, right = x0 + kPanelWidth - kRight;
  double lo = INFINITY, hi = -INFINITY;
  for (const EpochMetrics &m : epochs)
    for (const Series &s : series) {
      lo = std::min(lo, s.value(m));
      hi = std::max(hi, s.value(m));
    }
  if (fromZero)
    lo = std::min(lo, 0.0);
  const PlotAxis y = PlotAxis::covering(lo, hi, 5, false);
  const double firstEpoch = epochs.front().epoch,
               lastEpoch = epochs.back().epoch;
  const PlotAxis x = firstEpoch == lastEpoch
                         ? PlotAxis{firstEpoch - 1, lastEpoch + 1, 1}
                         : PlotAxis::covering(firstEpoch, lastEpoch, 8, true);
  auto px = [&](double v) { return left + x.fraction(v) * (right - left); };
  auto py = [&](double v) {
    return kBottom - y.fraction(v) * (kBottom - kTop);
  };

  svg += fmt::format(
      R"(<text x="{:.1f}" y="{}" text-anchor="middle" font-size="15">{}</text>)"
      "\n",
      (left + right) / 2, kTop - 14, escape(title));
  // Grid and ticks.
  for (double v = y.lo; v <= y.hi + y.step * 1e-6; v += y.step) {
    svg += fmt::format(
        R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#e0e0e0"/>)"
        R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end" font-size="12">{}</text>)"
        "\n",
        left, py(v), right, py(v), left - 6, py(v) + 4, tickLabel(v, y.step));
  }
  for (double v = x.lo; v <= x.hi + x.step * 1e-6; v += x.step) {
    svg += fmt::format(
        R"(<line x1="{:.1f}" y1="{}" x2="{:.1f}" y2="{}" stroke="#000"/>)"
        R"(<text x="{:.1f}" y="{}" text-anchor="middle" font-size="12">{}</text>)"
        "\n",
        px(v), kBottom, px(v), kBottom + 5, px(v), kBottom + 19,
        tickLabel(v, x.step));
  }
  // Axes and their labels.
  svg += fmt::format(
      R"(<path d="M{:.1f},{} V{} H{:.1f}" fill="none" stroke="#000"/>)"
      "\n",
      left, kTop, kBottom, right);
  svg += fmt::format(
      R"(<text x="{:.1f}" y="{}" text-anchor="middle" font-size="13">epoch</text>)"
      "\n",
      (left + right) / 2, kBottom + 40);
  svg += fmt::format(
      R"svg(<text transform="translate({:.1f},{:.1f}) rotate(-90)" text-anchor="middle" font-size="13">{}</text>)svg"
      "\n",
      x0 + 18, (kTop + kBottom) / 2, escape(yLabel));
  // The curves, with a marker per epoch.
  for (const Series &s : series) {
    std::string path;
    for (const EpochMetrics &m : epochs)
      path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L",
                          px(m.epoch), py(s.value(m)));
    svg += fmt::format(
        R"(<path d="{}" fill="none" stroke="{}" stroke-width="2"{}/>)"
        "\n",
        path, s.colour, s.dashed ? R"( stroke-dasharray="6,4")" : "");
    for (const EpochMetrics &m : epochs)
      svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>)"
                         "\n",
                         px(m.epoch), py(s.value(m)), s.colour);
  }
  // The legend, inside the panel on a white ground: top right where the
  // curves fall (loss), bottom right where they rise (accuracy).
  const double legendTop =
      fromZero ? kTop + 6
               : kBottom - 12 - 18 * static_cast<double>(series.size());
  svg += fmt::format(
      R"(<rect x="{:.1f}" y="{:.1f}" width="84" height="{:.1f}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>)"
      "\n",
      right - 96, legendTop, 18 * static_cast<double>(series.size()) + 6);
  for (size_t i = 0; i < series.size(); ++i) {
    const double ly = legendTop + 12 + 18 * static_cast<double>(i);
    svg += fmt::format(
        R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="2"{}/>)"
        R"(<text x="{:.1f}" y="{:.1f}" font-size="12">{}</text>)"
        "\n",
        right - 90, ly, right - 64, ly, series[i].colour,
        series[i].dashed ? R"( stroke-dasharray="6,4")" : "", right - 58,
        ly + 4, series[i].name);
  }
}

} // namespace

std::string curvesSvg(const std::string &title,
                      const std::vector<EpochMetrics> &epochs) {
  std::string svg = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif">)"
      "\n"
      R"(<title>{2}</title>)"
      "\n"
      R"(<rect width="{0}" height="{1}" fill="#fff"/>)"
      "\n",
      kWidth, kHeight, escape(title));
  if (!epochs.empty()) {
    drawPanel(svg, 0, title + ": loss", "mean cross-entropy loss", epochs,
              {{"train", kTrainColour, false,
                [](const EpochMetrics &m) { return m.trainLoss; }},
               {"test", kTestColour, true,
                [](const EpochMetrics &m) { return m.testLoss; }}},
              true);
    drawPanel(svg, kPanelWidth, title + ": accuracy", "accuracy (%)", epochs,
              {{"train", kTrainColour, false,
                [](const EpochMetrics &m) { return 100 * m.trainAccuracy; }},
               {"test", kTestColour, true,
                [](const EpochMetrics &m) { return 100 * m.testAccuracy; }}},
              false);
  }
  return svg + "</svg>\n";
}

} // namespace pfc

//===- SweepPlot.cpp - The sweep's plot, written as plain SVG -------------===//
//
// Two panels side by side: E against block density (with the targets 0.8
// for b ≥ 32 and 0.6 for b = 16) and speed-up over dense against density
// (with the ideal 1/density). One colour per block size, one marker per
// token count.
//
//===----------------------------------------------------------------------===//
#include "Sweep.h"

#include "pfc/Support/PlotAxis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

using namespace llvm;

namespace pfc {

namespace {

constexpr double kWidth = 1000, kHeight = 480, kPanelWidth = 500;
constexpr double kLeft = 70, kRight = 20, kTop = 50, kBottom = 390;

const char *blockColour(int64_t block) {
  switch (block) {
  case 16:
    return "#1f77b4";
  case 32:
    return "#d62728";
  case 64:
    return "#2ca02c";
  default:
    return "#7f7f7f";
  }
}

/// Marker `index` (one per token count) centred on (x, y).
std::string marker(size_t index, double x, double y, const char *colour) {
  const double r = 4.5;
  switch (index % 4) {
  case 0:
    return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{}" fill="{}"/>)",
                       x, y, r, colour);
  case 1:
    return fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{}" height="{}" fill="none" stroke="{}" stroke-width="1.5"/>)",
        x - r, y - r, 2 * r, 2 * r, colour);
  case 2:
    return fmt::format(
        R"(<path d="M{:.1f},{:.1f} L{:.1f},{:.1f} L{:.1f},{:.1f} Z" fill="{}"/>)",
        x, y - r, x + r, y + r, x - r, y + r, colour);
  default:
    return fmt::format(
        R"(<path d="M{:.1f},{:.1f} L{:.1f},{:.1f} L{:.1f},{:.1f} L{:.1f},{:.1f} Z" fill="none" stroke="{}" stroke-width="1.5"/>)",
        x, y - r, x + r, y, x, y + r, x - r, y, colour);
  }
}

/// One panel: axes, grid, ticks, labels; maps data to pixels.
class Panel {
public:
  Panel(double originX, PlotAxis x, PlotAxis y)
      : originX(originX), xAxis(x), yAxis(y) {}

  double px(double value) const {
    return originX + kLeft + value / xAxis.hi * (kPanelWidth - kLeft - kRight);
  }
  double py(double value) const {
    return kBottom - value / yAxis.hi * (kBottom - kTop);
  }

  void drawFrame(raw_ostream &os, const std::string &title,
                 const std::string &xLabel, const std::string &yLabel) const {
    const double left = px(0), right = px(xAxis.hi);
    const double top = py(yAxis.hi), bottom = py(0);
    for (double v = 0; v <= xAxis.hi + 1e-9; v += xAxis.step) {
      os << fmt::format(
          R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#e5e5e5"/>)"
          "\n",
          px(v), top, bottom);
      os << fmt::format(
          R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="black"/>)"
          "\n",
          px(v), bottom, bottom + 5);
      os << fmt::format(
          R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)"
          "\n",
          px(v), bottom + 19, tickLabel(v, xAxis.step));
    }
    for (double v = 0; v <= yAxis.hi + 1e-9; v += yAxis.step) {
      os << fmt::format(
          R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{2:.1f}" y2="{1:.1f}" stroke="#e5e5e5"/>)"
          "\n",
          left, py(v), right);
      os << fmt::format(
          R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="black"/>)"
          "\n",
          left - 5, py(v), left, py(v));
      os << fmt::format(
          R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end">{}</text>)"
          "\n",
          left - 8, py(v) + 4, tickLabel(v, yAxis.step));
    }
    os << fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="none" stroke="black"/>)"
        "\n",
        left, top, right - left, bottom - top);
    os << fmt::format(
        R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle" font-size="15" font-weight="bold">{}</text>)"
        "\n",
        (left + right) / 2, top - 16, title);
    os << fmt::format(
        R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)"
        "\n",
        (left + right) / 2, bottom + 40, xLabel);
    os << fmt::format(
        R"svg(<text x="{0:.1f}" y="{1:.1f}" text-anchor="middle" transform="rotate(-90 {0:.1f} {1:.1f})">{2}</text>)svg"
        "\n",
        originX + 22, (top + bottom) / 2, yLabel);
  }

  void drawHorizontal(raw_ostream &os, double value, const char *colour,
                      const std::string &label) const {
    if (value > yAxis.hi)
      return;
    os << fmt::format(
        R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="1.5" stroke-dasharray="6,4"/>)"
        "\n",
        px(0), py(value), px(xAxis.hi), py(value), colour);
    os << fmt::format(
        R"(<text x="{:.1f}" y="{:.1f}" fill="{}" stroke="white" stroke-width="3" paint-order="stroke">{}</text>)"
        "\n",
        px(0) + 4, py(value) - 4, colour, label);
  }

  /// y = 1/x from where it enters the panel to the right edge.
  void drawIdeal(raw_ostream &os) const {
    const double from = std::max(1.0 / yAxis.hi, xAxis.hi * 1e-3);
    std::string points;
    for (int i = 0; i <= 200; ++i) {
      const double d = from + (xAxis.hi - from) * i / 200.0;
      points += fmt::format("{:.1f},{:.1f} ", px(d), py(1.0 / d));
    }
    os << fmt::format(
        R"(<polyline points="{}" fill="none" stroke="black" stroke-width="1.2"/>)"
        "\n",
        points);
    // Left of the curve's middle, where it is well inside the panel.
    const double labelAt = from + 0.3 * (xAxis.hi - from);
    os << fmt::format(
        R"(<text x="{:.1f}" y="{:.1f}" stroke="white" stroke-width="3" paint-order="stroke">ideal 1/density</text>)"
        "\n",
        px(labelAt) + 6, py(1.0 / labelAt) - 6);
  }

private:
  double originX;
  PlotAxis xAxis, yAxis;
};

} // namespace

void writeSweepSvg(const std::vector<SweepRow> &rows, raw_ostream &os) {
  // The block-sparse rows at the large token counts, where E is measured.
  std::vector<const SweepRow *> points;
  std::set<int64_t> tokens, blocks;
  int64_t largest = 0;
  for (const SweepRow &row : rows)
    if (row.kind == "sparse")
      largest = std::max(largest, row.tokens);
  for (const SweepRow &row : rows)
    if (row.kind == "sparse" &&
        (row.tokens >= kSweepLargeTokens || row.tokens == largest)) {
      points.push_back(&row);
      tokens.insert(row.tokens);
      blocks.insert(row.block);
    }

  double maxDensity = 0.0, maxE = 1.0, maxSpeedup = 1.0, minDensity = 1.0;
  for (const SweepRow *row : points) {
    maxDensity = std::max(maxDensity, row->density);
    minDensity = std::min(minDensity, row->density);
    maxE = std::max(maxE, row->efficiency());
    maxSpeedup = std::max(maxSpeedup, row->speedup());
  }
  // Axes from 0, about five ticks.
  auto fromZero = [](double value) {
    return PlotAxis::covering(0.0, std::max(value, 1e-9), 5);
  };
  const PlotAxis densityAxis = fromZero(points.empty() ? 0.4 : maxDensity);
  const PlotAxis eAxis = fromZero(maxE * 1.05);
  const PlotAxis speedupAxis =
      fromZero(std::max(maxSpeedup, 1.0 / minDensity) * 1.05);
  const Panel ePanel(0, densityAxis, eAxis);
  const Panel speedupPanel(kPanelWidth, densityAxis, speedupAxis);

  std::string tokenText;
  for (int64_t t : tokens)
    tokenText += (tokenText.empty() ? "" : ", ") + std::to_string(t);
  os << fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif" font-size="12">)"
      "\n",
      kWidth, kHeight);
  os << fmt::format(
      R"(<title>pfc bench --sweep: block-sparse part against OpenBLAS sgemm, T = {}</title>)"
      "\n",
      tokenText);
  os << R"(<rect width="100%" height="100%" fill="white"/>)"
     << "\n";
  ePanel.drawFrame(os, "Efficiency E (T = " + tokenText + ")", "block density",
                   "E = nonzero FLOP/s ÷ dense FLOP/s");
  speedupPanel.drawFrame(os, "Speed-up over dense (T = " + tokenText + ")",
                         "block density", "dense time ÷ pfc time");
  ePanel.drawHorizontal(os, kTargetEfficiency, "#444444",
                        fmt::format("target b ≥ 32: {}", kTargetEfficiency));
  ePanel.drawHorizontal(os, kTargetEfficiency16, blockColour(16),
                        fmt::format("target b = 16: {}", kTargetEfficiency16));
  speedupPanel.drawIdeal(os);

  for (const SweepRow *row : points) {
    const size_t shape =
        std::distance(tokens.begin(), tokens.find(row->tokens));
    const char *colour = blockColour(row->block);
    os << marker(shape, ePanel.px(row->density), ePanel.py(row->efficiency()),
                 colour)
       << "\n";
    os << marker(shape, speedupPanel.px(row->density),
                 speedupPanel.py(row->speedup()), colour)
       << "\n";
  }
  if (points.empty())
    os << fmt::format(
        R"(<text x="{}" y="{}" text-anchor="middle">no measurements</text>)"
        "\n",
        kWidth / 2, kHeight / 2);

  // Legend: colours for b, markers for T.
  double x = kLeft;
  const double y = kHeight - 28;
  for (int64_t block : blocks) {
    os << fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="12" height="12" fill="{}"/>)"
        "\n",
        x, y - 10, blockColour(block));
    os << fmt::format(R"(<text x="{:.1f}" y="{:.1f}">b = {}</text>)"
                      "\n",
                      x + 17, y, block);
    x += 80;
  }
  x += 20;
  size_t index = 0;
  for (int64_t t : tokens) {
    os << marker(index++, x + 6, y - 4, "#444444") << "\n";
    os << fmt::format(R"(<text x="{:.1f}" y="{:.1f}">T = {}</text>)"
                      "\n",
                      x + 17, y, t);
    x += 90;
  }
  os << fmt::format(
      R"(<text x="{:.1f}" y="{:.1f}">one point per layer (in→out, b, pattern) and T; the block-sparse part alone (rank 0, no bias)</text>)"
      "\n",
      kLeft, y + 20);
  os << "</svg>\n";
}

} // namespace pfc

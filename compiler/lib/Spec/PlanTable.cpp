//===- PlanTable.cpp - A model plan as a table ----------------------------===//
#include "pfc/Spec/PlanTable.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <string>

using namespace llvm;

namespace pfc {

/// 124439808 -> "124.44M".
static std::string humanCount(double value) {
  const char *suffix = "";
  int decimals = 0;
  if (value >= 1e9) {
    value /= 1e9, suffix = "G", decimals = 2;
  } else if (value >= 1e6) {
    value /= 1e6, suffix = "M", decimals = 2;
  } else if (value >= 1e3) {
    value /= 1e3, suffix = "K", decimals = 1;
  }
  std::string text;
  raw_string_ostream(text) << format("%.*f%s", decimals, value, suffix);
  return text;
}

/// The attention section: T × heads × head_dim where a layer has its shape,
/// the support's pattern, the random features where a layer has its rank.
static void printAttentionRows(const ModelPlan &plan, const ModelSpec &model,
                               int nameWidth, raw_ostream &os) {
  os << "\n"
     << left_justify("attention", nameWidth)
     << "  T x heads x d    x block  support                  feats causal "
        "FLOPs/tok density rel.cost\n";
  for (const PlannedAttention &attention : plan.attention) {
    const ModelAttention &source = attention.source;
    std::string shape = std::to_string(source.seqLen) + "x" +
                        std::to_string(source.heads) + "x" +
                        std::to_string(source.headDim);
    std::string support =
        attention.sparse ? attention.spec.butterfly->str() : "dense";
    os << left_justify(source.name, nameWidth)
       << format(" %13s %4lld %5lld  %-24s %5lld %-6s %9s %7.4f %8.3f\n",
                 shape.c_str(), static_cast<long long>(source.repeat),
                 static_cast<long long>(model.block), support.c_str(),
                 static_cast<long long>(
                     attention.sparse ? attention.spec.features : 0),
                 source.causal ? "yes" : "no",
                 humanCount(static_cast<double>(attention.cost.flopsPerToken))
                     .c_str(),
                 attention.density, attention.cost.cost / attention.dense.cost);
    if (!attention.note.empty())
      os.indent(nameWidth) << " note: " << attention.note << "\n";
  }
}

void printPlanTable(const ModelPlan &plan, const ModelSpec &model,
                    raw_ostream &os) {
  // The name column fits the longest name (module paths can be long).
  int nameWidth = 14;
  for (const PlannedLayer &layer : plan.layers)
    nameWidth = std::max(nameWidth, static_cast<int>(layer.source.name.size()));
  for (const PlannedAttention &attention : plan.attention)
    nameWidth =
        std::max(nameWidth, static_cast<int>(attention.source.name.size()));

  os << format("model %s: budget %.3g of the dense cost, block %lld, "
               "low-rank share %.3g\n\n",
               plan.name.c_str(), plan.budget,
               static_cast<long long>(model.block), model.lowrankShare);
  os << left_justify("layer", nameWidth)
     << "    out x in    x block  butterfly                 rank    params "
        "FLOPs/tok density rel.cost\n";
  for (const PlannedLayer &layer : plan.layers) {
    std::string shape = std::to_string(layer.source.outFeatures) + "x" +
                        std::to_string(layer.source.inFeatures);
    std::string pattern = layer.sparse ? layer.spec.butterfly.str() : "dense";
    os << left_justify(layer.source.name, nameWidth)
       << format(
              " %11s %4lld %5lld  %-24s %5lld %9s %9s %7.4f %8.3f\n",
              shape.c_str(), static_cast<long long>(layer.source.repeat),
              static_cast<long long>(model.block), pattern.c_str(),
              static_cast<long long>(layer.sparse ? layer.spec.rank : 0),
              humanCount(static_cast<double>(layer.cost.params)).c_str(),
              humanCount(static_cast<double>(layer.cost.flopsPerToken)).c_str(),
              layer.density, layer.cost.cost / layer.dense.cost);
    if (!layer.note.empty())
      os.indent(nameWidth) << " note: " << layer.note << "\n";
  }
  if (!plan.attention.empty())
    printAttentionRows(plan, model, nameWidth, os);
  auto row = [&](const char *what, double pixelfly, double dense) {
    os << format("%-12s %12s %12s %8.3f\n", what, humanCount(pixelfly).c_str(),
                 humanCount(dense).c_str(), pixelfly / dense);
  };
  const LayerCost &t = plan.total, &d = plan.denseTotal;
  os << "\n"
     << "total            pixelfly        dense    ratio\n";
  row("params", static_cast<double>(t.params), static_cast<double>(d.params));
  row("FLOPs/token", static_cast<double>(t.flopsPerToken),
      static_cast<double>(d.flopsPerToken));
  row("cost", t.cost, d.cost);
  if (plan.extraParams)
    os << "(params include "
       << humanCount(static_cast<double>(plan.extraParams))
       << " outside the planned layers)\n";
}

} // namespace pfc

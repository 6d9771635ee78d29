//===- PlanCommand.cpp - `pfc plan`: allocate a model's budget ------------===//
#include "Commands.h"

#include "pfc/Cli/JsonOutput.h"
#include "pfc/Plan/Planner.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("plan", "Plan every layer of a model spec within "
                                  "its budget");
static SpecArgument specPath(sub, "<model.yaml>");
static JsonFlag json(sub, "Print the plan as one JSON object");
static cl::opt<std::string>
    emitSpecsDir("emit-specs",
                 cl::desc("Write one layer spec per sparse layer into <dir>"),
                 cl::value_desc("dir"), cl::sub(sub), cl::cat(pfcCategory()));

/// 124439808 -> "124.44M".
static std::string humanCount(double value) {
  if (value >= 1e9)
    return fmt::format("{:.2f}G", value / 1e9);
  if (value >= 1e6)
    return fmt::format("{:.2f}M", value / 1e6);
  if (value >= 1e3)
    return fmt::format("{:.1f}K", value / 1e3);
  return fmt::format("{:.0f}", value);
}

static void printTable(const ModelPlan &plan, const ModelSpec &model,
                       raw_ostream &os) {
  os << fmt::format("model {}: budget {:.3g} of the dense cost, block {}, "
                    "low-rank share {:.3g}\n\n",
                    plan.name, plan.budget, model.block, model.lowrankShare);
  os << fmt::format("{:<14} {:>11} {:>4} {:>5}  {:<24} {:>5} {:>9} {:>9} "
                    "{:>7} {:>8}\n",
                    "layer", "out x in", "x", "block", "butterfly", "rank",
                    "params", "FLOPs/tok", "density", "rel.cost");
  for (const PlannedLayer &layer : plan.layers) {
    std::string shape =
        fmt::format("{}x{}", layer.source.outFeatures, layer.source.inFeatures);
    std::string pattern = layer.sparse ? layer.spec.butterfly.str() : "dense";
    os << fmt::format(
        "{:<14} {:>11} {:>4} {:>5}  {:<24} {:>5} {:>9} {:>9} {:>7.4f} "
        "{:>8.3f}\n",
        layer.source.name, shape, layer.source.repeat, model.block, pattern,
        layer.sparse ? layer.spec.rank : 0,
        humanCount(static_cast<double>(layer.cost.params)),
        humanCount(static_cast<double>(layer.cost.flopsPerToken)),
        layer.density, layer.cost.cost / layer.dense.cost);
    if (!layer.note.empty())
      os << fmt::format("{:<14} note: {}\n", "", layer.note);
  }
  auto row = [&](const char *what, double pixelfly, double dense) {
    os << fmt::format("{:<12} {:>12} {:>12} {:>8.3f}\n", what,
                      humanCount(pixelfly), humanCount(dense),
                      pixelfly / dense);
  };
  const LayerCost &t = plan.total, &d = plan.denseTotal;
  os << "\n"
     << fmt::format("{:<12} {:>12} {:>12} {:>8}\n", "total", "pixelfly",
                    "dense", "ratio");
  row("params", static_cast<double>(t.params), static_cast<double>(d.params));
  row("FLOPs/token", static_cast<double>(t.flopsPerToken),
      static_cast<double>(d.flopsPerToken));
  row("cost", t.cost, d.cost);
  if (plan.extraParams)
    os << fmt::format("(params include {} outside the planned layers)\n",
                      humanCount(static_cast<double>(plan.extraParams)));
}

static void printJson(const ModelPlan &plan, const ModelSpec &model,
                      raw_ostream &os) {
  json::Array layers;
  for (const PlannedLayer &layer : plan.layers) {
    json::Object entry{{"name", layer.source.name},
                       {"in_features", layer.source.inFeatures},
                       {"out_features", layer.source.outFeatures},
                       {"repeat", layer.source.repeat},
                       {"sparse", layer.sparse},
                       {"block", model.block},
                       {"density", layer.density},
                       {"budget_cost", layer.budgetCost},
                       {"pixelfly", toJson(layer.cost)},
                       {"dense", toJson(layer.dense)}};
    if (layer.sparse) {
      entry["nnz_blocks"] = layer.nnzBlocks;
      entry["spec"] = toJson(layer.spec);
    }
    if (!layer.note.empty())
      entry["note"] = layer.note;
    layers.push_back(std::move(entry));
  }
  json::Object object{{"model", plan.name},
                      {"budget", plan.budget},
                      {"block", model.block},
                      {"lowrank_share", model.lowrankShare},
                      {"extra_params", plan.extraParams},
                      {"layers", std::move(layers)},
                      {"total", toJson(plan.total)},
                      {"dense_total", toJson(plan.denseTotal)}};
  os << formatv("{0:2}", json::Value(std::move(object))) << "\n";
}

static int emitSpecs(const ModelPlan &plan) {
  if (int code = makeOutputDirectory(emitSpecsDir, "the layer specs"))
    return code;
  // All the specs or none, like every multi-file output.
  std::vector<std::pair<std::string, std::string>> files;
  for (const PlannedLayer &layer : plan.layers) {
    if (!layer.sparse)
      continue;
    SmallString<128> path(emitSpecsDir);
    sys::path::append(path, layer.spec.name + ".yaml");
    std::string text;
    raw_string_ostream os(text);
    os << "# Planned by `pfc plan` for model " << plan.name << "\n";
    printLayerSpec(layer.spec, os);
    files.emplace_back(std::string(path), std::move(text));
  }
  return writeOutputs(files);
}

static int run() {
  std::optional<Spec> spec =
      parseSpecFile(specPath, diagnostics(), SpecKind::Model);
  if (!spec)
    return ExitBadInput;
  const ModelSpec &model = std::get<ModelSpec>(*spec);
  ModelPlan plan = planModel(model);
  if (!emitSpecsDir.empty())
    if (int code = emitSpecs(plan))
      return code;
  if (json)
    printJson(plan, model, outs());
  else
    printTable(plan, model, outs());
  return ExitOk;
}

Command &planCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

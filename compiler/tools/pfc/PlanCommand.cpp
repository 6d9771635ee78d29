//===- PlanCommand.cpp - `pfc plan`: allocate a model's budget ------------===//
#include "Commands.h"

#include "pfc/Cli/JsonOutput.h"
#include "pfc/Plan/Planner.h"
#include "pfc/Spec/PlanTable.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

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
    printPlanTable(plan, model, outs());
  return ExitOk;
}

Command &planCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

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
                 cl::desc("Write one layer or attention spec per sparse "
                          "layer or attention into <dir>"),
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
  json::Array attention;
  for (const PlannedAttention &planned : plan.attention) {
    const ModelAttention &source = planned.source;
    json::Object entry{{"name", source.name},
                       {"seq_len", source.seqLen},
                       {"heads", source.heads},
                       {"head_dim", source.headDim},
                       {"causal", source.causal},
                       {"repeat", source.repeat},
                       {"sparse", planned.sparse},
                       {"block", model.block},
                       {"density", planned.density},
                       {"budget_cost", planned.budgetCost},
                       {"pixelfly", toJson(planned.cost)},
                       {"dense", toJson(planned.dense)}};
    if (planned.sparse) {
      entry["nnz_blocks"] = planned.nnzBlocks;
      entry["features"] = planned.spec.features;
      entry["spec"] = toJson(planned.spec);
    }
    if (!planned.note.empty())
      entry["note"] = planned.note;
    attention.push_back(std::move(entry));
  }
  json::Object object{{"model", plan.name},
                      {"budget", plan.budget},
                      {"block", model.block},
                      {"lowrank_share", model.lowrankShare},
                      {"extra_params", plan.extraParams},
                      {"layers", std::move(layers)},
                      {"attention", std::move(attention)},
                      {"total", toJson(plan.total)},
                      {"dense_total", toJson(plan.denseTotal)}};
  os << formatv("{0:2}", json::Value(std::move(object))) << "\n";
}

static int emitSpecs(const ModelPlan &plan) {
  if (int code = makeOutputDirectory(emitSpecsDir, "the layer specs"))
    return code;
  // All the specs or none, like every multi-file output.
  std::vector<std::pair<std::string, std::string>> files;
  auto add = [&](const std::string &name, auto printSpec) {
    SmallString<128> path(emitSpecsDir);
    sys::path::append(path, name + ".yaml");
    std::string text;
    raw_string_ostream os(text);
    os << "# Planned by `pfc plan` for model " << plan.name << "\n";
    printSpec(os);
    files.emplace_back(std::string(path), std::move(text));
  };
  for (const PlannedLayer &layer : plan.layers)
    if (layer.sparse)
      add(layer.spec.name,
          [&](raw_ostream &os) { printLayerSpec(layer.spec, os); });
  for (const PlannedAttention &attention : plan.attention)
    if (attention.sparse)
      add(attention.spec.name,
          [&](raw_ostream &os) { printAttentionSpec(attention.spec, os); });
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

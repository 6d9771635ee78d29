//===- CheckCommand.cpp - `pfc check`: validate a spec --------------------===//
#include "Commands.h"

#include "JsonOutput.h"

#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("check", "Validate a layer or model spec");
static cl::opt<std::string> specPath(cl::Positional, cl::Required,
                                     cl::desc("<spec.yaml>"), cl::sub(sub),
                                     cl::cat(pfcCategory()));
static cl::opt<bool> json("json",
                          cl::desc("Print the spec, defaults filled in, as "
                                   "one JSON object"),
                          cl::sub(sub), cl::cat(pfcCategory()));

static int run() {
  std::optional<Spec> spec = parseSpecFile(specPath, errs());
  if (!spec)
    return ExitBadInput;
  if (json) {
    bool isLayer = std::holds_alternative<LayerSpec>(*spec);
    json::Object object{{"kind", isLayer ? "layer" : "model"}};
    object[isLayer ? "layer" : "model"] =
        isLayer ? toJson(std::get<LayerSpec>(*spec))
                : toJson(std::get<ModelSpec>(*spec));
    outs() << formatv("{0:2}", json::Value(std::move(object))) << "\n";
    return ExitOk;
  }
  if (auto *layer = std::get_if<LayerSpec>(&*spec))
    outs() << specPath << ": layer '" << layer->name << "' ("
           << layer->outFeatures << "x" << layer->inFeatures << ", block "
           << layer->block << ") is valid\n";
  else
    outs() << specPath << ": model '" << std::get<ModelSpec>(*spec).name
           << "' with " << std::get<ModelSpec>(*spec).layers.size()
           << " layers is valid\n";
  return ExitOk;
}

Command &checkCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

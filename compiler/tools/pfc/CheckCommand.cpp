//===- CheckCommand.cpp - `pfc check`: validate a spec --------------------===//
#include "Commands.h"

#include "pfc/Cli/JsonOutput.h"

#include "pfc/Plan/Planner.h"
#include "pfc/Spec/NetSpecParser.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/MemoryBuffer.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("check",
                          "Validate a layer, model, attention or net spec");
static SpecArgument specPath(sub, "<spec.yaml>");
static JsonFlag json(sub, "Print the spec, defaults filled in, as "
                          "one JSON object");

/// Parameters as `pfc plan` counts them.
static int64_t parameterCount(const NetSpec &net) {
  int64_t params = 0;
  for (const NetModule &module : net.modules) {
    const LayerSpec &layer = module.layer;
    if (module.kind == ModuleKind::Dense)
      params += denseLayerCost(layer.inFeatures, layer.outFeatures, layer.bias,
                               layer.block, CostModel())
                    .params;
    if (module.kind == ModuleKind::Pixelfly)
      params += pixelflyCost(layer, layer.blockMask(), CostModel()).params;
  }
  return params;
}

static json::Object toJson(const NetSpec &net) {
  json::Array modules;
  for (const NetModule &module : net.modules) {
    json::Object object{{"kind", std::string(toString(module.kind))},
                        {"in_features", module.layer.inFeatures},
                        {"out_features", module.layer.outFeatures}};
    if (module.kind == ModuleKind::Dense) {
      object["name"] = module.layer.name;
      object["bias"] = module.layer.bias;
    }
    if (module.kind == ModuleKind::Pixelfly)
      object["layer"] = pfc::toJson(module.layer);
    modules.push_back(std::move(object));
  }
  const DataSpec &data = net.data;
  json::Object dataObject{{"kind", data.kind == DataSpec::Kind::FashionMnist
                                       ? "fashion-mnist"
                                       : "synthetic"},
                          {"features", data.features},
                          {"classes", data.classes}};
  if (data.kind == DataSpec::Kind::Synthetic) {
    dataObject["count"] = data.count;
    dataObject["test_count"] = data.testCount;
    dataObject["seed"] = static_cast<int64_t>(data.seed);
  }
  const OptimizerSpec &opt = net.train.optimizer;
  json::Object optimizer{{"kind", std::string(toString(opt.kind))},
                         {"lr", opt.lr},
                         {"weight_decay", opt.weightDecay}};
  if (opt.kind == OptimizerKind::Sgd) {
    optimizer["momentum"] = opt.momentum;
  } else {
    optimizer["betas"] = json::Array{opt.beta1, opt.beta2};
    optimizer["eps"] = opt.eps;
  }
  const ScheduleSpec &sched = net.train.schedule;
  json::Object schedule{{"kind", std::string(toString(sched.kind))},
                        {"warmup_epochs", sched.warmupEpochs}};
  if (sched.kind == ScheduleKind::Cosine)
    schedule["final_fraction"] = sched.finalFraction;
  if (sched.kind == ScheduleKind::Step) {
    schedule["every_epochs"] = sched.everyEpochs;
    schedule["factor"] = sched.factor;
  }
  return json::Object{
      {"name", net.name},
      {"data", std::move(dataObject)},
      {"modules", std::move(modules)},
      {"loss", "softmax_cross_entropy"},
      {"params", parameterCount(net)},
      {"train", json::Object{{"epochs", net.train.epochs},
                             {"batch", net.train.batch},
                             {"seed", static_cast<int64_t>(net.train.seed)},
                             {"optimizer", std::move(optimizer)},
                             {"schedule", std::move(schedule)}}}};
}

/// `pfc check` of a net spec (pfc train's input).
static int checkNet() {
  std::optional<NetSpec> net = parseNetSpecFile(specPath, diagnostics());
  if (!net)
    return ExitBadInput;
  if (json) {
    json::Object object{{"kind", "net"}, {"net", toJson(*net)}};
    outs() << formatv("{0:2}", json::Value(std::move(object))) << "\n";
    return ExitOk;
  }
  outs() << specPath << ": net '" << net->name << "' with "
         << net->modules.size() << " modules and " << parameterCount(*net)
         << " parameters is valid\n";
  return ExitOk;
}

/// The blocks an attention's support could hold: all of the padded T×T
/// scores, or (causal) those on and below the diagonal.
static int64_t supportArea(const AttentionSpec &spec, const BlockMask &mask) {
  const int64_t n = mask.blockRows;
  return spec.causal ? n * (n + 1) / 2 : n * n;
}

/// `pfc check` of an attention spec.
static int checkAttention(const AttentionSpec &spec) {
  const BlockMask support = spec.support();
  const int64_t area = supportArea(spec, support);
  const double density =
      static_cast<double>(support.nnzBlocks()) / static_cast<double>(area);
  if (json) {
    json::Object object{
        {"kind", "attention"},
        {"attention", toJson(spec)},
        {"support", json::Object{{"block_rows", support.blockRows},
                                 {"nnz_blocks", support.nnzBlocks()},
                                 {"area_blocks", area},
                                 {"density", density}}}};
    outs() << formatv("{0:2}", json::Value(std::move(object))) << "\n";
    return ExitOk;
  }
  outs() << specPath << ": attention '" << spec.name << "' (seq_len "
         << spec.seqLen;
  if (spec.paddedSeq() != spec.seqLen)
    outs() << ", padded " << spec.paddedSeq();
  outs() << ", " << spec.heads << (spec.heads == 1 ? " head" : " heads")
         << ", head_dim " << spec.headDim << ", block " << spec.block
         << ") is valid\n"
         << "  support: "
         << (spec.butterfly ? spec.butterfly->str() : std::string("none"))
         << ", " << support.nnzBlocks() << " of " << area << " blocks"
         << (spec.causal ? " on or below the diagonal" : "") << ", density "
         << format("%.4f", density) << "\n"
         << "  features " << spec.features << ", "
         << (spec.causal ? "causal" : "not causal") << ", scale "
         << formatShortest(spec.tau())
         << (spec.scale ? "" : " (1/sqrt(head_dim))") << ", "
         << toString(spec.dtype) << "\n";
  return ExitOk;
}

static void printModelValid(const ModelSpec &model) {
  outs() << specPath << ": model '" << model.name << "' with "
         << model.layers.size() << " layers";
  if (!model.attention.empty())
    outs() << " and " << model.attention.size() << " attention"
           << (model.attention.size() == 1 ? "" : "s");
  outs() << " is valid\n";
}

static int run() {
  // A net spec is told apart by its `net` key (standard input is read once,
  // as a layer, model or attention spec).
  if (specPath != "-")
    if (auto buffer = MemoryBuffer::getFile(specPath, /*IsText=*/true);
        buffer && isNetSpec((*buffer)->getMemBufferRef()))
      return checkNet();
  std::optional<Spec> spec = parseSpecFile(specPath, diagnostics());
  if (!spec)
    return ExitBadInput;
  if (auto *attention = std::get_if<AttentionSpec>(&*spec))
    return checkAttention(*attention);
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
    printModelValid(std::get<ModelSpec>(*spec));
  return ExitOk;
}

Command &checkCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

//===- NetSpecParser.cpp - The schema of `pfc: 1` net specs ---------------===//
//
// What keys a net spec has, what each accepts, and the checks that relate
// them: each layer receives what the one before gives (the first, the data's
// features), the last gives the data's classes. Those checks run once the
// whole `net:` mapping is read, because `data` may come after `layers`.
// Pixelfly layers go through SpecSchema, as in a layer spec file.
//
//===----------------------------------------------------------------------===//
#include "pfc/Spec/NetSpecParser.h"

#include "NetSpecSchema.h"

#include "pfc/Plan/Planner.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using llvm::yaml::Node;

namespace pfc {

namespace {

constexpr int64_t kMaxExamples = 1 << 24;
constexpr int64_t kMaxClasses = 1 << 16;
/// A dense layer's weights: 1 GiB of f32.
constexpr int64_t kMaxDenseWeights = int64_t{1} << 28;
/// Floats a data set or one layer's activations over a batch may take.
constexpr int64_t kMaxFloats = int64_t{1} << 31;
constexpr int64_t kFashionMnistFeatures = 784, kFashionMnistClasses = 10;

} // namespace

std::optional<NetSpec> NetSpecParser::parse() {
  NetSpec net;
  if (!parseSpecDocument(sourceMgr, reader, [&](Node *root, SMLoc start) {
        return readRoot(root, start, net);
      }))
    return std::nullopt;
  return net;
}

bool NetSpecParser::readRoot(Node *root, SMLoc start, NetSpec &net) {
  SMLoc trainLoc;
  if (!reader.readMapping(
          root, "spec", start, {"pfc", "net", "train", "layer", "model"},
          {"pfc", "net", "train"}, [&](StringRef key, Node *value) -> bool {
            SMLoc keyLoc = reader.keyLoc();
            if (key == "pfc")
              return schema.readVersion(value, key);
            if (key == "net")
              return readNet(value, keyLoc, net);
            if (key == "train") {
              trainLoc = keyLoc;
              return readTrain(value, keyLoc, net.train);
            }
            return reader.error(keyLoc, "this is a " + key + " spec",
                                "a net spec, with 'net:' and 'train:'");
          }))
    return false;
  // Every layer's activations over a batch are kept for the backward pass.
  int64_t widest = net.data.features;
  for (const NetModule &module : net.modules)
    widest = std::max(widest, module.layer.outFeatures);
  if (net.train.batch * widest > kMaxFloats)
    return reader.error(trainLoc,
                        "a batch of " + std::to_string(net.train.batch) +
                            " over layers " + std::to_string(widest) +
                            " wide is too many floats",
                        "a batch times the widest layer of at most " +
                            std::to_string(kMaxFloats));
  return true;
}

bool NetSpecParser::readVariant(Node *node, StringRef context, SMLoc ownerLoc,
                                StringRef what, ArrayRef<StringRef> choices,
                                ArrayRef<StringRef> bare,
                                YamlReader::KeyHandler handler) {
  std::string expected;
  for (StringRef name : bare)
    expected += (expected.empty() ? "" : ", ") + name.str();
  std::string mappings;
  for (StringRef name : choices)
    mappings += (mappings.empty() ? "{" : ", {") + name.str() + ": ...}";
  expected += (expected.empty() ? "" : ", or ") + mappings;
  if (auto *scalar = dyn_cast<yaml::ScalarNode>(node);
      scalar && !bare.empty()) {
    SmallString<32> storage;
    StringRef text = scalar->getValue(storage);
    if (is_contained(bare, text))
      return handler(text, nullptr);
    if (is_contained(choices, text))
      return reader.error(node, what + " '" + text + "' needs its settings",
                          "{" + text + ": {...}}");
    return reader.error(node, "unknown " + what + " '" + text + "'", expected);
  }
  std::string first;
  SMLoc where = node ? reader.locOf(node) : ownerLoc;
  bool ok = reader.readMapping(
      node, context, ownerLoc, choices, {}, [&](StringRef key, Node *value) {
        if (!first.empty())
          return reader.error(reader.keyLoc(),
                              "'" + context + "' gives both '" + first +
                                  "' and '" + key + "'",
                              "exactly one " + what);
        first = key.str();
        return handler(key, value);
      });
  if (ok && first.empty())
    return reader.error(where, "'" + context + "' is empty", expected);
  return ok;
}

bool NetSpecParser::readNet(Node *node, SMLoc ownerLoc, NetSpec &net) {
  std::vector<PendingModule> modules;
  SMLoc layersLoc, modelLoc, activationLoc;
  ModuleKind activation = ModuleKind::Relu;
  bool ok = reader.readMapping(
      node, "net", ownerLoc,
      {"name", "data", "layers", "model", "activation", "loss"},
      {"name", "data"}, [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (key == "name")
          return assign(net.name, reader.readName(value, key));
        if (key == "data")
          return readData(value, keyLoc, net.data);
        if (key == "loss")
          return assign(net.loss, reader.readEnum<LossKind>(
                                      value, key, "a loss", kLossNames));
        if (key == "activation") {
          activationLoc = keyLoc;
          return assign(activation,
                        reader.readEnum<ModuleKind>(value, key, "an activation",
                                                    kActivationNames));
        }
        if (layersLoc.isValid() || modelLoc.isValid())
          return reader.error(keyLoc, "'net' gives both 'layers' and 'model'",
                              "exactly one of 'layers' or 'model'");
        if (key == "model") {
          modelLoc = keyLoc;
          return readModelFile(value, modules);
        }
        layersLoc = keyLoc;
        if (!reader.readList(
                value, key,
                "a list of layers: relu, gelu, {pixelfly: ...}, "
                "{dense: ...}",
                [&](Node *item) { return readLayerItem(item, modules); }))
          return false;
        if (modules.empty())
          return reader.error(value, "'layers' is empty", "at least one layer");
        return true;
      });
  if (!ok)
    return false;
  if (!layersLoc.isValid() && !modelLoc.isValid())
    return reader.error(ownerLoc, "'net' gives neither 'layers' nor 'model'",
                        "exactly one of 'layers' or 'model'");
  if (activationLoc.isValid() && layersLoc.isValid())
    return reader.error(activationLoc, "'activation' goes with 'model'",
                        "activations written in 'layers', between the layers");
  // Between the layers of a model spec: the net's activation.
  if (modelLoc.isValid()) {
    std::vector<PendingModule> linear = std::move(modules);
    modules.clear();
    for (PendingModule &module : linear) {
      if (!modules.empty()) {
        PendingModule between;
        between.module.kind = activation;
        between.item = module.item;
        modules.push_back(std::move(between));
      }
      modules.push_back(std::move(module));
    }
  }
  return connect(modules, layersLoc.isValid() ? layersLoc : modelLoc, net);
}

bool NetSpecParser::readData(Node *node, SMLoc ownerLoc, DataSpec &data) {
  return readVariant(
      node, "data", ownerLoc, "data set", {"fashion-mnist", "synthetic"},
      {"fashion-mnist"}, [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (key == "fashion-mnist") {
          data.kind = DataSpec::Kind::FashionMnist;
          data.features = kFashionMnistFeatures;
          data.classes = kFashionMnistClasses;
          // `{fashion-mnist: {}}`: nothing to set.
          return !value ||
                 reader.readMapping(value, key, keyLoc, {}, {},
                                    [](StringRef, Node *) { return true; });
        }
        data.kind = DataSpec::Kind::Synthetic;
        bool givenTest = false;
        bool ok = reader.readMapping(
            value, key, keyLoc,
            {"count", "test_count", "features", "classes", "seed"},
            {"count", "features", "classes"},
            [&](StringRef key, Node *value) -> bool {
              if (key == "count")
                return assign(data.count,
                              reader.readInt(value, key, 1, kMaxExamples));
              if (key == "test_count") {
                givenTest = true;
                return assign(data.testCount,
                              reader.readInt(value, key, 1, kMaxExamples));
              }
              if (key == "features")
                return assign(data.features,
                              reader.readInt(value, key, 1, kMaxFeatures));
              if (key == "classes")
                return assign(data.classes,
                              reader.readInt(value, key, 2, kMaxClasses));
              return assign(data.seed,
                            reader.readInt(value, key, 0, INT64_MAX));
            });
        if (ok && !givenTest)
          data.testCount = std::max<int64_t>(1, data.count / 4);
        if (ok && (data.count + data.testCount) * data.features > kMaxFloats)
          return reader.error(value,
                              "the synthetic set's " +
                                  std::to_string(data.count + data.testCount) +
                                  " examples of " +
                                  std::to_string(data.features) +
                                  " features are too many floats",
                              "at most " + std::to_string(kMaxFloats));
        return ok;
      });
}

bool NetSpecParser::readDense(Node *node, SMLoc ownerLoc,
                              const LayerContext &context, LayerSpec &layer,
                              LayerLocs &locs) {
  locs.owner = locs.shape = ownerLoc;
  layer.name = context.defaultName;
  return reader.readMapping(
      node, "dense", ownerLoc, {"name", "in_features", "out_features", "bias"},
      {"out_features"}, [&](StringRef key, Node *value) -> bool {
        if (key == "name")
          return assign(layer.name, reader.readName(value, key));
        if (key == "in_features") {
          locs.in = reader.locOf(value);
          locs.givenIn = reader.readInt(value, key, 1, kMaxFeatures);
          return locs.givenIn.has_value();
        }
        if (key == "out_features") {
          locs.shape = reader.locOf(value);
          return assign(layer.outFeatures,
                        reader.readInt(value, key, 1, kMaxFeatures));
        }
        return assign(layer.bias, reader.readBool(value, key));
      });
}

bool NetSpecParser::readLayerItem(Node *item,
                                  std::vector<PendingModule> &modules) {
  PendingModule pending;
  pending.item = reader.locOf(item);
  int64_t linear = 1;
  for (const PendingModule &module : modules)
    linear += module.module.isLinear();
  LayerContext context;
  context.inNet = true;
  context.defaultName = "fc" + std::to_string(linear);
  bool ok = readVariant(
      item, "layers", pending.item, "layer",
      {"pixelfly", "dense", "relu", "gelu"}, {"relu", "gelu"},
      [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        NetModule &module = pending.module;
        if (key == "relu" || key == "gelu") {
          module.kind = key == "relu" ? ModuleKind::Relu : ModuleKind::Gelu;
          // `{relu: {}}`: nothing to set.
          return !value ||
                 reader.readMapping(value, key, keyLoc, {}, {},
                                    [](StringRef, Node *) { return true; });
        }
        if (key == "dense") {
          module.kind = ModuleKind::Dense;
          return readDense(value, keyLoc, context, module.layer, pending.locs);
        }
        module.kind = ModuleKind::Pixelfly;
        context.key = "pixelfly";
        if (!schema.readLayerFields(value, keyLoc, module.layer, context,
                                    pending.locs))
          return false;
        if (module.layer.dtype != DType::F32)
          return reader.error(keyLoc,
                              "layer '" + module.layer.name + "' is " +
                                  std::string(toString(module.layer.dtype)) +
                                  "; training runs in f32",
                              "dtype: f32");
        return true;
      });
  if (ok)
    modules.push_back(std::move(pending));
  return ok;
}

bool NetSpecParser::readModelFile(Node *node,
                                  std::vector<PendingModule> &modules) {
  static constexpr StringRef expected =
      "a model spec's path, relative to this net spec";
  std::optional<std::string> path = reader.readString(node, "model", expected);
  if (!path)
    return false;
  SmallString<256> resolved(*path);
  StringRef self = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
                       ->getBufferIdentifier();
  if (sys::path::is_relative(*path) && self != "<stdin>") {
    resolved = sys::path::parent_path(self);
    sys::path::append(resolved, *path);
  }
  // Only a regular file of a spec's size is read: not a device or a pipe
  // that never ends.
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(resolved, status))
    return reader.error(
        node, "cannot read the model spec '" + resolved + "': " + ec.message(),
        expected);
  if (status.type() != sys::fs::file_type::regular_file ||
      status.getSize() > kMaxSpecBytes)
    return reader.error(node,
                        "'" + resolved +
                            "' is not a model spec file (not a regular file "
                            "of at most " +
                            std::to_string(kMaxSpecBytes) + " bytes)",
                        expected);
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(resolved, /*IsText=*/true);
  if (std::error_code ec = buffer.getError())
    return reader.error(
        node, "cannot read the model spec '" + resolved + "': " + ec.message(),
        expected);
  // The model spec's own mistakes are reported in its own file, through this
  // spec's handler (which passes on the first diagnostic only).
  SourceMgr modelSource;
  modelSource.AddNewSourceBuffer(std::move(*buffer), SMLoc());
  modelSource.setDiagHandler(sourceMgr.getDiagHandler(),
                             sourceMgr.getDiagContext());
  std::optional<Spec> spec = parseSpec(modelSource, SpecKind::Model);
  if (!spec)
    return false;
  const ModelPlan plan = planModel(std::get<ModelSpec>(*spec));
  for (const PlannedLayer &planned : plan.layers) {
    for (int64_t i = 0; i < planned.source.repeat; ++i) {
      PendingModule pending;
      pending.fromModel = true;
      pending.item = pending.locs.owner = pending.locs.shape =
          reader.locOf(node);
      NetModule &module = pending.module;
      if (planned.sparse) {
        module.kind = ModuleKind::Pixelfly;
        module.layer = planned.spec;
      } else {
        module.kind = ModuleKind::Dense;
        module.layer.name = planned.source.name;
        module.layer.inFeatures = planned.source.inFeatures;
        module.layer.outFeatures = planned.source.outFeatures;
        module.layer.bias = planned.source.bias;
      }
      if (planned.source.repeat > 1)
        module.layer.name += "." + std::to_string(i);
      if (module.layer.dtype != DType::F32)
        return reader.error(node,
                            "the model's layers are " +
                                std::string(toString(module.layer.dtype)) +
                                "; training runs in f32",
                            "a model spec with dtype: f32");
      modules.push_back(std::move(pending));
    }
  }
  return true;
}

bool NetSpecParser::connect(std::vector<PendingModule> &modules,
                            SMLoc layersLoc, NetSpec &net) {
  int64_t width = net.data.features;
  StringSet<> names;
  const PendingModule *last = nullptr;
  for (PendingModule &pending : modules) {
    NetModule &module = pending.module;
    LayerSpec &layer = module.layer;
    if (!module.isLinear()) {
      layer.inFeatures = layer.outFeatures = width;
      net.modules.push_back(module);
      continue;
    }
    last = &pending;
    if (!names.insert(layer.name).second)
      return reader.error(pending.item,
                          "layer name '" + layer.name + "' is used twice",
                          "unique names (a layer without 'name' is fc<N>, "
                          "N its place among the linear layers)");
    if (pending.fromModel) {
      if (layer.inFeatures != width)
        return reader.error(
            pending.item,
            "the model's layer '" + layer.name + "' takes " +
                std::to_string(layer.inFeatures) + " features but receives " +
                std::to_string(width),
            "a model whose layers chain from the data's " +
                std::to_string(net.data.features) + " features");
    } else {
      layer.inFeatures = width;
      if (module.kind == ModuleKind::Pixelfly) {
        if (!schema.checkLayerFields(layer, pending.locs))
          return false;
      } else {
        if (pending.locs.givenIn && *pending.locs.givenIn != width)
          return reader.error(
              pending.locs.in,
              "'in_features' is " + std::to_string(*pending.locs.givenIn) +
                  ", but the layer receives " + std::to_string(width) +
                  " features",
              "in_features: " + std::to_string(width) +
                  ", or none: it follows from what comes before");
        if (layer.inFeatures * layer.outFeatures > kMaxDenseWeights)
          return reader.error(pending.locs.shape,
                              "the " + std::to_string(layer.outFeatures) + "x" +
                                  std::to_string(layer.inFeatures) +
                                  " dense layer has too many weights",
                              "at most " + std::to_string(kMaxDenseWeights));
      }
    }
    width = layer.outFeatures;
    net.modules.push_back(module);
  }
  if (!last)
    return reader.error(layersLoc, "the net has no linear layer",
                        "a pixelfly or dense layer giving the " +
                            std::to_string(net.data.classes) + " class scores");
  const PendingModule &end = modules.back();
  if (!end.module.isLinear())
    return reader.error(
        end.item,
        "the net ends with '" + std::string(toString(end.module.kind)) + "'",
        "a linear layer giving the " + std::to_string(net.data.classes) +
            " class scores last");
  if (width != net.data.classes)
    return reader.error(
        last->locs.shape,
        "the last layer gives " + std::to_string(width) +
            " outputs, but the data has " + std::to_string(net.data.classes) +
            " classes",
        last->fromModel ? "a model whose last layer gives " +
                              std::to_string(net.data.classes) + " outputs"
                        : "out_features: " + std::to_string(net.data.classes));
  return true;
}

std::optional<NetSpec> parseNetSpec(SourceMgr &sourceMgr) {
  return NetSpecParser(sourceMgr).parse();
}

bool isNetSpec(MemoryBufferRef buffer) {
  if (buffer.getBufferSize() > kMaxSpecBytes)
    return false;
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(MemoryBuffer::getMemBuffer(buffer), SMLoc());
  sourceMgr.setDiagHandler([](const SMDiagnostic &, void *) {});
  // The syntax checks first: they bound the nesting LLVM's parser recurses
  // into.
  YamlReader reader(sourceMgr);
  if (!reader.checkSyntax(buffer))
    return false;
  yaml::Stream stream(buffer, sourceMgr);
  yaml::document_iterator doc = stream.begin();
  auto *root = doc != stream.end()
                   ? dyn_cast_or_null<yaml::MappingNode>(doc->getRoot())
                   : nullptr;
  if (!root)
    return false;
  for (yaml::KeyValueNode &entry : *root) {
    auto *key = dyn_cast_or_null<yaml::ScalarNode>(entry.getKey());
    SmallString<16> storage;
    if (key && key->getValue(storage) == "net")
      return true;
    if (!key)
      return false;
  }
  return false;
}

std::optional<NetSpec> parseNetSpecFile(StringRef path, raw_ostream &diagOS) {
  SourceMgr sourceMgr;
  if (!openSpecFile(path, diagOS, sourceMgr))
    return std::nullopt;
  return parseNetSpec(sourceMgr);
}

} // namespace pfc

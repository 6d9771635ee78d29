//===- SpecParser.cpp - The top level of `pfc: 1` specs, and model specs --===//
//
// A spec file holds one kind of spec under its top-level key: `layer:`,
// `model:` or `attention:`. This file reads that key and a model's mapping
// (its layers, budget and cost model); YamlReader does the reading and the
// reporting; SpecSchema (SpecSchema.cpp) holds the schema of a layer, a
// butterfly and γ, which net specs share, and AttentionSpecParser.cpp the
// attention mapping.
//
//===----------------------------------------------------------------------===//
#include "pfc/Spec/SpecParser.h"

#include "SpecSchema.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using llvm::yaml::Node;

namespace pfc {

namespace {

constexpr int64_t kMaxRepeat = 1 << 16;

class SpecParser {
public:
  SpecParser(SourceMgr &sourceMgr, SpecKind want, StringRef f32Only)
      : sourceMgr(sourceMgr), reader(sourceMgr), schema(reader), want(want),
        f32Only(f32Only) {}

  /// Parses the main buffer; reports exactly one diagnostic on failure.
  std::optional<Spec> parse();

private:
  bool readSpec(Node *root, SMLoc start, std::optional<Spec> &spec);
  bool readLayerSpec(Node *node, SMLoc keyLoc, std::optional<Spec> &spec);
  bool readAttentionSpec(Node *node, SMLoc keyLoc, std::optional<Spec> &spec);
  /// With `f32Only` set, that a spec of `kind` computes in f32.
  bool checkF32(SMLoc dtypeLoc, StringRef kind, StringRef name, DType dtype);
  bool readModel(Node *node, SMLoc ownerLoc, ModelSpec &model);
  /// Where a model layer's name and shape stand, for checks made later
  /// (an attention: its seq_len, and its heads or head_dim as `width`).
  struct LayerLocs {
    SMLoc name, shape, width;
  };
  bool readModelLayer(Node *node, ModelLayer &layer, LayerLocs &locs);
  /// One entry of a model's `attention` list; `locs.shape` is its seq_len.
  bool readModelAttention(Node *node, ModelAttention &attention,
                          LayerLocs &locs);

  SourceMgr &sourceMgr;
  YamlReader reader;
  SpecSchema schema;
  SpecKind want;
  StringRef f32Only;
};

} // namespace

bool SpecParser::readModelLayer(Node *node, ModelLayer &layer,
                                LayerLocs &locs) {
  SMLoc loc = reader.locOf(node);
  locs = {loc, loc, loc};
  return reader.readMapping(
      node, "layers", loc,
      {"name", "in_features", "out_features", "repeat", "dense", "bias"},
      {"name", "in_features", "out_features"},
      [&](StringRef key, Node *value) -> bool {
        if (key == "name") {
          locs.name = reader.locOf(value);
          return assign(layer.name, reader.readName(value, key));
        }
        if (key == "in_features" || key == "out_features") {
          locs.shape = reader.locOf(value);
          return assign(key == "in_features" ? layer.inFeatures
                                             : layer.outFeatures,
                        reader.readInt(value, key, 1, kMaxFeatures));
        }
        if (key == "repeat")
          return assign(layer.repeat,
                        reader.readInt(value, key, 1, kMaxRepeat));
        return assign(key == "dense" ? layer.dense : layer.bias,
                      reader.readBool(value, key));
      });
}

bool SpecParser::readModelAttention(Node *node, ModelAttention &attention,
                                    LayerLocs &locs) {
  SMLoc loc = reader.locOf(node);
  locs = {loc, loc, loc};
  return reader.readMapping(
      node, "attention", loc,
      {"name", "seq_len", "heads", "head_dim", "causal", "repeat", "dense"},
      {"name", "seq_len", "head_dim"}, [&](StringRef key, Node *value) -> bool {
        if (key == "name") {
          locs.name = reader.locOf(value);
          return assign(attention.name, reader.readName(value, key));
        }
        if (key == "seq_len") {
          locs.shape = reader.locOf(value);
          return assign(attention.seqLen,
                        reader.readInt(value, key, 1, kMaxSeqLen));
        }
        if (key == "heads" || key == "head_dim") {
          locs.width = reader.locOf(value);
          return key == "heads"
                     ? assign(attention.heads,
                              reader.readInt(value, key, 1, kMaxHeads))
                     : assign(attention.headDim,
                              reader.readInt(value, key, 1, kMaxHeadDim));
        }
        if (key == "repeat")
          return assign(attention.repeat,
                        reader.readInt(value, key, 1, kMaxRepeat));
        return assign(key == "causal" ? attention.causal : attention.dense,
                      reader.readBool(value, key));
      });
}

bool SpecParser::readModel(Node *node, SMLoc ownerLoc, ModelSpec &model) {
  SMLoc initLoc = ownerLoc, costLoc = ownerLoc;
  std::vector<std::pair<ModelLayer, LayerLocs>> layers;
  std::vector<std::pair<ModelAttention, LayerLocs>> attention;
  bool ok = reader.readMapping(
      node, "model", ownerLoc,
      {"name", "budget", "block", "lowrank_share", "cost", "extra_params",
       "gamma", "dtype", "layers", "attention"},
      {"name", "budget", "layers"}, [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (key == "name")
          return assign(model.name, reader.readName(value, key));
        if (key == "budget") {
          if (!assign(model.budget,
                      reader.readNumber(value, key, 0.0, 1.0, "(0, 1]")))
            return false;
          if (model.budget == 0.0)
            return reader.error(value, "'budget' is 0, out of range",
                                "a number in (0, 1]");
          return true;
        }
        if (key == "block")
          return assign(model.block, reader.readPowerOfTwo(
                                         value, key, kMinBlock, kMaxBlock));
        if (key == "lowrank_share")
          return assign(
              model.lowrankShare,
              reader.readNumber(value, key, 0.25, 0.33, "[0.25, 0.33]"));
        if (key == "cost") {
          costLoc = keyLoc;
          return reader.readMapping(
              value, "cost", keyLoc, {"mem", "flop"}, {},
              [&](StringRef key, Node *value) {
                return assign(
                    key == "mem" ? model.cost.mem : model.cost.flop,
                    reader.readNumber(value, key, 0.0, 1e12, "[0, 1e12]"));
              });
        }
        if (key == "extra_params")
          return assign(model.extraParams,
                        reader.readInt(value, key, 0, int64_t{1} << 50));
        if (key == "gamma")
          return schema.readGamma(value, keyLoc, model.gammaMode,
                                  model.gammaInit, initLoc);
        if (key == "dtype")
          return assign(
              model.dtype,
              reader.readEnum<DType>(value, key, "a data type", kDTypeNames));
        if (key == "attention") {
          bool listed = reader.readList(
              value, key, "a list of {name, seq_len, heads, head_dim, causal}",
              [&](Node *item) {
                ModelAttention entry;
                LayerLocs locs;
                if (!readModelAttention(item, entry, locs))
                  return false;
                attention.emplace_back(std::move(entry), locs);
                return true;
              });
          if (listed && attention.empty())
            return reader.error(
                value, "'attention' is empty",
                "at least one attention, or no 'attention' key");
          return listed;
        }
        ok = reader.readList(
            value, key, "a list of {name, in_features, out_features, repeat}",
            [&](Node *item) {
              ModelLayer layer;
              LayerLocs locs;
              if (!readModelLayer(item, layer, locs))
                return false;
              layers.emplace_back(std::move(layer), locs);
              return true;
            });
        if (ok && layers.empty())
          return reader.error(value, "'layers' is empty", "at least one layer");
        return ok;
      });
  if (!ok)
    return false;
  if (model.cost.mem == 0.0 && model.cost.flop == 0.0)
    return reader.error(costLoc, "the cost model weighs nothing",
                        "'mem' or 'flop' above 0");
  StringSet<> names;
  for (auto &[layer, locs] : layers) {
    if (!names.insert(layer.name).second)
      return reader.error(locs.name,
                          "layer name '" + layer.name + "' is used twice",
                          "unique layer names");
    if (!schema.checkShape(layer.outFeatures, layer.inFeatures, model.block,
                           locs.shape))
      return false;
    model.layers.push_back(std::move(layer));
  }
  // One namespace with the layers: emitted specs are files named after them.
  for (auto &[entry, locs] : attention) {
    if (!names.insert(entry.name).second)
      return reader.error(locs.name,
                          "attention name '" + entry.name + "' is used twice",
                          "names unique across 'layers' and 'attention'");
    if (!schema.checkScores(entry.seqLen, model.block, locs.shape))
      return false;
    // As wide as the widest layer at most, so that the totals of a planned
    // model stay within 64 bits.
    if (entry.heads * entry.headDim > kMaxFeatures)
      return reader.error(locs.width,
                          "attention '" + entry.name + "' is " +
                              std::to_string(entry.heads * entry.headDim) +
                              " wide (heads x head_dim)",
                          "at most " + std::to_string(kMaxFeatures));
    model.attention.push_back(std::move(entry));
  }
  return schema.checkGammaInit(model.gammaMode, model.gammaInit, initLoc);
}

namespace {

/// The top-level keys that each hold one kind of spec.
struct SpecKey {
  StringRef key;
  SpecKind kind;
  StringRef article;
};
constexpr SpecKey kSpecKeys[] = {{"layer", SpecKind::Layer, "a"},
                                 {"model", SpecKind::Model, "a"},
                                 {"attention", SpecKind::Attention, "an"}};

bool accepts(SpecKind want, SpecKind kind) {
  return (static_cast<unsigned>(want) & static_cast<unsigned>(kind)) != 0;
}

/// "a, b or c".
std::string joinChoices(ArrayRef<std::string> items) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i)
    text += (i == 0 ? "" : i + 1 == items.size() ? " or " : ", ") + items[i];
  return text;
}

/// What a caller that wants `want` expects, such as "a layer or attention
/// spec, with 'layer:' or 'attention:'".
std::string describeKinds(SpecKind want) {
  std::vector<std::string> names, keys;
  StringRef article;
  for (const SpecKey &entry : kSpecKeys)
    if (accepts(want, entry.kind)) {
      if (names.empty())
        article = entry.article;
      names.push_back(entry.key.str());
      keys.push_back("'" + entry.key.str() + ":'");
    }
  return article.str() + " " + joinChoices(names) + " spec, with " +
         joinChoices(keys);
}

/// "exactly one of 'layer', 'model' or 'attention'".
std::string exactlyOneKind() {
  std::vector<std::string> keys;
  for (const SpecKey &entry : kSpecKeys)
    keys.push_back("'" + entry.key.str() + "'");
  return "exactly one of " + joinChoices(keys);
}

} // namespace

bool SpecParser::readSpec(Node *root, SMLoc start, std::optional<Spec> &spec) {
  std::string given; // the key of the spec read so far
  return reader.readMapping(
      root, "spec", start, {"pfc", "layer", "model", "attention"}, {"pfc"},
      [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (key == "pfc")
          return schema.readVersion(value, key);
        if (spec)
          return reader.error(
              keyLoc, "the spec has both '" + given + "' and '" + key + "'",
              exactlyOneKind());
        const SpecKey &kind = *find_if(
            kSpecKeys, [&](const SpecKey &entry) { return entry.key == key; });
        if (!accepts(want, kind.kind))
          return reader.error(keyLoc,
                              "this is " + kind.article + " " + key + " spec",
                              describeKinds(want));
        given = key.str();
        if (kind.kind == SpecKind::Layer)
          return readLayerSpec(value, keyLoc, spec);
        if (kind.kind == SpecKind::Attention)
          return readAttentionSpec(value, keyLoc, spec);
        ModelSpec model;
        if (!readModel(value, keyLoc, model))
          return false;
        spec = std::move(model);
        return true;
      });
}

bool SpecParser::readLayerSpec(Node *node, SMLoc keyLoc,
                               std::optional<Spec> &spec) {
  LayerSpec layer;
  pfc::LayerLocs locs;
  if (!schema.readLayer(node, keyLoc, layer, locs) ||
      !checkF32(locs.dtype, "layer", layer.name, layer.dtype))
    return false;
  spec = std::move(layer);
  return true;
}

bool SpecParser::readAttentionSpec(Node *node, SMLoc keyLoc,
                                   std::optional<Spec> &spec) {
  AttentionSpec attention;
  SMLoc dtypeLoc;
  if (!schema.readAttention(node, keyLoc, attention, dtypeLoc) ||
      !checkF32(dtypeLoc, "attention", attention.name, attention.dtype))
    return false;
  spec = std::move(attention);
  return true;
}

bool SpecParser::checkF32(SMLoc dtypeLoc, StringRef kind, StringRef name,
                          DType dtype) {
  if (f32Only.empty() || dtype == DType::F32)
    return true;
  return reader.error(dtypeLoc,
                      kind + " '" + name + "' is " + toString(dtype) + "; " +
                          f32Only + " computes in f32 only",
                      "dtype: f32");
}

std::optional<Spec> SpecParser::parse() {
  std::optional<Spec> spec;
  bool ok = parseSpecDocument(sourceMgr, reader, [&](Node *root, SMLoc start) {
    if (!readSpec(root, start, spec))
      return false;
    if (!spec)
      return reader.error(
          start, "the spec has neither 'layer', 'model' nor 'attention'",
          exactlyOneKind());
    return true;
  });
  if (!ok)
    return std::nullopt;
  return spec;
}

std::optional<Spec> parseSpec(SourceMgr &sourceMgr, SpecKind want,
                              StringRef f32Only) {
  return SpecParser(sourceMgr, want, f32Only).parse();
}

std::optional<Spec> parseSpecFile(StringRef path, raw_ostream &diagOS,
                                  SpecKind want, StringRef f32Only) {
  SourceMgr sourceMgr;
  if (!openSpecFile(path, diagOS, sourceMgr))
    return std::nullopt;
  return parseSpec(sourceMgr, want, f32Only);
}

std::optional<Spec> parseSpecText(StringRef text, StringRef source,
                                  raw_ostream &diagOS, SpecKind want,
                                  StringRef f32Only) {
  SourceMgr sourceMgr;
  addSpecBuffer(MemoryBuffer::getMemBufferCopy(text, source), diagOS,
                sourceMgr);
  return parseSpec(sourceMgr, want, f32Only);
}

} // namespace pfc

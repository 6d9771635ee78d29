//===- SpecSchema.cpp - What every kind of `pfc: 1` spec shares -----------===//
//
// The frame of a spec file and the schema pieces that layer, model,
// attention and net specs read the same way (SpecSchema.h).
//
//===----------------------------------------------------------------------===//
#include "SpecSchema.h"

#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/raw_ostream.h"

#include <limits>

using namespace llvm;
using llvm::yaml::Node;

namespace pfc {

namespace {

/// Sits between the SourceMgr and the caller's diagnostic handler while a
/// spec is parsed: passes on the first diagnostic only (LLVM's YAML scanner can
/// repeat itself) and gives the scanner's messages pfc's shape.
class FirstDiagnostic {
public:
  explicit FirstDiagnostic(SourceMgr &sourceMgr)
      : sourceMgr(sourceMgr), handler(sourceMgr.getDiagHandler()),
        context(sourceMgr.getDiagContext()) {
    sourceMgr.setDiagHandler(handle, this);
  }
  ~FirstDiagnostic() { sourceMgr.setDiagHandler(handler, context); }

  bool reported() const { return count > 0; }

private:
  static void handle(const SMDiagnostic &diag, void *opaque) {
    auto *self = static_cast<FirstDiagnostic *>(opaque);
    if (self->count++ > 0)
      return;
    if (StringRef(diag.getMessage()).contains(" (expected "))
      return self->forward(diag);
    self->forward(SMDiagnostic(*diag.getSourceMgr(), diag.getLoc(),
                               diag.getFilename(), diag.getLineNo(),
                               diag.getColumnNo(), diag.getKind(),
                               "invalid YAML: " + diag.getMessage().str() +
                                   " (expected well-formed YAML)",
                               diag.getLineContents(), diag.getRanges()));
  }
  void forward(const SMDiagnostic &diag) const {
    if (handler)
      handler(diag, context);
    else
      diag.print(nullptr, errs());
  }

  SourceMgr &sourceMgr;
  SourceMgr::DiagHandlerTy handler;
  void *context;
  unsigned count = 0;
};

} // namespace

bool parseSpecDocument(SourceMgr &sourceMgr, YamlReader &reader,
                       function_ref<bool(Node *root, SMLoc start)> readRoot) {
  FirstDiagnostic diagnostics(sourceMgr);
  const MemoryBuffer &buffer =
      *sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  auto parseStream = [&]() -> bool {
    SMLoc start = SMLoc::getFromPointer(buffer.getBufferStart());
    if (buffer.getBufferSize() > kMaxSpecBytes)
      return reader.error(
          start,
          "the spec is " + std::to_string(buffer.getBufferSize()) +
              " bytes long",
          "at most " + std::to_string(kMaxSpecBytes) + " bytes");
    if (!reader.checkSyntax(buffer.getMemBufferRef()))
      return false;
    yaml::Stream stream(buffer.getMemBufferRef(), sourceMgr);
    yaml::document_iterator doc = stream.begin();
    Node *root = doc != stream.end() ? doc->getRoot() : nullptr;
    if (stream.failed())
      return false;
    if (!root || isa<yaml::NullNode>(root))
      return reader.error(start, "the spec is empty",
                          "a mapping with 'pfc: 1'");
    if (!readRoot(root, start))
      return false;
    // Anything after the first document, even an empty one, is a mistake:
    // point at the `---` that starts the second.
    if (++doc != stream.end()) {
      Node *second = doc->getRoot();
      const char *secondStart =
          second ? second->getSourceRange().Start.getPointer()
                 : buffer.getBufferEnd();
      StringRef before(buffer.getBufferStart(),
                       secondStart - buffer.getBufferStart());
      size_t marker = before.rfind("---");
      return reader.error(
          SMLoc::getFromPointer(
              marker == StringRef::npos ? secondStart : before.data() + marker),
          "the file holds more than one YAML document", "a single document");
    }
    return !stream.failed();
  };
  bool ok = parseStream();
  // LLVM's YAML parser can stop on some inputs without saying why.
  if (!ok && !diagnostics.reported())
    reader.error(reader.keyLoc().isValid()
                     ? reader.keyLoc()
                     : SMLoc::getFromPointer(buffer.getBufferStart()),
                 "invalid YAML", "well-formed YAML");
  return ok;
}

bool SpecSchema::readVersion(Node *value, StringRef key) {
  std::optional<int64_t> version =
      reader.readInt(value, key, 0, std::numeric_limits<int>::max(), "pfc: 1");
  if (version && *version != 1)
    return reader.error(value,
                        "unsupported spec version " + std::to_string(*version),
                        "pfc: 1");
  return version.has_value();
}

bool SpecSchema::readButterfly(Node *node, SMLoc ownerLoc,
                               ButterflyPattern &pattern, SMLoc &sizeLoc,
                               SMLoc &globalLoc) {
  // `factors` and `strides` are read as they come (the YAML parser discards a
  // value once the next key is read) and checked against `size` afterwards.
  std::optional<int64_t> factors;
  SMLoc factorsLoc, stridesLoc;
  std::vector<std::pair<int64_t, SMLoc>> strides;
  bool ok = reader.readMapping(
      node, "butterfly", ownerLoc,
      {"size", "factors", "strides", "shuffle", "global"}, {"size"},
      [&](StringRef key, Node *value) -> bool {
        if (key == "size") {
          sizeLoc = reader.locOf(value);
          return assign(pattern.size,
                        reader.readPowerOfTwo(value, key, 2, kMaxFeatures));
        }
        if (key == "factors") {
          factorsLoc = reader.locOf(value);
          factors = reader.readInt(value, key, 1, Log2_64(kMaxFeatures));
          return factors.has_value();
        }
        if (key == "strides") {
          stridesLoc = reader.locOf(value);
          return reader.readList(
              value, key, "a list of powers of two such as [2, 4]",
              [&](Node *item) {
                std::optional<int64_t> stride =
                    reader.readPowerOfTwo(item, key, 2, kMaxFeatures);
                if (stride)
                  strides.emplace_back(*stride, reader.locOf(item));
                return stride.has_value();
              });
        }
        if (key == "shuffle")
          return assign(pattern.shuffle, reader.readBool(value, key));
        globalLoc = reader.locOf(value);
        return assign(pattern.global,
                      reader.readInt(value, key, 0, kMaxFeatures));
      });
  if (!ok)
    return false;

  bool hasStrides = stridesLoc.isValid();
  if (factors.has_value() == hasStrides)
    return reader.error(
        hasStrides ? stridesLoc : ownerLoc,
        hasStrides ? "'butterfly' gives both 'factors' and 'strides'"
                   : "'butterfly' gives neither 'factors' nor 'strides'",
        "exactly one of 'factors: N' or 'strides: [k, ...]'");
  int64_t logSize = Log2_64(pattern.size);
  if (factors) {
    if (*factors > logSize)
      return reader.error(factorsLoc,
                          "'factors' is " + std::to_string(*factors) +
                              ", more than a butterfly of size " +
                              std::to_string(pattern.size) + " has",
                          "an integer in [1, " + std::to_string(logSize) + "]");
    pattern.strides = ButterflyPattern::stridesForFactors(*factors);
    return true;
  }
  std::string expected = "powers of two in [2, " +
                         std::to_string(pattern.size) + "], strictly ascending";
  if (strides.empty())
    return reader.error(stridesLoc, "'strides' is empty", expected);
  pattern.strides.clear();
  for (auto [stride, loc] : strides) {
    if (stride > pattern.size)
      return reader.error(loc,
                          "stride " + std::to_string(stride) +
                              " exceeds the butterfly size",
                          expected);
    if (!pattern.strides.empty() && stride <= pattern.strides.back())
      return reader.error(loc,
                          "stride " + std::to_string(stride) +
                              (stride == pattern.strides.back()
                                   ? " is repeated"
                                   : " is out of order"),
                          expected);
    pattern.strides.push_back(stride);
  }
  return true;
}

bool SpecSchema::readGamma(Node *node, SMLoc ownerLoc, GammaMode &mode,
                           double &init, SMLoc &initLoc) {
  return reader.readMapping(
      node, "gamma", ownerLoc, {"mode", "init"}, {"mode"},
      [&](StringRef key, Node *value) -> bool {
        if (key == "mode")
          return assign(mode, reader.readEnum<GammaMode>(
                                  value, key, "a gamma mode", kGammaModeNames));
        initLoc = reader.locOf(value);
        return assign(init, reader.readNumber(value, key, 0.0, 1.0, "[0, 1]"));
      });
}

bool SpecSchema::checkGammaInit(GammaMode mode, double init, SMLoc initLoc) {
  // The gate starts as 1 − sigmoid(c) with c = logit(1 − init): finite only
  // strictly inside (0, 1).
  if (mode == GammaMode::Gate && (init <= 0.0 || init >= 1.0))
    return reader.error(
        initLoc, "gate mode cannot start at gamma " + formatShortest(init),
        "an init strictly between 0 and 1 for mode gate");
  return true;
}

bool SpecSchema::checkShape(int64_t out, int64_t in, int64_t block, SMLoc loc) {
  int64_t cells = (padTo(out, block) / block) * (padTo(in, block) / block);
  if (cells > kMaxGridBlocks)
    return reader.error(loc,
                        "the " + std::to_string(out) + "x" +
                            std::to_string(in) + " layer has " +
                            std::to_string(cells) + " blocks of " +
                            std::to_string(block) + "x" + std::to_string(block),
                        "at most " + std::to_string(kMaxGridBlocks) +
                            " blocks; use a larger block");
  return true;
}

bool SpecSchema::checkLayer(const LayerSpec &layer, SMLoc shapeLoc,
                            SMLoc sizeLoc, SMLoc globalLoc, SMLoc rankLoc) {
  if (!checkShape(layer.outFeatures, layer.inFeatures, layer.block, shapeLoc))
    return false;
  int64_t out = layer.paddedOut(), in = layer.paddedIn();
  std::string padded = std::to_string(out) + "x" + std::to_string(in);
  if (out % layer.butterfly.size != 0 || in % layer.butterfly.size != 0)
    return reader.error(sizeLoc,
                        "butterfly size " +
                            std::to_string(layer.butterfly.size) +
                            " does not divide the padded shape " + padded,
                        "a power of two that divides both padded feature "
                        "counts");
  if (layer.butterfly.global > std::max(out, in))
    return reader.error(globalLoc,
                        "global " + std::to_string(layer.butterfly.global) +
                            " exceeds the padded shape " + padded,
                        "at most " + std::to_string(std::max(out, in)) +
                            " features");
  int64_t maxRank = std::min(layer.inFeatures, layer.outFeatures);
  if (layer.rank > maxRank)
    return reader.error(rankLoc,
                        "rank " + std::to_string(layer.rank) +
                            " exceeds min(in_features, out_features)",
                        "a rank in [0, " + std::to_string(maxRank) + "]");
  return true;
}

bool SpecSchema::readLayer(Node *node, SMLoc ownerLoc, LayerSpec &layer,
                           LayerLocs &locs) {
  return readLayerFields(node, ownerLoc, layer, LayerContext(), locs) &&
         checkLayerFields(layer, locs);
}

bool SpecSchema::readLayerFields(Node *node, SMLoc ownerLoc, LayerSpec &layer,
                                 const LayerContext &context, LayerLocs &locs) {
  locs.owner = locs.shape = locs.size = locs.global = locs.rank = locs.init =
      ownerLoc;
  if (context.inNet)
    layer.name = context.defaultName;
  static constexpr StringRef kRequired[] = {"name", "in_features",
                                            "out_features", "butterfly"};
  return reader.readMapping(
      node, context.key, ownerLoc,
      {"name", "in_features", "out_features", "block", "butterfly", "lowrank",
       "gamma", "bias", "dtype"},
      // In a net, the name and the input count may be left out.
      context.inNet ? ArrayRef<StringRef>(kRequired).drop_front(2)
                    : ArrayRef<StringRef>(kRequired),
      [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (key == "name")
          return assign(layer.name, reader.readName(value, key));
        if (key == "in_features" && context.inNet) {
          locs.in = reader.locOf(value);
          locs.givenIn = reader.readInt(value, key, 1, kMaxFeatures);
          return locs.givenIn.has_value();
        }
        if (key == "in_features" || key == "out_features") {
          locs.shape = reader.locOf(value);
          return assign(key == "in_features" ? layer.inFeatures
                                             : layer.outFeatures,
                        reader.readInt(value, key, 1, kMaxFeatures));
        }
        if (key == "block")
          return assign(layer.block, reader.readPowerOfTwo(
                                         value, key, kMinBlock, kMaxBlock));
        if (key == "butterfly") {
          return readButterfly(value, keyLoc, layer.butterfly, locs.size,
                               locs.global);
        }
        if (key == "lowrank")
          return reader.readMapping(
              value, "lowrank", keyLoc, {"rank"}, {"rank"},
              [&](StringRef key, Node *value) {
                locs.rank = reader.locOf(value);
                return assign(layer.rank,
                              reader.readInt(value, key, 0, kMaxFeatures));
              });
        if (key == "gamma")
          return readGamma(value, keyLoc, layer.gammaMode, layer.gammaInit,
                           locs.init);
        if (key == "bias")
          return assign(layer.bias, reader.readBool(value, key));
        locs.dtype = keyLoc;
        return assign(layer.dtype, reader.readEnum<DType>(
                                       value, key, "a data type", kDTypeNames));
      });
}

bool SpecSchema::checkLayerFields(const LayerSpec &layer,
                                  const LayerLocs &locs) {
  if (locs.givenIn && *locs.givenIn != layer.inFeatures)
    return reader.error(locs.in,
                        "'in_features' is " + std::to_string(*locs.givenIn) +
                            ", but the layer receives " +
                            std::to_string(layer.inFeatures) + " features",
                        "in_features: " + std::to_string(layer.inFeatures) +
                            ", or none: it follows from what comes before");
  return checkLayer(layer, locs.shape, locs.size, locs.global, locs.rank) &&
         checkGammaInit(layer.gammaMode, layer.gammaInit, locs.init);
}

} // namespace pfc

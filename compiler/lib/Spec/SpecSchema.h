//===- SpecSchema.h - What every kind of `pfc: 1` spec shares ---*- C++ -*-===//
//
// The frame of a spec file (size limit, syntax check, exactly one document,
// exactly one diagnostic) and the schema pieces that several kinds of spec
// read the same way: the version key, a Pixelfly layer's mapping (a layer
// spec's `layer:`, or one layer of a net), a butterfly pattern, γ, and the
// checks on a layer's shape. Layer and model specs (SpecParser.cpp),
// attention specs (AttentionSpecParser.cpp) and nets (NetSpecParser.cpp) are
// read with them, so a layer or a pattern means the same wherever it is
// written.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_LIB_SPEC_SPECSCHEMA_H
#define PFC_LIB_SPEC_SPECSCHEMA_H

#include "YamlReader.h"

#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <optional>
#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace pfc {

/// Limits that keep every later stage (mask construction, kernels) bounded.
constexpr int64_t kMaxFeatures = int64_t{1} << 20;
constexpr int64_t kMaxGridBlocks = int64_t{1} << 26;
constexpr int64_t kMinBlock = 4, kMaxBlock = 256;
constexpr size_t kMaxSpecBytes = 1 << 20;
/// An attention's sizes, in an attention spec or a model's `attention` list.
constexpr int64_t kMaxSeqLen = int64_t{1} << 20;
constexpr int64_t kMaxHeads = int64_t{1} << 16;
constexpr int64_t kMaxHeadDim = 1024;

/// Where a Pixelfly layer's mapping stands: alone in a layer spec, or as one
/// layer of a net, whose input count follows from what comes before it.
struct LayerContext {
  /// The mapping's key, for messages ("layer", "pixelfly").
  llvm::StringRef key = "layer";
  /// In a net, `name` and `in_features` may be left out; a given
  /// `in_features` must match what the layer receives.
  bool inNet = false;
  /// In a net: the name a layer without `name` gets.
  std::string defaultName;
};

/// Where a layer's values stand, for the checks made once all are read.
struct LayerLocs {
  llvm::SMLoc owner, in, shape, size, global, rank, init, dtype;
  /// In a net: the `in_features` written, if any.
  std::optional<int64_t> givenIn;
};

class SpecSchema {
public:
  using Node = llvm::yaml::Node;

  explicit SpecSchema(YamlReader &reader) : reader(reader) {}

  /// `pfc: 1`, the value of `key`.
  bool readVersion(Node *value, llvm::StringRef key);
  /// A layer spec's `layer:` mapping, checked as a whole (shape, pattern,
  /// rank): readLayerFields, then checkLayerFields.
  bool readLayer(Node *node, llvm::SMLoc ownerLoc, LayerSpec &layer,
                 LayerLocs &locs);
  /// A Pixelfly layer's mapping, each value checked on its own.
  bool readLayerFields(Node *node, llvm::SMLoc ownerLoc, LayerSpec &layer,
                       const LayerContext &context, LayerLocs &locs);
  /// The checks that relate several values of a layer read by
  /// readLayerFields; in a net, once `layer.inFeatures` is known.
  bool checkLayerFields(const LayerSpec &layer, const LayerLocs &locs);
  bool readGamma(Node *node, llvm::SMLoc ownerLoc, GammaMode &mode,
                 double &init, llvm::SMLoc &initLoc);
  bool checkGammaInit(GammaMode mode, double init, llvm::SMLoc initLoc);
  /// That an out×in weight has at most kMaxGridBlocks blocks.
  bool checkShape(int64_t out, int64_t in, int64_t block, llvm::SMLoc loc);
  /// That the scores of `seqLen` tokens have at most kMaxGridBlocks blocks.
  bool checkScores(int64_t seqLen, int64_t block, llvm::SMLoc loc);
  /// An attention spec's `attention:` mapping, checked as a whole (grid,
  /// support, features); `dtypeLoc` is where its `dtype` stands, if given.
  bool readAttention(Node *node, llvm::SMLoc ownerLoc, AttentionSpec &spec,
                     llvm::SMLoc &dtypeLoc);

private:
  /// A `butterfly:` mapping: the pattern alone, checked on its own (sizes,
  /// strides); where its size and global stand, for the checks against a
  /// shape.
  bool readButterfly(Node *node, llvm::SMLoc ownerLoc,
                     ButterflyPattern &pattern, llvm::SMLoc &sizeLoc,
                     llvm::SMLoc &globalLoc);
  /// An attention spec's `butterfly:`: a pattern as readButterfly reads it,
  /// or the scalar `none` (no exact part), which resets `pattern`.
  bool readSupport(Node *node, llvm::SMLoc ownerLoc,
                   std::optional<ButterflyPattern> &pattern,
                   llvm::SMLoc &sizeLoc, llvm::SMLoc &globalLoc);
  bool checkLayer(const LayerSpec &layer, llvm::SMLoc shapeLoc,
                  llvm::SMLoc sizeLoc, llvm::SMLoc globalLoc,
                  llvm::SMLoc rankLoc);

  YamlReader &reader;
};

/// Reads the single YAML document of `sourceMgr`'s main buffer and hands its
/// root mapping to `readRoot` (with where the buffer starts), which reports
/// and returns false on a mistake. Rejects oversized, malformed, empty and
/// multi-document files first. Reports exactly one diagnostic on failure,
/// whatever the cause, and no more than one.
bool parseSpecDocument(
    llvm::SourceMgr &sourceMgr, YamlReader &reader,
    llvm::function_ref<bool(llvm::yaml::Node *root, llvm::SMLoc start)>
        readRoot);

} // namespace pfc

#endif // PFC_LIB_SPEC_SPECSCHEMA_H

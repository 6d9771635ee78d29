//===- AttentionSpecParser.cpp - The schema of `attention:` specs ---------===//
//
// What keys an attention spec has, what each accepts, and the checks that
// relate several keys (the support's pattern must fit the padded sequence,
// something must be attended to). The butterfly is read by the same code as
// a layer's (SpecSchema::readButterfly), `global` counting tokens here.
//
//===----------------------------------------------------------------------===//
#include "SpecSchema.h"

#include "llvm/Support/YAMLParser.h"

#include <limits>

using namespace llvm;
using llvm::yaml::Node;

namespace pfc {

namespace {
constexpr int64_t kMaxRandomFeatures = 4096;
} // namespace

bool SpecSchema::readAttention(Node *node, SMLoc ownerLoc, AttentionSpec &spec,
                               SMLoc &dtypeLoc) {
  SMLoc seqLoc = ownerLoc, butterflyLoc = ownerLoc, sizeLoc = ownerLoc,
        globalLoc = ownerLoc;
  bool ok = reader.readMapping(
      node, "attention", ownerLoc,
      {"name", "seq_len", "heads", "head_dim", "block", "butterfly", "features",
       "causal", "seed", "scale", "dtype"},
      {"name", "seq_len", "head_dim", "butterfly"},
      [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (key == "name")
          return assign(spec.name, reader.readName(value, key));
        if (key == "seq_len") {
          seqLoc = reader.locOf(value);
          return assign(spec.seqLen, reader.readInt(value, key, 1, kMaxSeqLen));
        }
        if (key == "heads")
          return assign(spec.heads, reader.readInt(value, key, 1, kMaxHeads));
        if (key == "head_dim")
          return assign(spec.headDim,
                        reader.readInt(value, key, 1, kMaxHeadDim));
        if (key == "block")
          return assign(spec.block, reader.readPowerOfTwo(value, key, kMinBlock,
                                                          kMaxBlock));
        if (key == "butterfly") {
          butterflyLoc = reader.locOf(value);
          return readSupport(value, keyLoc, spec.butterfly, sizeLoc, globalLoc);
        }
        if (key == "features") {
          std::string expected = "an even number in [0, " +
                                 std::to_string(kMaxRandomFeatures) + "]";
          if (!assign(
                  spec.features,
                  reader.readInt(value, key, 0, kMaxRandomFeatures, expected)))
            return false;
          // Positive random features come in pairs: exp(wx) and exp(-wx).
          if (spec.features % 2 != 0)
            return reader.error(value,
                                "'features' is " +
                                    std::to_string(spec.features) +
                                    ", an odd number",
                                expected);
          return true;
        }
        if (key == "causal")
          return assign(spec.causal, reader.readBool(value, key));
        if (key == "seed")
          return assign(spec.seed, reader.readUnsigned(value, key));
        if (key == "scale") {
          static constexpr StringRef kRange = "(0, inf)";
          std::optional<double> scale = reader.readNumber(
              value, key, 0.0, std::numeric_limits<double>::max(), kRange);
          if (scale && *scale == 0.0)
            return reader.error(value, "'scale' is 0, out of range",
                                "a number in " + kRange);
          return assign(spec.scale, scale);
        }
        dtypeLoc = keyLoc;
        return assign(spec.dtype, reader.readEnum<DType>(
                                      value, key, "a data type", kDTypeNames));
      });
  if (!ok)
    return false;

  if (!checkScores(spec.seqLen, spec.block, seqLoc))
    return false;
  if (!spec.butterfly) {
    if (spec.features == 0)
      return reader.error(butterflyLoc,
                          "nothing to attend: no support and no features",
                          "a butterfly mapping, or 'features' above 0");
    return true;
  }
  const int64_t padded = spec.paddedSeq();
  const ButterflyPattern &pattern = *spec.butterfly;
  if (std::string why = checkPatternFits(pattern, padded, padded); !why.empty())
    return reader.error(sizeLoc, why,
                        "a power of two that divides the padded sequence, " +
                            std::to_string(padded) + " tokens");
  if (pattern.global > spec.seqLen)
    return reader.error(globalLoc,
                        "global " + std::to_string(pattern.global) +
                            " exceeds the sequence length " +
                            std::to_string(spec.seqLen),
                        "at most " + std::to_string(spec.seqLen) + " tokens");
  return true;
}

bool SpecSchema::checkScores(int64_t seqLen, int64_t block, SMLoc loc) {
  const int64_t side = padTo(seqLen, block) / block;
  if (side * side <= kMaxGridBlocks)
    return true;
  return reader.error(loc,
                      "the " + std::to_string(seqLen) + "-token scores have " +
                          std::to_string(side * side) + " blocks of " +
                          std::to_string(block) + "x" + std::to_string(block),
                      "at most " + std::to_string(kMaxGridBlocks) +
                          " blocks; use a larger block");
}

bool SpecSchema::readSupport(Node *node, SMLoc ownerLoc,
                             std::optional<ButterflyPattern> &pattern,
                             SMLoc &sizeLoc, SMLoc &globalLoc) {
  if (!isa<yaml::ScalarNode, yaml::BlockScalarNode>(node)) {
    pattern.emplace();
    return readButterfly(node, ownerLoc, *pattern, sizeLoc, globalLoc);
  }
  static constexpr StringRef kExpected =
      "a mapping with keys size, factors, strides, shuffle, global; or none";
  std::optional<std::string> text =
      reader.readString(node, "butterfly", kExpected);
  if (!text)
    return false;
  if (*text != "none")
    return reader.error(node,
                        "'butterfly' is '" + *text + "', not a mapping or none",
                        kExpected);
  pattern.reset();
  return true;
}

} // namespace pfc

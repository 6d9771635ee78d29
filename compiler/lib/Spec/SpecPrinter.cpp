//===- SpecPrinter.cpp - Writing layer and attention specs back as YAML ---===//
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/raw_ostream.h"

namespace pfc {

/// A `butterfly:` mapping at two spaces of indentation, as the parser reads
/// it back: `factors` when the strides are the reference's, else `strides`.
static void printButterfly(const ButterflyPattern &pattern,
                           llvm::raw_ostream &os) {
  os << "  butterfly:\n"
     << "    size: " << pattern.size << "\n";
  int64_t factors = static_cast<int64_t>(pattern.strides.size());
  if (pattern.strides == ButterflyPattern::stridesForFactors(factors)) {
    os << "    factors: " << factors << "\n";
  } else {
    os << "    strides: [";
    for (size_t i = 0; i < pattern.strides.size(); ++i)
      os << (i ? ", " : "") << pattern.strides[i];
    os << "]\n";
  }
  os << "    shuffle: " << (pattern.shuffle ? "true" : "false") << "\n"
     << "    global: " << pattern.global << "\n";
}

void printLayerSpec(const LayerSpec &spec, llvm::raw_ostream &os) {
  os << "pfc: 1\n"
     << "layer:\n"
     << "  name: " << spec.name << "\n"
     << "  in_features: " << spec.inFeatures << "\n"
     << "  out_features: " << spec.outFeatures << "\n"
     << "  block: " << spec.block << "\n";
  printButterfly(spec.butterfly, os);
  os << "  lowrank:\n"
     << "    rank: " << spec.rank << "\n"
     << "  gamma:\n"
     << "    mode: " << toString(spec.gammaMode) << "\n"
     << "    init: " << formatShortest(spec.gammaInit) << "\n"
     << "  bias: " << (spec.bias ? "true" : "false") << "\n"
     << "  dtype: " << toString(spec.dtype) << "\n";
}

void printAttentionSpec(const AttentionSpec &spec, llvm::raw_ostream &os) {
  os << "pfc: 1\n"
     << "attention:\n"
     << "  name: " << spec.name << "\n"
     << "  seq_len: " << spec.seqLen << "\n"
     << "  heads: " << spec.heads << "\n"
     << "  head_dim: " << spec.headDim << "\n"
     << "  block: " << spec.block << "\n";
  if (spec.butterfly)
    printButterfly(*spec.butterfly, os);
  else
    os << "  butterfly: none\n";
  os << "  features: " << spec.features << "\n"
     << "  causal: " << (spec.causal ? "true" : "false") << "\n"
     << "  seed: " << spec.seed << "\n";
  // Absent, τ is 1/sqrt(head_dim): written out, it would read back as given.
  if (spec.scale)
    os << "  scale: " << formatShortest(*spec.scale) << "\n";
  os << "  dtype: " << toString(spec.dtype) << "\n";
}

} // namespace pfc

//===- SpecPrinter.cpp - Writing layer specs back as YAML -----------------===//
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/raw_ostream.h"

namespace pfc {

void printLayerSpec(const LayerSpec &spec, llvm::raw_ostream &os) {
  const ButterflyPattern &pattern = spec.butterfly;
  os << "pfc: 1\n"
     << "layer:\n"
     << "  name: " << spec.name << "\n"
     << "  in_features: " << spec.inFeatures << "\n"
     << "  out_features: " << spec.outFeatures << "\n"
     << "  block: " << spec.block << "\n"
     << "  butterfly:\n"
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
     << "    global: " << pattern.global << "\n"
     << "  lowrank:\n"
     << "    rank: " << spec.rank << "\n"
     << "  gamma:\n"
     << "    mode: " << toString(spec.gammaMode) << "\n"
     << "    init: " << formatShortest(spec.gammaInit) << "\n"
     << "  bias: " << (spec.bias ? "true" : "false") << "\n"
     << "  dtype: " << toString(spec.dtype) << "\n";
}

} // namespace pfc

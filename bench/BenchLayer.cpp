//===- BenchLayer.cpp - A layer compiled and initialised for timing -------===//
#include "BenchLayer.h"

#include "pfc/Target/Jit.h"

namespace pfc {

llvm::Expected<BenchLayer> compileBenchLayer(const LayerSpec &spec,
                                             const CompileOptions &options) {
  BenchLayer bench;
  auto compiled = compileLayer(spec, options, &bench.compileSeconds);
  if (!compiled)
    return compiled.takeError();
  bench.layer = std::move(*compiled);
  bench.params = initParams(spec, bench.layer->mask(), /*seed=*/0);
  std::string error;
  if (!bench.layer->setParams(bench.params, error))
    return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  return std::move(bench);
}

LayerSpec blockSparsePart(const LayerSpec &spec) {
  LayerSpec part = spec;
  part.name += "_sparse";
  part.rank = 0;
  part.bias = false;
  return part;
}

} // namespace pfc

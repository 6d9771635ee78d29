//===- TrainSupport.cpp - Net specs to nets, for training and its bench ---===//
#include "pfc/Cli/TrainSupport.h"
#include "pfc/Cli/Cli.h"

#include "pfc/Spec/NetSpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace llvm;

namespace pfc {

std::optional<NetSpec> loadNetSpec(StringRef path) {
  return parseNetSpecFile(path, diagnostics());
}

bool needsDenseLibrary(const NetSpec &spec) {
  for (const NetModule &module : spec.modules)
    if (module.kind == ModuleKind::Dense)
      return true;
  return false;
}

BlasLibraries loadDenseLibrariesFor(const NetSpec &spec, int64_t threads) {
  if (!needsDenseLibrary(spec))
    return BlasLibraries();
  BlasLibraries libraries = loadBlasLibraries(threads);
  if (libraries.preferred)
    warnIfGeneric(*libraries.preferred);
  return libraries;
}

std::unique_ptr<Net> buildNet(const NetSpec &spec, const Blas *blas,
                              int64_t threads, std::string &error,
                              double *compileSeconds) {
  double seconds = 0.0;
  LayerCompiler compile = [&](const LayerSpec &layer,
                              std::string &why) -> std::unique_ptr<Layer> {
    double layerSeconds = 0.0;
    auto compiled = compileLayer(
        layer, CompileOptions(threads, Schedule(), spec.train.batch),
        &layerSeconds);
    seconds += layerSeconds;
    if (!compiled) {
      why = toString(compiled.takeError());
      return nullptr;
    }
    return std::move(*compiled);
  };
  std::unique_ptr<Net> net =
      Net::create(spec, compile, blas, threads, spec.train.seed, error);
  if (compileSeconds)
    *compileSeconds = seconds;
  return net;
}

} // namespace pfc

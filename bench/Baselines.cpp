//===- Baselines.cpp - The dense libraries pfc bench compares with --------===//
#include "Baselines.h"

#include "pfc/Cli/Cli.h"

namespace pfc {

BlasLibraries loadDenseBaselines(int64_t threads) {
  BlasLibraries dense = loadBlasLibraries(threads);
  for (const std::unique_ptr<Blas> &blas : dense.found)
    warnIfGeneric(*blas);
  return dense;
}

std::string describe(const BlasLibraries &dense) {
  std::string text;
  for (const std::unique_ptr<Blas> &blas : dense.found)
    text += (text.empty() ? "" : ", ") + blas->name() +
            (blas->genericKernel() ? " (generic)" : "");
  for (const std::string &why : dense.missing)
    text += "; not found: " + why;
  return text;
}

} // namespace pfc

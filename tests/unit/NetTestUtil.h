//===- NetTestUtil.h - Small nets for the training tests --------*- C++ -*-===//
//
// Nets built the way the net-spec parser chains them, and their dense layers
// on the preferred dense library (REQUIRE_BLAS skips, saying why, where none
// can be loaded): shared by the training tests.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TESTS_UNIT_NETTESTUTIL_H
#define PFC_TESTS_UNIT_NETTESTUTIL_H

#include "pfc/Train/Net.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace pfc {

inline NetModule linear(ModuleKind kind, const std::string &name, int64_t out,
                        bool bias = true) {
  NetModule module;
  module.kind = kind;
  module.layer.name = name;
  module.layer.outFeatures = out;
  module.layer.bias = bias;
  return module;
}

inline NetModule activation(ModuleKind kind) {
  NetModule module;
  module.kind = kind;
  return module;
}

/// A net over `features` inputs: the modules' input counts chained as the
/// parser chains them.
inline NetSpec makeNet(int64_t features, int64_t classes,
                       std::vector<NetModule> modules) {
  NetSpec net;
  net.name = "test";
  net.data.kind = DataSpec::Kind::Synthetic;
  net.data.features = features;
  net.data.classes = classes;
  int64_t width = features;
  for (NetModule &module : modules) {
    module.layer.inFeatures = width;
    if (!module.isLinear())
      module.layer.outFeatures = width;
    width = module.layer.outFeatures;
  }
  net.modules = std::move(modules);
  net.train.batch = 16;
  net.train.epochs = 2;
  net.train.seed = 3;
  return net;
}

/// The preferred dense library for the dense tests, loaded once; null (and
/// the reason) when there is none.
inline const Blas *denseLibrary(std::string &why) {
  static const BlasLibraries libraries = loadBlasLibraries(2);
  why = libraries.whyMissing();
  return libraries.preferred;
}

#define REQUIRE_BLAS(blas)                                                     \
  std::string whyNot;                                                          \
  const Blas *blas = denseLibrary(whyNot);                                     \
  if (!blas)                                                                   \
  GTEST_SKIP() << whyNot

inline std::unique_ptr<Net> buildDense(const NetSpec &spec, const Blas *blas,
                                       uint64_t seed = 1) {
  std::string error;
  auto noPixelfly = [](const LayerSpec &, std::string &why) {
    why = "no compiler in this test";
    return std::unique_ptr<Layer>();
  };
  std::unique_ptr<Net> net =
      Net::create(spec, noPixelfly, blas, 2, seed, error);
  EXPECT_TRUE(net) << error;
  return net;
}
} // namespace pfc

#endif // PFC_TESTS_UNIT_NETTESTUTIL_H

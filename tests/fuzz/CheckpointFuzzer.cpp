//===- CheckpointFuzzer.cpp - libFuzzer target for resuming training ------===//
//
// A small dense net's trainer resumes from whatever bytes the fuzzer makes
// (seeded with a real checkpoint): it resumes, or refuses with one
// `<path>: error: …` line and keeps its net as it was. Set
// PFC_FUZZ_WRITE_SEED=<file> to write a valid checkpoint for the corpus.
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"

#include "pfc/Runtime/Blas.h"
#include "pfc/Train/Net.h"
#include "pfc/Train/Trainer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace pfc;

namespace {

NetModule module(ModuleKind kind, const char *name, int64_t in, int64_t out) {
  NetModule m;
  m.kind = kind;
  m.layer.name = name;
  m.layer.inFeatures = in;
  m.layer.outFeatures = out;
  m.layer.bias = true;
  return m;
}

struct Setup {
  NetSpec spec;
  Dataset train;
  std::unique_ptr<Blas> blas;
  std::unique_ptr<Net> net;
  std::unique_ptr<Trainer> trainer;
  TensorMap initial;

  Setup() {
    spec.name = "fuzz";
    spec.data.kind = DataSpec::Kind::Synthetic;
    spec.data.features = 4;
    spec.data.classes = 3;
    spec.modules = {module(ModuleKind::Dense, "fc1", 4, 5),
                    module(ModuleKind::Relu, "", 5, 5),
                    module(ModuleKind::Dense, "fc2", 5, 3)};
    spec.train.batch = 4;
    spec.train.epochs = 2;
    spec.train.seed = 1;
    spec.train.optimizer.kind = OptimizerKind::AdamW;
    train = syntheticDataset(8, 4, 3, 2);
    std::string error;
    blas = loadOpenBlas(1, error);
    auto noPixelfly = [](const LayerSpec &, std::string &why) {
      why = "dense only";
      return std::unique_ptr<Layer>();
    };
    net =
        blas ? Net::create(spec, noPixelfly, blas.get(), 1, 0, error) : nullptr;
    if (!net) {
      std::fprintf(stderr, "checkpoint fuzzer: %s\n", error.c_str());
      std::abort();
    }
    trainer = std::make_unique<Trainer>(*net, train, train, 2);
    initial = net->tensors();
  }
};

Setup &setup() {
  static Setup instance;
  return instance;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *seed = std::getenv("PFC_FUZZ_WRITE_SEED")) {
    Setup &s = setup();
    s.trainer->runEpoch();
    std::string error;
    if (!s.trainer->saveCheckpoint(seed, error)) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Setup &s = setup();
  const std::string path = fuzz::writeInput(
      "checkpoint.safetensors",
      std::string_view(reinterpret_cast<const char *>(data), size));
  // A fresh trainer each time: a resumed one has moved on.
  std::string error;
  if (!s.net->setTensors(s.initial, error))
    std::abort();
  Trainer trainer(*s.net, s.train, s.train, 2);
  if (trainer.loadCheckpoint(path, error))
    return 0;
  if (error.rfind(path + ": error: ", 0) != 0 ||
      error.find('\n') != std::string::npos)
    std::abort();
  // Refused: the net is as it was.
  const TensorMap now = s.net->tensors();
  for (const auto &[name, tensor] : s.initial)
    if (!now.count(name) || now.at(name).data.size() != tensor.data.size() ||
        std::memcmp(now.at(name).data.data(), tensor.data.data(),
                    4 * tensor.data.size()) != 0)
      std::abort();
  return 0;
}

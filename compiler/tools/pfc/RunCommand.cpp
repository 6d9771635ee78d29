//===- RunCommand.cpp - `pfc run`: a layer's forward on a .npy array ------===//
#include "Commands.h"

#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("run", "Run a layer's forward on a [T, in] array");
static cl::opt<std::string> specPath(cl::Positional, cl::Required,
                                     cl::desc("<layer.yaml>"), cl::sub(sub),
                                     cl::cat(pfcCategory()));
static cl::opt<std::string>
    paramsPath("params", cl::Required,
               cl::desc("The layer's parameters (from pfc init or training)"),
               cl::value_desc("params.safetensors"), cl::sub(sub),
               cl::cat(pfcCategory()));
static cl::opt<std::string> inputPath("input", cl::Required,
                                      cl::desc("The input x, f32 [T, in]"),
                                      cl::value_desc("x.npy"), cl::sub(sub),
                                      cl::cat(pfcCategory()));
static cl::opt<std::string> outputPath("o", cl::Required,
                                       cl::desc("Write y, f32 [T, out]"),
                                       cl::value_desc("y.npy"), cl::sub(sub),
                                       cl::cat(pfcCategory()));
static cl::opt<int64_t> threads("threads",
                                cl::desc("Threads to run on (default: all)"),
                                cl::init(0), cl::sub(sub),
                                cl::cat(pfcCategory()));
static ScheduleFlags scheduleFlags(sub);

/// Reports a reader's `<file>: error: …` message as it is.
static int reportFileError(const std::string &error) {
  errs() << error << "\n";
  return ExitBadInput;
}

static int run() {
  std::optional<LoadedLayer> loaded = loadLayerSpec(specPath);
  if (!loaded)
    return ExitBadInput;
  const LayerSpec &spec = loaded->spec;
  const BlockMask &mask = loaded->mask;

  std::string error;
  TensorMap tensors;
  if (!readSafetensors(paramsPath, tensors, error))
    return reportFileError(error);
  LayerParams params;
  if (!paramsFromTensors(spec, mask, tensors, params, error))
    return reportFileError(paramsPath + ": error: " + error);
  Tensor x;
  if (!readNpy(inputPath, x, error))
    return reportFileError(error);
  if (x.shape.size() != 2 || x.shape[1] != spec.inFeatures)
    return reportFileError(fmt::format(
        "{}: error: input has shape {} (expected [T, {}] for layer '{}')",
        inputPath.getValue(), shapeString(x.shape), spec.inFeatures,
        spec.name));

  auto layer = compileLayer(
      spec, CompileOptions(threads, scheduleFlags.choice(), x.shape[0]));
  if (!layer)
    return reportError(specPath + ": " + toString(layer.takeError()));
  if (!(*layer)->setParams(params, error))
    return reportFileError(paramsPath + ": error: " + error);
  Tensor y;
  y.shape = {x.shape[0], spec.outFeatures};
  y.data.resize(x.shape[0] * spec.outFeatures);
  (*layer)->forward(x.data.data(), x.shape[0], y.data.data());
  if (!writeNpy(outputPath, y, error))
    return reportFileError(error);
  return ExitOk;
}

Command &runCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

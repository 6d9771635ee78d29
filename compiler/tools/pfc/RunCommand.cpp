//===- RunCommand.cpp - `pfc run`: a layer's forward (and backward) -------===//
#include "Commands.h"

#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("run", "Run a layer's forward on a [T, in] array "
                                 "(and its backward: --grad-output)");
static SpecArgument specPath(sub, "<layer.yaml>");
static cl::opt<std::string>
    paramsPath("params", cl::Required,
               cl::desc("The layer's parameters (from pfc init or training)"),
               cl::value_desc("params.safetensors"), cl::sub(sub),
               cl::cat(pfcCategory()));
static cl::opt<std::string> inputPath("input", cl::Required,
                                      cl::desc("The input x, f32 [T, in]"),
                                      cl::value_desc("x.npy"), cl::sub(sub),
                                      cl::cat(pfcCategory()));
static cl::opt<std::string> gradOutputPath(
    "grad-output",
    cl::desc("Also run the backward of d(loss)/dy, f32 [T, out]; -o is then "
             "a directory"),
    cl::value_desc("dy.npy"), cl::sub(sub), cl::cat(pfcCategory()));
static OutputOption
    outputPath(sub,
               "Write y, f32 [T, out]; with --grad-output, write y.npy, dx.npy "
               "and grads.safetensors to <dir>, created if missing",
               "y.npy|dir", /*required=*/true);
static ThreadsOption threads(sub, "Threads to run on (default: all)");
static ScheduleFlags scheduleFlags(sub);

static int run() {
  std::optional<LoadedLayer> loaded = loadLayerSpec(specPath, /*cpu=*/true);
  if (!loaded)
    return ExitBadInput;
  const LayerSpec &spec = loaded->spec;
  const BlockMask &mask = loaded->mask;
  const bool backward = !gradOutputPath.empty();

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
  const int64_t tokens = x.shape[0];
  Tensor dy;
  if (backward) {
    if (!readNpy(gradOutputPath, dy, error))
      return reportFileError(error);
    if (dy.shape != std::vector<int64_t>{tokens, spec.outFeatures})
      return reportFileError(fmt::format(
          "{}: error: output gradient has shape {} (expected [{}, {}]: [T, "
          "out] for layer '{}' and the input's {} tokens)",
          gradOutputPath.getValue(), shapeString(dy.shape), tokens,
          spec.outFeatures, spec.name, tokens));
  }

  // y, and with the backward dx and the gradients.
  if (int code = checkFitsInMemory(
          4.0 * tokens *
              (double(spec.outFeatures) + (backward ? spec.inFeatures : 0)),
          "the outputs of " + Twine(tokens) + " tokens"))
    return code;
  CompileOptions options(threads, scheduleFlags.choice(), tokens);
  options.backward = backward;
  auto layer = compileLayer(spec, options);
  if (!layer)
    return reportError(specPath + ": " + toString(layer.takeError()));
  if (!(*layer)->setParams(params, error))
    return reportFileError(paramsPath + ": error: " + error);
  Tensor y;
  y.shape = {tokens, spec.outFeatures};
  y.data.resize(tokens * spec.outFeatures);
  (*layer)->forward(x.data.data(), tokens, y.data.data());
  if (!backward)
    return writeNpy(outputPath, y, error) ? ExitOk : reportFileError(error);

  Tensor dx;
  dx.shape = x.shape;
  dx.data.resize(x.data.size());
  LayerParams grads;
  (*layer)->backward(x.data.data(), dy.data.data(), tokens, dx.data.data(),
                     grads);

  // Everything is encoded before the directory is made or a file written.
  // The gradients carry the parameters' names and shapes; the metadata says
  // they are gradients.
  TensorMetadata metadata = {{"pfc.layer", spec.name},
                             {"pfc.gradients", "d(sum(y * dy))/d(parameter)"},
                             {"pfc.version", PFC_VERSION}};
  raw_string_ostream specText(metadata["pfc.spec"]);
  printLayerSpec(spec, specText);
  const std::string dir = outputPath;
  std::vector<std::pair<std::string, std::string>> files = {
      {dir + "/y.npy", ""},
      {dir + "/dx.npy", ""},
      {dir + "/grads.safetensors", ""}};
  if (!encodeNpy(y, files[0].second, error) ||
      !encodeNpy(dx, files[1].second, error) ||
      !encodeSafetensors(tensorsFromParams(spec, mask, grads), metadata,
                         files[2].second, error))
    return reportError(error);
  if (int code =
          makeOutputDirectory(dir, "y.npy, dx.npy and grads.safetensors"))
    return code;
  return writeOutputs(files);
}

Command &runCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

//===- InitCommand.cpp - `pfc init`: a layer's initial parameters ---------===//
#include "Commands.h"

#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("init", "Write a layer's initial parameters "
                                  "(safetensors, f32)");
static SpecArgument specPath(sub, "<layer.yaml>");
static OutputOption
    outputPath(sub, "Write the parameters to <file> ('-' for stdout)",
               "params.safetensors", /*required=*/true);
static cl::opt<uint64_t> seed("seed",
                              cl::desc("Seed of the random draws (default 0)"),
                              cl::init(0), cl::sub(sub),
                              cl::cat(pfcCategory()));

static int run() {
  std::optional<LoadedLayer> loaded = loadLayerSpec(specPath);
  if (!loaded)
    return ExitBadInput;
  const LayerSpec &layer = loaded->spec;
  const BlockMask &mask = loaded->mask;
  // The parameters, their tensors and the encoded file: three copies.
  double elements = 0.0;
  for (const ParamInfo &info : paramInfos(layer, mask)) {
    double count = 1.0;
    for (int64_t dim : info.shape)
      count *= static_cast<double>(dim);
    elements += count;
  }
  if (int code = checkFitsInMemory(3.0 * 4.0 * elements,
                                   "layer '" + layer.name + "''s parameters"))
    return code;
  LayerParams params = initParams(layer, mask, seed);

  // The file records what it was made from, so that it can be checked
  // against a spec later and made again.
  TensorMetadata metadata = {{"pfc.layer", layer.name},
                             {"pfc.seed", std::to_string(seed)},
                             {"pfc.version", PFC_VERSION}};
  raw_string_ostream specText(metadata["pfc.spec"]);
  printLayerSpec(layer, specText);

  std::string bytes, error;
  if (!encodeSafetensors(tensorsFromParams(layer, mask, params), metadata,
                         bytes, error))
    return reportError(error);
  if (int code = writeOutput(outputPath,
                                     [&](raw_ostream &os) { os << bytes; }))
    return code;
  if (outputPath == "-")
    return ExitOk;
  outs() << fmt::format("{}: layer {}, seed {}\n", outputPath.getValue(),
                        layer.name, seed.getValue());
  for (const ParamInfo &info : paramInfos(layer, mask))
    outs() << fmt::format("  {:<12} {}\n", info.name, shapeString(info.shape));
  return ExitOk;
}

Command &initCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

//===- CompileCuda.cpp - `pfc compile --target cuda`: CUDA ahead of time --===//
//
// The layer's CUDA C++ and launch plan, and what NVRTC makes of the source
// for each shipped architecture: PTX (compute_XX, which the driver compiles
// for any later GPU) and a cubin (sm_XX). Everything is made in memory first,
// so a failed compilation writes nothing.
//
//===----------------------------------------------------------------------===//
#include "CompileCuda.h"
#include "CompileOutput.h"

#include "pfc/Cli/JsonOutput.h"
#include "pfc/Import/LayerModule.h"
#include "pfc/Runtime/CudaCompile.h"
#include "pfc/Target/CudaTarget.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace pfc {

/// The GPU architectures AOT kernels are made for: Ampere and Hopper.
static const char *const kArchitectures[] = {"80", "90"};

int compileLayerForCuda(const LoadedLayer &layer, StringRef outputDir) {
  const LayerSpec &spec = layer.spec;
  std::string symbol = kernelSymbol(spec);
  CudaOptions options;
  if (std::string why = checkCudaSchedule(options.schedule, spec.block);
      !why.empty())
    return reportError(spec.name +
                       ": the CUDA target cannot compile it: " + why);
  auto module = compileLayerToCuda(spec, options);
  if (!module)
    return reportError(spec.name + ": " + toString(module.takeError()));

  CompileOutput output(symbol);
  output.add("cuda", ".cu", module->source);
  output.add("plan", ".plan.json", writeLaunchPlan(module->plan));

  json::Object manifest{
      {"pfc_version", PFC_VERSION},
      {"spec", toJson(spec)},
      {"target", "cuda"},
      {"dtype", std::string(toString(spec.dtype))},
      {"tile_tokens", options.schedule.tileTokens},
      {"tile_cols", options.schedule.tileCols},
      {"warps", json::Array{options.schedule.warpsM, options.schedule.warpsN}},
      {"stages", options.schedule.stages},
      {"tf32", options.schedule.tf32},
      {"nnz_blocks", layer.mask.nnzBlocks()},
      {"block_rows", layer.mask.blockRows},
      {"symbols", json::Object{{"pack", symbol + "_pack"},
                               {"forward", symbol + "_forward"},
                               {"backward", symbol + "_backward"}}}};
  std::string version = cuda::nvrtcVersion();
  if (version.empty()) {
    std::string why;
    cuda::CompiledCuda unused;
    cuda::compileCuda("", "sm_80", unused, why);
    manifest["note"] = "no PTX or cubin: " + why;
    WithColor::warning(errs(), "pfc")
        << "writing CUDA source only: " << why << "\n";
  } else {
    manifest["nvrtc"] = version;
    json::Object architectures;
    for (const char *arch : kArchitectures) {
      json::Object entry;
      for (bool cubin : {false, true}) {
        std::string target = (cubin ? "sm_" : "compute_") + std::string(arch);
        cuda::CompiledCuda compiled;
        std::string error;
        if (!cuda::compileCuda(module->source, target, compiled, error))
          return reportError(spec.name + ": NVRTC for " + target + ": " +
                             error);
        if (!compiled.log.empty())
          WithColor::warning(errs(), "pfc") << "NVRTC for " << target << ":\n"
                                            << compiled.log << "\n";
        std::string suffix =
            ".sm_" + std::string(arch) + (cubin ? ".cubin" : ".ptx");
        output.add(("sm_" + std::string(arch) + (cubin ? "_cubin" : "_ptx")),
                   suffix, std::move(compiled.image));
        entry[cubin ? "cubin" : "ptx"] = output.fileName(suffix);
      }
      architectures["sm_" + std::string(arch)] = std::move(entry);
    }
    manifest["architectures"] = std::move(architectures);
  }
  return output.write(std::move(manifest), outputDir, spec.name);
}

} // namespace pfc

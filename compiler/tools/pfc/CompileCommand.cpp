//===- CompileCommand.cpp - `pfc compile`: a layer ahead of time ----------===//
//
// Writes every artefact of one compilation into a directory: the IR at each
// stage worth reading, the optimized LLVM IR, its assembly, a relocatable
// object with the C interface of pfc/Runtime/Kernel.h, a header declaring
// it, and a manifest.json naming them. Everything is produced in memory first,
// so a failed compilation writes nothing; each file is then written atomically.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "CompileCuda.h"
#include "CompileOutput.h"

#include "pfc/Cli/JsonOutput.h"
#include "pfc/Import/LayerModule.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/CpuTarget.h"

#include "mlir/IR/AsmState.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Target/TargetMachine.h"

#include <fmt/format.h>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("compile",
                          "Compile a layer spec to an object file and header");
static SpecArgument specPath(sub, "<layer.yaml>");
static OutputOption outputDir(sub, "Write the artefacts to <dir>", "dir",
                              /*required=*/true);
enum class Target { Cpu, Cuda };
static cl::opt<Target>
    target("target", cl::desc("What to compile for"),
           cl::values(clEnumValN(Target::Cpu, "cpu", "the host CPU (default)"),
                      clEnumValN(Target::Cuda, "cuda",
                                 "NVIDIA GPUs: CUDA C++, PTX and cubins "
                                 "for sm_80 and sm_90")),
           cl::init(Target::Cpu), cl::sub(sub), cl::cat(pfcCategory()));
static cl::opt<std::string>
    cpu("cpu",
        cl::desc("The x86-64 CPU to generate code for, by LLVM's name "
                 "(skylake-avx512, znver4, haswell, ...; default: this "
                 "machine's)"),
        cl::value_desc("name"), cl::sub(sub), cl::cat(pfcCategory()));
static ThreadsOption threads(sub,
                             "Threads the schedule is made for (default: all)");
static ScheduleFlags scheduleFlags(sub);

/// The C header declaring a layer's kernels, with its sizes as macros.
static std::string makeHeader(const LayerSpec &spec, const BlockMask &mask,
                              StringRef symbol) {
  std::string guard = StringRef(symbol).upper() + "_H";
  std::string macro = StringRef(symbol).upper();
  auto define = [&](StringRef name, int64_t value) {
    return fmt::format("#define {}_{} {}\n", macro, name.str(), value);
  };
  std::string text = fmt::format(
      "/* {}: a Pixelfly layer compiled by pfc " PFC_VERSION ".\n"
      " * {}x{} weight, {}x{} blocks ({}), rank {}, gamma {}{}.\n"
      " * See pfc/Runtime/Kernel.h for the calling convention; link with -lm. "
      "*/\n"
      "#ifndef {}\n#define {}\n\n#include <stdint.h>\n\n",
      spec.name, spec.outFeatures, spec.inFeatures, spec.block, spec.block,
      spec.butterfly.str(), spec.rank, toString(spec.gammaMode),
      spec.bias ? ", bias" : "", guard, guard);
  text += define("IN_FEATURES", spec.inFeatures);
  text += define("OUT_FEATURES", spec.outFeatures);
  text += define("BLOCK", spec.block);
  text += define("NNZ_BLOCKS", mask.nnzBlocks());
  text += define("BLOCK_ROWS", mask.blockRows);
  text += define("RANK", spec.rank);
  text += define("PACKED_U_FLOATS", spec.rank * spec.paddedOut());
  text += fmt::format(
      "\n#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n"
      "/* blocks [{0}_NNZ_BLOCKS, b, b], U [out, r] -> the kernel layout. */\n"
      "void {1}_pack(const float *blocks, const float *u, float "
      "*packed_blocks,\n    float *packed_u);\n\n"
      "/* y[t0:t1] for block-rows [r0, r1) of x [tokens, in], y [tokens, out]. "
      "*/\n"
      "void {1}_forward(const float *x, const float *packed_blocks,\n"
      "    const float *packed_u, const float *v, const float *gamma,\n"
      "    const float *bias, float *y, int64_t tokens, int64_t t0, int64_t "
      "t1,\n    int64_t r0, int64_t r1);\n\n"
      "/* Given dy = d(loss)/dy: dx[t0:t1] and the parameters' gradients over\n"
      " * tokens [t0, t1); blocks and U in the user's layout. */\n"
      "void {1}_backward(const float *x, const float *dy, const float "
      "*blocks,\n    const float *u, const float *v, const float *gamma, "
      "float *dx,\n    float *dblocks, float *du, float *dv, float *dgamma, "
      "float *dbias,\n    int64_t tokens, int64_t t0, int64_t t1);\n\n"
      "#ifdef __cplusplus\n}}\n#endif\n\n#endif /* {2} */\n",
      macro, symbol.str(), guard);
  return text;
}

static int run() {
  std::optional<LoadedLayer> layer =
      loadLayerSpec(specPath, /*cpu=*/target != Target::Cuda);
  if (!layer)
    return ExitBadInput;
  if (target == Target::Cuda) {
    if (cpu.getNumOccurrences())
      return reportError("--cpu chooses an x86-64 CPU: it goes with "
                         "--target=cpu");
    return compileLayerForCuda(*layer, outputDir);
  }
  const LayerSpec &spec = layer->spec;
  const BlockMask &mask = layer->mask;
  std::string symbol = kernelSymbol(spec);

  CompileOutput output(symbol);
  CompileOptions options(threads, scheduleFlags.choice());
  options.cpu = cpu;
  if (auto known = cpuTargetInfo(cpu, threads); !known)
    return reportError(toString(known.takeError()));
  auto compiled = HostLayerModule::build(spec, options);
  if (!compiled)
    return reportError(specPath + ": " + toString(compiled.takeError()));
  auto machine = createHostTargetMachine(/*pic=*/true, cpu);
  if (!machine)
    return reportError(toString(machine.takeError()));
  LLVMContext context;
  auto module = compiled->lower(
      context, **machine, [&](StringRef stage, mlir::ModuleOp module) {
        std::string text;
        raw_string_ostream os(text);
        module.print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
        output.add((stage + "_mlir").str(), ("." + stage + ".mlir").str(),
                   std::move(text));
      });
  if (!module)
    return reportError(specPath + ": " + toString(module.takeError()));
  std::string ir;
  raw_string_ostream irStream(ir);
  (*module)->print(irStream, nullptr);
  output.add("llvm_ir", ".ll", std::move(ir));
  std::string sharedLibraryNote;
  for (bool assembly : {true, false}) {
    SmallString<0> code;
    raw_svector_ostream codeStream(code);
    if (Error err = emitMachineCode(**module, **machine, codeStream, assembly))
      return reportError(toString(std::move(err)));
    output.add(assembly ? "assembly" : "object", assembly ? ".s" : ".o",
               std::string(code.str()));
    // The runtime C API dlopens this; without a C compiler the object and
    // header are still useful, so only warn.
    if (!assembly) {
      auto library = linkSharedLibrary(code.str());
      if (library) {
        output.add("shared_library", ".so", std::move(*library));
      } else {
        sharedLibraryNote = toString(library.takeError());
        WithColor::warning(errs(), "pfc") << sharedLibraryNote << "\n";
      }
    }
  }
  output.add("header", ".h", makeHeader(spec, mask, symbol));
  json::Object manifest{
      {"pfc_version", PFC_VERSION},
      {"spec", toJson(spec)},
      {"target", "cpu"},
      {"cpu", (*machine)->getTargetCPU().str()},
      {"vector_width", compiled->target.vectorWidth},
      {"cache_bytes", compiled->target.cacheBytes},
      {"threads", compiled->target.threads},
      {"tile", compiled->tile},
      {"chunk", compiled->chunk},
      {"nnz_blocks", mask.nnzBlocks()},
      {"block_rows", mask.blockRows},
      {"symbols", json::Object{{"pack", symbol + "_pack"},
                               {"forward", symbol + "_forward"},
                               {"backward", symbol + "_backward"}}}};
  if (!sharedLibraryNote.empty())
    manifest["note"] = sharedLibraryNote;
  return output.write(std::move(manifest), outputDir, spec.name);
}

Command &compileCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

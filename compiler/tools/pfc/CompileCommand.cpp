//===- CompileCommand.cpp - `pfc compile`: ahead of time ------------------===//
//
// Writes every artefact of one compilation of a layer or an attention into a
// directory: the IR at each stage worth reading, the optimized LLVM IR, its
// assembly, a relocatable object with the C interface of pfc/Runtime/Kernel.h
// (an attention's: pfc/Runtime/Attention.h), a header declaring it, and a
// manifest.json naming them. Everything is produced in memory first, so a
// failed compilation writes nothing; each file is then written atomically.
//
//===----------------------------------------------------------------------===//
#include "Commands.h"
#include "CompileCuda.h"
#include "CompileOutput.h"

#include "pfc/Cli/JsonOutput.h"
#include "pfc/Import/AttentionModule.h"
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

static cl::SubCommand
    sub("compile",
        "Compile a layer or attention spec to an object file and header");
static SpecArgument specPath(sub, "<spec.yaml>");
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

/// A generated header's include guard and macro prefix, from the symbol.
struct HeaderNames {
  explicit HeaderNames(StringRef symbol)
      : guard(symbol.upper() + "_H"), macro(symbol.upper()) {}
  /// `#define <MACRO>_<name> <value>`.
  std::string define(StringRef name, int64_t value) const {
    return fmt::format("#define {}_{} {}\n", macro, name.str(), value);
  }
  /// The include guard's opening, after the header's comment.
  std::string open() const {
    return fmt::format("#ifndef {0}\n#define {0}\n\n#include <stdint.h>\n\n",
                       guard);
  }
  /// `declarations` in C linkage, and the guard's end.
  std::string close(const std::string &declarations) const {
    return "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n" + declarations +
           "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " + guard + " */\n";
  }
  std::string guard, macro;
};

/// The C header declaring a layer's kernels, with its sizes as macros.
static std::string makeHeader(const LayerSpec &spec, const BlockMask &mask,
                              StringRef symbol) {
  HeaderNames names(symbol);
  const std::string &macro = names.macro;
  auto define = [&](StringRef name, int64_t value) {
    return names.define(name, value);
  };
  std::string text = fmt::format(
      "/* {}: a Pixelfly layer compiled by pfc " PFC_VERSION ".\n"
      " * {}x{} weight, {}x{} blocks ({}), rank {}, gamma {}{}.\n"
      " * See pfc/Runtime/Kernel.h for the calling convention; link with -lm. "
      "*/\n",
      spec.name, spec.outFeatures, spec.inFeatures, spec.block, spec.block,
      spec.butterfly.str(), spec.rank, toString(spec.gammaMode),
      spec.bias ? ", bias" : "");
  text += names.open();
  text += define("IN_FEATURES", spec.inFeatures);
  text += define("OUT_FEATURES", spec.outFeatures);
  text += define("BLOCK", spec.block);
  text += define("NNZ_BLOCKS", mask.nnzBlocks());
  text += define("BLOCK_ROWS", mask.blockRows);
  text += define("RANK", spec.rank);
  text += define("PACKED_U_FLOATS", spec.rank * spec.paddedOut());
  text += names.close(fmt::format(
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
      "float *dbias,\n    int64_t tokens, int64_t t0, int64_t t1);\n\n",
      macro, symbol.str()));
  return text;
}

/// The C header declaring an attention's kernels, with its sizes as macros.
static std::string makeAttentionHeader(const AttentionSpec &spec,
                                       const BlockMask &support,
                                       StringRef symbol) {
  HeaderNames names(symbol);
  const std::string &macro = names.macro;
  auto define = [&](StringRef name, int64_t value) {
    return names.define(name, value);
  };
  std::string text = fmt::format(
      "/* {}: Pixelfly attention compiled by pfc " PFC_VERSION ".\n"
      " * seq_len {} (padded {}), {} heads of {}, block {}, support {},\n"
      " * {} random features, {}, scale {}.\n"
      " * docs/ATTENTION.md defines the operator, pfc/Runtime/Attention.h "
      "the\n * calling convention; link with -lm. */\n",
      spec.name, spec.seqLen, spec.paddedSeq(), spec.heads, spec.headDim,
      spec.block, spec.butterfly ? spec.butterfly->str() : "none",
      spec.features, spec.causal ? "causal" : "not causal",
      formatShortest(spec.tau()));
  text += names.open();
  text += define("SEQ_LEN", spec.seqLen);
  text += define("HEADS", spec.heads);
  text += define("HEAD_DIM", spec.headDim);
  text += define("BLOCK", spec.block);
  text += define("FEATURES", spec.features);
  text += define("CAUSAL", spec.causal ? 1 : 0);
  text += define("NNZ_BLOCKS", support.nnzBlocks());
  text += define("STATS_PER_ROW", 3);
  text += names.close(fmt::format(
      "/* o for the heads [h0, h1) of q, k, v, o [heads, tokens, head_dim]\n"
      " * (heads = batch x {0}_HEADS, 0 < tokens <= {0}_SEQ_LEN) and, of "
      "each,\n * the queries of block-rows [r0, r1) (blocks of {0}_BLOCK "
      "tokens). features\n * is W^T [head_dim, features / 2], W drawn from "
      "the spec's seed as pfc's\n * runtime draws it (NULL without "
      "features). stats [heads, tokens, 3] gets\n * what the backward "
      "needs. */\n"
      "void {1}_forward(const float *q, const float *k, const float *v,\n"
      "    const float *features, float *o, float *stats, int64_t tokens,\n"
      "    int64_t h0, int64_t h1, int64_t r0, int64_t r1);\n\n"
      "/* dq, dk, dv [heads, tokens, head_dim] (overwritten) for the heads "
      "[h0, h1),\n * given the forward's o and stats and dout = d(loss)/do, "
      "from the queries\n * of block-rows [r0, r1) alone: the sums over a "
      "split of the block-rows\n * are the gradients (dq is zero outside "
      "the rows). */\n"
      "void {1}_backward(const float *q, const float *k, const float *v,\n"
      "    const float *features, const float *o, const float *stats,\n"
      "    const float *dout, float *dq, float *dk, float *dv, int64_t "
      "tokens,\n    int64_t h0, int64_t h1, int64_t r0, int64_t r1);\n\n",
      macro, symbol.str()));
  return text;
}

/// Lowers `compiled` for `cpu` into `output`: each stage's IR, the LLVM IR,
/// the assembly, the object and (when a C compiler links one) the shared
/// library. `machineCpu` gets the CPU the code is for; `note`, why no shared
/// library was written. Returns an exit code, having reported any failure.
static int emitCpuArtefacts(HostLayerModule &compiled, CompileOutput &output,
                            std::string &machineCpu, std::string &note) {
  auto machine = createHostTargetMachine(/*pic=*/true, cpu);
  if (!machine)
    return reportError(toString(machine.takeError()));
  machineCpu = (*machine)->getTargetCPU().str();
  LLVMContext context;
  auto module = compiled.lower(
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
        note = toString(library.takeError());
        WithColor::warning(errs(), "pfc") << note << "\n";
      }
    }
  }
  return ExitOk;
}

/// `pfc compile` of a layer for the CPU.
static int compileLayerForCpu(const LoadedLayer &layer) {
  const LayerSpec &spec = layer.spec;
  const BlockMask &mask = layer.mask;
  std::string symbol = kernelSymbol(spec);

  CompileOutput output(symbol);
  CompileOptions options(threads, scheduleFlags.choice());
  options.cpu = cpu;
  if (auto known = cpuTargetInfo(cpu, threads); !known)
    return reportError(toString(known.takeError()));
  auto compiled = HostLayerModule::build(spec, options);
  if (!compiled)
    return reportError(specPath + ": " + toString(compiled.takeError()));
  std::string machineCpu, sharedLibraryNote;
  if (int code =
          emitCpuArtefacts(*compiled, output, machineCpu, sharedLibraryNote))
    return code;
  output.add("header", ".h", makeHeader(spec, mask, symbol));
  json::Object manifest{
      {"pfc_version", PFC_VERSION},
      {"spec", toJson(spec)},
      {"target", "cpu"},
      {"cpu", machineCpu},
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

/// `pfc compile` of an attention for the CPU: the same artefacts as a
/// layer's, with a manifest whose "kind" is "attention".
static int compileAttentionForCpu(const AttentionSpec &spec) {
  if (!scheduleFlags.choice().empty()) {
    reportError(specPath + ": the schedule's flags (--tile, --vector, "
                           "--chunk, ...) apply to layers, not to attention");
    return ExitUsage;
  }
  std::string symbol = kernelSymbol(spec);
  CompileOutput output(symbol);
  CompileOptions options(threads);
  options.cpu = cpu;
  if (auto known = cpuTargetInfo(cpu, threads); !known)
    return reportError(toString(known.takeError()));
  auto compiled = HostLayerModule::build(spec, options);
  if (!compiled)
    return reportError(specPath + ": " + toString(compiled.takeError()));
  std::string machineCpu, sharedLibraryNote;
  if (int code =
          emitCpuArtefacts(*compiled, output, machineCpu, sharedLibraryNote))
    return code;
  const BlockMask support = spec.support();
  output.add("header", ".h", makeAttentionHeader(spec, support, symbol));
  json::Object manifest{
      {"pfc_version", PFC_VERSION},
      {"kind", "attention"},
      {"spec", toJson(spec)},
      {"target", "cpu"},
      {"cpu", machineCpu},
      {"vector_width", compiled->target.vectorWidth},
      {"cache_bytes", compiled->target.cacheBytes},
      {"threads", compiled->target.threads},
      {"nnz_blocks", support.nnzBlocks()},
      {"block_rows", support.blockRows},
      {"symbols", json::Object{{"forward", symbol + "_forward"},
                               {"backward", symbol + "_backward"}}}};
  if (!sharedLibraryNote.empty())
    manifest["note"] = sharedLibraryNote;
  return output.write(std::move(manifest), outputDir, spec.name);
}

static int run() {
  // Layers for CUDA may be bf16 or f16; the CPU computes in f32 only.
  std::optional<Spec> spec = parseSpecFile(
      specPath, diagnostics(), SpecKind::Layer | SpecKind::Attention,
      target == Target::Cuda ? "" : "the CPU target");
  if (!spec)
    return ExitBadInput;
  if (target == Target::Cuda && cpu.getNumOccurrences())
    return reportError("--cpu chooses an x86-64 CPU: it goes with "
                       "--target=cpu");
  if (auto *attention = std::get_if<AttentionSpec>(&*spec)) {
    if (target == Target::Cuda)
      return reportError(specPath +
                         ": --target cuda is not yet supported "
                         "for attention ('" +
                         attention->name + "'; compile it for the CPU)");
    return compileAttentionForCpu(*attention);
  }
  LayerSpec &layerSpec = std::get<LayerSpec>(*spec);
  BlockMask mask = layerSpec.blockMask();
  const LoadedLayer layer{std::move(layerSpec), std::move(mask)};
  if (target == Target::Cuda)
    return compileLayerForCuda(layer, outputDir);
  return compileLayerForCpu(layer);
}

Command &compileCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

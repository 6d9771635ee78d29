//===- Jit.cpp - Compiling a layer in process -----------------------------===//
//
// A layer becomes pfc IR with its schedule, which keys the kernel cache; on a
// miss it is lowered, optimized and compiled to an object (the same object
// `pfc compile` writes), which is stored; either way ORC's LLJIT links the
// object into the process.
//
//===----------------------------------------------------------------------===//
#include "pfc/Target/Jit.h"

#include "pfc/BuildId.h"
#include "pfc/Import/AttentionModule.h"
#include "pfc/Import/LayerModule.h"
#include "pfc/Runtime/KernelCache.h"
#include "pfc/Target/CpuTarget.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>
#include <cstdio>

namespace pfc {

namespace {
/// A layer's object file and where it came from.
struct LayerObject {
  std::string bytes;
  std::optional<KernelCache> cache;
  std::string key;
  bool cached = false;
};
} // namespace

/// Compiles `layer` to an object file.
static llvm::Expected<std::string> compileObject(HostLayerModule &layer,
                                                 llvm::TargetMachine &machine) {
  llvm::LLVMContext context;
  auto module = layer.lower(context, machine);
  if (!module)
    return module.takeError();
  llvm::SmallString<0> object;
  llvm::raw_svector_ostream os(object);
  if (llvm::Error err =
          emitMachineCode(**module, machine, os, /*assembly=*/false))
    return std::move(err);
  return std::string(object.str());
}

/// The object file of `layer`: from the cache when it has it, else compiled
/// and stored.
static llvm::Expected<LayerObject> layerObject(HostLayerModule &layer,
                                               llvm::TargetMachine &machine,
                                               bool useCache) {
  LayerObject result;
  result.cache = useCache ? KernelCache::fromEnvironment() : std::nullopt;
  if (result.cache) {
    result.key = KernelCache::key({PFC_BUILD_ID, layer.text(),
                                   machine.getTargetCPU().str(),
                                   machine.getTargetFeatureString().str()});
    if (std::optional<std::string> object = result.cache->get(result.key)) {
      result.bytes = std::move(*object);
      result.cached = true;
      return std::move(result);
    }
  }
  auto object = compileObject(layer, machine);
  if (!object)
    return object.takeError();
  result.bytes = std::move(*object);
  if (result.cache)
    result.cache->put(result.key, result.bytes);
  return std::move(result);
}

/// Links `object` into a JIT of its own.
static llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>>
linkObject(const std::string &object,
           llvm::orc::JITTargetMachineBuilder builder, llvm::StringRef name) {
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(builder))
                 .create();
  if (!jit)
    return jit.takeError();
  // Kernels call malloc, free and expf.
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!process)
    return process.takeError();
  (*jit)->getMainJITDylib().addGenerator(std::move(*process));
  if (llvm::Error err = (*jit)->addObjectFile(
          llvm::MemoryBuffer::getMemBufferCopy(object, name)))
    return std::move(err);
  return std::move(*jit);
}

/// The entry point `symbol` of `jit` as a `Fn`.
template <typename Fn>
static llvm::Expected<Fn> lookup(llvm::orc::LLJIT &jit,
                                 const std::string &symbol) {
  auto address = jit.lookup(symbol);
  if (!address)
    return address.takeError();
  return address->toPtr<Fn>();
}

/// Links `object` into a JIT of its own and looks up the layer's kernels.
static llvm::Expected<LayerKernel>
loadKernel(const std::string &object,
           llvm::orc::JITTargetMachineBuilder builder, const LayerSpec &spec,
           bool backward) {
  auto jit = linkObject(object, std::move(builder), spec.name);
  if (!jit)
    return jit.takeError();
  std::string symbol = kernelSymbol(spec);
  LayerKernel kernel;
  auto pack = lookup<pfc_pack_fn>(**jit, symbol + "_pack");
  if (!pack)
    return pack.takeError();
  auto forward = lookup<pfc_forward_fn>(**jit, symbol + "_forward");
  if (!forward)
    return forward.takeError();
  kernel.pack = *pack;
  kernel.forward = *forward;
  if (backward) {
    auto backwardFn = lookup<pfc_backward_fn>(**jit, symbol + "_backward");
    if (!backwardFn)
      return backwardFn.takeError();
    kernel.backward = *backwardFn;
  }
  kernel.owner = std::shared_ptr<llvm::orc::LLJIT>(std::move(*jit));
  return std::move(kernel);
}

/// The same for an attention's kernels.
static llvm::Expected<AttentionKernel>
loadKernel(const std::string &object,
           llvm::orc::JITTargetMachineBuilder builder,
           const AttentionSpec &spec, bool backward) {
  auto jit = linkObject(object, std::move(builder), spec.name);
  if (!jit)
    return jit.takeError();
  std::string symbol = kernelSymbol(spec);
  auto forward = lookup<pfc_attention_forward_fn>(**jit, symbol + "_forward");
  if (!forward)
    return forward.takeError();
  AttentionKernel kernel;
  kernel.forward = *forward;
  if (backward) {
    auto backwardFn =
        lookup<pfc_attention_backward_fn>(**jit, symbol + "_backward");
    if (!backwardFn)
      return backwardFn.takeError();
    kernel.backward = *backwardFn;
  }
  kernel.owner = std::shared_ptr<llvm::orc::LLJIT>(std::move(*jit));
  return std::move(kernel);
}

/// The kernel type of a spec type.
template <typename Spec> struct KernelOf;
template <> struct KernelOf<LayerSpec> {
  using type = LayerKernel;
};
template <> struct KernelOf<AttentionSpec> {
  using type = AttentionKernel;
};

/// `spec`'s module compiled, or taken from the cache, and linked: its
/// kernel and the module it came from.
template <typename Spec>
static llvm::Expected<std::pair<typename KernelOf<Spec>::type, HostLayerModule>>
compileKernel(const Spec &spec, const CompileOptions &options) {
  if (!isHostCpu(options.cpu))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the JIT runs kernels on this machine's CPU (" +
            llvm::sys::getHostCPUName() + "), not on '" + options.cpu +
            "': compile for another CPU ahead of time (pfc compile --cpu)");
  auto layer = HostLayerModule::build(spec, options);
  if (!layer)
    return layer.takeError();
  // One detection of the host: the target machine compiles the object and
  // the JIT gets the same builder.
  auto builder = hostMachineBuilder(/*pic=*/true);
  if (!builder)
    return builder.takeError();
  auto machine = builder->createTargetMachine();
  if (!machine)
    return machine.takeError();
  auto object = layerObject(*layer, **machine, options.useCache);
  if (!object)
    return object.takeError();

  auto loaded = loadKernel(object->bytes, *builder, spec, options.backward);
  if (!loaded && object->cached) {
    // A cached object that passed its checksum but does not load (another
    // build's symbols, say) is a miss: discarded and rebuilt, never a
    // failure of every later run.
    std::fprintf(stderr,
                 "pfc: warning: kernel cache entry %s does not load (%s); "
                 "rebuilding\n",
                 object->cache->entryPath(object->key).c_str(),
                 llvm::toString(loaded.takeError()).c_str());
    object->cache->remove(object->key);
    auto fresh = compileObject(*layer, **machine);
    if (!fresh)
      return fresh.takeError();
    object->cache->put(object->key, *fresh);
    loaded = loadKernel(*fresh, *builder, spec, options.backward);
  }
  if (!loaded)
    return loaded.takeError();
  return std::make_pair(std::move(*loaded), std::move(*layer));
}

/// Seconds since `start`.
static double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

llvm::Expected<std::unique_ptr<Layer>>
compileLayer(const LayerSpec &spec, const CompileOptions &options,
             double *seconds) {
  auto start = std::chrono::steady_clock::now();
  auto compiled = compileKernel(spec, options);
  if (!compiled)
    return compiled.takeError();
  LayerKernel kernel = std::move(compiled->first);
  kernel.tile = compiled->second.tile;
  kernel.threads = compiled->second.target.threads;
  if (seconds)
    *seconds = since(start);
  return std::make_unique<Layer>(spec, spec.blockMask(), std::move(kernel));
}

llvm::Expected<std::unique_ptr<Attention>>
compileAttention(const AttentionSpec &spec, const CompileOptions &options,
                 double *seconds) {
  auto start = std::chrono::steady_clock::now();
  auto compiled = compileKernel(spec, options);
  if (!compiled)
    return compiled.takeError();
  AttentionKernel kernel = std::move(compiled->first);
  kernel.threads = compiled->second.target.threads;
  if (seconds)
    *seconds = since(start);
  return std::make_unique<Attention>(spec, std::move(kernel));
}

} // namespace pfc

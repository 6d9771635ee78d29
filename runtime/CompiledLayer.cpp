//===- CompiledLayer.cpp - Loading what `pfc compile` wrote ---------------===//
#include "pfc/Runtime/CompiledLayer.h"
#include "pfc/Runtime/TensorFile.h"

#include "Json.h"

#include <dlfcn.h>
#include <optional>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace pfc {

namespace {

/// Reads the manifest's members, remembering the first thing that is wrong.
class ManifestReader {
public:
  explicit ManifestReader(std::string &error) : error(error) {}

  /// The member `key` of `object`, or null (for optional members).
  static const json::Value *find(const json::Value &object,
                                 const std::string &key) {
    if (object.kind == json::Value::Kind::Object)
      for (const json::Member &m : object.object)
        if (m.key == key)
          return &m.value;
    return nullptr;
  }
  const json::Value &need(const json::Value &object, const std::string &key) {
    static const json::Value none;
    if (const json::Value *value = find(object, key))
      return *value;
    fail("missing \"" + key + "\"");
    return none;
  }
  const json::Value &kind(const json::Value &object, const std::string &key,
                          json::Value::Kind want) {
    const json::Value &value = need(object, key);
    if (ok() && value.kind != want)
      fail("\"" + key + "\" is not " + json::describe(want));
    return value;
  }
  std::string string(const json::Value &object, const std::string &key) {
    return kind(object, key, json::Value::Kind::String).text;
  }
  bool boolean(const json::Value &object, const std::string &key) {
    return kind(object, key, json::Value::Kind::Bool).boolean;
  }
  int64_t integer(const json::Value &object, const std::string &key) {
    int64_t result = 0;
    const json::Value &value = need(object, key);
    if (ok() && !json::toNonNegativeInt(value, result))
      fail("\"" + key + "\" is not a non-negative integer");
    return result;
  }
  double number(const json::Value &object, const std::string &key) {
    return std::strtod(
        kind(object, key, json::Value::Kind::Number).text.c_str(), nullptr);
  }
  template <typename Enum, size_t N>
  Enum named(const json::Value &object, const std::string &key,
             const std::pair<std::string_view, Enum> (&names)[N]) {
    std::string text = string(object, key);
    for (const auto &[name, value] : names)
      if (name == text)
        return value;
    fail("unknown \"" + key + "\" \"" + text + "\"");
    return names[0].second;
  }
  void fail(const std::string &what) {
    if (error.empty())
      error = what;
  }
  bool ok() const { return error.empty(); }

private:
  std::string &error;
};

ButterflyPattern readButterfly(ManifestReader &r,
                               const json::Value &butterfly) {
  ButterflyPattern pattern;
  pattern.size = r.integer(butterfly, "size");
  pattern.strides.clear();
  for (const json::Value &stride :
       r.kind(butterfly, "strides", json::Value::Kind::Array).array) {
    int64_t value = 0;
    if (!json::toNonNegativeInt(stride, value))
      r.fail("a stride that is not a non-negative integer");
    pattern.strides.push_back(value);
  }
  pattern.shuffle = r.boolean(butterfly, "shuffle");
  pattern.global = r.integer(butterfly, "global");
  return pattern;
}

LayerSpec readSpec(ManifestReader &r, const json::Value &s) {
  LayerSpec spec;
  spec.name = r.string(s, "name");
  spec.inFeatures = r.integer(s, "in_features");
  spec.outFeatures = r.integer(s, "out_features");
  spec.block = r.integer(s, "block");
  spec.butterfly = readButterfly(r, r.need(s, "butterfly"));
  spec.rank = r.integer(r.need(s, "lowrank"), "rank");
  const json::Value &gamma = r.need(s, "gamma");
  spec.gammaMode = r.named(gamma, "mode", kGammaModeNames);
  spec.gammaInit = r.number(gamma, "init");
  spec.bias = r.boolean(s, "bias");
  spec.dtype = r.named(s, "dtype", kDTypeNames);
  if (r.ok() && (spec.inFeatures < 1 || spec.outFeatures < 1 ||
                 spec.block < 1 || spec.butterfly.size < 2))
    r.fail("a layer without features, blocks or a butterfly size");
  if (r.ok())
    if (std::string why =
            checkPatternFits(spec.butterfly, spec.paddedOut(), spec.paddedIn());
        !why.empty())
      r.fail(why);
  return spec;
}

/// A seed: an integer literal that fits in uint64_t.
uint64_t readSeed(ManifestReader &r, const json::Value &s) {
  const std::string &text = r.kind(s, "seed", json::Value::Kind::Number).text;
  uint64_t seed = 0;
  bool ok = r.ok() && !text.empty() && text.size() <= 20;
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    if (!ok)
      break;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    ok = seed <= (UINT64_MAX - digit) / 10;
    seed = seed * 10 + digit;
  }
  if (r.ok() && !ok)
    r.fail("\"seed\" is not an integer in [0, 2^64)");
  return seed;
}

AttentionSpec readAttentionSpec(ManifestReader &r, const json::Value &s) {
  // The bounds of the spec parser (compiler/lib/Spec/AttentionSpecParser.cpp),
  // so that no size read here overflows or allocates without limit.
  constexpr int64_t kMaxSeqLen = int64_t{1} << 20, kMaxHeads = int64_t{1} << 16,
                    kMaxHeadDim = 1024, kMaxFeatures = 4096,
                    kMaxGridBlocks = int64_t{1} << 26;
  AttentionSpec spec;
  spec.name = r.string(s, "name");
  spec.seqLen = r.integer(s, "seq_len");
  spec.heads = r.integer(s, "heads");
  spec.headDim = r.integer(s, "head_dim");
  spec.block = r.integer(s, "block");
  const json::Value &butterfly = r.need(s, "butterfly");
  if (r.ok() && butterfly.kind == json::Value::Kind::Null)
    spec.butterfly.reset();
  else if (r.ok())
    spec.butterfly = readButterfly(r, butterfly);
  spec.features = r.integer(s, "features");
  spec.causal = r.boolean(s, "causal");
  spec.seed = readSeed(r, s);
  spec.scale = r.number(s, "scale");
  spec.dtype = r.named(s, "dtype", kDTypeNames);
  if (!r.ok())
    return spec;
  if (spec.seqLen < 1 || spec.seqLen > kMaxSeqLen || spec.heads < 1 ||
      spec.heads > kMaxHeads || spec.headDim < 1 ||
      spec.headDim > kMaxHeadDim || spec.block < 1 || spec.block > kMaxSeqLen ||
      spec.features % 2 != 0 || spec.features > kMaxFeatures ||
      !(*spec.scale > 0) || *spec.scale > 1e308) {
    r.fail("an attention whose sizes or scale are out of range");
    return spec;
  }
  const int64_t blocks = spec.paddedSeq() / spec.block;
  if (blocks * blocks > kMaxGridBlocks)
    r.fail("an attention of more than 2^26 blocks");
  else if (spec.butterfly)
    if (std::string why = checkPatternFits(*spec.butterfly, spec.paddedSeq(),
                                           spec.paddedSeq());
        !why.empty() || spec.butterfly->size < 2)
      r.fail(why.empty() ? "a butterfly size below 2" : why);
  return spec;
}

/// The manifest's "kind": "layer" when it has none (as before attention).
std::string readKind(ManifestReader &r, const json::Value &root) {
  if (!ManifestReader::find(root, "kind"))
    return "layer";
  return r.string(root, "kind");
}

/// dlopens `library` (RTLD_LOCAL: several may be loaded side by side); null
/// with `<library>: error: <why>` in `error`.
std::shared_ptr<void> openLibrary(const std::string &library,
                                  std::string &error) {
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    error = library + ": error: " + (why ? why : "cannot be loaded");
    return nullptr;
  }
  return std::shared_ptr<void>(handle, [](void *h) { dlclose(h); });
}

/// The shared library `name` in `dir` that a manifest names, opened, and
/// its symbols: `lookup` leaves the first missing one in `error`.
struct KernelLibrary {
  std::string path;
  std::shared_ptr<void> owner;

  static std::optional<KernelLibrary>
  open(const std::string &dir, const std::string &name, std::string &error) {
    if (name.empty()) {
      error = dir + "/manifest.json: error: no shared library was written "
                    "(pfc compile found no C compiler to link one)";
      return std::nullopt;
    }
    KernelLibrary library{dir + "/" + name, nullptr};
    library.owner = openLibrary(library.path, error);
    if (!library.owner)
      return std::nullopt;
    error.clear();
    return library;
  }

  template <typename Fn>
  Fn lookup(const std::string &symbol, std::string &error) const {
    void *address = dlsym(owner.get(), symbol.c_str());
    if (!address && error.empty())
      error = path + ": error: no symbol '" + symbol + "'";
    return reinterpret_cast<Fn>(address);
  }
};

} // namespace

bool parseManifest(std::string_view text, const std::string &source,
                   CompiledManifest &manifest, std::string &error) {
  error.clear();
  json::Value root;
  std::string what;
  if (json::parse(text, root, what)) {
    ManifestReader r(what);
    if (std::string kind = readKind(r, root); r.ok() && kind != "layer")
      r.fail(kind == "attention"
                 ? "an attention, not a layer (load it as an attention: "
                   "pfc_attention_load)"
                 : "unknown \"kind\" \"" + kind + "\"");
    manifest.target = r.string(root, "target");
    manifest.spec = readSpec(r, r.need(root, "spec"));
    const json::Value &symbols = r.need(root, "symbols");
    manifest.pack = r.string(symbols, "pack");
    manifest.forward = r.string(symbols, "forward");
    manifest.backward = r.string(symbols, "backward");
    const json::Value &files = r.kind(root, "files", json::Value::Kind::Object);
    if (r.ok() && manifest.target == "cpu") {
      manifest.tile = r.integer(root, "tile");
      manifest.threads = r.integer(root, "threads");
      if (ManifestReader::find(files, "shared_library"))
        manifest.sharedLibrary = r.string(files, "shared_library");
    } else if (r.ok() && manifest.target == "cuda") {
      manifest.plan = r.string(files, "plan");
      if (ManifestReader::find(root, "note"))
        manifest.note = r.string(root, "note");
      if (ManifestReader::find(root, "architectures"))
        for (const json::Member &arch :
             r.kind(root, "architectures", json::Value::Kind::Object).object)
          manifest.images.push_back({arch.key, r.string(arch.value, "ptx"),
                                     r.string(arch.value, "cubin")});
    } else if (r.ok()) {
      r.fail("unknown \"target\" \"" + manifest.target + "\"");
    }
  }
  if (what.empty())
    return true;
  error = source + ": error: " + what;
  return false;
}

bool readManifest(const std::string &dir, CompiledManifest &manifest,
                  std::string &error) {
  std::string path = dir + "/manifest.json", text;
  return readFileBytes(path, text, error) &&
         parseManifest(text, path, manifest, error);
}

std::unique_ptr<Layer> loadCompiledLayer(const std::string &dir,
                                         int64_t threads, std::string &error) {
  CompiledManifest manifest;
  if (!readManifest(dir, manifest, error))
    return nullptr;
  return loadCompiledLayer(dir, std::move(manifest), threads, error);
}

std::unique_ptr<Layer> loadCompiledLayer(const std::string &dir,
                                         CompiledManifest manifest,
                                         int64_t threads, std::string &error) {
  std::string path = dir + "/manifest.json";
  if (manifest.target != "cpu") {
    error = path + ": error: a layer compiled for '" + manifest.target +
            "', not for the CPU";
    return nullptr;
  }
  std::optional<KernelLibrary> library =
      KernelLibrary::open(dir, manifest.sharedLibrary, error);
  if (!library)
    return nullptr;
  LayerKernel kernel;
  kernel.pack = library->lookup<pfc_pack_fn>(manifest.pack, error);
  kernel.forward = library->lookup<pfc_forward_fn>(manifest.forward, error);
  kernel.backward = library->lookup<pfc_backward_fn>(manifest.backward, error);
  if (!error.empty())
    return nullptr;
  kernel.tile = manifest.tile;
  kernel.threads = threads > 0 ? threads : manifest.threads;
  kernel.owner = std::move(library->owner);
  BlockMask mask = manifest.spec.blockMask();
  return std::make_unique<Layer>(std::move(manifest.spec), std::move(mask),
                                 std::move(kernel));
}

bool parseAttentionManifest(std::string_view text, const std::string &source,
                            CompiledAttentionManifest &manifest,
                            std::string &error) {
  error.clear();
  json::Value root;
  std::string what;
  if (json::parse(text, root, what)) {
    ManifestReader r(what);
    if (std::string kind = readKind(r, root); r.ok() && kind != "attention")
      r.fail(kind == "layer" ? "a layer, not an attention (load it as a "
                               "layer: pfc_layer_load)"
                             : "unknown \"kind\" \"" + kind + "\"");
    std::string target = r.string(root, "target");
    if (r.ok() && target != "cpu")
      r.fail("an attention compiled for '" + target +
             "': only the CPU target runs attention");
    manifest.spec = readAttentionSpec(r, r.need(root, "spec"));
    const json::Value &symbols = r.need(root, "symbols");
    manifest.forward = r.string(symbols, "forward");
    manifest.backward = r.string(symbols, "backward");
    manifest.threads = r.integer(root, "threads");
    const json::Value &files = r.kind(root, "files", json::Value::Kind::Object);
    if (r.ok() && ManifestReader::find(files, "shared_library"))
      manifest.sharedLibrary = r.string(files, "shared_library");
  }
  if (what.empty())
    return true;
  error = source + ": error: " + what;
  return false;
}

bool readAttentionManifest(const std::string &dir,
                           CompiledAttentionManifest &manifest,
                           std::string &error) {
  std::string path = dir + "/manifest.json", text;
  return readFileBytes(path, text, error) &&
         parseAttentionManifest(text, path, manifest, error);
}

std::unique_ptr<Attention> loadCompiledAttention(const std::string &dir,
                                                 int64_t threads,
                                                 std::string &error) {
  CompiledAttentionManifest manifest;
  if (!readAttentionManifest(dir, manifest, error))
    return nullptr;
  std::optional<KernelLibrary> library =
      KernelLibrary::open(dir, manifest.sharedLibrary, error);
  if (!library)
    return nullptr;
  AttentionKernel kernel;
  kernel.forward =
      library->lookup<pfc_attention_forward_fn>(manifest.forward, error);
  kernel.backward =
      library->lookup<pfc_attention_backward_fn>(manifest.backward, error);
  if (!error.empty())
    return nullptr;
  kernel.threads =
      threads > 0 ? threads : std::max<int64_t>(manifest.threads, 1);
  kernel.owner = std::move(library->owner);
  return std::make_unique<Attention>(std::move(manifest.spec),
                                     std::move(kernel));
}

} // namespace pfc

//===- CompiledLayer.cpp - Loading what `pfc compile` wrote ---------------===//
#include "pfc/Runtime/CompiledLayer.h"
#include "pfc/Runtime/TensorFile.h"

#include "Json.h"

#include <dlfcn.h>

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

LayerSpec readSpec(ManifestReader &r, const json::Value &s) {
  LayerSpec spec;
  spec.name = r.string(s, "name");
  spec.inFeatures = r.integer(s, "in_features");
  spec.outFeatures = r.integer(s, "out_features");
  spec.block = r.integer(s, "block");
  const json::Value &butterfly = r.need(s, "butterfly");
  spec.butterfly.size = r.integer(butterfly, "size");
  spec.butterfly.strides.clear();
  for (const json::Value &stride :
       r.kind(butterfly, "strides", json::Value::Kind::Array).array) {
    int64_t value = 0;
    if (!json::toNonNegativeInt(stride, value))
      r.fail("a stride that is not a non-negative integer");
    spec.butterfly.strides.push_back(value);
  }
  spec.butterfly.shuffle = r.boolean(butterfly, "shuffle");
  spec.butterfly.global = r.integer(butterfly, "global");
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
    if (std::string why = checkPatternFits(spec.butterfly, spec.paddedOut(),
                                           spec.paddedIn());
        !why.empty())
      r.fail(why);
  return spec;
}

} // namespace

bool parseManifest(std::string_view text, const std::string &source,
                   CompiledManifest &manifest, std::string &error) {
  error.clear();
  json::Value root;
  std::string what;
  if (json::parse(text, root, what)) {
    ManifestReader r(what);
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
  if (manifest.sharedLibrary.empty()) {
    error = path + ": error: no shared library was written (pfc compile "
                   "found no C compiler to link one)";
    return nullptr;
  }
  std::string library = dir + "/" + manifest.sharedLibrary;
  // RTLD_LOCAL: two layers may be loaded side by side.
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    error = library + ": error: " + (why ? why : "cannot be loaded");
    return nullptr;
  }
  std::shared_ptr<void> owner(handle, [](void *h) { dlclose(h); });
  LayerKernel kernel;
  auto symbol = [&](const std::string &name) -> void * {
    void *address = dlsym(handle, name.c_str());
    if (!address && error.empty())
      error = library + ": error: no symbol '" + name + "'";
    return address;
  };
  error.clear();
  kernel.pack = reinterpret_cast<pfc_pack_fn>(symbol(manifest.pack));
  kernel.forward = reinterpret_cast<pfc_forward_fn>(symbol(manifest.forward));
  kernel.backward =
      reinterpret_cast<pfc_backward_fn>(symbol(manifest.backward));
  if (!error.empty())
    return nullptr;
  kernel.tile = manifest.tile;
  kernel.threads = threads > 0 ? threads : manifest.threads;
  kernel.owner = std::move(owner);
  BlockMask mask = manifest.spec.blockMask();
  return std::make_unique<Layer>(std::move(manifest.spec), std::move(mask),
                                 std::move(kernel));
}

} // namespace pfc

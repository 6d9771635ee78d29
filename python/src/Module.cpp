//===- Module.cpp - pfc's Python extension module (_pfc) ------------------===//
//
// The C++ half of the `pfc` Python package: parses layer and attention specs,
// compiles them with the JIT and runs their forward and backward kernels on
// memory the caller owns. No libtorch header is included: tensors cross as the
// addresses of contiguous f32 arrays (torch's data_ptr()), so one build of
// this module serves every torch version. pfc/_ops.py checks shapes, dtypes and
// contiguity before any address reaches this file.
//
//===----------------------------------------------------------------------===//
#include "pfc/Pattern/RandomFeatures.h"
#include "pfc/Plan/Planner.h"
#include "pfc/Runtime/Attention.h"
#include "pfc/Runtime/Layer.h"
#include "pfc/Runtime/Params.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Runtime/ThreadPool.h"
#include "pfc/Spec/PlanTable.h"
#include "pfc/Spec/SpecParser.h"
#include "pfc/Target/Jit.h"

#include "llvm/Support/raw_ostream.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using FloatArray = nb::ndarray<nb::numpy, float>;
using InputArray = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;

/// A parsed, validated layer spec with its mask.
struct SpecHandle {
  pfc::LayerSpec spec;
  pfc::BlockMask mask;
  std::vector<pfc::ParamInfo> infos;
  std::string canonical;
  std::string source;
};

/// Parses `text` as a spec of `kind`; pfc's diagnostics (file:line:col:
/// error: ...) become a ValueError.
pfc::Spec parseSpecText(const std::string &text, const std::string &source,
                        pfc::SpecKind kind) {
  std::string messages;
  llvm::raw_string_ostream os(messages);
  std::optional<pfc::Spec> spec =
      pfc::parseSpecText(text, source, os, kind, "the CPU target");
  if (!spec) {
    os.flush();
    if (messages.empty())
      messages = source + ": error: invalid spec";
    while (!messages.empty() && messages.back() == '\n')
      messages.pop_back();
    throw nb::value_error(messages.c_str());
  }
  return std::move(*spec);
}

std::shared_ptr<SpecHandle> parseLayerSpec(const std::string &text,
                                           const std::string &source) {
  pfc::Spec spec = parseSpecText(text, source, pfc::SpecKind::Layer);
  auto handle = std::make_shared<SpecHandle>();
  handle->spec = std::get<pfc::LayerSpec>(spec);
  handle->mask = handle->spec.blockMask();
  handle->infos = pfc::paramInfos(handle->spec, handle->mask);
  llvm::raw_string_ostream canonical(handle->canonical);
  pfc::printLayerSpec(handle->spec, canonical);
  canonical.flush();
  handle->source = source;
  return handle;
}

nb::dict specDict(const SpecHandle &h) {
  const pfc::LayerSpec &s = h.spec;
  nb::dict butterfly;
  butterfly["size"] = s.butterfly.size;
  nb::list strides;
  for (int64_t k : s.butterfly.strides)
    strides.append(k);
  butterfly["strides"] = strides;
  butterfly["shuffle"] = s.butterfly.shuffle;
  butterfly["global"] = s.butterfly.global;

  nb::list blocks;
  for (auto [row, col] : h.mask.blocks())
    blocks.append(nb::make_tuple(row, col));

  nb::dict d;
  d["name"] = s.name;
  d["in_features"] = s.inFeatures;
  d["out_features"] = s.outFeatures;
  d["padded_in"] = s.paddedIn();
  d["padded_out"] = s.paddedOut();
  d["block"] = s.block;
  d["butterfly"] = butterfly;
  d["rank"] = s.rank;
  d["gamma_mode"] = std::string(pfc::toString(s.gammaMode));
  d["gamma_init"] = s.gammaInit;
  d["bias"] = s.bias;
  d["dtype"] = std::string(pfc::toString(s.dtype));
  d["block_rows"] = h.mask.blockRows;
  d["block_cols"] = h.mask.blockCols;
  d["nnz_blocks"] = h.mask.nnzBlocks();
  d["density"] = h.mask.density();
  d["blocks"] = blocks;
  return d;
}

/// A numpy array that owns `tensor`'s data.
FloatArray toNumpy(pfc::Tensor &&tensor) {
  auto *data = new std::vector<float>(std::move(tensor.data));
  nb::capsule owner(data, [](void *p) noexcept {
    delete static_cast<std::vector<float> *>(p);
  });
  std::vector<size_t> shape(tensor.shape.begin(), tensor.shape.end());
  return FloatArray(data->data(), shape.size(), shape.data(), owner);
}

nb::dict toDict(pfc::TensorMap &&tensors) {
  nb::dict out;
  for (auto &[name, tensor] : tensors)
    out[nb::str(name.c_str())] = toNumpy(std::move(tensor));
  return out;
}

nb::list paramInfoList(const SpecHandle &h) {
  nb::list out;
  for (const pfc::ParamInfo &info : h.infos) {
    nb::list shape;
    for (int64_t dim : info.shape)
      shape.append(dim);
    out.append(nb::make_tuple(info.name, nb::tuple(shape)));
  }
  return out;
}

const float *floatPtr(uintptr_t address) {
  return reinterpret_cast<const float *>(address);
}

/// A compiled layer; calls run one at a time (a mutex per layer), without
/// the GIL.
class PyLayer {
public:
  PyLayer(std::shared_ptr<SpecHandle> handle, int64_t threads)
      : handle(std::move(handle)) {
    std::unique_ptr<pfc::Layer> compiled;
    std::string error;
    {
      nb::gil_scoped_release release;
      pfc::CompileOptions options(threads);
      auto result = pfc::compileLayer(this->handle->spec, options);
      if (result)
        compiled = std::move(*result);
      else
        error = llvm::toString(result.takeError());
    }
    if (!compiled)
      throw std::runtime_error(this->handle->source +
                               ": error: cannot compile the layer: " + error);
    layer = std::move(compiled);
  }

  /// y [tokens, out] = layer(x [tokens, in]). `params` are the addresses of
  /// the parameters in paramInfos' order; `key` != 0 names that set of
  /// values: the same key as the previous call skips re-packing them.
  void forward(uintptr_t x, int64_t tokens, uintptr_t y,
               const std::vector<uintptr_t> &params, int64_t key) {
    checkAddresses(params);
    nb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex);
    setParams(params, key);
    if (tokens > 0)
      layer->forward(floatPtr(x), tokens, reinterpret_cast<float *>(y));
  }

  /// dx [tokens, in] and the gradients (addresses in paramInfos' order, each
  /// of its parameter's size) from x and dy [tokens, out].
  void backward(uintptr_t x, uintptr_t dy, int64_t tokens, uintptr_t dx,
                const std::vector<uintptr_t> &params, int64_t key,
                const std::vector<uintptr_t> &gradAddresses) {
    checkAddresses(params);
    checkAddresses(gradAddresses);
    nb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex);
    setParams(params, key);
    layer->backward(floatPtr(x), floatPtr(dy), tokens,
                    reinterpret_cast<float *>(dx), grads);
    std::vector<float *> to;
    for (uintptr_t address : gradAddresses)
      to.push_back(reinterpret_cast<float *>(address));
    pfc::paramsToArrays(handle->spec, handle->mask, grads, to.data());
  }

  std::shared_ptr<SpecHandle> handle;

private:
  void checkAddresses(const std::vector<uintptr_t> &addresses) const {
    if (addresses.size() != handle->infos.size())
      throw nb::value_error(
          ("expected " + std::to_string(handle->infos.size()) +
           " parameter addresses, got " + std::to_string(addresses.size()))
              .c_str());
    for (uintptr_t address : addresses)
      if (address == 0)
        throw nb::value_error("a parameter address is null");
  }

  /// Called with the mutex held.
  void setParams(const std::vector<uintptr_t> &addresses, int64_t key) {
    if (key != 0 && key == currentKey)
      return;
    std::vector<const float *> arrays;
    for (uintptr_t address : addresses)
      arrays.push_back(floatPtr(address));
    pfc::LayerParams p =
        pfc::paramsFromArrays(handle->spec, handle->mask, arrays.data());
    std::string error;
    currentKey = 0;
    if (!layer->setParams(p, error))
      throw std::runtime_error(handle->spec.name + ": " + error);
    currentKey = key;
  }

  std::unique_ptr<pfc::Layer> layer;
  std::mutex mutex;
  int64_t currentKey = 0;
  pfc::LayerParams grads;
};

/// A parsed, validated attention spec with its support.
struct AttentionSpecHandle {
  pfc::AttentionSpec spec;
  pfc::BlockMask support;
  std::string canonical;
  std::string source;
};

std::shared_ptr<AttentionSpecHandle>
parseAttentionSpec(const std::string &text, const std::string &source) {
  pfc::Spec spec = parseSpecText(text, source, pfc::SpecKind::Attention);
  auto handle = std::make_shared<AttentionSpecHandle>();
  handle->spec = std::get<pfc::AttentionSpec>(spec);
  handle->support = handle->spec.support();
  llvm::raw_string_ostream canonical(handle->canonical);
  pfc::printAttentionSpec(handle->spec, canonical);
  canonical.flush();
  handle->source = source;
  return handle;
}

/// The spec and its support as a dict (the figures of `pfc check --json`).
nb::dict attentionSpecDict(const AttentionSpecHandle &h) {
  const pfc::AttentionSpec &s = h.spec;
  nb::object butterfly = nb::none();
  if (s.butterfly) {
    nb::dict bf;
    bf["size"] = s.butterfly->size;
    nb::list strides;
    for (int64_t k : s.butterfly->strides)
      strides.append(k);
    bf["strides"] = strides;
    bf["shuffle"] = s.butterfly->shuffle;
    bf["global"] = s.butterfly->global;
    bf["pattern"] = s.butterfly->str();
    butterfly = bf;
  }
  nb::list blocks;
  for (auto [row, col] : h.support.blocks())
    blocks.append(nb::make_tuple(row, col));
  const int64_t n = h.support.blockRows;
  // The blocks the support could hold: all, or those on and below the
  // diagonal (causal), as `pfc check` counts them.
  const int64_t area = s.causal ? n * (n + 1) / 2 : n * n;

  nb::dict d;
  d["name"] = s.name;
  d["seq_len"] = s.seqLen;
  d["padded_seq"] = s.paddedSeq();
  d["heads"] = s.heads;
  d["head_dim"] = s.headDim;
  d["block"] = s.block;
  d["butterfly"] = butterfly;
  d["features"] = s.features;
  d["causal"] = s.causal;
  d["seed"] = s.seed;
  d["scale"] = s.tau();
  d["scale_given"] = s.scale.has_value();
  d["dtype"] = std::string(pfc::toString(s.dtype));
  d["epsilon"] = pfc::kAttentionEpsilon;
  d["block_rows"] = n;
  d["nnz_blocks"] = h.support.nnzBlocks();
  d["area_blocks"] = area;
  d["density"] = area ? double(h.support.nnzBlocks()) / double(area) : 0.0;
  d["blocks"] = blocks;
  return d;
}

/// W [m/2, d] as a numpy array (shape [0, d] when m = 0).
FloatArray featureArray(const pfc::AttentionSpec &spec,
                        const std::vector<float> &w) {
  auto *data = new std::vector<float>(w);
  nb::capsule owner(data, [](void *p) noexcept {
    delete static_cast<std::vector<float> *>(p);
  });
  size_t shape[2] = {size_t(spec.features / 2), size_t(spec.headDim)};
  return FloatArray(data->data(), 2, shape, owner);
}

/// A compiled attention; calls run one at a time (a mutex per kernel),
/// without the GIL.
class PyAttention {
public:
  PyAttention(std::shared_ptr<AttentionSpecHandle> handle, int64_t threads,
              bool backward)
      : handle(std::move(handle)) {
    std::unique_ptr<pfc::Attention> compiled;
    std::string error;
    {
      nb::gil_scoped_release release;
      pfc::CompileOptions options(threads);
      options.backward = backward;
      auto result = pfc::compileAttention(this->handle->spec, options);
      if (result)
        compiled = std::move(*result);
      else
        error = llvm::toString(result.takeError());
    }
    if (!compiled)
      throw std::runtime_error(
          this->handle->source +
          ": error: cannot compile the attention: " + error);
    attention = std::move(compiled);
  }

  /// o and stats from q, k, v [batch, heads, tokens, d].
  void forward(uintptr_t q, uintptr_t k, uintptr_t v, int64_t batch,
               int64_t tokens, uintptr_t o, uintptr_t stats) {
    checkCall(batch, tokens, {q, k, v, o, stats});
    if (batch == 0 || tokens == 0)
      return;
    nb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex);
    attention->forward(floatPtr(q), floatPtr(k), floatPtr(v), batch, tokens,
                       reinterpret_cast<float *>(o),
                       reinterpret_cast<float *>(stats));
  }

  /// dq, dk, dv from what the forward read and wrote and dout.
  void backward(uintptr_t q, uintptr_t k, uintptr_t v, int64_t batch,
                int64_t tokens, uintptr_t o, uintptr_t stats, uintptr_t dout,
                uintptr_t dq, uintptr_t dk, uintptr_t dv) {
    if (!attention->hasBackward())
      throw nb::value_error("pfc: this attention was compiled without its "
                            "backward kernel");
    checkCall(batch, tokens, {q, k, v, o, stats, dout, dq, dk, dv});
    if (batch == 0 || tokens == 0)
      return;
    nb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex);
    attention->backward(
        floatPtr(q), floatPtr(k), floatPtr(v), batch, tokens, floatPtr(o),
        floatPtr(stats), floatPtr(dout), reinterpret_cast<float *>(dq),
        reinterpret_cast<float *>(dk), reinterpret_cast<float *>(dv));
  }

  FloatArray features() const {
    return featureArray(attention->spec(), attention->features());
  }
  bool hasBackward() const { return attention->hasBackward(); }

  std::shared_ptr<AttentionSpecHandle> handle;

private:
  void checkCall(int64_t batch, int64_t tokens,
                 std::initializer_list<uintptr_t> addresses) const {
    const pfc::AttentionSpec &s = handle->spec;
    if (batch < 0)
      throw nb::value_error("pfc: the batch is negative");
    if (tokens < 0 || tokens > s.seqLen)
      throw nb::value_error(("pfc: attention '" + s.name + "' takes 0.." +
                             std::to_string(s.seqLen) + " tokens, got " +
                             std::to_string(tokens))
                                .c_str());
    if (batch == 0 || tokens == 0)
      return;
    for (uintptr_t address : addresses)
      if (address == 0)
        throw nb::value_error("pfc: a tensor address is null");
  }

  std::unique_ptr<pfc::Attention> attention;
  std::mutex mutex;
};

void writeSafetensorsFile(const std::string &path, nb::dict tensors,
                          nb::dict metadata) {
  pfc::TensorMap map;
  for (auto [key, value] : tensors) {
    std::string name = nb::cast<std::string>(key);
    auto array = nb::cast<InputArray>(value);
    pfc::Tensor tensor;
    for (size_t d = 0; d < array.ndim(); ++d)
      tensor.shape.push_back(int64_t(array.shape(d)));
    tensor.data.assign(array.data(), array.data() + array.size());
    map.emplace(std::move(name), std::move(tensor));
  }
  pfc::TensorMetadata meta;
  for (auto [key, value] : metadata)
    meta.emplace(nb::cast<std::string>(key), nb::cast<std::string>(value));
  std::string error;
  bool ok;
  {
    nb::gil_scoped_release release;
    ok = pfc::writeSafetensors(path, map, meta, error);
  }
  if (!ok)
    throw nb::value_error(error.c_str());
}

nb::tuple readSafetensorsFile(const std::string &path) {
  pfc::TensorMap map;
  pfc::TensorMetadata meta;
  std::string error;
  bool ok;
  {
    nb::gil_scoped_release release;
    ok = pfc::readSafetensors(path, map, meta, error);
  }
  if (!ok)
    throw nb::value_error(error.c_str());
  nb::dict metadata;
  for (auto &[key, value] : meta)
    metadata[nb::str(key.c_str())] = nb::str(value.c_str());
  return nb::make_tuple(toDict(std::move(map)), metadata);
}

/// The OpenMP runtime PyTorch runs its ops on: the GOMP entry points as
/// torch's own library resolves them (its libgomp in the Linux wheels, which
/// older wheels renamed; Intel's and LLVM's runtimes export them too).
struct HostOpenMP {
  void (*parallel)(void (*fn)(void *), void *data, unsigned threads,
                   unsigned flags) = nullptr;
  int (*threadNum)() = nullptr;
  int (*numThreads)() = nullptr;
  std::string library;
};
HostOpenMP hostOpenMP;

/// Runs the parts of pfc's parallel calls on the host's OpenMP team
/// (ThreadPool::Runner), each thread taking every n-th part.
void runOnHostOpenMP(int64_t parts, const std::function<void(int64_t)> &task) {
  struct Call {
    const std::function<void(int64_t)> *task;
    int64_t parts;
  } call{&task, parts};
  hostOpenMP.parallel(
      [](void *data) {
        const Call &c = *static_cast<const Call *>(data);
        const int64_t team = std::max(1, hostOpenMP.numThreads());
        for (int64_t i = hostOpenMP.threadNum(); i < c.parts; i += team)
          (*c.task)(i);
      },
      &call, static_cast<unsigned>(parts), 0);
}

/// Makes pfc's kernels run on the OpenMP threads PyTorch already has
/// (ThreadPool::setRunner) and returns that runtime's library, or "" when
/// none is loaded (pfc's own pool then runs them).
std::string shareHostThreads() {
  if (!hostOpenMP.parallel) {
    for (const char *torchLibrary : {"libtorch_cpu.so", "libtorch.so"}) {
      // RTLD_NOLOAD: the copy torch loaded; dlsym on its handle searches it
      // and the libraries it depends on, so the runtime found is torch's
      // even when another OpenMP library is loaded too.
      void *handle = dlopen(torchLibrary, RTLD_NOW | RTLD_NOLOAD);
      if (!handle)
        continue;
      HostOpenMP found;
      found.parallel = reinterpret_cast<decltype(found.parallel)>(
          dlsym(handle, "GOMP_parallel"));
      found.threadNum = reinterpret_cast<decltype(found.threadNum)>(
          dlsym(handle, "omp_get_thread_num"));
      found.numThreads = reinterpret_cast<decltype(found.numThreads)>(
          dlsym(handle, "omp_get_num_threads"));
      Dl_info where;
      if (found.parallel && found.threadNum && found.numThreads &&
          dladdr(reinterpret_cast<void *>(found.parallel), &where) &&
          where.dli_fname) {
        found.library = where.dli_fname;
        hostOpenMP = found;
        break;
      }
      dlclose(handle);
    }
  }
  if (hostOpenMP.parallel)
    pfc::ThreadPool::setRunner(runOnHostOpenMP);
  return hostOpenMP.library;
}

/// Back to pfc's own thread pool.
void stopSharingHostThreads() { pfc::ThreadPool::setRunner(nullptr); }

nb::dict costDict(const pfc::LayerCost &cost) {
  nb::dict d;
  d["params"] = cost.params;
  d["flops_per_token"] = cost.flopsPerToken;
  d["block_accesses"] = cost.blockAccesses;
  d["cost"] = cost.cost;
  return d;
}

/// Plans a `pfc: 1` model spec as `pfc plan` does. `rows` optionally
/// renames the table's rows (names a spec cannot hold, such as module paths
/// with '*') and replaces the notes of dense layers (why they stay dense);
/// each is (name, note), an empty note keeping the planner's.
nb::dict
planModelText(const std::string &text, const std::string &source,
              const std::vector<std::pair<std::string, std::string>> &rows) {
  pfc::Spec spec = parseSpecText(text, source, pfc::SpecKind::Model);
  const pfc::ModelSpec &model = std::get<pfc::ModelSpec>(spec);
  pfc::ModelPlan plan = pfc::planModel(model);
  if (!rows.empty() && rows.size() != plan.layers.size())
    throw nb::value_error(("expected " + std::to_string(plan.layers.size()) +
                           " row names, got " + std::to_string(rows.size()))
                              .c_str());

  nb::list layers;
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    pfc::PlannedLayer &layer = plan.layers[i];
    nb::dict d;
    d["spec_name"] = layer.source.name;
    if (!rows.empty()) {
      layer.source.name = rows[i].first;
      if (!layer.sparse && !rows[i].second.empty())
        layer.note = rows[i].second;
    }
    d["name"] = layer.source.name;
    d["in_features"] = layer.source.inFeatures;
    d["out_features"] = layer.source.outFeatures;
    d["repeat"] = layer.source.repeat;
    d["bias"] = layer.source.bias;
    d["sparse"] = layer.sparse;
    d["density"] = layer.density;
    d["nnz_blocks"] = layer.nnzBlocks;
    d["rank"] = layer.sparse ? layer.spec.rank : 0;
    d["butterfly"] = layer.sparse ? layer.spec.butterfly.str() : "dense";
    d["budget_cost"] = layer.budgetCost;
    d["cost"] = costDict(layer.cost);
    d["dense"] = costDict(layer.dense);
    d["note"] = layer.note;
    if (layer.sparse) {
      std::string canonical;
      llvm::raw_string_ostream os(canonical);
      pfc::printLayerSpec(layer.spec, os);
      os.flush();
      d["spec"] = canonical;
    } else {
      d["spec"] = nb::none();
    }
    layers.append(d);
  }

  std::string table;
  llvm::raw_string_ostream os(table);
  pfc::printPlanTable(plan, model, os);
  os.flush();

  nb::dict out;
  out["name"] = plan.name;
  out["budget"] = plan.budget;
  out["block"] = model.block;
  out["lowrank_share"] = model.lowrankShare;
  out["extra_params"] = plan.extraParams;
  out["layers"] = layers;
  out["total"] = costDict(plan.total);
  out["dense_total"] = costDict(plan.denseTotal);
  out["table"] = table;
  return out;
}

} // namespace

NB_MODULE(_pfc, m) {
  m.doc() = "pfc's compiled core: spec parsing, the JIT and the kernels";
  // Specs and layers live in module globals until exit (the op registry).
  nb::set_leak_warnings(false);

  nb::class_<SpecHandle>(m, "Spec")
      .def(
          "__init__",
          [](SpecHandle *self, const std::string &text,
             const std::string &source) {
            new (self) SpecHandle(*parseLayerSpec(text, source));
          },
          "text"_a, "source"_a = "<spec>",
          "Parses a `pfc: 1` layer spec (ValueError: file:line:col: error: "
          "...).")
      .def_ro("canonical", &SpecHandle::canonical,
              "The spec as pfc prints it (every default filled in).")
      .def_ro("source", &SpecHandle::source)
      .def_prop_ro(
          "info", [](const SpecHandle &h) { return specDict(h); },
          "The spec, its mask and its block list as a dict.")
      .def_prop_ro(
          "param_infos", [](const SpecHandle &h) { return paramInfoList(h); },
          "(name, shape) of each parameter, in pfc's order.")
      .def(
          "init_params",
          [](const SpecHandle &h, uint64_t seed) {
            pfc::TensorMap tensors = pfc::tensorsFromParams(
                h.spec, h.mask, pfc::initParams(h.spec, h.mask, seed));
            return toDict(std::move(tensors));
          },
          "seed"_a, "The reference initialisation (as `pfc init --seed`).");

  nb::class_<PyLayer>(m, "Layer")
      .def(
          "__init__",
          [](PyLayer *self, const SpecHandle &spec, int64_t threads) {
            new (self) PyLayer(std::make_shared<SpecHandle>(spec), threads);
          },
          "spec"_a, "threads"_a = 0,
          "Compiles the layer (forward and backward) for the host CPU.")
      .def_prop_ro("canonical",
                   [](const PyLayer &l) { return l.handle->canonical; })
      .def("forward", &PyLayer::forward, "x"_a, "tokens"_a, "y"_a, "params"_a,
           "key"_a = 0)
      .def("backward", &PyLayer::backward, "x"_a, "dy"_a, "tokens"_a, "dx"_a,
           "params"_a, "key"_a, "grads"_a);

  nb::class_<AttentionSpecHandle>(m, "AttentionSpec")
      .def(
          "__init__",
          [](AttentionSpecHandle *self, const std::string &text,
             const std::string &source) {
            new (self) AttentionSpecHandle(*parseAttentionSpec(text, source));
          },
          "text"_a, "source"_a = "<spec>",
          "Parses a `pfc: 1` attention spec (ValueError: file:line:col: "
          "error: ...).")
      .def_ro("canonical", &AttentionSpecHandle::canonical,
              "The spec as pfc prints it (every default filled in).")
      .def_ro("source", &AttentionSpecHandle::source)
      .def_prop_ro(
          "info",
          [](const AttentionSpecHandle &h) { return attentionSpecDict(h); },
          "The spec, its support and the support's block list as a dict.")
      .def(
          "random_features",
          [](const AttentionSpecHandle &h) {
            return featureArray(h.spec, pfc::drawRandomFeatures(h.spec));
          },
          "W [m/2, head_dim], drawn from the spec's seed (as the kernel's).");

  nb::class_<PyAttention>(m, "Attention")
      .def(
          "__init__",
          [](PyAttention *self, const AttentionSpecHandle &spec,
             int64_t threads, bool backward) {
            new (self) PyAttention(std::make_shared<AttentionSpecHandle>(spec),
                                   threads, backward);
          },
          "spec"_a, "threads"_a = 0, "backward"_a = true,
          "Compiles the attention (forward, and backward unless told not "
          "to) for the host CPU.")
      .def_prop_ro("canonical",
                   [](const PyAttention &a) { return a.handle->canonical; })
      .def_prop_ro("has_backward", &PyAttention::hasBackward)
      .def("random_features", &PyAttention::features,
           "W [m/2, head_dim], the fixed random features the kernel uses.")
      .def("forward", &PyAttention::forward, "q"_a, "k"_a, "v"_a, "batch"_a,
           "tokens"_a, "o"_a, "stats"_a,
           "o [batch, heads, tokens, d] and stats [batch, heads, tokens, 3] "
           "from q, k, v (addresses of contiguous f32 arrays).")
      .def("backward", &PyAttention::backward, "q"_a, "k"_a, "v"_a, "batch"_a,
           "tokens"_a, "o"_a, "stats"_a, "dout"_a, "dq"_a, "dk"_a, "dv"_a,
           "dq, dk, dv from q, k, v, the forward's o and stats, and dout.");

  m.def("share_host_threads", &shareHostThreads,
        "Runs pfc's kernels on the OpenMP threads of the torch loaded in this "
        "process; returns that runtime's library path, or '' when torch "
        "resolves no OpenMP runtime.");
  m.def("stop_sharing_host_threads", &stopSharingHostThreads,
        "Runs pfc's kernels on its own thread pool again.");

  m.def("plan_model", &planModelText, "text"_a, "source"_a = "<model>",
        "rows"_a = std::vector<std::pair<std::string, std::string>>(),
        "Plans a `pfc: 1` model spec (the figures and table of `pfc plan`).");

  m.def("write_safetensors", &writeSafetensorsFile, "path"_a, "tensors"_a,
        "metadata"_a = nb::dict(),
        "Writes f32 arrays as a safetensors file (atomically).");
  m.def("read_safetensors", &readSafetensorsFile, "path"_a,
        "Reads an f32 safetensors file: (dict of arrays, metadata).");
}

//===- Modules.cpp - Dense and Pixelfly layers, ReLU and GELU -------------===//
#include "Modules.h"

#include "Random.h"

#include "pfc/Plan/Planner.h"
#include "pfc/Runtime/Params.h"

#include <algorithm>
#include <cmath>

namespace pfc {

Module::~Module() = default;

namespace {

/// The tensors of `tensors` named `<prefix>.<name>`, for each name a
/// Pixelfly layer's parameters may have, as `<name>`. (Other names under the
/// prefix may belong to another module: "fc" and "fc.0" can both be names.)
TensorMap layerTensors(const TensorMap &tensors, const std::string &prefix) {
  TensorMap result;
  for (const char *name :
       {"blocks", "U", "V", "gamma", "gate.weight", "gate.bias", "bias"})
    if (auto it = tensors.find(prefix + "." + name); it != tensors.end())
      result.emplace(name, it->second);
  return result;
}

/// Copies `from` into `to` without reallocating: Parameter pointers into
/// `to` stay valid.
void copyInto(const std::vector<float> &from, std::vector<float> &to) {
  std::copy(from.begin(), from.end(), to.begin());
}

class DenseModule final : public Module {
public:
  DenseModule(const NetModule &spec, const Blas &blas, uint64_t seed)
      : Module(spec), blas(blas) {
    const int64_t in = inFeatures(), out = outFeatures();
    // kaiming_uniform_(a=√5): gain·sqrt(3/fan_in), gain² = 2/(1 + 5).
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    SplitMix64 weights(streamSeed(seed, 1)), biases(streamSeed(seed, 2));
    weight.resize(static_cast<size_t>(out * in));
    for (float &w : weight)
      w = static_cast<float>(weights.symmetric(bound));
    dWeight.assign(weight.size(), 0.0f);
    if (spec.layer.bias) {
      bias.resize(static_cast<size_t>(out));
      for (float &b : bias)
        b = static_cast<float>(biases.symmetric(bound));
      dBias.assign(bias.size(), 0.0f);
    }
  }

  void forward(const float *x, int64_t rows, float *y) override {
    const int64_t in = inFeatures(), out = outFeatures();
    blas.sgemm(false, true, rows, out, in, 1.0f, x, in, weight.data(), in, 0.0f,
               y, out);
    if (bias.empty())
      return;
    const float *b = bias.data();
    for (int64_t r = 0; r < rows; ++r) {
      float *row = y + r * out;
      for (int64_t j = 0; j < out; ++j)
        row[j] += b[j];
    }
  }

  void backward(const float *x, const float *, const float *dy, int64_t rows,
                float *dx) override {
    const int64_t in = inFeatures(), out = outFeatures();
    // dW [out, in] = dyᵀ·x; dx [rows, in] = dy·W; dbias = dy's column sums.
    blas.sgemm(true, false, out, in, rows, 1.0f, dy, out, x, in, 0.0f,
               dWeight.data(), in);
    if (dx)
      blas.sgemm(false, false, rows, in, out, 1.0f, dy, out, weight.data(), in,
                 0.0f, dx, in);
    if (bias.empty())
      return;
    float *db = dBias.data();
    std::fill(dBias.begin(), dBias.end(), 0.0f);
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = dy + r * out;
      for (int64_t j = 0; j < out; ++j)
        db[j] += row[j];
    }
  }

  std::vector<Parameter> parameters() override {
    std::vector<Parameter> params = {{name() + ".weight",
                                      {outFeatures(), inFeatures()},
                                      weight.data(),
                                      dWeight.data(),
                                      static_cast<int64_t>(weight.size()),
                                      true}};
    if (!bias.empty())
      params.push_back({name() + ".bias",
                        {outFeatures()},
                        bias.data(),
                        dBias.data(),
                        static_cast<int64_t>(bias.size()),
                        false});
    return params;
  }

  TensorMap tensors() const override {
    TensorMap result;
    result[name() + ".weight"] = {{outFeatures(), inFeatures()}, weight};
    if (!bias.empty())
      result[name() + ".bias"] = {{outFeatures()}, bias};
    return result;
  }

  bool setTensors(const TensorMap &all, std::string &error) override {
    const TensorMap expected = tensors();
    for (const auto &[key, want] : expected) {
      auto it = all.find(key);
      if (it == all.end()) {
        error = "no tensor '" + key + "' (expected " + shapeString(want.shape) +
                " for dense layer '" + name() + "')";
        return false;
      }
      if (it->second.shape != want.shape) {
        error = "tensor '" + key + "' has shape " +
                shapeString(it->second.shape) + " (expected " +
                shapeString(want.shape) + ")";
        return false;
      }
    }
    copyInto(all.at(name() + ".weight").data, weight);
    if (!bias.empty())
      copyInto(all.at(name() + ".bias").data, bias);
    return true;
  }

  int64_t parameterCount() const override {
    return static_cast<int64_t>(weight.size() + bias.size());
  }

private:
  const Blas &blas;
  std::vector<float> weight, bias, dWeight, dBias;
};

class PixelflyModule final : public Module {
public:
  PixelflyModule(const NetModule &spec, std::unique_ptr<Layer> compiled,
                 uint64_t seed)
      : Module(spec), layer(std::move(compiled)), mask(layer->mask()) {
    params = initParams(spec.layer, mask, seed);
    // Zero gradients until the first backward (which may replace the
    // buffers: parameters() is asked again after each).
    grads = params;
    for (std::vector<float> *tensor :
         {&grads.blocks, &grads.u, &grads.v, &grads.gateWeight, &grads.bias})
      std::fill(tensor->begin(), tensor->end(), 0.0f);
    grads.gamma = grads.gateBias = 0.0f;
  }

  bool start(std::string &error) { return layer->setParams(params, error); }

  void forward(const float *x, int64_t rows, float *y) override {
    layer->forward(x, rows, y);
  }

  void backward(const float *x, const float *, const float *dy, int64_t rows,
                float *dx) override {
    if (!dx) {
      dxScratch.resize(static_cast<size_t>(rows * inFeatures()));
      dx = dxScratch.data();
    }
    layer->backward(x, dy, rows, dx, grads);
  }

  std::vector<Parameter> parameters() override {
    const LayerSpec &spec = moduleSpec.layer;
    std::vector<Parameter> result;
    auto add = [&](const std::string &tensor, std::vector<int64_t> shape,
                   float *value, float *grad, int64_t size, bool decay) {
      result.push_back(
          {name() + "." + tensor, std::move(shape), value, grad, size, decay});
    };
    const int64_t b = mask.block;
    add("blocks", {mask.nnzBlocks(), b, b}, params.blocks.data(),
        grads.blocks.data(), static_cast<int64_t>(params.blocks.size()), true);
    if (spec.rank > 0) {
      add("U", {spec.outFeatures, spec.rank}, params.u.data(), grads.u.data(),
          static_cast<int64_t>(params.u.size()), true);
      add("V", {spec.inFeatures, spec.rank}, params.v.data(), grads.v.data(),
          static_cast<int64_t>(params.v.size()), true);
    }
    if (spec.gammaMode == GammaMode::Scalar)
      add("gamma", {}, &params.gamma, &grads.gamma, 1, false);
    if (spec.gammaMode == GammaMode::Gate) {
      add("gate.weight", {spec.inFeatures}, params.gateWeight.data(),
          grads.gateWeight.data(),
          static_cast<int64_t>(params.gateWeight.size()), true);
      add("gate.bias", {}, &params.gateBias, &grads.gateBias, 1, false);
    }
    if (spec.bias)
      add("bias", {spec.outFeatures}, params.bias.data(), grads.bias.data(),
          static_cast<int64_t>(params.bias.size()), false);
    return result;
  }

  bool parametersChanged(std::string &error) override {
    // γ weighs B against U·Vᵀ: kept a convex combination, as in the spec.
    params.gamma = std::clamp(params.gamma, 0.0f, 1.0f);
    return layer->setParams(params, error);
  }

  TensorMap tensors() const override {
    TensorMap result;
    for (auto &[key, tensor] :
         tensorsFromParams(moduleSpec.layer, mask, params))
      result.emplace(name() + "." + key, std::move(tensor));
    return result;
  }

  bool setTensors(const TensorMap &all, std::string &error) override {
    LayerParams loaded;
    if (!paramsFromTensors(moduleSpec.layer, mask, layerTensors(all, name()),
                           loaded, error)) {
      error = "Pixelfly layer '" + name() + "': " + error;
      return false;
    }
    copyInto(loaded.blocks, params.blocks);
    copyInto(loaded.u, params.u);
    copyInto(loaded.v, params.v);
    copyInto(loaded.gateWeight, params.gateWeight);
    copyInto(loaded.bias, params.bias);
    params.gamma = loaded.gamma;
    params.gateBias = loaded.gateBias;
    return true;
  }

  int64_t parameterCount() const override {
    return pixelflyCost(moduleSpec.layer, mask, CostModel()).params;
  }

private:
  std::unique_ptr<Layer> layer;
  BlockMask mask;
  LayerParams params, grads;
  std::vector<float> dxScratch;
};

/// 1/√2 and 1/√(2π), for GELU's Φ and φ.
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// The elementwise loops, on pointers that do not alias, so that they
// vectorize (GELU's erf and exp stay calls).
void reluForward(const float *__restrict x, float *__restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void reluBackward(const float *__restrict y, const float *__restrict dy,
                  float *__restrict dx, int64_t n) {
  // dy is read whether or not it is kept: a select, not a branch that
  // mispredicts on half the elements.
  for (int64_t i = 0; i < n; ++i) {
    const float g = dy[i];
    dx[i] = y[i] > 0.0f ? g : 0.0f;
  }
}

void geluForward(const float *__restrict x, float *__restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kSqrtHalf));
}

void geluBackward(const float *__restrict x, const float *__restrict dy,
                  float *__restrict dx, int64_t n) {
  // d/dx x·Φ(x) = Φ(x) + x·φ(x).
  for (int64_t i = 0; i < n; ++i) {
    const float cdf = 0.5f * (1.0f + std::erf(x[i] * kSqrtHalf));
    const float pdf = kInvSqrt2Pi * std::exp(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

class ActivationModule final : public Module {
public:
  ActivationModule(const NetModule &spec, int64_t threads)
      : Module(spec), threads(threads) {}

  void forward(const float *x, int64_t rows, float *y) override {
    const bool relu = moduleSpec.kind == ModuleKind::Relu;
    parallelFor(rows * inFeatures(), threads, [=](int64_t begin, int64_t end) {
      (relu ? reluForward : geluForward)(x + begin, y + begin, end - begin);
    });
  }

  void backward(const float *x, const float *y, const float *dy, int64_t rows,
                float *dx) override {
    if (!dx)
      return;
    const bool relu = moduleSpec.kind == ModuleKind::Relu;
    parallelFor(rows * inFeatures(), threads, [=](int64_t begin, int64_t end) {
      if (relu)
        reluBackward(y + begin, dy + begin, dx + begin, end - begin);
      else
        geluBackward(x + begin, dy + begin, dx + begin, end - begin);
    });
  }

private:
  int64_t threads;
};

} // namespace

std::unique_ptr<Module> makeDenseModule(const NetModule &spec, const Blas &blas,
                                        uint64_t seed) {
  return std::make_unique<DenseModule>(spec, blas, seed);
}

std::unique_ptr<Module> makePixelflyModule(const NetModule &spec,
                                           std::unique_ptr<Layer> layer,
                                           uint64_t seed, std::string &error) {
  auto module = std::make_unique<PixelflyModule>(spec, std::move(layer), seed);
  if (!module->start(error))
    return nullptr;
  return module;
}

std::unique_ptr<Module> makeActivationModule(const NetModule &spec,
                                             int64_t threads) {
  return std::make_unique<ActivationModule>(spec, threads);
}

} // namespace pfc

//===- Optimizer.cpp - SGD and AdamW updates, learning-rate schedules -----===//
//
// Compiled with -fno-math-errno (runtime/CMakeLists.txt) so that the square
// roots of the AdamW loop vectorize.
//
//===----------------------------------------------------------------------===//
#include "pfc/Train/Optimizer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace pfc {

namespace {

// The update loops, on pointers that do not alias, so that they vectorize.

void sgdStep(float *__restrict w, const float *__restrict g, int64_t n,
             float rate, float decay) {
  for (int64_t i = 0; i < n; ++i)
    w[i] -= rate * (g[i] + decay * w[i]);
}

void sgdMomentumStep(float *__restrict w, const float *__restrict g,
                     float *__restrict b, int64_t n, float rate, float momentum,
                     float decay) {
  for (int64_t i = 0; i < n; ++i) {
    b[i] = momentum * b[i] + (g[i] + decay * w[i]);
    w[i] -= rate * b[i];
  }
}

struct AdamWConstants {
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2;
  float stepSize;    ///< lr / (1 − β1ᵗ)
  float correction2; ///< √(1 − β2ᵗ)
  float eps;
  float shrink; ///< 1 − lr·wd, or 1 without weight decay
};

void adamWStep(float *__restrict w, const float *__restrict g,
               float *__restrict m, float *__restrict v, int64_t n,
               const AdamWConstants c) {
  for (int64_t i = 0; i < n; ++i) {
    const float grad = g[i];
    const float mi = c.beta1 * m[i] + c.oneMinusBeta1 * grad;
    const float vi = c.beta2 * v[i] + c.oneMinusBeta2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * c.shrink -
           c.stepSize * mi / (std::sqrt(vi) / c.correction2 + c.eps);
  }
}

} // namespace

Optimizer::Optimizer(const OptimizerSpec &spec,
                     const std::vector<Parameter> &params, int64_t threads)
    : spec(spec), threads(threads) {
  const bool sgd = spec.kind == OptimizerKind::Sgd;
  for (const Parameter &param : params) {
    Slot slot;
    const size_t size = static_cast<size_t>(param.size);
    slot.name = param.name;
    slot.shape = param.shape;
    slot.size = param.size;
    if (!sgd || spec.momentum != 0.0)
      slot.first.assign(size, 0.0f);
    if (!sgd)
      slot.second.assign(size, 0.0f);
    slots.push_back(std::move(slot));
  }
}

void Optimizer::step(double lr, const std::vector<Parameter> &params) {
  if (params.size() != slots.size()) {
    std::fprintf(stderr, "pfc: internal error: %zu parameters, %zu slots\n",
                 params.size(), slots.size());
    std::abort();
  }
  ++stepCount;
  const double wd = spec.weightDecay;
  if (spec.kind == OptimizerKind::Sgd) {
    const float rate = static_cast<float>(lr),
                momentum = static_cast<float>(spec.momentum);
    for (size_t p = 0; p < slots.size(); ++p) {
      float *w = params[p].value;
      const float *g = params[p].grad;
      float *b = slots[p].first.empty() ? nullptr : slots[p].first.data();
      const float decay = params[p].decay ? static_cast<float>(wd) : 0.0f;
      parallelFor(slots[p].size, threads, [=](int64_t begin, int64_t end) {
        if (b)
          sgdMomentumStep(w + begin, g + begin, b + begin, end - begin, rate,
                          momentum, decay);
        else
          sgdStep(w + begin, g + begin, end - begin, rate, decay);
      });
    }
    return;
  }
  const double t = static_cast<double>(stepCount);
  AdamWConstants c;
  c.beta1 = static_cast<float>(spec.beta1);
  c.beta2 = static_cast<float>(spec.beta2);
  c.oneMinusBeta1 = static_cast<float>(1.0 - spec.beta1);
  c.oneMinusBeta2 = static_cast<float>(1.0 - spec.beta2);
  c.stepSize = static_cast<float>(lr / (1.0 - std::pow(spec.beta1, t)));
  c.correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(spec.beta2, t)));
  c.eps = static_cast<float>(spec.eps);
  for (size_t p = 0; p < slots.size(); ++p) {
    float *w = params[p].value;
    const float *g = params[p].grad;
    float *m = slots[p].first.data(), *v = slots[p].second.data();
    AdamWConstants k = c;
    k.shrink = params[p].decay ? static_cast<float>(1.0 - lr * wd) : 1.0f;
    parallelFor(slots[p].size, threads, [=](int64_t begin, int64_t end) {
      adamWStep(w + begin, g + begin, m + begin, v + begin, end - begin, k);
    });
  }
}

std::vector<std::string> Optimizer::stateNames() const {
  if (spec.kind == OptimizerKind::AdamW)
    return {"exp_avg", "exp_avg_sq"};
  if (spec.momentum != 0.0)
    return {"momentum_buffer"};
  return {};
}

TensorMap Optimizer::state() const {
  TensorMap tensors;
  const std::vector<std::string> names = stateNames();
  for (const Slot &slot : slots)
    for (size_t k = 0; k < names.size(); ++k)
      tensors[slot.name + "." + names[k]] = {slot.shape,
                                             k == 0 ? slot.first : slot.second};
  return tensors;
}

bool Optimizer::setState(const TensorMap &tensors, int64_t steps,
                         std::string &error) {
  const TensorMap expected = state();
  for (const auto &[name, tensor] : tensors)
    if (!expected.count(name)) {
      error = "unknown optimizer state '" + name + "' (expected the " +
              std::string(toString(spec.kind)) + " state of this net)";
      return false;
    }
  for (const auto &[name, want] : expected) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      error = "no optimizer state '" + name + "' (expected " +
              shapeString(want.shape) + ")";
      return false;
    }
    if (it->second.shape != want.shape) {
      error = "optimizer state '" + name + "' has shape " +
              shapeString(it->second.shape) + " (expected " +
              shapeString(want.shape) + ")";
      return false;
    }
  }
  const std::vector<std::string> names = stateNames();
  for (Slot &slot : slots)
    for (size_t k = 0; k < names.size(); ++k)
      (k == 0 ? slot.first : slot.second) =
          tensors.at(slot.name + "." + names[k]).data;
  stepCount = steps;
  return true;
}

double learningRate(const TrainSpec &train, int64_t step, int64_t stepsPerEpoch,
                    int64_t epochs) {
  const ScheduleSpec &schedule = train.schedule;
  const double lr = train.optimizer.lr;
  const int64_t total = std::max<int64_t>(1, epochs * stepsPerEpoch);
  const int64_t warmup =
      std::llround(schedule.warmupEpochs * static_cast<double>(stepsPerEpoch));
  if (step < warmup)
    return lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  switch (schedule.kind) {
  case ScheduleKind::Constant:
    return lr;
  case ScheduleKind::Cosine: {
    const double span =
        static_cast<double>(std::max<int64_t>(1, total - warmup));
    const double done =
        std::min(1.0, static_cast<double>(step - warmup) / span);
    const double f = schedule.finalFraction;
    return lr * (f + (1.0 - f) * 0.5 * (1.0 + std::cos(M_PI * done)));
  }
  case ScheduleKind::Step: {
    // Whole epochs only: the rate changes at an epoch's first step.
    const int64_t epoch = step / std::max<int64_t>(1, stepsPerEpoch);
    const double drops =
        std::floor(static_cast<double>(epoch) / schedule.everyEpochs + 1e-9);
    return lr * std::pow(schedule.factor, drops);
  }
  }
  return lr;
}

} // namespace pfc

//===- NetSpec.cpp - Names and canonical texts of net specs ---------------===//
#include "pfc/Spec/NetSpec.h"

#include <cstdio>

namespace pfc {

std::string_view toString(ModuleKind kind) {
  switch (kind) {
  case ModuleKind::Pixelfly:
    return "pixelfly";
  case ModuleKind::Dense:
    return "dense";
  case ModuleKind::Relu:
    return "relu";
  case ModuleKind::Gelu:
    return "gelu";
  }
  return "?";
}

std::string_view toString(OptimizerKind kind) {
  return kind == OptimizerKind::Sgd ? "sgd" : "adamw";
}

std::string_view toString(ScheduleKind kind) {
  switch (kind) {
  case ScheduleKind::Constant:
    return "constant";
  case ScheduleKind::Cosine:
    return "cosine";
  case ScheduleKind::Step:
    return "step";
  }
  return "?";
}

std::string describeNet(const NetSpec &net) {
  std::string text = "in " + std::to_string(net.data.features) + ", classes " +
                     std::to_string(net.data.classes) + "\n";
  for (const NetModule &module : net.modules) {
    text += std::string(toString(module.kind));
    if (module.isLinear()) {
      const LayerSpec &layer = module.layer;
      text += " " + layer.name + " " + std::to_string(layer.outFeatures) + "x" +
              std::to_string(layer.inFeatures) +
              (layer.bias ? " bias" : " no-bias");
    }
    if (module.kind == ModuleKind::Pixelfly) {
      const LayerSpec &layer = module.layer;
      text += " block " + std::to_string(layer.block) + " " +
              layer.butterfly.str() + " rank " + std::to_string(layer.rank) +
              " gamma " + std::string(toString(layer.gammaMode)) + " " +
              formatShortest(layer.gammaInit) + " " +
              std::string(toString(layer.dtype));
    }
    text += "\n";
  }
  return text;
}

std::string describeTraining(const NetSpec &net) {
  const DataSpec &data = net.data;
  const OptimizerSpec &opt = net.train.optimizer;
  const ScheduleSpec &schedule = net.train.schedule;
  std::string text;
  if (data.kind == DataSpec::Kind::FashionMnist)
    text += "data fashion-mnist\n";
  else
    text += "data synthetic " + std::to_string(data.count) + " " +
            std::to_string(data.testCount) + " seed " +
            std::to_string(data.seed) + "\n";
  text += "loss softmax_cross_entropy\n";
  text += "batch " + std::to_string(net.train.batch) + " seed " +
          std::to_string(net.train.seed) + "\n";
  text += std::string(toString(opt.kind)) + " lr " + formatShortest(opt.lr) +
          " wd " + formatShortest(opt.weightDecay);
  if (opt.kind == OptimizerKind::Sgd)
    text += " momentum " + formatShortest(opt.momentum);
  else
    text += " betas " + formatShortest(opt.beta1) + " " +
            formatShortest(opt.beta2) + " eps " + formatShortest(opt.eps);
  text += "\n" + std::string(toString(schedule.kind)) + " warmup " +
          formatShortest(schedule.warmupEpochs);
  if (schedule.kind == ScheduleKind::Cosine)
    text += " final " + formatShortest(schedule.finalFraction);
  if (schedule.kind == ScheduleKind::Step)
    text += " every " + formatShortest(schedule.everyEpochs) + " factor " +
            formatShortest(schedule.factor);
  return text + "\n";
}

std::string hashText(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  char digits[17];
  std::snprintf(digits, sizeof(digits), "%016llx",
                static_cast<unsigned long long>(hash));
  return digits;
}

} // namespace pfc

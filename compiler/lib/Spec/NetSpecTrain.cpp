//===- NetSpecTrain.cpp - The `train:` section of `pfc: 1` net specs ------===//
//
// Epochs, batch and seed, the optimizer (sgd or adamw and their settings)
// and the learning-rate schedule of a net spec; the net's structure is read
// in NetSpecParser.cpp.
//
//===----------------------------------------------------------------------===//
#include "NetSpecSchema.h"

using namespace llvm;
using llvm::yaml::Node;

namespace pfc {

namespace {

constexpr int64_t kMaxEpochs = 100000;
constexpr int64_t kMaxBatch = 1 << 20;

} // namespace

std::optional<double> NetSpecParser::readPositive(Node *node, StringRef key,
                                                  double max, StringRef range) {
  std::optional<double> value = reader.readNumber(node, key, 0.0, max, range);
  if (value && *value == 0.0) {
    reader.error(node, "'" + key + "' is 0, out of range",
                 "a number in " + range);
    return std::nullopt;
  }
  return value;
}

std::optional<double> NetSpecParser::readBelowOne(Node *node, StringRef key) {
  std::optional<double> value =
      reader.readNumber(node, key, 0.0, 1.0, "[0, 1)");
  if (value && *value == 1.0) {
    reader.error(node, "'" + key + "' is 1, out of range",
                 "a number in [0, 1)");
    return std::nullopt;
  }
  return value;
}

bool NetSpecParser::readTrain(Node *node, SMLoc ownerLoc, TrainSpec &train) {
  return reader.readMapping(
      node, "train", ownerLoc,
      {"epochs", "batch", "seed", "optimizer", "schedule"},
      {"epochs", "batch", "optimizer"},
      [&](StringRef key, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (key == "epochs")
          return assign(train.epochs,
                        reader.readInt(value, key, 1, kMaxEpochs));
        if (key == "batch")
          return assign(train.batch, reader.readInt(value, key, 1, kMaxBatch));
        if (key == "seed")
          return assign(train.seed, reader.readInt(value, key, 0, INT64_MAX));
        if (key == "optimizer")
          return readOptimizer(value, keyLoc, train.optimizer);
        return readSchedule(value, keyLoc, train.schedule);
      });
}

bool NetSpecParser::readOptimizer(Node *node, SMLoc ownerLoc,
                                  OptimizerSpec &optimizer) {
  return readVariant(
      node, "optimizer", ownerLoc, "optimizer", {"sgd", "adamw"}, {},
      [&](StringRef kind, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        if (kind == "sgd") {
          optimizer.kind = OptimizerKind::Sgd;
          optimizer.weightDecay = 0.0;
          return reader.readMapping(
              value, kind, keyLoc, {"lr", "momentum", "weight_decay"}, {"lr"},
              [&](StringRef key, Node *value) -> bool {
                if (key == "lr")
                  return assign(optimizer.lr,
                                readPositive(value, key, 10.0, "(0, 10]"));
                if (key == "momentum")
                  return assign(optimizer.momentum, readBelowOne(value, key));
                return assign(
                    optimizer.weightDecay,
                    reader.readNumber(value, key, 0.0, 1.0, "[0, 1]"));
              });
        }
        optimizer.kind = OptimizerKind::AdamW;
        optimizer.weightDecay = 0.01; // PyTorch's default
        return reader.readMapping(
            value, kind, keyLoc, {"lr", "betas", "eps", "weight_decay"}, {"lr"},
            [&](StringRef key, Node *value) -> bool {
              if (key == "lr")
                return assign(optimizer.lr,
                              readPositive(value, key, 10.0, "(0, 10]"));
              if (key == "eps")
                return assign(optimizer.eps,
                              readPositive(value, key, 1.0, "(0, 1]"));
              if (key == "weight_decay")
                return assign(
                    optimizer.weightDecay,
                    reader.readNumber(value, key, 0.0, 1.0, "[0, 1]"));
              std::vector<double> betas;
              if (!reader.readList(value, key, "[beta1, beta2], each in [0, 1)",
                                   [&](Node *item) {
                                     std::optional<double> beta =
                                         readBelowOne(item, key);
                                     if (beta)
                                       betas.push_back(*beta);
                                     return beta.has_value();
                                   }))
                return false;
              if (betas.size() != 2)
                return reader.error(
                    value,
                    "'betas' has " + std::to_string(betas.size()) + " values",
                    "[beta1, beta2], each in [0, 1)");
              optimizer.beta1 = betas[0];
              optimizer.beta2 = betas[1];
              return true;
            });
      });
}

bool NetSpecParser::readSchedule(Node *node, SMLoc ownerLoc,
                                 ScheduleSpec &schedule) {
  return readVariant(
      node, "schedule", ownerLoc, "schedule", {"constant", "cosine", "step"},
      {"constant", "cosine"}, [&](StringRef kind, Node *value) -> bool {
        SMLoc keyLoc = reader.keyLoc();
        schedule.kind = kind == "constant" ? ScheduleKind::Constant
                        : kind == "cosine" ? ScheduleKind::Cosine
                                           : ScheduleKind::Step;
        if (!value)
          return true;
        std::vector<StringRef> allowed = {"warmup_epochs"};
        std::vector<StringRef> required;
        if (kind == "cosine")
          allowed.push_back("final_fraction");
        if (kind == "step") {
          allowed.insert(allowed.end(), {"every_epochs", "factor"});
          required.push_back("every_epochs");
        }
        return reader.readMapping(
            value, kind, keyLoc, allowed, required,
            [&](StringRef key, Node *value) -> bool {
              if (key == "warmup_epochs")
                return assign(schedule.warmupEpochs,
                              reader.readNumber(value, key, 0.0, kMaxEpochs,
                                                "[0, 100000]"));
              if (key == "final_fraction")
                return assign(
                    schedule.finalFraction,
                    reader.readNumber(value, key, 0.0, 1.0, "[0, 1]"));
              if (key == "every_epochs")
                return assign(
                    schedule.everyEpochs,
                    readPositive(value, key, kMaxEpochs, "(0, 100000]"));
              return assign(schedule.factor,
                            readPositive(value, key, 1.0, "(0, 1]"));
            });
      });
}

} // namespace pfc

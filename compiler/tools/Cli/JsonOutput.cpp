//===- JsonOutput.cpp - The JSON forms of pfc's data for --json ----------===//
#include "pfc/Cli/JsonOutput.h"

using namespace llvm;

namespace pfc {

json::Object toJson(const ButterflyPattern &pattern) {
  return json::Object{{"size", pattern.size},
                      {"strides", json::Array(pattern.strides)},
                      {"shuffle", pattern.shuffle},
                      {"global", pattern.global}};
}

json::Object toJson(const LayerSpec &spec) {
  return json::Object{
      {"name", spec.name},
      {"in_features", spec.inFeatures},
      {"out_features", spec.outFeatures},
      {"padded_in", spec.paddedIn()},
      {"padded_out", spec.paddedOut()},
      {"block", spec.block},
      {"butterfly", toJson(spec.butterfly)},
      {"lowrank", json::Object{{"rank", spec.rank}}},
      {"gamma", json::Object{{"mode", std::string(toString(spec.gammaMode))},
                             {"init", spec.gammaInit}}},
      {"bias", spec.bias},
      {"dtype", std::string(toString(spec.dtype))}};
}

json::Object toJson(const AttentionSpec &spec) {
  return json::Object{{"name", spec.name},
                      {"seq_len", spec.seqLen},
                      {"padded_seq", spec.paddedSeq()},
                      {"heads", spec.heads},
                      {"head_dim", spec.headDim},
                      {"block", spec.block},
                      {"butterfly", spec.butterfly
                                        ? json::Value(toJson(*spec.butterfly))
                                        : json::Value(nullptr)},
                      {"features", spec.features},
                      {"causal", spec.causal},
                      {"seed", spec.seed},
                      {"scale", spec.tau()},
                      {"dtype", std::string(toString(spec.dtype))}};
}

json::Object toJson(const ModelSpec &spec) {
  json::Array layers;
  for (const ModelLayer &layer : spec.layers)
    layers.push_back(json::Object{{"name", layer.name},
                                  {"in_features", layer.inFeatures},
                                  {"out_features", layer.outFeatures},
                                  {"repeat", layer.repeat},
                                  {"dense", layer.dense},
                                  {"bias", layer.bias}});
  json::Array attention;
  for (const ModelAttention &entry : spec.attention)
    attention.push_back(json::Object{{"name", entry.name},
                                     {"seq_len", entry.seqLen},
                                     {"heads", entry.heads},
                                     {"head_dim", entry.headDim},
                                     {"causal", entry.causal},
                                     {"repeat", entry.repeat},
                                     {"dense", entry.dense}});
  return json::Object{
      {"name", spec.name},
      {"budget", spec.budget},
      {"block", spec.block},
      {"lowrank_share", spec.lowrankShare},
      {"cost", json::Object{{"mem", spec.cost.mem}, {"flop", spec.cost.flop}}},
      {"extra_params", spec.extraParams},
      {"gamma", json::Object{{"mode", std::string(toString(spec.gammaMode))},
                             {"init", spec.gammaInit}}},
      {"dtype", std::string(toString(spec.dtype))},
      {"layers", std::move(layers)},
      {"attention", std::move(attention)}};
}

json::Object toJson(const LayerCost &cost) {
  return json::Object{{"params", cost.params},
                      {"flops_per_token", cost.flopsPerToken},
                      {"block_accesses", cost.blockAccesses},
                      {"cost", cost.cost}};
}

} // namespace pfc

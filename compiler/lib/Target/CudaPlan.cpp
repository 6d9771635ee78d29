//===- CudaPlan.cpp - Launch plans as JSON, and the GPU's pass pipeline ---===//
#include "pfc/Target/CudaTarget.h"
#include "pfc/Transforms/Passes.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

namespace pfc {

namespace {

llvm::json::Value toJson(const CudaExtent &extent) {
  return llvm::json::Object{{"tokens", extent.tokens},
                            {"per_token", extent.perToken},
                            {"constant", extent.constant},
                            {"divisor", extent.divisor}};
}

llvm::json::Value toJson(const CudaParam &param) {
  switch (param.kind) {
  case CudaParam::Kind::Tokens:
    return llvm::json::Object{{"tokens", param.index}};
  case CudaParam::Kind::Index:
    return llvm::json::Object{{"index", param.index}};
  case CudaParam::Kind::Temp:
  case CudaParam::Kind::Arg: {
    llvm::json::Object object{
        {param.kind == CudaParam::Kind::Arg ? "arg" : "temp", param.index}};
    if (param.rowOffset >= 0) {
      object["row_offset"] = param.rowOffset;
      object["row_elems"] = param.rowElems;
    }
    return object;
  }
  }
  llvm_unreachable("unknown parameter kind");
}

llvm::json::Value toJson(const CudaTokens &tokens) {
  switch (tokens.kind) {
  case CudaTokens::Kind::Static:
    return llvm::json::Object{{"static", tokens.value}};
  case CudaTokens::Kind::Caller:
    return llvm::json::Object{{"caller", true}};
  case CudaTokens::Kind::Arg:
    return llvm::json::Object{{"arg", tokens.value}};
  case CudaTokens::Kind::ArgDifference:
    return llvm::json::Object{{"end", tokens.end}, {"begin", tokens.begin}};
  }
  llvm_unreachable("unknown token count");
}

llvm::json::Value toJson(const CudaStep &step) {
  llvm::json::Array params;
  for (const CudaParam &param : step.params)
    params.push_back(toJson(param));
  if (step.kind == CudaStep::Kind::Zero)
    return llvm::json::Object{{"zero", std::move(params[0])},
                              {"elements", toJson(step.elements)}};
  return llvm::json::Object{
      {"launch", step.kernel},
      {"grid", llvm::json::Array{toJson(step.grid[0]), toJson(step.grid[1]),
                                 toJson(step.grid[2])}},
      {"threads", step.threads},
      {"params", std::move(params)}};
}

} // namespace

std::string cudaPlanJson(const CudaModule &module) {
  llvm::json::Array entries;
  for (const CudaEntry &entry : module.entries) {
    llvm::json::Array tokenCounts, args, temps, steps;
    for (const CudaTokens &tokens : entry.tokenCounts)
      tokenCounts.push_back(toJson(tokens));
    for (const CudaArg &arg : entry.args)
      args.push_back(
          arg.isBuffer
              ? llvm::json::Object{{"buffer", std::string(toString(arg.dtype))}}
              : llvm::json::Object{{"index", true}});
    for (const CudaTemp &temp : entry.temps)
      temps.push_back(
          llvm::json::Object{{"dtype", std::string(toString(temp.dtype))},
                             {"elements", toJson(temp.elements)}});
    for (const CudaStep &step : entry.steps)
      steps.push_back(toJson(step));
    entries.push_back(
        llvm::json::Object{{"name", entry.name},
                           {"token_counts", std::move(tokenCounts)},
                           {"args", std::move(args)},
                           {"temps", std::move(temps)},
                           {"steps", std::move(steps)}});
  }
  std::string text;
  llvm::raw_string_ostream(text)
      << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                    {"entries", std::move(entries)}}))
      << "\n";
  return text;
}

void buildPfcCudaPipeline(mlir::OpPassManager &pm) {
  // The CPU's optimization pipeline with fusion: the same kernel-level IR.
  buildPfcOptimizationPipeline(pm, CpuPipelineOptions());
}

} // namespace pfc

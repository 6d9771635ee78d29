//===- JsonOutput.h - The JSON forms of pfc's data for --json ---*- C++ -*-===//
//
// One spelling per field across every command's --json output: the keys of
// a spec file, snake_case elsewhere.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_CLI_JSONOUTPUT_H
#define PFC_CLI_JSONOUTPUT_H

#include "pfc/Plan/Planner.h"
#include "pfc/Spec/Spec.h"

#include "llvm/Support/JSON.h"

namespace pfc {

llvm::json::Object toJson(const ButterflyPattern &pattern);
/// A layer spec with every default filled in, keyed as in a spec file.
llvm::json::Object toJson(const LayerSpec &spec);
llvm::json::Object toJson(const ModelSpec &spec);
/// An attention spec with every default filled in (`scale` is τ), keyed as
/// in a spec file; `butterfly` is null for `none`.
llvm::json::Object toJson(const AttentionSpec &spec);
llvm::json::Object toJson(const LayerCost &cost);

} // namespace pfc

#endif // PFC_CLI_JSONOUTPUT_H

//===- PlanTable.h - A model plan as a table --------------------*- C++ -*-===//
//
// The table `pfc plan` prints, shared with the Python package's pfc.plan so
// that both show the same figures the same way.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_SPEC_PLANTABLE_H
#define PFC_SPEC_PLANTABLE_H

#include "pfc/Plan/Planner.h"

namespace llvm {
class raw_ostream; // NOLINT(readability-identifier-naming): LLVM's class
} // namespace llvm

namespace pfc {

/// Prints one row per planned layer (shape, repeats, pattern, rank, params,
/// FLOPs per token, density, cost relative to dense, and any note), one per
/// planned attention (sequence, heads and head_dim, support, random
/// features), then the model's totals against the dense model.
void printPlanTable(const ModelPlan &plan, const ModelSpec &model,
                    llvm::raw_ostream &os);

} // namespace pfc

#endif // PFC_SPEC_PLANTABLE_H

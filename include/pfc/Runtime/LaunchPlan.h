//===- LaunchPlan.h - The CUDA launch plan, compiler to runtime -*- C++ -*-===//
//
// What the GPU target (include/pfc/Target/CudaTarget.h) fills and the runtime
// (pfc/Runtime/CudaPlan.h, pfc/Runtime/CudaLayer.h) runs: for every function of
// a compiled module, which kernels run in which order, on which grid, with
// which arguments. Plain structs, no LLVM: this header is the one definition of
// the contract, and `<sym>.plan.json` its one file format (writeLaunchPlan,
// readLaunchPlan).
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_LAUNCHPLAN_H
#define PFC_RUNTIME_LAUNCHPLAN_H

#include "pfc/Spec/Spec.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pfc {

/// A grid dimension or an element count: ceil((T·perToken + constant) /
/// divisor), T the entry's token count number `tokens`.
struct PlanExtent {
  int64_t tokens = 0;
  int64_t perToken = 0;
  int64_t constant = 0;
  int64_t divisor = 1;
  /// The extent for these token counts (0 when the sum is not positive).
  int64_t value(const std::vector<int64_t> &counts) const;
};

/// What a kernel parameter is bound to.
struct PlanParam {
  enum class Kind {
    Tokens, ///< the entry's token count number `index` (int64)
    Index,  ///< the entry's index argument `index` (int64)
    Arg,    ///< the entry's buffer argument `index`
    Temp,   ///< the plan's temporary `index`
  };
  /// Arg and Temp: advanced by `rowElems` elements for each of the first
  /// tokens, as many as the index argument `rowOffset` (-1: none) says.
  Kind kind = Kind::Tokens;
  int64_t index = 0;
  int64_t rowOffset = -1;
  int64_t rowElems = 0;
};

/// One step of a plan: a kernel launch, or zeroing a buffer.
struct PlanStep {
  enum class Kind { Launch, Zero };
  Kind kind = Kind::Launch;
  std::string kernel;
  PlanExtent grid[3];
  int64_t threads = 0;
  /// Launch: the kernel's parameters in order. Zero: the buffer.
  std::vector<PlanParam> params;
  /// Zero: how many 32-bit words.
  PlanExtent elements;
};

/// A device buffer a plan allocates: `elements` of `dtype`.
struct PlanTemp {
  DType dtype = DType::F32;
  PlanExtent elements;
};

/// An argument of an entry: a buffer (its element type) or an index.
struct PlanArg {
  bool isBuffer = true;
  DType dtype = DType::F32;
};

/// How a token count T comes from an entry's arguments (a function may
/// have several: all the tokens, and the range a call covers).
struct PlanTokens {
  enum class Kind { Static, Caller, Arg, ArgDifference };
  Kind kind = Kind::Static;
  /// Static: the count. Caller: given with the call. Arg: the index
  /// argument. ArgDifference: index arguments end − begin.
  int64_t value = 0, end = -1, begin = -1;
};

/// The launch plan of one function of the module (`<sym>_forward`, ...).
struct PlanEntry {
  std::string name;
  std::vector<PlanTokens> tokenCounts;
  std::vector<PlanArg> args;
  std::vector<PlanTemp> temps;
  std::vector<PlanStep> steps;
};

struct LaunchPlan {
  std::vector<PlanEntry> entries;
  const PlanEntry *find(std::string_view name) const;
};

bool operator==(const PlanExtent &a, const PlanExtent &b);
bool operator==(const PlanParam &a, const PlanParam &b);
bool operator==(const PlanStep &a, const PlanStep &b);
bool operator==(const PlanTemp &a, const PlanTemp &b);
bool operator==(const PlanArg &a, const PlanArg &b);
bool operator==(const PlanTokens &a, const PlanTokens &b);
bool operator==(const PlanEntry &a, const PlanEntry &b);
bool operator==(const LaunchPlan &a, const LaunchPlan &b);

/// Bytes of one element of `dtype` on the device.
int64_t elementBytes(DType dtype);

/// The plan as JSON (`<sym>.plan.json`).
std::string writeLaunchPlan(const LaunchPlan &plan);

/// Reads what writeLaunchPlan writes, checking every index a step uses
/// against the entry; false with the reason in `error`.
bool readLaunchPlan(std::string_view json, LaunchPlan &plan,
                    std::string &error);

} // namespace pfc

#endif // PFC_RUNTIME_LAUNCHPLAN_H

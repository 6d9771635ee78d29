//===- CudaPlan.cpp - A launch plan resolved for one call -----------------===//
#include "pfc/Runtime/CudaPlan.h"

namespace pfc::cuda {

bool tokenCounts(const PlanEntry &entry, const std::vector<CallArg> &args,
                 int64_t callerTokens, std::vector<int64_t> &counts,
                 std::string &error) {
  counts.clear();
  auto index = [&](int64_t arg, int64_t &value) {
    if (arg < 0 || arg >= (int64_t)args.size() ||
        arg >= (int64_t)entry.args.size() || entry.args[arg].isBuffer) {
      error = entry.name + ": token count from argument " +
              std::to_string(arg) + ", which is not an index";
      return false;
    }
    value = args[arg].index;
    return true;
  };
  for (const PlanTokens &t : entry.tokenCounts) {
    int64_t value = t.value, end = 0, begin = 0;
    switch (t.kind) {
    case PlanTokens::Kind::Static:
      break;
    case PlanTokens::Kind::Caller:
      value = callerTokens;
      break;
    case PlanTokens::Kind::Arg:
      if (!index(t.value, value))
        return false;
      break;
    case PlanTokens::Kind::ArgDifference:
      if (!index(t.end, end) || !index(t.begin, begin))
        return false;
      value = end - begin;
      break;
    }
    if (value < 0) {
      error = entry.name + ": a negative token count";
      return false;
    }
    counts.push_back(value);
  }
  return true;
}

std::vector<size_t> tempBytes(const PlanEntry &entry,
                              const std::vector<int64_t> &counts) {
  std::vector<size_t> bytes;
  for (const PlanTemp &temp : entry.temps)
    bytes.push_back(static_cast<size_t>(temp.elements.value(counts) *
                                        elementBytes(temp.dtype)));
  return bytes;
}

bool resolveCall(const PlanEntry &entry, const std::vector<CallArg> &args,
                 const std::vector<int64_t> &counts,
                 const std::vector<CUdeviceptr> &temps,
                 std::vector<Launch> &launches, std::string &error) {
  if (args.size() != entry.args.size()) {
    error = entry.name + " takes " + std::to_string(entry.args.size()) +
            " arguments, not " +
            std::to_string(args.size());
    return false;
  }
  auto resolve = [&](const PlanParam &p, uint64_t &value) {
    auto bad = [&](const char *what) {
      error =
          entry.name + ": a parameter names " + what + std::to_string(p.index);
      return false;
    };
    CUdeviceptr base = 0;
    int64_t bytes = 0;
    switch (p.kind) {
    case PlanParam::Kind::Tokens:
      if (p.index >= (int64_t)counts.size())
        return bad("token count ");
      value = static_cast<uint64_t>(counts[p.index]);
      return true;
    case PlanParam::Kind::Index:
      if (p.index >= (int64_t)args.size() || entry.args[p.index].isBuffer)
        return bad("index argument ");
      value = static_cast<uint64_t>(args[p.index].index);
      return true;
    case PlanParam::Kind::Arg:
      if (p.index >= (int64_t)args.size() || !entry.args[p.index].isBuffer)
        return bad("buffer argument ");
      base = args[p.index].pointer;
      bytes = elementBytes(entry.args[p.index].dtype);
      break;
    case PlanParam::Kind::Temp:
      if (p.index >= (int64_t)temps.size())
        return bad("temporary ");
      base = temps[p.index];
      bytes = elementBytes(entry.temps[p.index].dtype);
      break;
    }
    if (p.rowOffset >= 0) {
      if (p.rowOffset >= (int64_t)args.size() ||
          entry.args[p.rowOffset].isBuffer)
        return bad("row offset argument ");
      base += static_cast<CUdeviceptr>(args[p.rowOffset].index * p.rowElems *
                                       bytes);
    }
    value = base;
    return true;
  };
  launches.clear();
  for (const PlanStep &step : entry.steps) {
    Launch launch;
    launch.zero = step.kind == PlanStep::Kind::Zero;
    launch.kernel = step.kernel;
    if (launch.zero) {
      uint64_t buffer = 0;
      if (!resolve(step.params[0], buffer))
        return false;
      launch.buffer = buffer;
      launch.words = static_cast<size_t>(step.elements.value(counts));
      if (launch.words)
        launches.push_back(std::move(launch));
      continue;
    }
    bool empty = false;
    for (int d = 0; d < 3; ++d) {
      launch.grid[d] = static_cast<unsigned>(step.grid[d].value(counts));
      empty |= launch.grid[d] == 0;
    }
    launch.threads = static_cast<unsigned>(step.threads);
    for (const PlanParam &p : step.params) {
      launch.params.push_back(0);
      if (!resolve(p, launch.params.back()))
        return false;
    }
    if (!empty)
      launches.push_back(std::move(launch));
  }
  return true;
}

} // namespace pfc::cuda

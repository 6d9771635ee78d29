//===- CudaPlan.cpp - A launch plan read and resolved for one call --------===//
#include "pfc/Runtime/CudaPlan.h"

#include "Json.h"

namespace pfc::cuda {

namespace {

/// Reads the plan's JSON, remembering the first thing that is wrong.
class Reader {
public:
  explicit Reader(std::string &error) : error(error) {}

  const json::Value *member(const json::Value &object, const char *key) {
    if (object.kind == json::Value::Kind::Object)
      for (const json::Member &m : object.object)
        if (m.key == key)
          return &m.value;
    return nullptr;
  }
  bool has(const json::Value &object, const char *key) {
    return member(object, key) != nullptr;
  }
  const json::Value &need(const json::Value &object, const char *key) {
    static const json::Value none;
    if (const json::Value *value = member(object, key))
      return *value;
    fail(std::string("missing \"") + key + "\"");
    return none;
  }
  int64_t integer(const json::Value &object, const char *key) {
    int64_t result = 0;
    if (!json::toNonNegativeInt(need(object, key), result))
      fail(std::string("\"") + key + "\" is not a non-negative integer");
    return result;
  }
  const std::vector<json::Value> &array(const json::Value &object,
                                        const char *key) {
    const json::Value &value = need(object, key);
    if (value.kind != json::Value::Kind::Array)
      fail(std::string("\"") + key + "\" is not an array");
    return value.array;
  }
  void fail(const std::string &what) {
    if (error.empty())
      error = "bad CUDA launch plan: " + what;
  }
  bool ok() const { return error.empty(); }

  PlanExtent extent(const json::Value &object) {
    return {integer(object, "tokens"), integer(object, "per_token"),
            integer(object, "constant"),
            std::max<int64_t>(1, integer(object, "divisor"))};
  }
  PlanParam param(const json::Value &object) {
    PlanParam p;
    const char *keys[] = {"tokens", "index", "arg", "temp"};
    const PlanParam::Kind kinds[] = {
        PlanParam::Kind::Tokens, PlanParam::Kind::Index, PlanParam::Kind::Arg,
        PlanParam::Kind::Temp};
    for (int i = 0; i < 4; ++i)
      if (has(object, keys[i])) {
        p.kind = kinds[i];
        p.index = integer(object, keys[i]);
        if (has(object, "row_offset")) {
          p.rowOffset = integer(object, "row_offset");
          p.rowElems = integer(object, "row_elems");
        }
        return p;
      }
    fail("a parameter of no known kind");
    return p;
  }
  PlanTokens tokens(const json::Value &object) {
    PlanTokens t;
    if (has(object, "static")) {
      t.value = integer(object, "static");
    } else if (has(object, "caller")) {
      t.kind = PlanTokens::Kind::Caller;
    } else if (has(object, "arg")) {
      t.kind = PlanTokens::Kind::Arg;
      t.value = integer(object, "arg");
    } else {
      t.kind = PlanTokens::Kind::Difference;
      t.end = integer(object, "end");
      t.begin = integer(object, "begin");
    }
    return t;
  }
  int64_t elementBytes(const json::Value &dtype) {
    if (dtype.text == "f32")
      return 4;
    if (dtype.text == "bf16" || dtype.text == "f16")
      return 2;
    fail("unknown dtype \"" + dtype.text + "\"");
    return 4;
  }

private:
  std::string &error;
};

uint64_t ceilDiv(int64_t a, int64_t b) {
  return a <= 0 ? 0 : static_cast<uint64_t>((a + b - 1) / b);
}

} // namespace

int64_t PlanExtent::value(const std::vector<int64_t> &counts) const {
  int64_t t = perToken && tokens < (int64_t)counts.size() ? counts[tokens] : 0;
  return static_cast<int64_t>(ceilDiv(t * perToken + constant, divisor));
}

const PlanEntry *LaunchPlan::find(std::string_view name) const {
  for (const PlanEntry &entry : entries)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

bool parseLaunchPlan(std::string_view text, LaunchPlan &plan,
                     std::string &error) {
  json::Value root;
  if (!json::parse(text, root, error)) {
    error = "bad CUDA launch plan: " + error;
    return false;
  }
  Reader r(error);
  plan.entries.clear();
  for (const json::Value &e : r.array(root, "entries")) {
    PlanEntry entry;
    entry.name = r.need(e, "name").text;
    for (const json::Value &t : r.array(e, "token_counts"))
      entry.tokenCounts.push_back(r.tokens(t));
    for (const json::Value &a : r.array(e, "args"))
      entry.argElementBytes.push_back(
          r.has(a, "buffer") ? r.elementBytes(r.need(a, "buffer")) : 0);
    for (const json::Value &t : r.array(e, "temps"))
      entry.temps.push_back({r.elementBytes(r.need(t, "dtype")),
                             r.extent(r.need(t, "elements"))});
    for (const json::Value &s : r.array(e, "steps")) {
      PlanStep step;
      if (r.has(s, "zero")) {
        step.zero = true;
        step.params.push_back(r.param(r.need(s, "zero")));
        step.elements = r.extent(r.need(s, "elements"));
      } else {
        step.kernel = r.need(s, "launch").text;
        const std::vector<json::Value> &grid = r.array(s, "grid");
        if (grid.size() != 3)
          r.fail("a grid without three dimensions");
        for (size_t d = 0; d < grid.size() && d < 3; ++d)
          step.grid[d] = r.extent(grid[d]);
        step.threads = r.integer(s, "threads");
        for (const json::Value &p : r.array(s, "params"))
          step.params.push_back(r.param(p));
      }
      entry.steps.push_back(std::move(step));
    }
    // Every size that grows with tokens names one of the entry's counts.
    auto checkExtent = [&](const PlanExtent &extent) {
      if (extent.perToken &&
          (extent.tokens < 0 ||
           extent.tokens >= static_cast<int64_t>(entry.tokenCounts.size())))
        r.fail("'" + entry.name + "' sizes something by token count " +
               std::to_string(extent.tokens) + " of " +
               std::to_string(entry.tokenCounts.size()));
    };
    for (const auto &[bytes, elements] : entry.temps)
      checkExtent(elements);
    for (const PlanStep &step : entry.steps) {
      checkExtent(step.elements);
      for (const PlanExtent &extent : step.grid)
        checkExtent(extent);
    }
    plan.entries.push_back(std::move(entry));
  }
  return r.ok();
}

bool tokenCounts(const PlanEntry &entry, const std::vector<CallArg> &args,
                 int64_t callerTokens, std::vector<int64_t> &counts,
                 std::string &error) {
  counts.clear();
  auto index = [&](int64_t arg, int64_t &value) {
    if (arg < 0 || arg >= (int64_t)args.size() ||
        arg >= (int64_t)entry.argElementBytes.size() ||
        entry.argElementBytes[arg] != 0) {
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
    case PlanTokens::Kind::Difference:
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
  for (const auto &[elementBytes, elements] : entry.temps)
    bytes.push_back(static_cast<size_t>(elements.value(counts) * elementBytes));
  return bytes;
}

bool resolveCall(const PlanEntry &entry, const std::vector<CallArg> &args,
                 const std::vector<int64_t> &counts,
                 const std::vector<CUdeviceptr> &temps,
                 std::vector<Launch> &launches, std::string &error) {
  if (args.size() != entry.argElementBytes.size()) {
    error = entry.name + " takes " +
            std::to_string(entry.argElementBytes.size()) + " arguments, not " +
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
    int64_t elementBytes = 0;
    switch (p.kind) {
    case PlanParam::Kind::Tokens:
      if (p.index >= (int64_t)counts.size())
        return bad("token count ");
      value = static_cast<uint64_t>(counts[p.index]);
      return true;
    case PlanParam::Kind::Index:
      if (p.index >= (int64_t)args.size() || entry.argElementBytes[p.index])
        return bad("index argument ");
      value = static_cast<uint64_t>(args[p.index].index);
      return true;
    case PlanParam::Kind::Arg:
      if (p.index >= (int64_t)args.size() || !entry.argElementBytes[p.index])
        return bad("buffer argument ");
      base = args[p.index].pointer;
      elementBytes = entry.argElementBytes[p.index];
      break;
    case PlanParam::Kind::Temp:
      if (p.index >= (int64_t)temps.size())
        return bad("temporary ");
      base = temps[p.index];
      elementBytes = entry.temps[p.index].first;
      break;
    }
    if (p.rowOffset >= 0) {
      if (p.rowOffset >= (int64_t)args.size() ||
          entry.argElementBytes[p.rowOffset])
        return bad("row offset argument ");
      base += static_cast<CUdeviceptr>(args[p.rowOffset].index * p.rowElems *
                                       elementBytes);
    }
    value = base;
    return true;
  };
  launches.clear();
  for (const PlanStep &step : entry.steps) {
    Launch launch;
    launch.zero = step.zero;
    launch.kernel = step.kernel;
    if (step.zero) {
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

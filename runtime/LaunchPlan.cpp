//===- LaunchPlan.cpp - The launch plan's one writer and one reader -------===//
//
// Both directions of `<sym>.plan.json` live here, so that the JSON library
// behind them is this file's choice alone.
//
//===----------------------------------------------------------------------===//
#include "pfc/Runtime/LaunchPlan.h"

#include "Json.h"

#include "pfc/Support/Math.h"

#include <algorithm>

namespace pfc {

int64_t PlanExtent::value(const std::vector<int64_t> &counts) const {
  int64_t t = perToken && tokens < (int64_t)counts.size() ? counts[tokens] : 0;
  int64_t sum = t * perToken + constant;
  return sum <= 0 ? 0 : ceilDiv(sum, divisor);
}

const PlanEntry *LaunchPlan::find(std::string_view name) const {
  for (const PlanEntry &entry : entries)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

bool operator==(const PlanExtent &a, const PlanExtent &b) {
  return a.tokens == b.tokens && a.perToken == b.perToken &&
         a.constant == b.constant && a.divisor == b.divisor;
}
bool operator==(const PlanParam &a, const PlanParam &b) {
  return a.kind == b.kind && a.index == b.index && a.rowOffset == b.rowOffset &&
         a.rowElems == b.rowElems;
}
bool operator==(const PlanStep &a, const PlanStep &b) {
  return a.kind == b.kind && a.kernel == b.kernel &&
         std::equal(a.grid, a.grid + 3, b.grid) && a.threads == b.threads &&
         a.params == b.params && a.elements == b.elements;
}
bool operator==(const PlanTemp &a, const PlanTemp &b) {
  return a.dtype == b.dtype && a.elements == b.elements;
}
bool operator==(const PlanArg &a, const PlanArg &b) {
  return a.isBuffer == b.isBuffer && (!a.isBuffer || a.dtype == b.dtype);
}
bool operator==(const PlanTokens &a, const PlanTokens &b) {
  return a.kind == b.kind && a.value == b.value && a.end == b.end &&
         a.begin == b.begin;
}
bool operator==(const PlanEntry &a, const PlanEntry &b) {
  return a.name == b.name && a.tokenCounts == b.tokenCounts &&
         a.args == b.args && a.temps == b.temps && a.steps == b.steps;
}
bool operator==(const LaunchPlan &a, const LaunchPlan &b) {
  return a.entries == b.entries;
}

int64_t elementBytes(DType dtype) { return dtype == DType::F32 ? 4 : 2; }

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

/// A JSON object written member by member, in order.
class ObjectWriter {
public:
  explicit ObjectWriter(std::string &out) : out(out) { out += '{'; }
  ~ObjectWriter() { out += '}'; }
  std::string &key(std::string_view name) {
    if (!first)
      out += ", ";
    first = false;
    json::appendQuoted(out, name);
    out += ": ";
    return out;
  }
  void integer(std::string_view name, int64_t value) {
    key(name) += std::to_string(value);
  }
  void string(std::string_view name, std::string_view value) {
    json::appendQuoted(key(name), value);
  }

private:
  std::string &out;
  bool first = true;
};

void writeExtent(std::string &out, const PlanExtent &extent) {
  ObjectWriter o(out);
  o.integer("tokens", extent.tokens);
  o.integer("per_token", extent.perToken);
  o.integer("constant", extent.constant);
  o.integer("divisor", extent.divisor);
}

const char *paramKey(PlanParam::Kind kind) {
  switch (kind) {
  case PlanParam::Kind::Tokens:
    return "tokens";
  case PlanParam::Kind::Index:
    return "index";
  case PlanParam::Kind::Arg:
    return "arg";
  case PlanParam::Kind::Temp:
    return "temp";
  }
  return "";
}

void writeParam(std::string &out, const PlanParam &param) {
  ObjectWriter o(out);
  o.integer(paramKey(param.kind), param.index);
  if (param.rowOffset >= 0) {
    o.integer("row_offset", param.rowOffset);
    o.integer("row_elems", param.rowElems);
  }
}

void writeTokens(std::string &out, const PlanTokens &tokens) {
  ObjectWriter o(out);
  switch (tokens.kind) {
  case PlanTokens::Kind::Static:
    o.integer("static", tokens.value);
    break;
  case PlanTokens::Kind::Caller:
    o.key("caller") += "true";
    break;
  case PlanTokens::Kind::Arg:
    o.integer("arg", tokens.value);
    break;
  case PlanTokens::Kind::ArgDifference:
    o.integer("end", tokens.end);
    o.integer("begin", tokens.begin);
    break;
  }
}

void writeStep(std::string &out, const PlanStep &step) {
  ObjectWriter o(out);
  if (step.kind == PlanStep::Kind::Zero) {
    writeParam(o.key("zero"), step.params.at(0));
    writeExtent(o.key("elements"), step.elements);
    return;
  }
  o.string("launch", step.kernel);
  std::string &grid = o.key("grid");
  for (int d = 0; d < 3; ++d) {
    grid += d ? ", " : "[";
    writeExtent(grid, step.grid[d]);
  }
  grid += ']';
  o.integer("threads", step.threads);
  std::string &params = o.key("params");
  params += '[';
  for (size_t i = 0; i < step.params.size(); ++i) {
    params += i ? ", " : "";
    writeParam(params, step.params[i]);
  }
  params += ']';
}

/// `"key": [` items one a line `]`.
template <typename T, typename F>
void writeList(ObjectWriter &o, const char *key, const std::vector<T> &items,
               F writeItem) {
  std::string &out = o.key(key);
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\n      " : "\n      ";
    writeItem(out, items[i]);
  }
  out += items.empty() ? "]" : "\n    ]";
}

} // namespace

std::string writeLaunchPlan(const LaunchPlan &plan) {
  std::string out;
  {
    ObjectWriter root(out);
    std::string &entries = root.key("entries");
    entries += '[';
    for (size_t i = 0; i < plan.entries.size(); ++i) {
      const PlanEntry &entry = plan.entries[i];
      entries += i ? ",\n  " : "\n  ";
      ObjectWriter o(entries);
      o.string("name", entry.name);
      writeList(o, "token_counts", entry.tokenCounts, writeTokens);
      writeList(o, "args", entry.args, [](std::string &out, const PlanArg &a) {
        ObjectWriter arg(out);
        if (a.isBuffer)
          arg.string("buffer", toString(a.dtype));
        else
          arg.key("index") += "true";
      });
      writeList(o, "temps", entry.temps,
                [](std::string &out, const PlanTemp &t) {
                  ObjectWriter temp(out);
                  temp.string("dtype", toString(t.dtype));
                  writeExtent(temp.key("elements"), t.elements);
                });
      writeList(o, "steps", entry.steps, writeStep);
    }
    entries += plan.entries.empty() ? "]" : "\n]";
  }
  return out + "\n";
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

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
    if (object.kind != json::Value::Kind::Object)
      fail(std::string("an item that is not an object where \"") + key +
           "\" was expected");
    else if (const json::Value *value = member(object, key))
      return *value;
    else
      fail(std::string("missing \"") + key + "\"");
    return none;
  }
  int64_t integer(const json::Value &object, const char *key) {
    int64_t result = 0;
    const json::Value &value = need(object, key);
    if (ok() && !json::toNonNegativeInt(value, result))
      fail(std::string("\"") + key + "\" is not a non-negative integer");
    return result;
  }
  std::string string(const json::Value &object, const char *key) {
    const json::Value &value = need(object, key);
    if (ok() && value.kind != json::Value::Kind::String)
      fail(std::string("\"") + key + "\" is not a string");
    return value.text;
  }
  const std::vector<json::Value> &array(const json::Value &object,
                                        const char *key) {
    const json::Value &value = need(object, key);
    if (ok() && value.kind != json::Value::Kind::Array)
      fail(std::string("\"") + key + "\" is not an array");
    return value.array;
  }
  void fail(const std::string &what) {
    if (error.empty())
      error = "bad CUDA launch plan: " + what;
  }
  bool ok() const { return error.empty(); }

  PlanExtent extent(const json::Value &object) {
    PlanExtent e{integer(object, "tokens"), integer(object, "per_token"),
                 integer(object, "constant"), integer(object, "divisor")};
    if (ok() && e.divisor < 1)
      fail("a divisor of 0");
    return e;
  }
  PlanParam param(const json::Value &object) {
    PlanParam p;
    for (PlanParam::Kind kind :
         {PlanParam::Kind::Tokens, PlanParam::Kind::Index,
          PlanParam::Kind::Arg, PlanParam::Kind::Temp})
      if (has(object, paramKey(kind))) {
        p.kind = kind;
        p.index = integer(object, paramKey(kind));
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
      t.kind = PlanTokens::Kind::ArgDifference;
      t.end = integer(object, "end");
      t.begin = integer(object, "begin");
    }
    return t;
  }
  DType dtype(const json::Value &object, const char *key) {
    std::string text = string(object, key);
    for (const auto &[name, dtype] : kDTypeNames)
      if (name == text)
        return dtype;
    if (ok())
      fail("unknown dtype \"" + text + "\"");
    return DType::F32;
  }
  PlanStep step(const json::Value &s) {
    PlanStep step;
    if (has(s, "zero")) {
      step.kind = PlanStep::Kind::Zero;
      step.params.push_back(param(need(s, "zero")));
      step.elements = extent(need(s, "elements"));
      return step;
    }
    step.kernel = string(s, "launch");
    const std::vector<json::Value> &grid = array(s, "grid");
    if (ok() && grid.size() != 3)
      fail("a grid without three dimensions");
    for (size_t d = 0; d < grid.size() && d < 3; ++d)
      step.grid[d] = extent(grid[d]);
    step.threads = integer(s, "threads");
    for (const json::Value &p : array(s, "params"))
      step.params.push_back(param(p));
    return step;
  }

  /// Every index a plan holds names something the entry has.
  void check(const PlanEntry &entry);

private:
  std::string &error;
};

void Reader::check(const PlanEntry &entry) {
  auto where = "'" + entry.name + "' ";
  int64_t args = static_cast<int64_t>(entry.args.size());
  auto isIndex = [&](int64_t arg) {
    return arg >= 0 && arg < args && !entry.args[arg].isBuffer;
  };
  auto isBuffer = [&](int64_t arg) {
    return arg >= 0 && arg < args && entry.args[arg].isBuffer;
  };
  for (const PlanTokens &t : entry.tokenCounts)
    if ((t.kind == PlanTokens::Kind::Arg && !isIndex(t.value)) ||
        (t.kind == PlanTokens::Kind::ArgDifference &&
         (!isIndex(t.end) || !isIndex(t.begin))))
      fail(where + "counts tokens by an argument that is not an index");
  auto checkExtent = [&](const PlanExtent &extent) {
    if (extent.perToken &&
        extent.tokens >= static_cast<int64_t>(entry.tokenCounts.size()))
      fail(where + "sizes something by token count " +
           std::to_string(extent.tokens) + " of " +
           std::to_string(entry.tokenCounts.size()));
  };
  auto checkParam = [&](const PlanParam &p) {
    bool good = true;
    switch (p.kind) {
    case PlanParam::Kind::Tokens:
      good = p.index < static_cast<int64_t>(entry.tokenCounts.size());
      break;
    case PlanParam::Kind::Index:
      good = isIndex(p.index);
      break;
    case PlanParam::Kind::Arg:
      good = isBuffer(p.index);
      break;
    case PlanParam::Kind::Temp:
      good = p.index < static_cast<int64_t>(entry.temps.size());
      break;
    }
    if (p.rowOffset >= 0)
      good &= isIndex(p.rowOffset) && (p.kind == PlanParam::Kind::Arg ||
                                       p.kind == PlanParam::Kind::Temp);
    if (!good)
      fail(where + "binds a parameter to " + paramKey(p.kind) + " " +
           std::to_string(p.index) + ", which it does not have");
  };
  for (const PlanTemp &temp : entry.temps)
    checkExtent(temp.elements);
  for (const PlanStep &step : entry.steps) {
    checkExtent(step.elements);
    for (const PlanExtent &extent : step.grid)
      checkExtent(extent);
    for (const PlanParam &p : step.params)
      checkParam(p);
    if (step.kind == PlanStep::Kind::Zero &&
        step.params[0].kind != PlanParam::Kind::Arg &&
        step.params[0].kind != PlanParam::Kind::Temp)
      fail(where + "zeroes something that is not a buffer");
    if (step.kind == PlanStep::Kind::Launch &&
        (step.kernel.empty() || step.threads < 1))
      fail(where + "launches a kernel without a name or threads");
  }
}

} // namespace

bool readLaunchPlan(std::string_view text, LaunchPlan &plan,
                    std::string &error) {
  error.clear();
  plan.entries.clear();
  json::Value root;
  if (!json::parse(text, root, error)) {
    error = "bad CUDA launch plan: " + error;
    return false;
  }
  Reader r(error);
  for (const json::Value &e : r.array(root, "entries")) {
    PlanEntry entry;
    entry.name = r.string(e, "name");
    for (const json::Value &t : r.array(e, "token_counts"))
      entry.tokenCounts.push_back(r.tokens(t));
    for (const json::Value &a : r.array(e, "args")) {
      PlanArg arg;
      arg.isBuffer = r.has(a, "buffer");
      if (arg.isBuffer)
        arg.dtype = r.dtype(a, "buffer");
      else if (!r.has(a, "index"))
        r.fail("an argument that is neither a buffer nor an index");
      entry.args.push_back(arg);
    }
    for (const json::Value &t : r.array(e, "temps"))
      entry.temps.push_back({r.dtype(t, "dtype"),
                             r.extent(r.need(t, "elements"))});
    for (const json::Value &s : r.array(e, "steps"))
      entry.steps.push_back(r.step(s));
    if (!r.ok())
      break;
    r.check(entry);
    plan.entries.push_back(std::move(entry));
  }
  if (!r.ok())
    plan.entries.clear();
  return r.ok();
}

} // namespace pfc

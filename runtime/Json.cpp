//===- Json.cpp - JSON for file headers, on nlohmann/json's parser --------===//
//
// nlohmann/json (Debian's nlohmann-json3-dev, header-only) does the parsing:
// RFC 8259, UTF-8 checked, an iterative parser whose nesting cannot exhaust
// the stack. Its SAX interface is used, not its DOM: the DOM would drop
// duplicate keys (a safetensors header that names a tensor twice must be
// refused) and throws, where the runtime builds without exceptions. The
// handler below builds pfc's Value tree, bounding depth and size.
//
//===----------------------------------------------------------------------===//
#include "Json.h"

#include "pfc/Runtime/Escape.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace pfc::json {

namespace {

using Json = nlohmann::json;

/// Deep enough for any header; the tree is freed recursively, so hostile
/// nesting must not reach the stack's depth.
constexpr int kMaxDepth = 64;
/// Each value costs about 100 bytes in the tree: a header of a few MB of
/// `[]` must not take gigabytes before it is refused.
constexpr size_t kMaxValues = size_t(1) << 20;

/// Builds a Value tree from SAX events; stops (returns false) at an error.
class TreeBuilder : public nlohmann::json_sax<Json> {
public:
  explicit TreeBuilder(Value &root) : root(root) {}

  std::string error;

  bool null() override { return add(Value()); }
  bool boolean(bool b) override {
    Value value;
    value.kind = Value::Kind::Bool;
    value.boolean = b;
    return add(std::move(value));
  }
  bool number_integer(number_integer_t n) override {
    return number(std::to_string(n));
  }
  bool number_unsigned(number_unsigned_t n) override {
    return number(std::to_string(n));
  }
  bool number_float(number_float_t, const string_t &literal) override {
    return number(literal);
  }
  bool string(string_t &text) override {
    Value value;
    value.kind = Value::Kind::String;
    value.text = std::move(text);
    return add(std::move(value));
  }
  bool binary(binary_t &) override {
    error = "binary data (expected JSON text)";
    return false;
  }
  bool start_object(std::size_t) override { return open(Value::Kind::Object); }
  bool key(string_t &text) override {
    open_.back().keys.push_back(std::move(text));
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(Value::Kind::Array); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string &,
                   const nlohmann::detail::exception &ex) override {
    // "[json.exception.parse_error.101] parse error at line 1, column 2:
    // syntax error while parsing value - invalid literal; last read: 'x'"
    std::string what = ex.what();
    size_t colon = what.find(": ");
    what = colon == std::string::npos ? what : what.substr(colon + 2);
    error = escapeText(what) + " at byte " +
            std::to_string(position ? position - 1 : 0);
    return false;
  }

private:
  /// A container being filled, with its members' keys.
  struct Open {
    Value value;
    std::vector<std::string> keys;
  };

  bool number(std::string literal) {
    Value value;
    value.kind = Value::Kind::Number;
    value.text = std::move(literal);
    return add(std::move(value));
  }

  bool count() {
    if (++values <= kMaxValues)
      return true;
    error = "more than " + std::to_string(kMaxValues) +
            " values (expected at most that many)";
    return false;
  }

  bool add(Value value) {
    if (!count())
      return false;
    if (open_.empty()) {
      root = std::move(value);
      return true;
    }
    Open &parent = open_.back();
    if (parent.value.kind == Value::Kind::Array)
      parent.value.array.push_back(std::move(value));
    else
      parent.value.object.push_back(
          {std::move(parent.keys.back()), std::move(value)});
    return true;
  }

  bool open(Value::Kind kind) {
    if (open_.size() >= static_cast<size_t>(kMaxDepth)) {
      error = "nesting deeper than " + std::to_string(kMaxDepth) +
              " levels (expected at most that many)";
      return false;
    }
    open_.emplace_back();
    open_.back().value.kind = kind;
    return true;
  }

  bool close() {
    Value value = std::move(open_.back().value);
    open_.pop_back();
    return add(std::move(value));
  }

  Value &root;
  std::vector<Open> open_;
  size_t values = 0;
};

} // namespace

bool parse(std::string_view text, Value &value, std::string &error) {
  value = Value();
  TreeBuilder builder(value);
  if (Json::sax_parse(text.begin(), text.end(), &builder,
                      nlohmann::detail::input_format_t::json,
                      /*strict=*/true))
    return true;
  error = builder.error.empty() ? "malformed JSON" : builder.error;
  value = Value();
  return false;
}

bool isValidUtf8(std::string_view text) { return pfc::isValidUtf8(text); }

bool toNonNegativeInt(const Value &value, int64_t &result) {
  if (value.kind != Value::Kind::Number || value.text.empty())
    return false;
  int64_t n = 0;
  for (char c : value.text) {
    if (c < '0' || c > '9')
      return false;
    int digit = c - '0';
    if (n > (std::numeric_limits<int64_t>::max() - digit) / 10)
      return false;
    n = n * 10 + digit;
  }
  result = n;
  return true;
}

const char *describe(Value::Kind kind) {
  switch (kind) {
  case Value::Kind::Null:
    return "null";
  case Value::Kind::Bool:
    return "a boolean";
  case Value::Kind::Number:
    return "a number";
  case Value::Kind::String:
    return "a string";
  case Value::Kind::Array:
    return "an array";
  case Value::Kind::Object:
    return "an object";
  }
  return "a value";
}

void appendQuoted(std::string &out, std::string_view text) {
  out += Json(std::string(text))
             .dump(-1, ' ', /*ensure_ascii=*/false,
                   Json::error_handler_t::replace);
}

} // namespace pfc::json

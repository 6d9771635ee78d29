//===- Json.h - A small strict JSON reader for file headers -----*- C++ -*-===//
//
// The runtime reads safetensors headers without LLVM's JSON library. This
// reader accepts exactly RFC 8259 (UTF-8, no comments, no trailing commas),
// bounds nesting, and never reads past its input.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_JSON_H
#define PFC_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pfc::json {

struct Member;

/// One parsed JSON value. Objects keep their members in file order,
/// duplicates included: callers decide whether a duplicate is an error.
struct Value {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  /// A string's decoded UTF-8 text, or a number's literal text.
  std::string text;
  std::vector<Value> array;
  std::vector<Member> object;
};

struct Member {
  std::string key;
  Value value;
};

/// Parses `text` as one JSON value with optional surrounding whitespace. On
/// failure returns false and sets `error` to `<what> at byte N (expected
/// <what>)`.
bool parse(std::string_view text, Value &value, std::string &error);

/// The value of an integer literal without fraction, exponent or sign that
/// fits in int64_t; false for anything else.
bool toNonNegativeInt(const Value &value, int64_t &result);

/// A JSON kind in words ("a string", "an object") for error messages.
const char *describe(Value::Kind kind);

/// Whether `text` is well-formed UTF-8 (what a JSON string may hold).
bool isValidUtf8(std::string_view text);

/// Appends `text` as a JSON string literal (quotes and escapes included).
void appendQuoted(std::string &out, std::string_view text);

} // namespace pfc::json

#endif // PFC_RUNTIME_JSON_H

//===- YamlReader.h - Strict typed reads over LLVM's YAML nodes -*- C++ -*-===//
//
// LLVM's YAML parser is lazy and forward-only: a mapping's value is discarded
// once the iterator moves to the next key. YamlReader therefore hands each
// value to a callback as soon as its key is read. Mistakes are reported
// through the SourceMgr as `file:line:col: error: <what> (expected <what>)`;
// reading stops at the first one.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_LIB_SPEC_YAMLREADER_H
#define PFC_LIB_SPEC_YAMLREADER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace llvm {
class MemoryBuffer;
class MemoryBufferRef;
class SourceMgr;
class raw_ostream;
namespace yaml {
class Node;
} // namespace yaml
} // namespace llvm

namespace pfc {

/// Reads the spec file at `path` ("-": standard input) into `sourceMgr`,
/// whose diagnostics then go to `diagOS`. Reports `<path>: error: cannot
/// read the spec: …` on `diagOS` and returns false when it cannot.
bool openSpecFile(llvm::StringRef path, llvm::raw_ostream &diagOS,
                  llvm::SourceMgr &sourceMgr);

/// Adds `buffer` as the spec text of `sourceMgr`, whose diagnostics then go
/// to `diagOS`.
void addSpecBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                   llvm::raw_ostream &diagOS, llvm::SourceMgr &sourceMgr);

class YamlReader {
public:
  using Node = llvm::yaml::Node;
  using KeyHandler = llvm::function_ref<bool(llvm::StringRef key, Node *value)>;
  using ItemHandler = llvm::function_ref<bool(Node *item)>;

  explicit YamlReader(llvm::SourceMgr &sourceMgr) : sourceMgr(sourceMgr) {}

  /// Reports `what (expected <expected>)` at `loc`. Returns false so that
  /// callers can `return error(...)`.
  bool error(llvm::SMLoc loc, const llvm::Twine &what,
             const llvm::Twine &expected);
  bool error(Node *node, const llvm::Twine &what, const llvm::Twine &expected);

  /// Checks the whole buffer before any value is read, so that a syntax
  /// error anywhere is reported rather than a schema error it causes: no tab
  /// in indentation, bounded nesting (LLVM's parser recurses), then a full
  /// parse. Reports and returns false on the first problem.
  bool checkSyntax(llvm::MemoryBufferRef buffer);

  /// Where `node` starts as a user sees it. LLVM places a flow collection at
  /// its first item and an alias after its name; this points at the `[`,
  /// `{` or `*`.
  llvm::SMLoc locOf(Node *node) const;

  /// Visits the entries of the mapping `node` (the value of the key
  /// `context`) in order, rejecting unknown, duplicate and empty keys, then
  /// checks that every key in `required` was given. A missing key is reported
  /// at `ownerLoc`, where the mapping's own key stands.
  bool readMapping(Node *node, llvm::StringRef context, llvm::SMLoc ownerLoc,
                   llvm::ArrayRef<llvm::StringRef> allowed,
                   llvm::ArrayRef<llvm::StringRef> required,
                   KeyHandler handler);

  /// Where the key whose value a KeyHandler is being given stands. Read it
  /// first thing in the handler: nested mappings move it.
  llvm::SMLoc keyLoc() const { return currentKeyLoc; }

  /// Visits the items of the sequence `node` (the value of `key`).
  bool readList(Node *node, llvm::StringRef key, llvm::StringRef expected,
                ItemHandler handler);

  /// An integer in [min, max]; `expected` overrides how the hint reads.
  std::optional<int64_t> readInt(Node *node, llvm::StringRef key, int64_t min,
                                 int64_t max, llvm::StringRef expected = {});
  /// Any integer in [0, 2^64 - 1] (a seed, say).
  std::optional<uint64_t> readUnsigned(Node *node, llvm::StringRef key);
  /// An integer in [min, max] that is a power of two.
  std::optional<int64_t> readPowerOfTwo(Node *node, llvm::StringRef key,
                                        int64_t min, int64_t max);
  /// A finite number in [min, max]; `range` spells the interval for users.
  std::optional<double> readNumber(Node *node, llvm::StringRef key, double min,
                                   double max, llvm::StringRef range);
  std::optional<bool> readBool(Node *node, llvm::StringRef key);
  /// Any non-empty single value, as text (a path, say).
  std::optional<std::string> readString(Node *node, llvm::StringRef key,
                                        llvm::StringRef expected);
  /// A name usable as a file name and a symbol: [A-Za-z_][A-Za-z0-9_.-]*.
  std::optional<std::string> readName(Node *node, llvm::StringRef key);

  /// One of `choices`, given by its spelling.
  template <typename T>
  std::optional<T>
  readEnum(Node *node, llvm::StringRef key, llvm::StringRef what,
           llvm::ArrayRef<std::pair<std::string_view, T>> choices) {
    std::string spellings;
    for (const auto &choice : choices)
      spellings += (spellings.empty() ? "" : ", ") + std::string(choice.first);
    std::optional<std::string> text = scalarText(node, key, spellings);
    if (!text)
      return std::nullopt;
    for (const auto &choice : choices)
      if (*text == choice.first)
        return choice.second;
    error(node, "'" + key + "' is '" + *text + "', not " + what,
          "one of: " + spellings);
    return std::nullopt;
  }

private:
  /// The sign and magnitude of the integer `node`, `overflow` set when the
  /// digits exceed 64 bits; nullopt after reporting a value that is not an
  /// integer. `text` receives the value as written.
  std::optional<std::pair<bool, uint64_t>>
  readIntegerText(Node *node, llvm::StringRef key, llvm::StringRef expected,
                  std::string &text, bool &overflow);
  /// The text of a plain, quoted or block scalar; `quoted` tells which.
  std::optional<std::string> scalarText(Node *node, llvm::StringRef key,
                                        llvm::StringRef expected,
                                        bool *quoted = nullptr);

  llvm::SourceMgr &sourceMgr;
  llvm::SMLoc currentKeyLoc;
};

/// Stores the result of a YamlReader read in `field`: `return assign(x,
/// reader.readInt(...))` keeps handlers to one line.
template <typename T, typename U>
bool assign(T &field, std::optional<U> value) {
  if (!value)
    return false;
  field = std::move(*value);
  return true;
}

} // namespace pfc

#endif // PFC_LIB_SPEC_YAMLREADER_H

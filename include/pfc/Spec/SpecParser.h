//===- SpecParser.h - Reading and writing `pfc: 1` spec files ---*- C++ -*-===//
//
// Parses layer, model and attention specs with LLVM's YAML parser. Every
// mistake is reported through the SourceMgr as `file:line:col: error: <what>
// (expected <what>)`; nothing is reported twice and no input crashes the
// parser.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_SPEC_SPECPARSER_H
#define PFC_SPEC_SPECPARSER_H

#include "pfc/Spec/Spec.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <variant>

namespace llvm {
class SourceMgr;
class raw_ostream; // NOLINT(readability-identifier-naming): LLVM's class
} // namespace llvm

namespace pfc {

using Spec = std::variant<LayerSpec, ModelSpec, AttentionSpec>;

/// Which kinds of spec a caller accepts (`Layer | Attention`, say); any other
/// kind is an error at its key.
enum class SpecKind : unsigned {
  Layer = 1,
  Model = 2,
  Attention = 4,
  Any = Layer | Model | Attention,
};

constexpr SpecKind operator|(SpecKind a, SpecKind b) {
  return static_cast<SpecKind>(static_cast<unsigned>(a) |
                               static_cast<unsigned>(b));
}

/// Parses the main buffer of `sourceMgr`. Diagnostics go to its handler;
/// returns nullopt after reporting an error. With `f32Only` naming what the
/// spec is for (such as "the CPU target"), a layer of another data type is
/// an error at its `dtype`.
std::optional<Spec> parseSpec(llvm::SourceMgr &sourceMgr,
                              SpecKind want = SpecKind::Any,
                              llvm::StringRef f32Only = {});

/// Reads and parses `path` ("-" for standard input), printing the first
/// diagnostic to `diagOS`.
std::optional<Spec> parseSpecFile(llvm::StringRef path,
                                  llvm::raw_ostream &diagOS,
                                  SpecKind want = SpecKind::Any,
                                  llvm::StringRef f32Only = {});

/// Parses `text`, named `source` in diagnostics, printing the first
/// diagnostic to `diagOS`.
std::optional<Spec> parseSpecText(llvm::StringRef text, llvm::StringRef source,
                                  llvm::raw_ostream &diagOS,
                                  SpecKind want = SpecKind::Any,
                                  llvm::StringRef f32Only = {});

/// Writes `spec` as a `pfc: 1` layer spec that parseSpec reads back equal.
void printLayerSpec(const LayerSpec &spec, llvm::raw_ostream &os);

/// Writes `spec` as a `pfc: 1` attention spec that parseSpec reads back
/// equal: every key in a fixed order, `scale` only when given. The text is
/// canonical (equal specs print equal), so it can key a cache.
void printAttentionSpec(const AttentionSpec &spec, llvm::raw_ostream &os);

} // namespace pfc

#endif // PFC_SPEC_SPECPARSER_H

//===- NetSpecParser.h - Reading `pfc: 1` net specs -------------*- C++ -*-===//
//
// A net spec names its data, its layers (written out, or planned from a model
// spec) and how to train it. Its Pixelfly layers are read by the same code as
// a layer spec file; every mistake is reported as `file:line:col: error:
// <what> (expected <what>)`, once.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_SPEC_NETSPECPARSER_H
#define PFC_SPEC_NETSPECPARSER_H

#include "pfc/Spec/NetSpec.h"

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace llvm {
class MemoryBufferRef;
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace pfc {

/// Parses the main buffer of `sourceMgr` as a net spec. A `model:` path is
/// relative to the directory of the main buffer's name. Diagnostics go to
/// its handler; returns nullopt after reporting exactly one.
std::optional<NetSpec> parseNetSpec(llvm::SourceMgr &sourceMgr);

/// Reads and parses `path` ("-" for standard input), printing the first
/// diagnostic to `diagOS`.
std::optional<NetSpec> parseNetSpecFile(llvm::StringRef path,
                                        llvm::raw_ostream &diagOS);

/// Whether `buffer` holds a net spec (a top-level `net` key), judged
/// silently: a malformed file is not one, and the parser it then goes to
/// reports why.
bool isNetSpec(llvm::MemoryBufferRef buffer);

} // namespace pfc

#endif // PFC_SPEC_NETSPECPARSER_H

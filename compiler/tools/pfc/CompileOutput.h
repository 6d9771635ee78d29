//===- CompileOutput.h - The files `pfc compile` writes ---------*- C++ -*-===//
#ifndef PFC_TOOLS_PFC_COMPILEOUTPUT_H
#define PFC_TOOLS_PFC_COMPILEOUTPUT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace pfc {

/// The files of one `pfc compile` (any target), in the order they are made,
/// each named `<symbol><suffix>`, and the manifest that lists them.
class CompileOutput {
public:
  explicit CompileOutput(std::string symbol) : symbol(std::move(symbol)) {}

  /// Adds `<symbol><suffix>`, listed under `key` in the manifest's "files".
  void add(llvm::StringRef key, llvm::StringRef suffix, std::string text);

  /// The name `add` gives a file with `suffix`.
  std::string fileName(llvm::StringRef suffix) const {
    return symbol + suffix.str();
  }

  /// Completes `manifest` with "files", adds it as manifest.json, writes every
  /// file into `dir` (created if need be) through a temporary file renamed
  /// into place, and lists them on stdout under `title`. Returns an exit
  /// code, having reported any failure.
  int write(llvm::json::Object manifest, llvm::StringRef dir,
            llvm::StringRef title);

private:
  struct File {
    std::string name, text;
  };
  std::string symbol;
  std::vector<File> files;
  llvm::json::Object fileNames;
};

} // namespace pfc

#endif // PFC_TOOLS_PFC_COMPILEOUTPUT_H

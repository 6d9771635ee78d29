//===- Cli.h - What every pfc command does the same way ---------*- C++ -*-===//
//
// The pfc tool's commands and bench/'s measurements share these: exit codes,
// reading a spec, reporting errors, writing outputs atomically and checking
// sizes before allocating. The library (compiler/tools/Cli) is the only code
// both link; neither includes the other's private sources.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_CLI_CLI_H
#define PFC_CLI_CLI_H

#include "pfc/Spec/Spec.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pfc {

class Blas;

/// Exit codes shared by every command.
enum ExitCode : int { ExitOk = 0, ExitBadInput = 1, ExitUsage = 2 };

/// A subcommand: its llvm::cl registration and the function that runs it.
struct Command {
  llvm::cl::SubCommand &sub;
  std::function<int()> run;
};

/// The category of every pfc option; LLVM's own options are hidden.
llvm::cl::OptionCategory &pfcCategory();

/// A layer spec read from a file, with its block mask.
struct LoadedLayer {
  LayerSpec spec;
  BlockMask mask;
};

/// Reads the layer spec at `path`, reporting a bad file on stderr as
/// `file:line:col: error: …`. With `cpu`, a layer the CPU target cannot
/// compute (bf16, f16) is such an error too.
std::optional<LoadedLayer> loadLayerSpec(llvm::StringRef path,
                                         bool cpu = false);

/// stderr, with the bytes a terminal would act on or cannot show (NUL,
/// control characters, invalid UTF-8) printed as `\xNN` (pfc/Runtime/
/// Escape.h): errors quote their input, and their input may be anything.
/// Every error and every spec diagnostic is printed through it.
llvm::raw_ostream &diagnostics();

/// Reports `pfc: error: <message>` on stderr and returns ExitBadInput.
int reportError(const llvm::Twine &message);

/// Warns on stderr when `blas` runs a generic kernel, slower than this CPU
/// allows (OpenBLAS's "Prescott" on an AVX-512 machine).
void warnIfGeneric(const Blas &blas);

/// Reports a reader's or writer's `<file>: error: …` message as it is.
int reportFileError(const std::string &error);

/// Writes what `write` prints to `path` with writeFileAtomically
/// (pfc/Runtime/AtomicFile.h: `-` is stdout, devices and FIFOs are written
/// through, links are followed). Returns ExitOk, or reports the writer's
/// `<path>: error: …` and returns ExitBadInput.
int writeOutput(llvm::StringRef path,
                const std::function<void(llvm::raw_ostream &)> &write);

/// Makes `dir` (and its parents) for a command that writes several files
/// there; `what` says which (e.g. "the artefacts"). Returns ExitOk, or
/// reports `<dir>: error: …` and returns ExitBadInput: `-` (stdout cannot
/// be a directory), a path that cannot be made, or one that exists and
/// is not a directory.
int makeOutputDirectory(llvm::StringRef dir, llvm::StringRef what);

/// Writes each (path, bytes), all or none, with writeFilesAtomically.
int writeOutputs(const std::vector<std::pair<std::string, std::string>> &files);

/// ExitOk when `bytes` (an estimate of what `what` will allocate, as a
/// double so that products of sizes from input cannot overflow) fit in
/// the memory this process may use (memoryBytes()); else reports
/// `pfc: error: <what> need N bytes, more than …` and returns ExitBadInput.
/// Called before the allocation, so that no size ends in an abort.
int checkFitsInMemory(double bytes, const llvm::Twine &what);

} // namespace pfc

#endif // PFC_CLI_CLI_H

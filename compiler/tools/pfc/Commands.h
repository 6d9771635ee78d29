//===- Commands.h - The subcommands of the pfc driver -----------*- C++ -*-===//
#ifndef PFC_TOOLS_PFC_COMMANDS_H
#define PFC_TOOLS_PFC_COMMANDS_H

#include "pfc/Spec/Spec.h"
#include "pfc/Target/Jit.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <optional>

namespace pfc {

/// Exit codes shared by every command.
enum ExitCode : int { ExitOk = 0, ExitBadInput = 1, ExitUsage = 2 };

/// A subcommand: its llvm::cl registration and the function that runs it.
struct Command {
  llvm::cl::SubCommand &sub;
  std::function<int()> run;
};

/// The category of every pfc option; LLVM's own options are hidden.
llvm::cl::OptionCategory &pfcCategory();

Command &autotuneCommand();
Command &benchCommand();
Command &cacheCommand();
Command &checkCommand();
Command &compileCommand();
Command &initCommand();
Command &maskCommand();
Command &planCommand();
Command &runCommand();
Command &trainCommand();

/// The schedule's knobs on the command line of a command that compiles a
/// layer (`--tile`, `--vector`, `--chunk`, `--unroll`, `--unrolled`,
/// `--prefetch`), each
/// defaulting to the choice for the layer and the host.
class ScheduleFlags {
public:
  explicit ScheduleFlags(llvm::cl::SubCommand &sub);
  ScheduleChoice choice() const;

private:
  llvm::cl::opt<int64_t> tile, vector, chunk, unroll, prefetch;
  llvm::cl::opt<bool> unrolled;
};

/// A layer spec read from a file, with its block mask.
struct LoadedLayer {
  LayerSpec spec;
  BlockMask mask;
};

/// Reads the layer spec at `path`, reporting a bad file on stderr as
/// `file:line:col: error: …`.
std::optional<LoadedLayer> loadLayerSpec(llvm::StringRef path);

/// Reports `pfc: error: <message>` on stderr and returns ExitBadInput.
int reportError(const llvm::Twine &message);

/// Writes `path` through a temporary file renamed into place, so that a
/// failed run leaves no partial output. Returns ExitOk or reports.
int writeFileAtomically(llvm::StringRef path,
                        const std::function<void(llvm::raw_ostream &)> &write);

} // namespace pfc

#endif // PFC_TOOLS_PFC_COMMANDS_H

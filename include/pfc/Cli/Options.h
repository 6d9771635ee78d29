//===- Options.h - Options that several pfc commands take -------*- C++ -*-===//
//
// Each bundle registers its options on one subcommand, in pfc's category,
// under the one name and value form every command uses for them; a command
// gives only what its use of the option means.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_CLI_OPTIONS_H
#define PFC_CLI_OPTIONS_H

#include "pfc/Target/Jit.h"

#include "llvm/Support/CommandLine.h"

#include <string>

namespace pfc {

/// The spec file, the command's first positional argument: `<layer.yaml>`,
/// `<net.yaml>`, ... (`valueName`).
class SpecArgument : public llvm::cl::opt<std::string> {
public:
  SpecArgument(llvm::cl::SubCommand &sub, llvm::StringRef valueName,
               bool required = true);
};

/// `--json`: print the result as JSON instead of text.
class JsonFlag : public llvm::cl::opt<bool> {
public:
  JsonFlag(llvm::cl::SubCommand &sub, llvm::StringRef description);
};

/// `--threads N`; 0 (the default) means every hardware thread.
class ThreadsOption : public llvm::cl::opt<int64_t> {
public:
  ThreadsOption(llvm::cl::SubCommand &sub, llvm::StringRef description);
};

/// `-o <path>`: where the command writes (written atomically: Cli.h).
class OutputOption : public llvm::cl::opt<std::string> {
public:
  OutputOption(llvm::cl::SubCommand &sub, llvm::StringRef description,
               llvm::StringRef valueName, bool required);
};

/// The schedule's knobs on the command line of a command that compiles a
/// layer (`--tile`, `--vector`, `--chunk`, `--unroll`, `--unrolled`,
/// `--prefetch`), each defaulting to the choice for the layer and the host.
class ScheduleFlags {
public:
  explicit ScheduleFlags(llvm::cl::SubCommand &sub);
  Schedule choice() const;

private:
  llvm::cl::opt<int64_t> tile, vector, chunk, unroll, prefetch;
  llvm::cl::opt<bool> unrolled;
};

} // namespace pfc

#endif // PFC_CLI_OPTIONS_H

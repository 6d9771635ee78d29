//===- pfc.cpp - The pfc command-line driver ------------------------------===//
//
// `pfc <command> [options]`: exit code 0 on success, 1 on bad input (specs,
// files), 2 on bad usage (unknown command or option).
//
//===----------------------------------------------------------------------===//
#include "Commands.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <csignal>
#include <vector>

using namespace llvm;

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // Past a file-size limit (ulimit -f) a write fails with EFBIG and is
  // reported like a full disk, instead of LLVM's handler of SIGXFSZ dumping
  // the stack.
  std::signal(SIGXFSZ, SIG_IGN);
  std::vector<pfc::Command *> commands = {
      &pfc::autotuneCommand(), &pfc::benchCommand(),   &pfc::cacheCommand(),
      &pfc::checkCommand(),    &pfc::compileCommand(), &pfc::initCommand(),
      &pfc::maskCommand(),     &pfc::planCommand(),    &pfc::runCommand(),
      &pfc::trainCommand()};

  cl::HideUnrelatedOptions(pfc::pfcCategory());
  for (pfc::Command *command : commands)
    cl::HideUnrelatedOptions(pfc::pfcCategory(), command->sub);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "pfc " PFC_VERSION " (LLVM " LLVM_VERSION_STRING ")\n";
  });

  // An unknown command is a usage error with the list of commands, rather
  // than llvm::cl's "too many positional arguments".
  if (argc > 1 && argv[1][0] != '-') {
    StringRef name = argv[1];
    bool known = false;
    for (pfc::Command *command : commands)
      known |= command->sub.getName() == name;
    if (!known) {
      std::string names;
      for (pfc::Command *command : commands)
        names += (names.empty() ? "" : ", ") + command->sub.getName().str();
      WithColor::error(errs(), "pfc")
          << "unknown command '" << name << "' (expected one of: " << names
          << ")\n";
      return pfc::ExitUsage;
    }
  }

  std::string parseErrors;
  raw_string_ostream errorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv, "pfc: a compiler for Pixelfly layers\n", &errorStream)) {
    errs() << errorStream.str();
    return pfc::ExitUsage;
  }
  for (pfc::Command *command : commands)
    if (command->sub)
      return command->run();
  cl::PrintHelpMessage();
  return pfc::ExitUsage;
}

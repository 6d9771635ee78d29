//===- Commands.h - The subcommands of the pfc driver -----------*- C++ -*-===//
#ifndef PFC_TOOLS_PFC_COMMANDS_H
#define PFC_TOOLS_PFC_COMMANDS_H

#include "pfc/Cli/Cli.h"
#include "pfc/Cli/Options.h"

#include "llvm/Support/Error.h"

namespace pfc {

// Each defined in <Name>Command.cpp; pfc.cpp dispatches to them.
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

} // namespace pfc

#endif // PFC_TOOLS_PFC_COMMANDS_H

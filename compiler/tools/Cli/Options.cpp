//===- Options.cpp - Options that several pfc commands take ---------------===//
#include "pfc/Cli/Options.h"
#include "pfc/Cli/Cli.h"

using namespace llvm;

namespace pfc {

SpecArgument::SpecArgument(cl::SubCommand &sub, StringRef valueName,
                           bool required)
    : cl::opt<std::string>(
          cl::Positional, required ? cl::Required : cl::Optional,
          cl::desc(valueName), cl::sub(sub), cl::cat(pfcCategory())) {}

JsonFlag::JsonFlag(cl::SubCommand &sub, StringRef description)
    : cl::opt<bool>("json", cl::desc(description), cl::sub(sub),
                    cl::cat(pfcCategory())) {}

ThreadsOption::ThreadsOption(cl::SubCommand &sub, StringRef description)
    : cl::opt<int64_t>("threads", cl::desc(description), cl::value_desc("N"),
                       cl::init(0), cl::sub(sub), cl::cat(pfcCategory())) {}

OutputOption::OutputOption(cl::SubCommand &sub, StringRef description,
                           StringRef valueName, bool required)
    : cl::opt<std::string>("o", required ? cl::Required : cl::Optional,
                           cl::desc(description), cl::value_desc(valueName),
                           cl::sub(sub), cl::cat(pfcCategory())) {}

ScheduleFlags::ScheduleFlags(cl::SubCommand &sub)
    : tile("tile", cl::desc("Token rows per register tile"), cl::init(0),
           cl::sub(sub), cl::cat(pfcCategory())),
      vector("vector", cl::desc("f32 lanes per vector: 4, 8 or 16"),
             cl::init(0), cl::sub(sub), cl::cat(pfcCategory())),
      chunk("chunk", cl::desc("Tokens run against all block-rows at a time"),
            cl::init(0), cl::sub(sub), cl::cat(pfcCategory())),
      unroll("unroll",
             cl::desc("Unroll factor of the loop over a block's "
                      "inputs"),
             cl::init(0), cl::sub(sub), cl::cat(pfcCategory())),
      prefetch("prefetch",
               cl::desc("Blocks ahead in the weights to prefetch (0: none)"),
               cl::init(-1), cl::sub(sub), cl::cat(pfcCategory())),
      unrolled("unrolled", cl::desc("Block offsets in the code, not in tables"),
               cl::sub(sub), cl::cat(pfcCategory())) {}

Schedule ScheduleFlags::choice() const {
  Schedule schedule;
  schedule.tile = tile;
  schedule.vector = vector;
  schedule.chunk = chunk;
  schedule.unroll = unroll;
  if (unrolled.getNumOccurrences())
    schedule.unrolled = unrolled;
  if (prefetch.getNumOccurrences())
    schedule.prefetch = prefetch;
  return schedule;
}

} // namespace pfc

//===- ScheduleFlags.cpp - Schedule knobs on the command line -------------===//
#include "Commands.h"

using namespace llvm;

namespace pfc {

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

ScheduleChoice ScheduleFlags::choice() const {
  ScheduleChoice schedule;
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

//===- CacheCommand.cpp - `pfc cache`: the kernel cache on disk -----------===//
#include "Commands.h"

#include "pfc/Runtime/KernelCache.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace llvm;

namespace pfc {

static cl::SubCommand sub("cache", "Show or clear the compiled-kernel cache");
static cl::opt<std::string> action(cl::Positional, cl::Required,
                                   cl::desc("<stats|clear>"), cl::sub(sub),
                                   cl::cat(pfcCategory()));
static JsonFlag json(sub, "Print the statistics as one JSON object");

static int run() {
  if (action != "stats" && action != "clear") {
    WithColor::error(errs(), "pfc") << "unknown cache action '" << action
                                    << "' (expected stats or clear)\n";
    return ExitUsage;
  }
  std::optional<KernelCache> cache = KernelCache::fromEnvironment();
  if (!cache) {
    const char *dir = std::getenv("PFC_CACHE_DIR");
    StringRef why = dir && StringRef(dir) == "off"
                        ? "PFC_CACHE_DIR=off"
                        : "no PFC_CACHE_DIR, XDG_CACHE_HOME or HOME";
    if (json && action == "stats")
      outs() << json::Value(json::Object{{"enabled", false}}) << "\n";
    else
      outs() << "the kernel cache is off (" << why << ")\n";
    return ExitOk;
  }
  if (action == "clear") {
    std::vector<std::string> failures;
    int64_t removed = cache->clear(&failures);
    outs() << "removed " << removed << (removed == 1 ? " entry" : " entries")
           << " from " << cache->directory() << "\n";
    for (const std::string &failure : failures)
      errs() << "pfc: error: cannot remove " << failure << "\n";
    return failures.empty() ? ExitOk : ExitBadInput;
  }
  KernelCache::Stats stats = cache->stats();
  if (json) {
    outs() << json::Value(json::Object{{"enabled", true},
                                       {"directory", cache->directory()},
                                       {"entries", stats.entries},
                                       {"bytes", stats.bytes}})
           << "\n";
    return ExitOk;
  }
  outs() << "directory: " << cache->directory() << "\n"
         << "entries:   " << stats.entries << "\n"
         << "bytes:     " << stats.bytes << "\n";
  return ExitOk;
}

Command &cacheCommand() {
  static Command command{sub, run};
  return command;
}

} // namespace pfc

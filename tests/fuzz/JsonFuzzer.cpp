//===- JsonFuzzer.cpp - libFuzzer target for the runtime's JSON readers ---===//
//
// Each input is read as JSON, as a CUDA launch plan, and as a tuning record
// file (one JSON object per line). Each reader accepts it or says why;
// nothing crashes, leaks or reads out of bounds. A plan that is accepted
// answers lookups of every entry it has.
//
//===----------------------------------------------------------------------===//
#include "FuzzFile.h"
#include "Json.h"

#include "pfc/Runtime/LaunchPlan.h"
#include "pfc/Tune/TuningDatabase.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::string error;

  pfc::json::Value value;
  if (!pfc::json::parse(text, value, error) && error.empty())
    std::abort();

  pfc::LaunchPlan plan;
  error.clear();
  if (pfc::readLaunchPlan(text, plan, error)) {
    for (const pfc::PlanEntry &entry : plan.entries)
      if (!plan.find(entry.name))
        std::abort();
  } else if (error.empty()) {
    std::abort();
  }

  // Tuning records: the file is whatever the fuzzer made; lookups of any key
  // return a schedule or nothing.
  pfc::TuningDatabase database(pfc::fuzz::writeInput("tuning.jsonl", text));
  (void)database.lookup("key");
  (void)database.lookup(std::string(text.substr(0, 64)));
  return 0;
}

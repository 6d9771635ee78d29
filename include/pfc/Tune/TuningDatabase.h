//===- TuningDatabase.h - Schedules the autotuner chose ---------*- C++ -*-===//
//
// One JSON object per line in `<kernel cache>/tuning.jsonl`: the schedule
// `pfc autotune` found fastest, keyed by the host CPU, the layer (its spec
// without its name: shape, pattern, rank, γ mode, bias, dtype) and a bucket
// of token counts. compileLayer looks its layers up there.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TUNE_TUNINGDATABASE_H
#define PFC_TUNE_TUNINGDATABASE_H

#include "pfc/Spec/Spec.h"
#include "pfc/Target/Jit.h"

#include <optional>
#include <string>

namespace pfc {

/// The bucket a token count is tuned in: the next power of 4, at most 4096.
int64_t tokenBucket(int64_t tokens);

/// The key of `spec` at `tokens` tokens on the host CPU.
std::string tuningKey(const LayerSpec &spec, int64_t tokens);

class TuningDatabase {
public:
  /// The database in the kernel cache's directory; std::nullopt when the
  /// cache is off.
  static std::optional<TuningDatabase> fromEnvironment();
  explicit TuningDatabase(std::string path) : path(std::move(path)) {}

  /// The schedule recorded last for `key`. Lines that are not a record are
  /// skipped.
  std::optional<Schedule> lookup(const std::string &key) const;

  /// Records `schedule` for `key`, described by `description`, as one line
  /// appended to the file: concurrent tuners lose no record, and the last
  /// record of a key wins. Returns false, with `error`, when the file
  /// cannot be written.
  bool record(const std::string &key, const Schedule &schedule,
              const std::string &description, std::string &error) const;

private:
  std::string path;
};

} // namespace pfc

#endif // PFC_TUNE_TUNINGDATABASE_H

//===- TuningDatabase.cpp - Schedules the autotuner chose -----------------===//
#include "pfc/Tune/TuningDatabase.h"
#include "pfc/BuildId.h"
#include "pfc/Runtime/KernelCache.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace pfc {

int64_t tokenBucket(int64_t tokens) {
  int64_t bucket = 1;
  while (bucket < tokens && bucket < 4096)
    bucket *= 4;
  return bucket;
}

std::string tuningKey(const LayerSpec &spec, int64_t tokens) {
  LayerSpec anonymous = spec;
  anonymous.name = "layer";
  std::string text;
  llvm::raw_string_ostream os(text);
  printLayerSpec(anonymous, os);
  std::vector<std::string> enabled;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    if (feature.getValue())
      enabled.push_back(feature.getKey().str());
  std::sort(enabled.begin(), enabled.end());
  std::string features = llvm::join(enabled, ",");
  return KernelCache::key({"tuning", PFC_BUILD_ID,
                           llvm::sys::getHostCPUName().str(), features, text,
                           std::to_string(tokenBucket(tokens))});
}

std::optional<TuningDatabase> TuningDatabase::fromEnvironment() {
  std::optional<KernelCache> cache = KernelCache::fromEnvironment();
  if (!cache)
    return std::nullopt;
  return TuningDatabase(cache->directory() + "/tuning.jsonl");
}

namespace {
/// The records of the file, or none when it cannot be read.
std::vector<llvm::json::Object> readRecords(const std::string &path) {
  std::string bytes, error;
  std::vector<llvm::json::Object> records;
  if (!readFileBytes(path, bytes, error))
    return records;
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(bytes).split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    llvm::Expected<llvm::json::Value> value = llvm::json::parse(line);
    if (!value) {
      llvm::consumeError(value.takeError());
      continue;
    }
    if (llvm::json::Object *object = value->getAsObject())
      if (object->getString("key"))
        records.push_back(std::move(*object));
  }
  return records;
}
} // namespace

std::optional<Schedule> TuningDatabase::lookup(const std::string &key) const {
  std::optional<Schedule> found;
  for (const llvm::json::Object &record : readRecords(path)) {
    if (record.getString("key") != key)
      continue;
    Schedule schedule;
    auto number = [&](llvm::StringRef name) {
      return record.getInteger(name).value_or(0);
    };
    schedule.tile = number("tile");
    schedule.vector = number("vector");
    schedule.chunk = number("chunk");
    schedule.unroll = number("unroll");
    schedule.unrolled = record.getBoolean("unrolled");
    schedule.prefetch = record.getInteger("prefetch");
    found = schedule;
  }
  return found;
}

bool TuningDatabase::record(const std::string &key, const Schedule &schedule,
                            const std::string &description,
                            std::string &error) const {
  llvm::json::Object entry{{"key", key},
                           {"layer", description},
                           {"tile", schedule.tile},
                           {"vector", schedule.vector},
                           {"chunk", schedule.chunk},
                           {"unroll", schedule.unroll},
                           {"unrolled", schedule.unrolled.value_or(false)},
                           {"prefetch", schedule.prefetch.value_or(0)}};
  std::string line;
  llvm::raw_string_ostream(line) << llvm::json::Value(std::move(entry)) << "\n";
  if (std::error_code ec = llvm::sys::fs::create_directories(
          llvm::sys::path::parent_path(path))) {
    error = path + ": error: " + ec.message();
    return false;
  }
  // One append of one line: concurrent tuners each add their record whole
  // (O_APPEND), and lookup takes the last record of a key.
  int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, line.data(), line.size()) !=
                    static_cast<ssize_t>(line.size())) {
    error = path + ": error: " + std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

} // namespace pfc

//===- Cli.cpp - What every pfc command does the same way -----------------===//
#include "pfc/Cli/Cli.h"

#include "pfc/Runtime/AtomicFile.h"
#include "pfc/Runtime/Blas.h"
#include "pfc/Runtime/Escape.h"
#include "pfc/Runtime/TensorFile.h"
#include "pfc/Spec/SpecParser.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace pfc {

cl::OptionCategory &pfcCategory() {
  static cl::OptionCategory category("pfc options");
  return category;
}

namespace {
/// Forwards to another stream with the input's bytes escaped; an incomplete
/// UTF-8 sequence at the end of a write waits for the next one.
class EscapingStream : public raw_ostream {
public:
  explicit EscapingStream(raw_ostream &out)
      : raw_ostream(/*unbuffered=*/true), out(out) {}
  ~EscapingStream() override {
    std::string escaped;
    appendEscaped(pending, escaped, /*final=*/true);
    out << escaped;
    out.flush();
  }

private:
  void write_impl(const char *data, size_t size) override {
    pending.append(data, size);
    std::string escaped;
    pending.erase(0, appendEscaped(pending, escaped, /*final=*/false));
    out << escaped;
    out.flush();
    position += size;
  }
  uint64_t current_pos() const override { return position; }

  raw_ostream &out;
  std::string pending;
  uint64_t position = 0;
};
} // namespace

raw_ostream &diagnostics() {
  static EscapingStream stream(errs());
  return stream;
}

std::optional<LoadedLayer> loadLayerSpec(StringRef path, bool cpu) {
  std::optional<Spec> spec = parseSpecFile(path, diagnostics(), SpecKind::Layer,
                                           cpu ? "the CPU target" : "");
  if (!spec)
    return std::nullopt;
  LayerSpec &layer = std::get<LayerSpec>(*spec);
  BlockMask mask = layer.blockMask();
  return LoadedLayer{std::move(layer), std::move(mask)};
}

int reportError(const Twine &message) {
  WithColor::error(diagnostics(), "pfc") << message << "\n";
  return ExitBadInput;
}

void warnIfGeneric(const Blas &blas) {
  if (blas.genericKernel())
    WithColor::warning(errs(), "pfc")
        << blas.name() << " runs a generic " << toString(blas.kernelLevel())
        << " kernel on this " << toString(hostCpu().vectors) << " CPU ("
        << hostCpu().brand << "): dense layers and baselines run slower than "
        << "the machine allows\n";
}

int reportFileError(const std::string &error) {
  diagnostics() << error << "\n";
  return ExitBadInput;
}

int checkFitsInMemory(double bytes, const Twine &what) {
  const uint64_t limit = memoryBytes();
  if (bytes <= static_cast<double>(limit))
    return ExitOk;
  return reportError(what + " need " + formatv("{0:e3}", bytes) +
                     " bytes, more than the " + Twine(limit) +
                     " bytes this process may use");
}

int writeOutput(StringRef path,
                const std::function<void(raw_ostream &)> &write) {
  std::string bytes;
  raw_string_ostream os(bytes);
  write(os);
  std::string error;
  if (!writeFileAtomically(path.str(), bytes, error))
    return reportFileError(error);
  return ExitOk;
}

int makeOutputDirectory(StringRef dir, StringRef what) {
  if (dir == "-")
    return reportFileError("-: error: a directory is needed for " + what.str() +
                           "; '-' (stdout) cannot be one");
  if (std::error_code ec = sys::fs::create_directories(dir))
    return reportFileError(
        dir.str() + ": error: cannot create the directory: " + ec.message());
  // create_directories accepts an existing file of that name.
  if (!sys::fs::is_directory(dir))
    return reportFileError(dir.str() +
                           ": error: not a directory (it is to "
                           "hold " +
                           what.str() + ")");
  return ExitOk;
}

int writeOutputs(
    const std::vector<std::pair<std::string, std::string>> &files) {
  std::string error;
  if (!writeFilesAtomically(files, error))
    return reportFileError(error);
  return ExitOk;
}

} // namespace pfc

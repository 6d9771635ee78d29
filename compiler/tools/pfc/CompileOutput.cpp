//===- CompileOutput.cpp - The files `pfc compile` writes -----------------===//
#include "CompileOutput.h"
#include "Commands.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace llvm;

namespace pfc {

void CompileOutput::add(StringRef key, StringRef suffix, std::string text) {
  std::string name = fileName(suffix);
  fileNames[key.str()] = name;
  files.push_back({std::move(name), std::move(text)});
}

int CompileOutput::write(json::Object manifest, StringRef dir,
                         StringRef title) {
  manifest["files"] = std::move(fileNames);
  std::string manifestText;
  raw_string_ostream(manifestText)
      << formatv("{0:2}", json::Value(std::move(manifest))) << "\n";
  files.push_back({"manifest.json", std::move(manifestText)});

  if (int code = makeOutputDirectory(dir, "the compiled files"))
    return code;
  // All the files or none: a failure leaves the previous compile's set.
  std::vector<std::pair<std::string, std::string>> paths;
  for (const File &file : files) {
    SmallString<256> path(dir);
    sys::path::append(path, file.name);
    paths.emplace_back(std::string(path), file.text);
  }
  if (int code = writeOutputs(paths))
    return code;
  outs() << fmt::format("{}: {} files in {}\n", title.str(), files.size(),
                        dir.str());
  for (const File &file : files)
    outs() << fmt::format("  {:<40} {:>9} bytes\n", file.name,
                          file.text.size());
  return ExitOk;
}

} // namespace pfc

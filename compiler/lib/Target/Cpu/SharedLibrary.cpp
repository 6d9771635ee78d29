//===- SharedLibrary.cpp - An AOT object linked into a shared library -----===//
//
// A `.o` cannot be dlopen'ed, so `pfc compile` also links it with the system
// C compiler driver: the runtime C API (pfc/runtime.h) then loads the layer
// with dlopen alone, no compiler or linker in its process. The driver is the
// one a C program would use (`$CC`, else `cc`), found when pfc runs.
//
//===----------------------------------------------------------------------===//
#include "pfc/Target/CpuTarget.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace pfc {

llvm::Expected<std::string> linkSharedLibrary(llvm::StringRef object) {
  auto error = [](const llvm::Twine &what) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot link a shared library: " + what);
  };
  const char *fromEnvironment = std::getenv("CC");
  std::string name =
      fromEnvironment && *fromEnvironment ? fromEnvironment : "cc";
  llvm::ErrorOr<std::string> driver = llvm::sys::findProgramByName(name);
  if (!driver)
    return error("no C compiler driver '" + name + "' on PATH");

  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("pfc-link", dir))
    return error("a temporary directory: " + ec.message());
  auto path = [&](llvm::StringRef file) {
    llvm::SmallString<128> result(dir);
    llvm::sys::path::append(result, file);
    return std::string(result);
  };
  std::string input = path("layer.o"), output = path("layer.so"),
              log = path("log");
  auto cleanUp = [&] {
    for (const std::string &file : {input, output, log})
      llvm::sys::fs::remove(file);
    llvm::sys::fs::remove(dir);
  };
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(input, ec);
    os << object;
    os.close();
    // A failed write (a full disk) is this function's error, not a crash.
    bool failed = ec || os.has_error();
    os.clear_error();
    if (failed) {
      cleanUp();
      return error("cannot write '" + input + "'");
    }
  }
  llvm::StringRef args[] = {*driver, "-shared", "-o", output, input, "-lm"};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, log, log};
  std::string message;
  int code = llvm::sys::ExecuteAndWait(*driver, args, std::nullopt, redirects,
                                       0, 0, &message);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> library =
      llvm::MemoryBuffer::getFile(code == 0 ? output : log);
  std::string text = library ? (*library)->getBuffer().str() : "";
  cleanUp();
  if (code != 0)
    return error(*driver + " failed" + (message.empty() ? "" : ": " + message) +
                 (text.empty() ? "" : "\n" + text));
  if (!library)
    return error("no output from " + *driver);
  return text;
}

} // namespace pfc

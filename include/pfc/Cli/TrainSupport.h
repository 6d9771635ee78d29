//===- TrainSupport.h - What `pfc train` and `pfc bench --train` share -*- C++
//-*-===//
//
// Reading a net spec, building its net (Pixelfly layers JIT-compiled in
// process, dense layers on OpenBLAS), and drawing the training curves.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_CLI_TRAINSUPPORT_H
#define PFC_CLI_TRAINSUPPORT_H

#include "pfc/Runtime/Blas.h"
#include "pfc/Spec/NetSpec.h"
#include "pfc/Train/Net.h"
#include "pfc/Train/Trainer.h"

#include "llvm/ADT/StringRef.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pfc {

/// Reads the net spec at `path`, reporting a bad file on stderr as
/// `file:line:col: error: …`.
std::optional<NetSpec> loadNetSpec(llvm::StringRef path);

/// Whether the net has a dense layer, which needs a dense library.
bool needsDenseLibrary(const NetSpec &spec);

/// Loads the dense libraries with `threads` threads when `spec` needs one
/// (else returns none); warns on stderr when the preferred one runs a
/// generic kernel, slower than this CPU allows. Its `preferred` is null, and
/// whyMissing() says why, when none can be loaded.
BlasLibraries loadDenseLibrariesFor(const NetSpec &spec, int64_t threads);

/// Builds `spec`'s net with parameters drawn from its train seed: each
/// Pixelfly layer compiled for `threads` threads and batches of the spec's
/// batch size (a schedule `pfc autotune` recorded applies). `compileSeconds`
/// gets the time spent compiling.
std::unique_ptr<Net> buildNet(const NetSpec &spec, const Blas *blas,
                              int64_t threads, std::string &error,
                              double *compileSeconds = nullptr);

/// The training curves as SVG: loss (left) and accuracy (right) against the
/// epoch, train and test.
std::string curvesSvg(const std::string &title,
                      const std::vector<EpochMetrics> &epochs);

} // namespace pfc

#endif // PFC_CLI_TRAINSUPPORT_H

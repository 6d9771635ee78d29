//===- TensorFile.h - f32 tensors in safetensors and .npy files -*- C++ -*-===//
//
// Reading and writing the two file formats pfc exchanges arrays in:
// safetensors for weights and checkpoints, .npy for arrays on the command
// line. Only little-endian float32 is read or written. Malformed files are
// reported, never trusted: every length and offset is checked against the
// bytes actually there. Writers go through writeFileAtomically (AtomicFile.h),
// so a failed write leaves the old file as it was.
// Free of LLVM and MLIR, and of exceptions.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_TENSORFILE_H
#define PFC_RUNTIME_TENSORFILE_H

#include "pfc/Runtime/AtomicFile.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pfc {

/// A dense row-major f32 array. A scalar has shape {} and one element.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  bool operator==(const Tensor &other) const {
    return shape == other.shape && data == other.data;
  }
};

/// Tensors by name; a safetensors file is written in this (sorted) order, as
/// the safetensors library itself writes tensors of one dtype.
using TensorMap = std::map<std::string, Tensor>;
/// A safetensors file's `__metadata__`: string keys to string values.
using TensorMetadata = std::map<std::string, std::string>;

/// The number of elements of `shape` (1 for {}), or -1 when a dimension is
/// negative or the product overflows.
int64_t elementCount(const std::vector<int64_t> &shape);

/// `shape` as "[480, 32, 32]" ("[]" for a scalar).
std::string shapeString(const std::vector<int64_t> &shape);

// Every function below returns false on failure and sets `error` to one line,
// `<source>: error: <what> (expected <what>)`, where <source> is the path (or
// the name a caller gave an in-memory buffer). The encoders have no source:
// their errors are `<what> (expected <what>)` alone.

/// Decodes a safetensors image. Only F32 tensors are accepted; other dtypes
/// are reported by name.
bool decodeSafetensors(std::string_view bytes, const std::string &source,
                       TensorMap &tensors, TensorMetadata &metadata,
                       std::string &error);
/// Encodes `tensors` (F32) and `metadata` as a safetensors image.
bool encodeSafetensors(const TensorMap &tensors, const TensorMetadata &metadata,
                       std::string &bytes, std::string &error);

bool readSafetensors(const std::string &path, TensorMap &tensors,
                     TensorMetadata &metadata, std::string &error);
bool readSafetensors(const std::string &path, TensorMap &tensors,
                     std::string &error);
bool writeSafetensors(const std::string &path, const TensorMap &tensors,
                      const TensorMetadata &metadata, std::string &error);

/// Decodes an .npy image (format 1.0, 2.0 or 3.0) holding a C-order '<f4'
/// array.
bool decodeNpy(std::string_view bytes, const std::string &source,
               Tensor &tensor, std::string &error);
/// Encodes `tensor` as an .npy image, format 1.0 ('<f4', C order); 2.0 only
/// when the header does not fit 1.0's 16-bit length.
bool encodeNpy(const Tensor &tensor, std::string &bytes, std::string &error);

bool readNpy(const std::string &path, Tensor &tensor, std::string &error);
bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error);

/// The bytes this process may hold: physical memory, or less under an
/// address-space or data limit. Sizes from files are checked against it
/// before anything is allocated.
uint64_t memoryBytes();

/// Bounds on a read.
struct ReadLimits {
  /// Refuse a file longer than this (0: memoryBytes(), always a bound).
  uint64_t maxBytes = 0;
  /// Open only a regular file, without following a final symbolic link or
  /// blocking on a FIFO (for files pfc did not ask the user for, such as
  /// kernel cache entries).
  bool regularOnly = false;
  /// From the bytes read so far, the file's total size as its header
  /// declares it, or 0 while that is unknown. Reading stops one byte past
  /// it (so that trailing bytes are still seen), and a declared size over
  /// the bound is refused before it is read.
  std::function<uint64_t(std::string_view prefix)> declaredSize;
};

/// Reads `path` into `bytes`, within `limits`.
bool readFileBytes(const std::string &path, std::string &bytes,
                   std::string &error, const ReadLimits &limits = {});

} // namespace pfc

#endif // PFC_RUNTIME_TENSORFILE_H

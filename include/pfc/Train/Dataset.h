//===- Dataset.h - Labelled data sets for training and evaluation -*- C++
//-*-===//
//
// The examples a layer is trained on: IDX files (the MNIST family's format,
// plain or gzip-compressed) and a seeded synthetic set for tests. Files are
// checked like every other file pfc reads: each size in a header is checked
// against the bytes actually there before anything is allocated for it.
// Free of LLVM and MLIR, and of exceptions.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRAIN_DATASET_H
#define PFC_TRAIN_DATASET_H

#include <cstdint>
#include <string>
#include <vector>

namespace pfc {

/// A labelled classification data set: `count` examples of `features` floats
/// each.
struct Dataset {
  int64_t count = 0, features = 0, classes = 0;
  std::vector<float> inputs;   ///< [count, features], row-major; images scaled
                               ///< to [0, 1]
  std::vector<int32_t> labels; ///< [count], each in [0, classes)
};

// The loaders return false on failure and set `error` to one line,
// `<path>: error: <what> (expected <what>)`, naming the file at fault.

/// Reads an IDX image file (magic 0x00000803: unsigned bytes, [n, rows, cols])
/// and an IDX label file (magic 0x00000801: unsigned bytes, [n]), each plain
/// or gzip-compressed (told apart by the gzip magic bytes, not the file name;
/// concatenated gzip members are one stream, as gzip(1) reads them). An
/// example is an image's rows * cols pixels, row-major, each scaled by 1/255;
/// classes is 1 + the largest label (at least 1). Rejects missing, truncated
/// and corrupt files, wrong magic numbers, element types other than unsigned
/// bytes, bytes after the data, image and label counts that differ, and data
/// of more than 2 GiB (a header's sizes, or a gzip stream that decompresses to
/// more than its header declares).
bool loadIdx(const std::string &imagesPath, const std::string &labelsPath,
             Dataset &data, std::string &error);

/// Where Debian's dataset-fashion-mnist package installs the set:
/// $PFC_FASHION_MNIST_DIR when set and not empty, else
/// /usr/share/datasets/fashion-mnist.
std::string fashionMnistDir();

/// Loads train-images-idx3-ubyte.gz / train-labels-idx1-ubyte.gz into `train`
/// and t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz into `test` from
/// `dir`. Both sets get the larger of their two class counts, so that one
/// classifier fits both.
bool loadFashionMnist(const std::string &dir, Dataset &train, Dataset &test,
                      std::string &error);

/// A small learnable set for tests: `classes` cluster centres with each
/// coordinate drawn from N(0, 1), and `count` examples, each a centre chosen
/// uniformly at random plus N(0, 0.25) noise per coordinate (standard
/// deviation 0.5). With 8 or more features a nearest-centroid classifier is
/// nearly always right. The draws use splitmix64 and a sum of 12 uniforms for
/// each normal value, in exact integer arithmetic, so that one seed gives the
/// same bytes on every platform. Needs count >= 0, features >= 1 and
/// classes >= 1; otherwise the set is empty (all fields zero).
Dataset syntheticDataset(int64_t count, int64_t features, int64_t classes,
                         uint64_t seed);

} // namespace pfc

#endif // PFC_TRAIN_DATASET_H

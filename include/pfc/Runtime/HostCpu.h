//===- HostCpu.h - What the CPU running pfc can execute ---------*- C++ -*-===//
//
// The vector instruction sets of the machine pfc runs on, read with cpuid and
// checked against the registers the operating system saves (xgetbv): what
// the dense libraries' kernels are chosen from and judged by. Free of LLVM
// and MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_RUNTIME_HOSTCPU_H
#define PFC_RUNTIME_HOSTCPU_H

#include <string>

namespace pfc {

/// Vector instruction sets, each containing the ones before it.
enum class VectorLevel { Sse, Avx2, Avx512 };

/// "SSE", "AVX2" or "AVX-512".
const char *toString(VectorLevel level);

struct HostCpu {
  std::string vendor; ///< cpuid's vendor string, e.g. "GenuineIntel"
  std::string brand;  ///< the processor's name, e.g. "AMD EPYC 9R14"
  /// AVX2 with FMA; AVX-512 F, DQ, BW and VL (Skylake-X and later).
  VectorLevel vectors = VectorLevel::Sse;
  bool avx512Bf16 = false; ///< vdpbf16ps (Cooper Lake, Zen 4)
};

/// The machine's CPU, read once.
const HostCpu &hostCpu();

} // namespace pfc

#endif // PFC_RUNTIME_HOSTCPU_H

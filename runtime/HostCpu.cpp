//===- HostCpu.cpp - What the CPU running pfc can execute -----------------===//
#include "pfc/Runtime/HostCpu.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace pfc {

const char *toString(VectorLevel level) {
  switch (level) {
  case VectorLevel::Sse:
    return "SSE";
  case VectorLevel::Avx2:
    return "AVX2";
  case VectorLevel::Avx512:
    return "AVX-512";
  }
  return "unknown";
}

namespace {

#if defined(__x86_64__) || defined(__i386__)
constexpr bool bit(unsigned value, int index) { return (value >> index) & 1u; }

/// The register state the operating system saves on a context switch.
uint64_t savedState() {
  unsigned low = 0, high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (uint64_t{high} << 32) | low;
}

HostCpu readHostCpu() {
  HostCpu cpu;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
    return cpu;
  const unsigned maxLeaf = eax;
  char vendor[13] = {};
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  cpu.vendor = vendor;

  unsigned maxExtended = __get_cpuid_max(0x80000000u, nullptr);
  if (maxExtended >= 0x80000004u) {
    char brand[49] = {};
    for (unsigned leaf = 0; leaf < 3; ++leaf) {
      __get_cpuid(0x80000002u + leaf, &eax, &ebx, &ecx, &edx);
      const unsigned words[4] = {eax, ebx, ecx, edx};
      std::memcpy(brand + 16 * leaf, words, 16);
    }
    cpu.brand = brand;
    const size_t first = cpu.brand.find_first_not_of(' ');
    cpu.brand = first == std::string::npos ? "" : cpu.brand.substr(first);
    while (!cpu.brand.empty() && cpu.brand.back() == ' ')
      cpu.brand.pop_back();
  }

  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const bool osSaves = bit(ecx, 27); // OSXSAVE: xgetbv is usable
  const bool fma = bit(ecx, 12), avx = bit(ecx, 28);
  if (!osSaves || !avx || maxLeaf < 7)
    return cpu;
  const uint64_t state = savedState();
  const bool ymm = (state & 0x6) == 0x6;           // SSE and AVX state
  const bool zmm = (state & 0xe6) == 0xe6;         // plus opmask and ZMM state

  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const unsigned leaf7b = ebx;
  const bool avx2 = bit(leaf7b, 5);
  const bool avx512 = bit(leaf7b, 16) && bit(leaf7b, 17) && bit(leaf7b, 30) &&
                      bit(leaf7b, 31); // F, DQ, BW, VL
  if (ymm && avx2 && fma)
    cpu.vectors = VectorLevel::Avx2;
  if (zmm && cpu.vectors == VectorLevel::Avx2 && avx512)
    cpu.vectors = VectorLevel::Avx512;
  __cpuid_count(7, 1, eax, ebx, ecx, edx);
  cpu.avx512Bf16 = cpu.vectors == VectorLevel::Avx512 && bit(eax, 5);
  return cpu;
}
#else
HostCpu readHostCpu() { return HostCpu(); }
#endif

} // namespace

const HostCpu &hostCpu() {
  static const HostCpu cpu = readHostCpu();
  return cpu;
}

} // namespace pfc

// ---- pfc device library (compiler/lib/Target/Cuda/CudaPrelude.cuh) ---------
struct pfc_bf16 {
  unsigned short bits;
};
struct pfc_f16 {
  unsigned short bits;
};

namespace pfc {

__device__ __forceinline__ float toFloat(float v) { return v; }
__device__ __forceinline__ float toFloat(pfc_bf16 v) {
  return __uint_as_float((unsigned)v.bits << 16);
}
__device__ __forceinline__ float toFloat(pfc_f16 v) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v.bits));
  return f;
}
template <typename T> __device__ __forceinline__ T fromFloat(float v);
template <> __device__ __forceinline__ float fromFloat<float>(float v) {
  return v;
}
template <> __device__ __forceinline__ pfc_bf16 fromFloat<pfc_bf16>(float v) {
  pfc_bf16 r;
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r.bits) : "f"(v));
  return r;
}
template <> __device__ __forceinline__ pfc_f16 fromFloat<pfc_f16>(float v) {
  pfc_f16 r;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r.bits) : "f"(v));
  return r;
}
__device__ __forceinline__ unsigned short bitsOf(pfc_bf16 v) { return v.bits; }
__device__ __forceinline__ unsigned short bitsOf(pfc_f16 v) { return v.bits; }
/// Two 16-bit elements in one register, the lower index in the low half.
template <typename T> __device__ __forceinline__ unsigned pack2(T lo, T hi) {
  return (unsigned)bitsOf(lo) | ((unsigned)bitsOf(hi) << 16);
}
__device__ __forceinline__ unsigned toTf32(float v) {
  unsigned r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(v));
  return r;
}
__device__ __forceinline__ long long minLL(long long a, long long b) {
  return a < b ? a : b;
}

// One m16n8k16 (bf16, f16) or m16n8k8 (tf32) tensor-core product with f32
// accumulators: four accumulators d in place, four A registers, two B.
#define PFC_MMA_F32(instruction)                                               \
  asm volatile(instruction " {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "          \
                           "{%0,%1,%2,%3};"                                    \
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                \
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),        \
                 "r"(b[1]))
__device__ __forceinline__ void mma16816(float *d, const unsigned *a,
                                         const unsigned *b, pfc_bf16) {
  PFC_MMA_F32("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32");
}
__device__ __forceinline__ void mma16816(float *d, const unsigned *a,
                                         const unsigned *b, pfc_f16) {
  PFC_MMA_F32("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32");
}
__device__ __forceinline__ void mma1688Tf32(float *d, const unsigned *a,
                                            const unsigned *b) {
  PFC_MMA_F32("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32");
}
#undef PFC_MMA_F32

__device__ __forceinline__ unsigned sharedAddress(const void *p) {
  unsigned a;
  asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }"
      : "=r"(a)
      : "l"(p));
  return a;
}
__device__ __forceinline__ void copyAsync16(void *shared, const void *global) {
  asm volatile(
      "cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sharedAddress(shared)),
      "l"(global));
}
__device__ __forceinline__ void commitAsync() {
  asm volatile("cp.async.commit_group;");
}
template <int Pending> __device__ __forceinline__ void waitAsync() {
  asm volatile("cp.async.wait_group %0;" ::"n"(Pending));
}

/// Where one k-tile of an operand lies: `rows × cols` valid elements from
/// `ptr` (row stride `ld`, columns contiguous); the rest reads as zero. With
/// `scale`, row i is multiplied by scale[i] as it is loaded.
template <typename T> struct Src {
  const T *ptr;
  long long ld;
  long long rows, cols;
  const float *scale;
};

enum Math { Fma = 0, Tf32 = 1, Mma16 = 2 };

/// A CTA computing a BM × BN tile of C = A·B with WM × WN warps, k-tiles of
/// 16 in STAGES shared buffers. `ATRANS`: A's k-tiles are stored k-major
/// ([16][BM], a sum over tokens) instead of m-major ([BM][16]).
template <typename T, int BM, int BN, int WM, int WN, int STAGES, int MATH,
          bool ATRANS>
struct Tile {
  static constexpr int BK = 16;
  static constexpr int THREADS = WM * WN * 32;
  static constexpr int PAD = 16 / sizeof(T); // keeps rows 16-byte aligned
  static constexpr int WTM = BM / WM, WTN = BN / WN;
  static constexpr int MI = WTM / 16, NI = WTN / 8;
  static constexpr int A_LD = ATRANS ? BM + PAD : BK + PAD;
  static constexpr int A_SIZE = ATRANS ? BK * A_LD : BM * A_LD;
  static constexpr int B_LD = BN + PAD;
  static_assert(WTM % 16 == 0 && WTN % 8 == 0, "warp tile of m16n8 pieces");
  static_assert(STAGES == 1 || STAGES == 2, "one or two stages");

  struct Smem {
    alignas(16) T a[STAGES][A_SIZE];
    alignas(16) T b[STAGES][BK * B_LD];
  };

  float acc[MI][NI][4];

  __device__ void zero() {
    forEach([](int, int, float &v) { v = 0.f; });
  }

  /// Copies an R × C tile (C contiguous) into `dst` (row stride LD).
  template <int R, int C, int LD>
  static __device__ void load(T *dst, const Src<T> &src) {
    constexpr int E = 16 / sizeof(T);
    static_assert(C % E == 0, "whole 16-byte chunks");
    for (int chunk = threadIdx.x; chunk < R * C / E; chunk += THREADS) {
      const int r = chunk / (C / E), c = chunk % (C / E) * E;
      const T *g = src.ptr + r * src.ld + c;
      T *s = dst + r * LD + c;
      const bool whole = r < src.rows && c + E <= src.cols;
      if (whole && !src.scale &&
          ((unsigned long long)(const void *)g & 15) == 0) {
        copyAsync16(s, g);
        continue;
      }
      const float scale = r < src.rows && src.scale ? src.scale[r] : 1.f;
#pragma unroll
      for (int e = 0; e < E; ++e)
        s[e] = r < src.rows && c + e < src.cols
                   ? (src.scale ? fromFloat<T>(toFloat(g[e]) * scale) : g[e])
                   : fromFloat<T>(0.f);
    }
  }

  static __device__ void loadStage(Smem &smem, int stage, const Src<T> &a,
                                   const Src<T> &b) {
    if (ATRANS)
      load<BK, BM, A_LD>(smem.a[stage], a);
    else
      load<BM, BK, A_LD>(smem.a[stage], a);
    load<BK, BN, B_LD>(smem.b[stage], b);
  }

  static __device__ T aAt(const T *a, int m, int k) {
    return ATRANS ? a[k * A_LD + m] : a[m * A_LD + k];
  }

  /// acc += the A and B k-tiles of one stage.
  __device__ void compute(const Smem &smem, int stage) {
    const T *a = smem.a[stage], *b = smem.b[stage];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int g = lane / 4, c = lane % 4;
    const int m0 = warp / WN * WTM, n0 = warp % WN * WTN;
#pragma unroll
    for (int i = 0; i < MI; ++i) {
      const int r = m0 + i * 16 + g;
#pragma unroll
      for (int j = 0; j < NI; ++j) {
        const int n = n0 + j * 8 + g;
        if constexpr (MATH == Mma16) {
          unsigned af[4] = {
              pack2(aAt(a, r, 2 * c), aAt(a, r, 2 * c + 1)),
              pack2(aAt(a, r + 8, 2 * c), aAt(a, r + 8, 2 * c + 1)),
              pack2(aAt(a, r, 2 * c + 8), aAt(a, r, 2 * c + 9)),
              pack2(aAt(a, r + 8, 2 * c + 8), aAt(a, r + 8, 2 * c + 9))};
          unsigned bf[2] = {
              pack2(b[2 * c * B_LD + n], b[(2 * c + 1) * B_LD + n]),
              pack2(b[(2 * c + 8) * B_LD + n], b[(2 * c + 9) * B_LD + n])};
          mma16816(acc[i][j], af, bf, T());
        } else if constexpr (MATH == Tf32) {
#pragma unroll
          for (int kk = 0; kk < BK; kk += 8) {
            unsigned af[4] = {toTf32(toFloat(aAt(a, r, kk + c))),
                              toTf32(toFloat(aAt(a, r + 8, kk + c))),
                              toTf32(toFloat(aAt(a, r, kk + c + 4))),
                              toTf32(toFloat(aAt(a, r + 8, kk + c + 4)))};
            unsigned bf[2] = {toTf32(toFloat(b[(kk + c) * B_LD + n])),
                              toTf32(toFloat(b[(kk + c + 4) * B_LD + n]))};
            mma1688Tf32(acc[i][j], af, bf);
          }
        } else {
          // The accumulator layout of mma.sync, computed with FMAs.
          const int col = n0 + j * 8 + 2 * c;
#pragma unroll
          for (int k = 0; k < BK; ++k) {
            const float a0 = toFloat(aAt(a, r, k)),
                        a1 = toFloat(aAt(a, r + 8, k));
            const float b0 = toFloat(b[k * B_LD + col]);
            const float b1 = toFloat(b[k * B_LD + col + 1]);
            acc[i][j][0] += a0 * b0;
            acc[i][j][1] += a0 * b1;
            acc[i][j][2] += a1 * b0;
            acc[i][j][3] += a1 * b1;
          }
        }
      }
    }
  }

  /// acc += Σ over `count` k-tiles; steps(i, a, b) says where tile i lies.
  /// With two stages the next tile streams in while this one is used.
  template <typename Steps>
  __device__ void accumulate(Smem &smem, int count, Steps steps) {
    if (count <= 0)
      return;
    Src<T> a, b;
    steps(0, a, b);
    loadStage(smem, 0, a, b);
    commitAsync();
    for (int i = 0; i < count; ++i) {
      if (STAGES > 1 && i + 1 < count) {
        steps(i + 1, a, b);
        loadStage(smem, (i + 1) % STAGES, a, b);
        commitAsync();
        waitAsync<1>();
      } else {
        waitAsync<0>();
      }
      __syncthreads();
      compute(smem, i % STAGES);
      __syncthreads();
      if (STAGES == 1 && i + 1 < count) {
        steps(i + 1, a, b);
        loadStage(smem, 0, a, b);
        commitAsync();
      }
    }
  }

  /// The tile row and column of this thread's first accumulator.
  static __device__ int originRow() {
    return threadIdx.x / 32 / WN * WTM + threadIdx.x % 32 / 4;
  }
  static __device__ int originCol() {
    return threadIdx.x / 32 % WN * WTN + threadIdx.x % 32 % 4 * 2;
  }

  /// Calls f(m, n, value&) for every accumulator at tile row m, column n.
  template <typename F> __device__ void forEach(F f) {
    const int m0 = originRow(), n0 = originCol();
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
      for (int j = 0; j < NI; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e)
          f(m0 + i * 16 + (e / 2) * 8, n0 + j * 8 + e % 2, acc[i][j][e]);
  }

  /// dots[m] += Σ_n acc(m, n)·other(m, n) for the rows m < rows.
  template <typename F>
  __device__ void rowDots(F other, float *dots, long long rows) {
    const int lane = threadIdx.x % 32;
    const int m0 = originRow(), n0 = originCol();
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const int m = m0 + i * 16 + half * 8;
        float sum = 0.f;
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
          for (int e = 0; e < 2; ++e)
            sum += acc[i][j][half * 2 + e] * other(m, n0 + j * 8 + e);
        // The four lanes of a quad hold the same row.
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        sum += __shfl_xor_sync(0xffffffffu, sum, 2);
        if (lane % 4 == 0 && m < rows)
          atomicAdd(dots + m, sum);
      }
  }

  /// out[m, n] = acc(m, n) for m < rows, n < cols (row stride ld).
  template <typename U>
  __device__ void store(U *out, long long ld, long long rows, long long cols) {
    forEach([&](int m, int n, float &v) {
      if (m < rows && n < cols)
        out[m * ld + n] = fromFloat<U>(v);
    });
  }
};

/// γ for token t: one for all (count 1) or one per token.
__device__ __forceinline__ float gammaAt(const float *gamma, bool perToken,
                                         long long t) {
  return gamma[perToken ? t : 0];
}

// ---- element-wise kernels: one thread per element or per column, one warp
// per token for the reductions along a row.

/// packed[n][k][o] = blocks[n][o][k]; packedU[j][i] = u[i][j], zero past OUT.
template <int NNZ, int B, int OUT, int RANK, int PADDED_OUT, typename T>
__device__ void pack(const T *blocks, const T *u, T *packed, T *packedU) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long blockElems = (long long)NNZ * B * B;
  if (i < blockElems) {
    const long long n = i / (B * B), o = i / B % B, k = i % B;
    packed[(n * B + k) * B + o] = blocks[i];
  } else if (i - blockElems < (long long)RANK * PADDED_OUT) {
    const long long at = i - blockElems, j = at / PADDED_OUT,
                    o = at % PADDED_OUT;
    packedU[at] = o < OUT ? u[o * RANK + j] : fromFloat<T>(0.f);
  }
}

/// A warp's sum of lhs[t, :IN]·rhs[:IN] (rhs per token when RHS_ROWS).
template <int IN, bool RHS_ROWS, typename L, typename R>
__device__ float warpDot(const L *lhs, const R *rhs, long long t) {
  const int lane = threadIdx.x % 32;
  float sum = 0.f;
  for (int k = lane; k < IN; k += 32)
    sum += toFloat(lhs[t * IN + k]) * toFloat(rhs[RHS_ROWS ? t * IN + k : k]);
#pragma unroll
  for (int s = 16; s > 0; s /= 2)
    sum += __shfl_xor_sync(0xffffffffu, sum, s);
  return sum;
}

/// γ_t = 1 − sigmoid(x_t·g + c) = 1 / (1 + exp(x_t·g + c)).
template <int IN, typename T>
__device__ void gate(long long tokens, const T *x, const float *params,
                     float *gamma) {
  const long long t = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / 32;
  if (t >= tokens)
    return;
  const float z = warpDot<IN, false>(x, params, t) + params[IN];
  if (threadIdx.x % 32 == 0)
    gamma[t] = 1.f / (1.f + expf(z));
}

/// out[t] = Σ_j lhs[t, j]·rhs[t, j].
template <int COLS, typename T>
__device__ void rowDot(long long tokens, const T *lhs, const T *rhs,
                       float *out) {
  const long long t = ((long long)blockIdx.x * blockDim.x + threadIdx.x) / 32;
  if (t >= tokens)
    return;
  const float dot = warpDot<COLS, true>(lhs, rhs, t);
  if (threadIdx.x % 32 == 0)
    out[t] = dot;
}

/// matrix[t, :] *= 1 − γ_t.
template <int COLS, typename T, typename G>
__device__ void scaleRows(long long tokens, T *matrix, G gamma) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= tokens * COLS)
    return;
  matrix[i] = fromFloat<T>(toFloat(matrix[i]) * (1.f - gamma(i / COLS)));
}

/// out[j][i] = in[i][j] for i < ROWS, zero for ROWS <= i < OUT_COLS.
template <int ROWS, int COLS, int OUT_COLS, typename T>
__device__ void transposePadded(const T *in, T *out) {
  const long long at = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (long long)COLS * OUT_COLS)
    return;
  const long long j = at / OUT_COLS, i = at % OUT_COLS;
  out[at] = i < ROWS ? in[i * COLS + j] : fromFloat<T>(0.f);
}

/// out[j] = Σ_t in[t, j].
template <int COLS, typename T>
__device__ void sumTokens(long long tokens, const T *in, float *out) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= COLS)
    return;
  float sum = 0.f;
  for (long long t = 0; t < tokens; ++t)
    sum += toFloat(in[t * COLS + j]);
  out[j] = sum;
}

/// dγ_t = sparseDots[t] − lowRankDots[t] (no low-rank term: null).
__device__ __forceinline__ float
gammaGradAt(const float *sparseDots, const float *lowRankDots, long long t) {
  return sparseDots[t] - (lowRankDots ? lowRankDots[t] : 0.f);
}

/// Scalar γ: out[0] = Σ sparseDots − Σ lowRankDots, each over its own
/// count (the sparse dots may come summed already), one CTA.
__device__ void gammaGradScalar(long long sparseCount, long long tokens,
                                const float *sparseDots,
                                const float *lowRankDots, float *out) {
  __shared__ float partial[32];
  float sum = 0.f;
  for (long long t = threadIdx.x; t < sparseCount; t += blockDim.x)
    sum += sparseDots[t];
  for (long long t = threadIdx.x; lowRankDots && t < tokens; t += blockDim.x)
    sum -= lowRankDots[t];
#pragma unroll
  for (int s = 16; s > 0; s /= 2)
    sum += __shfl_xor_sync(0xffffffffu, sum, s);
  if (threadIdx.x % 32 == 0)
    partial[threadIdx.x / 32] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    float total = 0.f;
    for (int w = 0; w < (int)blockDim.x / 32; ++w)
      total += partial[w];
    out[0] = total;
  }
}

/// The gate (γ = 1 − sigmoid(x·g + c)): with dz_t = −dγ_t·γ_t·(1 − γ_t),
/// out[i] = Σ_t dz_t·x[t, i], out[IN] = Σ_t dz_t and dx[t, i] += dz_t·g[i];
/// one thread per column i ≤ IN.
template <int IN, typename T>
__device__ void gammaGradGate(long long tokens, const float *sparseDots,
                              const float *lowRankDots, const float *gamma,
                              const T *x, const float *params, T *dx,
                              float *out) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i > IN)
    return;
  float sum = 0.f;
  for (long long t = 0; t < tokens; ++t) {
    const float g = gamma[t];
    const float dz = -gammaGradAt(sparseDots, lowRankDots, t) * g * (1.f - g);
    if (i == IN) {
      sum += dz;
      continue;
    }
    sum += dz * toFloat(x[t * IN + i]);
    dx[t * IN + i] = fromFloat<T>(toFloat(dx[t * IN + i]) + dz * params[i]);
  }
  out[i] = sum;
}

} // namespace pfc
// ---- end of the pfc device library ----------------------------------------

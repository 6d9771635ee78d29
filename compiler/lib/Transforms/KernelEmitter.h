//===- KernelEmitter.h - Helpers for emitting loop kernels ------*- C++ -*-===//
#ifndef PFC_TRANSFORMS_KERNELEMITTER_H
#define PFC_TRANSFORMS_KERNELEMITTER_H

#include "pfc/Dialect/PfcOps.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <functional>

namespace pfc {

/// Body of a loop, emitted at the builder's insertion point: gets the
/// induction variable and the carried values, returns the values carried to
/// the next iteration.
using LoopBody = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::Value, mlir::ValueRange)>;

/// The unroll factor a kernel puts on a loop for unrollMarkedLoops.
inline constexpr llvm::StringLiteral kUnrollAttr = "pfc.unroll";

/// Marks a `math.exp` that pfc-lower-kernels replaces by MLIR's polynomial
/// approximation (the attention kernels', where exp is in the inner loop).
inline constexpr llvm::StringLiteral kApproximateAttr = "pfc.approximate";

/// A run of token tiles: [begin, end) in tiles of `rows` tokens.
struct TileRun {
  int64_t rows;
  mlir::Value begin, end;
};

/// An op-emitting helper over one ImplicitLocOpBuilder.
class KernelEmitter {
public:
  explicit KernelEmitter(mlir::ImplicitLocOpBuilder &b) : b(b) {}

  mlir::Value index(int64_t value);
  mlir::Value f32(double value);
  /// memref.dim of dimension `dim`.
  mlir::Value dim(mlir::Value memref, int64_t dim);
  mlir::Value add(mlir::Value lhs, mlir::Value rhs);
  mlir::Value mul(mlir::Value lhs, mlir::Value rhs);
  mlir::Value min(mlir::Value lhs, mlir::Value rhs);

  /// `for (iv = lb; iv < ub; iv += step)` carrying `inits`.
  mlir::scf::ForOp loop(mlir::Value lb, mlir::Value ub, int64_t step,
                        mlir::ValueRange inits, LoopBody body);
  /// The same without carried values.
  void loop(mlir::Value lb, mlir::Value ub, int64_t step,
            llvm::function_ref<void(mlir::Value)> body);

  /// Splits [begin, end) into runs of tiles of `tile`, tile/2, tile/4, ...,
  /// 1 tokens, largest first, so that few tokens go through small tiles.
  llvm::SmallVector<TileRun> tileRuns(mlir::Value begin, mlir::Value end,
                                      int64_t tile);

  /// Loads element `token` of a per-token memref, or its only element.
  mlir::Value loadPerToken(mlir::Value memref, mlir::Value token);

  /// A private constant table in the enclosing module, read in place.
  mlir::Value constantTable(llvm::ArrayRef<int64_t> values,
                            llvm::StringRef name);

  mlir::ImplicitLocOpBuilder &builder() { return b; }

private:
  mlir::ImplicitLocOpBuilder &b;
};

// The lowerings of the kernel-level ops: each emits its kernel with
// `builder` (a conversion's rewriter) at its insertion point, before the op,
// which the caller then erases. The caller (LowerKernels.cpp) has checked
// that the data are f32 and the pattern an explicit block list.

/// Vectors of columns per register tile at most in the kernels that tile a
/// long row (dB, dU, dV, the low-rank projection).
constexpr int64_t kPanelVectors = 4;

/// Vectors of a block-row's `vectors` columns that one register tile covers
/// in the block-sparse kernels: all of them with AVX-512's 32 registers; with
/// 16 (AVX2), panels of 2, each swept over the block-row's blocks in turn, so
/// that a tile still has 6 token rows and 12 accumulators (a tile of all
/// of a b = 32 or 64 row fits 2 rows, or 1, too few FMAs in flight).
int64_t blockRowPanelVectors(const CpuTargetInfo &target, int64_t vectors);

/// Token rows of a register tile `vectors` vectors wide with up to
/// `accumulators` accumulators, and no more than `target`'s vector registers
/// hold beside one row of the other operand and a broadcast input (a tile
/// that does not fit spills its accumulators in the hot loop); between 1
/// and `maxRows`.
int64_t registerTileRows(const CpuTargetInfo &target, int64_t vectors,
                         int64_t accumulators, int64_t maxRows);

/// The register-tiled kernel of a `pfc.bsmm`, under its schedule or the
/// default one for `target`.
mlir::LogicalResult lowerBlockSparseMatmul(BlockSparseMatmulOp op,
                                           const CpuTargetInfo &target,
                                           mlir::OpBuilder &builder);

/// The same for a `pfc.bsmm_t`, run over the transposed pattern.
mlir::LogicalResult
lowerBlockSparseMatmulTranspose(BlockSparseMatmulTransposeOp op,
                                const CpuTargetInfo &target,
                                mlir::OpBuilder &builder);

/// The register-tiled dB of a `pfc.sddmm`.
mlir::LogicalResult lowerSampledMatmul(SampledMatmulOp op,
                                       const CpuTargetInfo &target,
                                       mlir::OpBuilder &builder);

/// The register-tiled sum of outer products.
void lowerOuterSum(OuterSumOp op, const CpuTargetInfo &target,
                   mlir::OpBuilder &builder);

/// The register-tiled projection t = (1−γ)⊙(x·V).
void lowerProject(ProjectOp op, const CpuTargetInfo &target,
                  mlir::OpBuilder &builder);

/// Performer's random features of each token (RandomFeaturesKernel.cpp).
void lowerRandomFeatures(RandomFeaturesOp op, const CpuTargetInfo &target,
                         mlir::OpBuilder &builder);

/// The attention kernel of a `pfc.block_attention`; fails on a support it
/// cannot run (a causal one without its diagonal blocks).
mlir::LogicalResult lowerBlockAttention(BlockAttentionOp op,
                                        const CpuTargetInfo &target,
                                        mlir::OpBuilder &builder);

/// The gradient through the random features (RandomFeaturesKernel.cpp).
void lowerRandomFeaturesGrad(RandomFeaturesGradOp op,
                             const CpuTargetInfo &target,
                             mlir::OpBuilder &builder);

/// The backward of the attention kernel (AttentionGradKernel.cpp).
mlir::LogicalResult lowerBlockAttentionGrad(BlockAttentionGradOp op,
                                            const CpuTargetInfo &target,
                                            mlir::OpBuilder &builder);

/// The per-token gate as vector dot products.
void lowerGate(GateOp op, int64_t vectorWidth, mlir::OpBuilder &builder);

} // namespace pfc

#endif // PFC_TRANSFORMS_KERNELEMITTER_H

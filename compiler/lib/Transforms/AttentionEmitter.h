//===- AttentionEmitter.h - What attention's kernels share ------*- C++ -*-===//
//
// Private to the Transforms library: the vector arithmetic, the support's
// constant tables, the register-tiled products and the random features'
// running state that the forward (AttentionKernel.cpp) and the backward
// (AttentionGradKernel.cpp) of `pfc.block_attention` both emit.
// docs/ATTENTION.md derives what they compute.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRANSFORMS_ATTENTIONEMITTER_H
#define PFC_TRANSFORMS_ATTENTIONEMITTER_H

#include "KernelEmitter.h"
#include "pfc/Pattern/Butterfly.h"

#include "mlir/IR/BuiltinTypes.h"

namespace pfc {

/// The largest power of two that divides `n`, at most `cap`: the width of
/// the vectors that tile a row of n floats exactly.
int64_t vectorWidthFor(int64_t n, int64_t cap);

/// A floor under every row's scale M: ε·e^(−M) then stays below e^60.
double attentionScaleFloor();

/// Vector and scalar arithmetic on one builder.
class VectorMath {
public:
  explicit VectorMath(mlir::ImplicitLocOpBuilder &b) : b(b), e(b) {}

  mlir::VectorType vec(int64_t width);
  mlir::Value load(mlir::VectorType type, mlir::Value memref,
                   mlir::ValueRange at);
  void store(mlir::Value value, mlir::Value memref, mlir::ValueRange at);
  mlir::Value loadScalar(mlir::Value memref, mlir::ValueRange at);
  void storeScalar(mlir::Value value, mlir::Value memref, mlir::ValueRange at);
  mlir::Value splat(mlir::VectorType type, mlir::Value scalar);
  mlir::Value fma(mlir::Value x, mlir::Value y, mlir::Value acc);
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value max(mlir::Value x, mlir::Value y);
  mlir::Value exp(mlir::Value x);
  /// The sum of a vector's lanes.
  mlir::Value sum(mlir::Value v);
  /// The largest of a vector's lanes.
  mlir::Value maxOf(mlir::Value v);
  mlir::Value zeros(mlir::VectorType type);
  /// Lanes `first + lane < limit` (index values) of a `width` vector.
  mlir::Value lanesBelow(int64_t width, mlir::Value first, mlir::Value limit);
  mlir::Value select(mlir::Value mask, mlir::Value x, mlir::Value y);

  mlir::ImplicitLocOpBuilder &b;
  KernelEmitter e;
};

/// The operands of the attention kernel that both directions read.
struct AttentionOperands {
  mlir::Value query, keyT, value;
  /// The random features' (all null without them).
  mlir::Value queryFeatures, queryLogScale, keyFeaturesT, keyLogScale;
};

/// One head's attention kernel, either direction: the support, the sizes,
/// and the pieces both walks are made of.
class AttentionEmitter {
protected:
  /// For `op`, a pfc.block_attention or its gradient.
  template <typename OpT>
  AttentionEmitter(OpT op, const BlockMask &support,
                   const CpuTargetInfo &target, mlir::ImplicitLocOpBuilder &b)
      : AttentionEmitter(
            {op.getQuery(), op.getKeyT(), op.getValue(), op.getQueryFeatures(),
             op.getQueryLogScale(), op.getKeyFeaturesT(), op.getKeyLogScale()},
            support, op.getCausal(), static_cast<int64_t>(op.getBlock()),
            op.getScale().convertToDouble(), target, b) {}
  AttentionEmitter(const AttentionOperands &operands, const BlockMask &support,
                   bool causal, int64_t block, double tau,
                   const CpuTargetInfo &target, mlir::ImplicitLocOpBuilder &b);

  /// The support as constant tables (causal: blocks at or left of the
  /// diagonal), the call's tokens and its live blocks.
  void emitTables();
  /// Whether block-row `row`'s support lacks its diagonal block (causal); a
  /// constant where every row is alike.
  mlir::Value lacksDiagonal(mlir::Value row);
  /// Whether some causal block-row's support lacks its diagonal block.
  bool anyLacksDiagonal() const { return !diagonalRows.empty(); }

  /// buffer[ρ, j] = Σ_k lhs[first + ρ, k]·rhsT[k, col0 + j] for `rows` rows
  /// and a block's columns, k in [0, depth): register panels over the
  /// columns.
  void productIntoBuffer(mlir::Value lhs, mlir::Value first, mlir::Value rhsT,
                         int64_t depth, int64_t rows, mlir::Value col0,
                         mlir::Value buffer);
  /// acc[accRow0 + ρ, :width] = acc[accRow0 + ρ, :]·rescale[ρ] + Σ_j
  /// weights[weightRow0 + ρ, weightCol0 + j]·rhs[rhsRow0 + j, :] for j in
  /// [0, count) (no rescale: acc is overwritten): register panels over the
  /// columns. Null offsets are 0.
  void accumulateRows(mlir::Value acc, int64_t rows,
                      llvm::ArrayRef<mlir::Value> rescale, mlir::Value weights,
                      mlir::Value rhs, mlir::Value rhsRow0, mlir::Value count,
                      int64_t width, mlir::Value accRow0 = {},
                      mlir::Value weightRow0 = {}, mlir::Value weightCol0 = {});
  /// target[row0 + j, :width] += Σ_ρ weights[ρ, j]·lhs[first + ρ, :] for j
  /// in [0, count): the transposed product, into rows of `target`.
  void accumulateColumns(mlir::Value target, mlir::Value row0,
                         mlir::Value count, int64_t rows, mlir::Value weights,
                         mlir::Value lhs, mlir::Value first, int64_t width);

  /// λ = c_q − log m of query `token`: φ(q)·φ(k) = e^(λ + c_J)·Φ_q·Φ_k.
  mlir::Value lambda(mlir::Value token);
  /// A row's starting scale: λ + C where the random features reach beyond
  /// the support, never below the floor.
  mlir::Value rowScale(mlir::Value token, mlir::Value stateScale);
  /// Keys in block `col0 / block` that row `token` may see: below the
  /// tokens, and causal at most the token.
  mlir::Value keyLimit(mlir::Value token);

  /// Allocates the random features' state, zeroed: Σ Φ_k·vᵀ [m, d] and
  /// Σ Φ_k [m], after each key block's own share G_J = Φ_K,J·V_J and g_J =
  /// Σ Φ_K,J (relative to the block's scale c_J) for the blocks before
  /// `blocks`. Non-causal, every key is folded in; returns its scale C.
  mlir::Value beginState(mlir::Value blocks);
  /// Causal: folds the block-row before `row` into the state (rescaled to
  /// the larger scale); returns the new scale.
  mlir::Value growState(mlir::Value row, mlir::Value scale);
  /// target = target·rescale + e^(c_J − scale)·G_J for J = `col`, with
  /// `sign` (±1) on the second term, and the same for the sums; a null
  /// `rescale` is 1.
  void addBlockState(mlir::Value target, mlir::Value targetSums,
                     mlir::Value col, mlir::Value scale, mlir::Value rescale,
                     double sign = 1.0);
  /// target = target·rescale + factor·source[sourceRow0 + f, :] over the m
  /// rows f of an [m, d] state, and the same for the sums; a null `rescale`
  /// is 1.
  void accumulateState(mlir::Value target, mlir::Value targetSums,
                       mlir::Value source, mlir::Value sourceSums,
                       mlir::Value sourceRow0, mlir::Value factor,
                       mlir::Value rescale);
  /// to = from, for [m, d] states and their sums.
  void copyState(mlir::Value from, mlir::Value fromSums, mlir::Value to,
                 mlir::Value toSums);
  /// The state less the support's blocks that it holds, for block-row
  /// `row` (at the state's scale): the random features' rest R of that
  /// row's queries, R \ S.
  void beginRowState(mlir::Value row, mlir::Value scale);
  void endState();

  /// Walks the block-rows [rowBegin, rowEnd) (the op's `rows(begin, end)`,
  /// null: every live one): begins the state (causal: only the blocks before
  /// rowEnd, grown to rowBegin first), then per block-row grows it, forms the
  /// row state and calls `tile(first, rows, row, scale)` for its query tiles;
  /// ends the state.
  void walkBlockRows(
      mlir::Value begin, mlir::Value end,
      llvm::function_ref<void(mlir::Value, int64_t, mlir::Value, mlir::Value)>
          tile);

  /// Calls `body(tile, rows)` for the query rows [first, last): tiles of
  /// rowTile rows, then single rows (two copies of the tile's code, not
  /// one per power of two: the kernels are large, and compile time counts).
  void forTiles(mlir::Value first, mlir::Value last,
                llvm::function_ref<void(mlir::Value, int64_t)> body);

  /// A [rowTile, cols] f32 buffer on the heap (the kernel runs once per
  /// head, inside a loop), freed by freeTileBuffers.
  mlir::Value tileBuffer(int64_t cols);
  void freeTileBuffers();

  AttentionOperands operands;
  BlockMask mask;
  CpuTargetInfo target;
  mlir::ImplicitLocOpBuilder &b;
  VectorMath v;
  KernelEmitter e;
  bool causal, lowRank;
  int64_t d, block, m, rowTile, panel;
  int64_t blockWidth, headWidth;
  double tau, logFeatures;
  mlir::Value tokens, liveBlocks;
  /// The block-rows whose queries count (walkBlockRows sets them).
  mlir::Value rowBegin, rowEnd;
  mlir::Value rowStart, colIndex, lacksDiagonalTable;
  /// Causal block-rows whose support lacks their diagonal block.
  llvm::SmallVector<int64_t> diagonalRows;
  /// Σ over the folded blocks, and each block's share [blocks·m, d].
  mlir::Value state, stateSums, blockStates, blockSums;
  /// The state less one block-row's support.
  mlir::Value rowState, rowStateSums;
  llvm::SmallVector<mlir::Value> tileBuffers;
};

} // namespace pfc

#endif // PFC_TRANSFORMS_ATTENTIONEMITTER_H

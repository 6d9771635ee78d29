//===- DecomposeAttention.cpp - Pixelfly attention as its kernels ---------===//
#include "LayerParts.h"
#include "pfc/Spec/Spec.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace pfc {
#define GEN_PASS_DEF_DECOMPOSEATTENTION
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

/// Temporaries of one head's rewrite, freed after the kernel.
class HeadTemporaries {
public:
  HeadTemporaries(PatternRewriter &rewriter, Location loc, Value query)
      : rewriter(rewriter), loc(loc), query(query) {}

  /// A buffer of `shape`, its first size the tokens' when dynamic.
  Value buffer(ArrayRef<int64_t> shape, Type element) {
    Value tokens;
    if (ShapedType::isDynamic(shape.front()))
      tokens = rewriter.create<memref::DimOp>(loc, query, 0);
    Value value = rewriter.create<memref::AllocOp>(
        loc, MemRefType::get(shape, element),
        tokens ? ValueRange{tokens} : ValueRange{});
    allocated.push_back(value);
    return value;
  }
  /// A [rows, padded] buffer that the kernels read a block of columns at a
  /// time, down every row: its rows lie a cache line further apart than
  /// their length, as rows a multiple of 4 KiB apart would all fall into
  /// one set of the L1 cache (a block's 64 rows of Kᵀ evicting each other).
  Value columnBlocks(int64_t rows, int64_t padded, Type element) {
    const int64_t skew = 64 / (element.getIntOrFloatBitWidth() / 8);
    Value base = buffer({rows, padded + skew}, element);
    return rewriter.create<memref::SubViewOp>(
        loc, base, ArrayRef<int64_t>{0, 0}, ArrayRef<int64_t>{rows, padded},
        ArrayRef<int64_t>{1, 1});
  }
  /// `matrix` [T, c] transposed into a new [c, padded], zeros past T.
  Value transposed(Value matrix, int64_t padded) {
    auto type = cast<MemRefType>(matrix.getType());
    Value result =
        columnBlocks(type.getDimSize(1), padded, type.getElementType());
    rewriter.create<TransposeOp>(loc, matrix, result);
    return result;
  }
  void release() {
    for (Value value : allocated)
      rewriter.create<memref::DeallocOp>(loc, value);
  }

private:
  PatternRewriter &rewriter;
  Location loc;
  Value query;
  SmallVector<Value> allocated;
};

/// The random features of a head's queries (one scale per token, [T, m])
/// and keys (one per block, transposed [m, P]) with their scales.
struct HeadFeatures {
  Value queries, queryScales, keysT, keyScales;
};

template <typename OpT>
static HeadFeatures randomFeatures(OpT op, HeadTemporaries &temporaries,
                                   PatternRewriter &rewriter, int64_t padded) {
  Value w = op.getFeatures();
  if (!w)
    return {};
  Location loc = op.getLoc();
  Type f32 = rewriter.getF32Type();
  const int64_t tokens =
      cast<MemRefType>(op.getQuery().getType()).getDimSize(0);
  const int64_t m = 2 * cast<MemRefType>(w.getType()).getDimSize(1);
  const int64_t block = static_cast<int64_t>(op.getBlock());
  HeadFeatures features;
  features.queries = temporaries.buffer({tokens, m}, f32);
  features.queryScales = temporaries.buffer({tokens}, f32);
  rewriter.create<RandomFeaturesOp>(loc, op.getQuery(), w, features.queries,
                                    features.queryScales, op.getScaleAttr(),
                                    rewriter.getI64IntegerAttr(1), UnitAttr());
  features.keysT = temporaries.columnBlocks(m, padded, f32);
  features.keyScales = temporaries.buffer({padded / block}, f32);
  rewriter.create<RandomFeaturesOp>(loc, op.getKey(), w, features.keysT,
                                    features.keyScales, op.getScaleAttr(),
                                    op.getBlockAttr(), rewriter.getUnitAttr());
  return features;
}

template <typename OpT> static int64_t paddedSequence(OpT op) {
  return padTo(static_cast<int64_t>(op.getSeqLen()),
               static_cast<int64_t>(op.getBlock()));
}

struct DecomposeAttentionOp : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    HeadTemporaries temporaries(rewriter, op.getLoc(), op.getQuery());
    const int64_t padded = paddedSequence(op);
    Value keyT = temporaries.transposed(op.getKey(), padded);
    HeadFeatures features = randomFeatures(op, temporaries, rewriter, padded);
    rewriter.create<BlockAttentionOp>(
        op.getLoc(), op.getQuery(), keyT, op.getValue(), features.queries,
        features.queryScales, features.keysT, features.keyScales,
        op.getOutput(), op.getStats(), op.getRowBegin(), op.getRowEnd(),
        op.getPattern(), op.getBlockAttr(), op.getScaleAttr(),
        op.getCausalAttr());
    temporaries.release();
    rewriter.eraseOp(op);
    return success();
  }
};

struct DecomposeAttentionGradOp : OpRewritePattern<AttentionGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    HeadTemporaries temporaries(rewriter, loc, op.getQuery());
    const int64_t padded = paddedSequence(op);
    Value keyT = temporaries.transposed(op.getKey(), padded);
    Value valueT = temporaries.transposed(op.getValue(), padded);
    HeadFeatures features = randomFeatures(op, temporaries, rewriter, padded);
    Value keys, gradQueries, gradKeys;
    if (features.queries) {
      Type f32 = rewriter.getF32Type();
      const int64_t m =
          cast<MemRefType>(features.queries.getType()).getDimSize(1);
      // The keys' features in rows too, for dΦ_q and the keys' rest.
      keys = temporaries.buffer({padded, m}, f32);
      rewriter.create<TransposeOp>(loc, features.keysT, keys);
      gradQueries = temporaries.buffer(
          cast<MemRefType>(features.queries.getType()).getShape(), f32);
      gradKeys = temporaries.buffer({padded, m}, f32);
    }
    rewriter.create<BlockAttentionGradOp>(
        loc, op.getQuery(), op.getKey(), keyT, op.getValue(), valueT,
        op.getOutput(), op.getStats(), op.getGradOutput(), features.queries,
        features.queryScales, features.keysT, keys, features.keyScales,
        op.getGradQuery(), op.getGradKey(), op.getGradValue(), gradQueries,
        gradKeys, op.getRowBegin(), op.getRowEnd(), op.getPattern(),
        op.getBlockAttr(), op.getScaleAttr(), op.getCausalAttr());
    if (features.queries) {
      rewriter.create<RandomFeaturesGradOp>(
          loc, op.getQuery(), op.getFeatures(), features.queries, gradQueries,
          op.getGradQuery(), op.getScaleAttr());
      rewriter.create<RandomFeaturesGradOp>(loc, op.getKey(), op.getFeatures(),
                                            keys, gradKeys, op.getGradKey(),
                                            op.getScaleAttr());
    }
    temporaries.release();
    rewriter.eraseOp(op);
    return success();
  }
};

struct DecomposeAttentionPass
    : impl::DecomposeAttentionBase<DecomposeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeAttentionPatterns(patterns);
    if (failed(applyPatternsToOps(
            getOperation(),
            [](Operation *op) { return isa<AttentionOp, AttentionGradOp>(op); },
            std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void populateDecomposeAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeAttentionOp, DecomposeAttentionGradOp>(
      patterns.getContext());
}

} // namespace pfc

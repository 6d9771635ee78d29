//===- LowerKernels.cpp - pfc ops to loops and vectors --------------------===//
//
// `pfc.bsmm` and `pfc.bsmm_t` get the register-tiled kernel of
// BlockSparseKernel.cpp, `pfc.sddmm` and `pfc.outer_sum` that of
// OuterSumKernel.cpp, the projection and the gate the vector kernels of
// DenseKernels.cpp. The other ops move O(T·features) or O(weights) data, not
// products: plain loop nests whose innermost loop runs over contiguous
// features, which LLVM's vectorizer handles.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace pfc {
#define GEN_PASS_DEF_LOWERKERNELS
#include "pfc/Transforms/Passes.h.inc"
} // namespace pfc

using namespace mlir;

namespace pfc {
namespace {

/// Emits the loop nest of one simple op; `e` inserts before the op.
class SimpleKernels {
public:
  SimpleKernels(ImplicitLocOpBuilder &b) : b(b), e(b) {}

  void emit(PackOp op);
  void emit(LowRankOp op);
  void emit(CombineOp op);
  void emit(TransposeOp op);
  void emit(RowDotOp op);
  void emit(ScaleRowsOp op);
  void emit(GammaGradOp op);
  void emit(SumTokensOp op);

private:
  Value load(Value memref, ValueRange at) {
    return b.create<memref::LoadOp>(memref, at);
  }
  void store(Value value, Value memref, ValueRange at) {
    b.create<memref::StoreOp>(value, memref, at);
  }
  Value fma(Value x, Value y, Value acc) {
    return b.create<arith::AddFOp>(acc, b.create<arith::MulFOp>(x, y));
  }
  /// `matrix[token, k] = 0` for k in [0, cols); a vector without `token`.
  void zeroRow(Value matrix, Value token, Value cols) {
    Value zero = e.f32(0);
    e.loop(e.index(0), cols, 1, [&](Value k) {
      store(zero, matrix, token ? ValueRange{token, k} : ValueRange{k});
    });
  }
  /// row[token, :] += scalar * weights[weightRow, :cols], contiguous.
  void axpyRow(Value row, Value token, Value scalar, Value weights,
               Value weightRow, Value cols) {
    e.loop(e.index(0), cols, 1, [&](Value j) {
      store(fma(scalar, load(weights, {weightRow, j}), load(row, {token, j})),
            row, {token, j});
    });
  }
  /// output [cols, ≥ rows] = inputᵀ, zero in the columns past input's rows.
  void transposePadded(Value input, Value output);

  ImplicitLocOpBuilder &b;
  KernelEmitter e;
};

void SimpleKernels::emit(PackOp op) {
  auto type = cast<MemRefType>(op.getBlocks().getType());
  e.loop(e.index(0), e.index(type.getDimSize(0)), 1, [&](Value n) {
    e.loop(e.index(0), e.index(type.getDimSize(1)), 1, [&](Value o) {
      e.loop(e.index(0), e.index(type.getDimSize(2)), 1, [&](Value k) {
        store(load(op.getBlocks(), {n, o, k}), op.getPackedBlocks(), {n, k, o});
      });
    });
  });
  if (op.getU())
    transposePadded(op.getU(), op.getPackedU());
}

void SimpleKernels::emit(LowRankOp op) {
  Value x = op.getInput(), y = op.getOutput();
  Value rank = e.dim(op.getV(), 1), in = e.dim(x, 1), out = e.dim(y, 1);
  auto rowType = MemRefType::get(
      {1, cast<MemRefType>(op.getV().getType()).getDimSize(1)}, b.getF32Type());
  Value projected = b.create<memref::AllocaOp>(rowType);
  Value zeroIndex = e.index(0);
  e.loop(e.index(0), e.dim(x, 0), 1, [&](Value token) {
    zeroRow(projected, zeroIndex, rank);
    e.loop(e.index(0), in, 1, [&](Value k) {
      axpyRow(projected, zeroIndex, load(x, {token, k}), op.getV(), k, rank);
    });
    zeroRow(y, token, out);
    e.loop(e.index(0), rank, 1, [&](Value j) {
      axpyRow(y, token, load(projected, {zeroIndex, j}), op.getU(), j, out);
    });
  });
}

void SimpleKernels::emit(CombineOp op) {
  Value y = op.getOutput();
  e.loop(e.index(0), e.dim(y, 0), 1, [&](Value token) {
    Value gamma = e.loadPerToken(op.getGamma(), token);
    Value complement = b.create<arith::SubFOp>(e.f32(1), gamma);
    e.loop(e.index(0), e.dim(y, 1), 1, [&](Value o) {
      Value value =
          b.create<arith::MulFOp>(gamma, load(op.getSparse(), {token, o}));
      if (Value lowRank = op.getLowRank())
        value = fma(complement, load(lowRank, {token, o}), value);
      if (Value bias = op.getBias())
        value = b.create<arith::AddFOp>(value, load(bias, {o}));
      store(value, y, {token, o});
    });
  });
}

void SimpleKernels::transposePadded(Value input, Value output) {
  Value rows = e.dim(input, 0), zero = e.f32(0);
  e.loop(e.index(0), e.dim(input, 1), 1, [&](Value j) {
    e.loop(e.index(0), rows, 1,
           [&](Value i) { store(load(input, {i, j}), output, {j, i}); });
    e.loop(rows, e.dim(output, 1), 1,
           [&](Value i) { store(zero, output, {j, i}); });
  });
}

void SimpleKernels::emit(TransposeOp op) {
  transposePadded(op.getInput(), op.getOutput());
}

void SimpleKernels::emit(RowDotOp op) {
  Value lhs = op.getLhs(), rhs = op.getRhs();
  e.loop(e.index(0), e.dim(lhs, 0), 1, [&](Value token) {
    scf::ForOp dot = e.loop(
        e.index(0), e.dim(lhs, 1), 1, {e.f32(0)}, [&](Value j, ValueRange acc) {
          return SmallVector<Value>{
              fma(load(lhs, {token, j}), load(rhs, {token, j}), acc[0])};
        });
    store(dot.getResult(0), op.getOutput(), {token});
  });
}

void SimpleKernels::emit(ScaleRowsOp op) {
  Value matrix = op.getMatrix();
  e.loop(e.index(0), e.dim(matrix, 0), 1, [&](Value token) {
    Value complement =
        b.create<arith::SubFOp>(e.f32(1), e.loadPerToken(op.getGamma(), token));
    e.loop(e.index(0), e.dim(matrix, 1), 1, [&](Value j) {
      store(b.create<arith::MulFOp>(complement, load(matrix, {token, j})),
            matrix, {token, j});
    });
  });
}

void SimpleKernels::emit(GammaGradOp op) {
  Value tokens = e.dim(op.getSparseDots(), 0), output = op.getOutput();
  // dγ_t = Σ_o dY·s − Σ_o dY·l.
  auto gammaGrad = [&](Value token) -> Value {
    Value grad = load(op.getSparseDots(), {token});
    if (Value lowRank = op.getLowRankDots())
      grad = b.create<arith::SubFOp>(grad, load(lowRank, {token}));
    return grad;
  };
  if (op.getGamma() == GammaKind::Scalar) {
    // Σ sparse dots − Σ low-rank dots, each over its own elements.
    auto total = [&](Value dots) -> Value {
      return e
          .loop(e.index(0), e.dim(dots, 0), 1, {e.f32(0)},
                [&](Value i, ValueRange acc) {
                  return SmallVector<Value>{
                      b.create<arith::AddFOp>(acc[0], load(dots, {i}))};
                })
          .getResult(0);
    };
    Value grad = total(op.getSparseDots());
    if (Value lowRank = op.getLowRankDots())
      grad = b.create<arith::SubFOp>(grad, total(lowRank));
    store(grad, output, {e.index(0)});
    return;
  }
  // The gate: dz_t = −dγ_t·γ_t·(1 − γ_t), the derivative through
  // γ = 1 − sigmoid(z); z = x·g + c.
  Value x = op.getInput(), params = op.getParams(), dx = op.getGradInput();
  Value in = e.dim(x, 1);
  zeroRow(output, Value(), e.dim(output, 0));
  e.loop(e.index(0), tokens, 1, [&](Value token) {
    Value gamma = load(op.getGammaValues(), {token});
    Value slope = b.create<arith::MulFOp>(
        gamma, b.create<arith::SubFOp>(e.f32(1), gamma));
    Value dz = b.create<arith::NegFOp>(
        b.create<arith::MulFOp>(gammaGrad(token), slope));
    e.loop(e.index(0), in, 1, [&](Value i) {
      store(fma(dz, load(x, {token, i}), load(output, {i})), output, {i});
      store(fma(dz, load(params, {i}), load(dx, {token, i})), dx, {token, i});
    });
    store(b.create<arith::AddFOp>(load(output, {in}), dz), output, {in});
  });
}

void SimpleKernels::emit(SumTokensOp op) {
  Value input = op.getInput(), output = op.getOutput();
  Value cols = e.dim(input, 1);
  zeroRow(output, Value(), cols);
  e.loop(e.index(0), e.dim(input, 0), 1, [&](Value token) {
    e.loop(e.index(0), cols, 1, [&](Value j) {
      store(b.create<arith::AddFOp>(load(output, {j}), load(input, {token, j})),
            output, {j});
    });
  });
}

/// The CPU kernels compute in f32 only, until bf16 kernels arrive.
LogicalResult checkF32(Operation *op) {
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (type && !type.getElementType().isF32())
      return op->emitOpError("has ")
             << type.getElementType()
             << " data; the CPU back end computes in f32 only";
  }
  return success();
}

/// Checks that a block-sparse op's pattern is an explicit block list.
LogicalResult checkBlockList(Operation *op) {
  auto sparse = dyn_cast<BlockSparseOpInterface>(op);
  if (!sparse || sparse.getPattern().isMaterialized())
    return success();
  return op->emitOpError("needs an explicit block list to be lowered; run "
                         "pfc-materialize-pattern first");
}

/// One kernel-level op to its kernel. What the CPU cannot lower is reported
/// on the op (the conversion then fails to legalize it); layers have no
/// pattern: they must be fused or decomposed first.
template <typename OpT> struct LowerKernel : OpConversionPattern<OpT> {
  LowerKernel(MLIRContext *context, const CpuTargetInfo &target)
      : OpConversionPattern<OpT>(context), target(target) {}

  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkF32(op)) || failed(checkBlockList(op)) ||
        failed(lower(op, rewriter)))
      return failure();
    rewriter.eraseOp(op);
    return success();
  }

  LogicalResult lower(BlockSparseMatmulOp op, OpBuilder &builder) const {
    return lowerBlockSparseMatmul(op, target, builder);
  }
  LogicalResult lower(BlockSparseMatmulTransposeOp op,
                      OpBuilder &builder) const {
    return lowerBlockSparseMatmulTranspose(op, target, builder);
  }
  LogicalResult lower(SampledMatmulOp op, OpBuilder &builder) const {
    return lowerSampledMatmul(op, target, builder);
  }
  LogicalResult lower(OuterSumOp op, OpBuilder &builder) const {
    lowerOuterSum(op, target, builder);
    return success();
  }
  LogicalResult lower(ProjectOp op, OpBuilder &builder) const {
    lowerProject(op, target, builder);
    return success();
  }
  LogicalResult lower(RandomFeaturesOp op, OpBuilder &builder) const {
    lowerRandomFeatures(op, target, builder);
    return success();
  }
  LogicalResult lower(BlockAttentionOp op, OpBuilder &builder) const {
    return lowerBlockAttention(op, target, builder);
  }
  LogicalResult lower(BlockAttentionGradOp op, OpBuilder &builder) const {
    return lowerBlockAttentionGrad(op, target, builder);
  }
  LogicalResult lower(RandomFeaturesGradOp op, OpBuilder &builder) const {
    lowerRandomFeaturesGrad(op, target, builder);
    return success();
  }
  LogicalResult lower(GateOp op, OpBuilder &builder) const {
    lowerGate(op, target.vectorWidth, builder);
    return success();
  }
  template <typename SimpleOp>
  LogicalResult lower(SimpleOp op, OpBuilder &builder) const {
    ImplicitLocOpBuilder b(op.getLoc(), builder);
    SimpleKernels(b).emit(op);
    return success();
  }

  CpuTargetInfo target;
};

struct LowerKernelsPass : impl::LowerKernelsBase<LowerKernelsPass> {
  using LowerKernelsBase::LowerKernelsBase;

  void runOnOperation() override {
    if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16) {
      getOperation().emitError("pfc-lower-kernels: vector-width ")
          << vectorWidth.getValue() << " is not 4, 8 or 16";
      return signalPassFailure();
    }
    if (cacheBytes < 1) {
      getOperation().emitError(
          "pfc-lower-kernels: cache-bytes must be positive");
      return signalPassFailure();
    }
    ConversionTarget target(getContext());
    target.addIllegalDialect<PfcDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    populateLowerKernelsPatterns(patterns,
                                 CpuTargetInfo{vectorWidth, cacheBytes});
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      return signalPassFailure();
    unrollMarkedLoops(getOperation());
    // The attention kernels' exp (the softmax and the random features) as
    // polynomials: LLVM would call expf once per lane.
    SmallVector<math::ExpOp> approximated;
    getOperation().walk([&](math::ExpOp exp) {
      if (exp->hasAttr(kApproximateAttr))
        approximated.push_back(exp);
    });
    for (math::ExpOp exp : approximated) {
      ImplicitLocOpBuilder b(exp.getLoc(), exp);
      exp.replaceAllUsesWith(approximateExp(b, exp.getOperand()));
      exp.erase();
    }
  }

  /// e^x for f32 x (scalar or vector) within 2 ulp: x clamped to
  /// [−87.3, 88] (no overflow, nothing below the normal range, no
  /// special cases), x = n·ln 2 + r with |r| ≤ ln 2 / 2 (Cody and Waite),
  /// e^r by its Taylor polynomial of degree 6 (error below r⁷/7! ≈ 1.2e-7),
  /// and 2^n added to the result's exponent bits. Fifteen instructions and
  /// no branch: MLIR's approximation also handles NaN and infinities, which
  /// the kernels never pass (−∞ is clamped: e^(−87.3) ≈ 1e-38 weighs
  /// nothing next to a row's largest weight, 1).
  static Value approximateExp(ImplicitLocOpBuilder &b, Value x) {
    Type type = x.getType(), i32 = b.getI32Type();
    Type intType = i32;
    if (auto vector = dyn_cast<VectorType>(type))
      intType = VectorType::get(vector.getShape(), i32);
    auto constant = [&](double value) -> Value {
      Attribute attr = b.getF32FloatAttr(static_cast<float>(value));
      if (auto vector = dyn_cast<VectorType>(type))
        return b.create<arith::ConstantOp>(
            type, DenseElementsAttr::get(vector, attr));
      return b.create<arith::ConstantOp>(type, cast<TypedAttr>(attr));
    };
    constexpr auto flags = arith::FastMathFlags::nnan;
    x = b.create<arith::MinimumFOp>(
        b.create<arith::MaximumFOp>(x, constant(-87.3), flags), constant(88.0),
        flags);
    Value n = b.create<math::RoundEvenOp>(
        b.create<arith::MulFOp>(x, constant(1.4426950408889634)));
    // ln 2 in two parts: n·ln2Hi is exact for |n| < 2^9.
    Value r = b.create<math::FmaOp>(n, constant(-0.693359375), x);
    r = b.create<math::FmaOp>(n, constant(2.12194440e-4), r);
    Value p = constant(1.0 / 720);
    for (double c : {1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0})
      p = b.create<math::FmaOp>(p, r, constant(c));
    Value shift = b.create<arith::ConstantOp>(
        intType, isa<VectorType>(type)
                     ? cast<TypedAttr>(DenseElementsAttr::get(
                           cast<ShapedType>(intType), b.getI32IntegerAttr(23)))
                     : cast<TypedAttr>(b.getI32IntegerAttr(23)));
    Value exponent =
        b.create<arith::ShLIOp>(b.create<arith::FPToSIOp>(intType, n), shift);
    return b.create<arith::BitcastOp>(
        type, b.create<arith::AddIOp>(b.create<arith::BitcastOp>(intType, p),
                                      exponent));
  }
};

} // namespace

void unrollMarkedLoops(Operation *root) {
  SmallVector<scf::ForOp> marked;
  root->walk([&](scf::ForOp loop) {
    if (loop->hasAttr(kUnrollAttr))
      marked.push_back(loop);
  });
  for (scf::ForOp loop : marked) {
    int64_t factor = cast<IntegerAttr>(loop->getAttr(kUnrollAttr)).getInt();
    loop->removeAttr(kUnrollAttr);
    // Fails only on loops it cannot prove worth unrolling; they stay rolled.
    (void)loopUnrollByFactor(loop, factor);
  }
}

void populateLowerKernelsPatterns(RewritePatternSet &patterns,
                                  const CpuTargetInfo &target) {
  patterns.add<
      LowerKernel<BlockSparseMatmulOp>,
      LowerKernel<BlockSparseMatmulTransposeOp>, LowerKernel<SampledMatmulOp>,
      LowerKernel<OuterSumOp>, LowerKernel<ProjectOp>, LowerKernel<GateOp>,
      LowerKernel<PackOp>, LowerKernel<LowRankOp>, LowerKernel<CombineOp>,
      LowerKernel<TransposeOp>, LowerKernel<RowDotOp>, LowerKernel<ScaleRowsOp>,
      LowerKernel<GammaGradOp>, LowerKernel<SumTokensOp>,
      LowerKernel<RandomFeaturesOp>, LowerKernel<BlockAttentionOp>,
      LowerKernel<RandomFeaturesGradOp>, LowerKernel<BlockAttentionGradOp>>(
      patterns.getContext(), target);
}

} // namespace pfc

//===- RandomFeaturesKernel.cpp - Performer's features on the CPU ---------===//
//
// `pfc.random_features` (each token's features relative to a scale) and
// `pfc.random_features_grad` (their gradient taken back to the tokens) as
// vector loops over W's rows.
//
//===----------------------------------------------------------------------===//
#include "AttentionEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;

namespace pfc {
namespace {

//===----------------------------------------------------------------------===//
// pfc.random_features
//===----------------------------------------------------------------------===//

class RandomFeaturesKernel {
public:
  RandomFeaturesKernel(RandomFeaturesOp op, const CpuTargetInfo &target,
                       ImplicitLocOpBuilder &b)
      : op(op), b(b), v(b), e(b),
        d(cast<MemRefType>(op.getInput().getType()).getDimSize(1)),
        half(cast<MemRefType>(op.getFeatures().getType()).getDimSize(1)),
        width(vectorWidthFor(half, target.vectorWidth)),
        targetWidth(target.vectorWidth) {}

  void emit();

private:
  /// u₊ = W·x̃ − ‖x̃‖²/2 and u₋ = −W·x̃ − ‖x̃‖²/2 of token `t`, half/width
  /// vectors each.
  std::pair<SmallVector<Value>, SmallVector<Value>> exponents(Value t);
  /// The largest lane of `parts`, and of `start`.
  Value largest(ArrayRef<Value> parts, Value start);

  RandomFeaturesOp op;
  ImplicitLocOpBuilder &b;
  VectorMath v;
  KernelEmitter e;
  int64_t d, half, width, targetWidth;
};

std::pair<SmallVector<Value>, SmallVector<Value>>
RandomFeaturesKernel::exponents(Value t) {
  VectorType type = v.vec(width);
  const int64_t vectors = half / width;
  const double rootScale = std::sqrt(op.getScale().convertToDouble());
  SmallVector<Value> inits(vectors, v.zeros(type));
  inits.push_back(e.f32(0));
  // u = W·x̃ over the features, vectors over W's rows (Wᵀ's columns), and
  // ‖x̃‖² beside it.
  scf::ForOp dots =
      e.loop(e.index(0), e.index(d), 1, inits, [&](Value k, ValueRange acc) {
        Value x = v.mul(v.loadScalar(op.getInput(), {t, k}), e.f32(rootScale));
        Value xs = v.splat(type, x);
        SmallVector<Value> next;
        for (int64_t i = 0; i < vectors; ++i)
          next.push_back(
              v.fma(xs, v.load(type, op.getFeatures(), {k, e.index(i * width)}),
                    acc[i]));
        next.push_back(v.add(acc.back(), v.mul(x, x)));
        return next;
      });
  Value halfNorm = v.splat(type, v.mul(dots.getResult(vectors), e.f32(0.5)));
  SmallVector<Value> plus, minus;
  for (int64_t i = 0; i < vectors; ++i) {
    Value u = dots.getResult(i);
    plus.push_back(v.sub(u, halfNorm));
    minus.push_back(v.sub(v.sub(v.zeros(type), u), halfNorm));
  }
  return {plus, minus};
}

Value RandomFeaturesKernel::largest(ArrayRef<Value> parts, Value start) {
  Value lanes = parts.front();
  for (Value part : parts.drop_front())
    lanes = v.max(lanes, part);
  return v.max(start, v.maxOf(lanes));
}

void RandomFeaturesKernel::emit() {
  VectorType type = v.vec(width);
  const int64_t vectors = half / width;
  Value out = op.getOutput(), scales = op.getLogScale();
  Value tokens = e.dim(op.getInput(), 0);
  if (!op.getTransposed()) {
    // One scale per token (group 1): exp(u − max u) in the token's row.
    e.loop(e.index(0), tokens, 1, [&](Value t) {
      auto [plus, minus] = exponents(t);
      Value c = largest(minus, largest(plus, e.f32(-INFINITY)));
      Value cs = v.splat(type, c);
      for (int64_t i = 0; i < vectors; ++i) {
        v.store(v.exp(v.sub(plus[i], cs)), out, {t, e.index(i * width)});
        v.store(v.exp(v.sub(minus[i], cs)), out,
                {t, e.index(half + i * width)});
      }
      v.storeScalar(c, scales, {t});
    });
    return;
  }
  // Transposed, one scale per group of tokens: the exponents go to the
  // token's column first, then each group's column block is rescaled.
  const int64_t group = static_cast<int64_t>(op.getGroup());
  const int64_t padded = cast<MemRefType>(out.getType()).getDimSize(1);
  Value groupSize = e.index(group);
  e.loop(e.index(0), e.index(padded / group), 1, [&](Value g) {
    Value first = e.mul(g, groupSize);
    Value end = e.min(e.add(first, groupSize), tokens);
    end = b.create<arith::MaxSIOp>(end, first);
    scf::ForOp scan = e.loop(
        first, end, 1, {e.f32(attentionScaleFloor())},
        [&](Value t, ValueRange acc) {
          auto [plus, minus] = exponents(t);
          for (int64_t i = 0; i < vectors; ++i)
            for (int64_t lane = 0; lane < width; ++lane) {
              int64_t f = i * width + lane;
              v.storeScalar(b.create<vector::ExtractOp>(plus[i], lane), out,
                            {e.index(f), t});
              v.storeScalar(b.create<vector::ExtractOp>(minus[i], lane), out,
                            {e.index(half + f), t});
            }
          return SmallVector<Value>{largest(minus, largest(plus, acc[0]))};
        });
    Value c = scan.getResult(0);
    v.storeScalar(c, scales, {g});
    // exp(u − c) over the group's columns; zero past the last token.
    const int64_t tokenWidth = vectorWidthFor(group, targetWidth);
    VectorType tokenType = v.vec(tokenWidth);
    Value cs = v.splat(tokenType, c);
    e.loop(e.index(0), e.index(2 * half), 1, [&](Value f) {
      for (int64_t i = 0; i < group; i += tokenWidth) {
        Value at = e.add(first, e.index(i));
        Value value = v.exp(v.sub(v.load(tokenType, out, {f, at}), cs));
        Value live = v.lanesBelow(tokenWidth, at, end);
        v.store(v.select(live, value, v.zeros(tokenType)), out, {f, at});
      }
    });
  });
}

/// dx += sqrt(τ)·(Wᵀ·(du₊ − du₋)) − τ·x·Σ du, du = dΦ ⊙ Φ, per token.
void emitRandomFeaturesGrad(RandomFeaturesGradOp op,
                            const CpuTargetInfo &target,
                            ImplicitLocOpBuilder &b) {
  VectorMath v(b);
  KernelEmitter e(b);
  const int64_t d = cast<MemRefType>(op.getInput().getType()).getDimSize(1);
  const int64_t half =
      cast<MemRefType>(op.getFeatures().getType()).getDimSize(1);
  const int64_t width = vectorWidthFor(half, target.vectorWidth);
  const double scale = op.getScale().convertToDouble();
  VectorType type = v.vec(width);
  e.loop(e.index(0), e.dim(op.getInput(), 0), 1, [&](Value t) {
    SmallVector<Value> diff;
    Value total = v.zeros(type);
    for (int64_t f = 0; f < half; f += width) {
      auto du = [&](int64_t at) {
        return v.mul(v.load(type, op.getGradPhi(), {t, e.index(at)}),
                     v.load(type, op.getPhi(), {t, e.index(at)}));
      };
      Value plus = du(f), minus = du(half + f);
      diff.push_back(v.sub(plus, minus));
      total = v.add(total, v.add(plus, minus));
    }
    Value sum = v.mul(v.sum(total), e.f32(scale));
    e.loop(e.index(0), e.index(d), 1, [&](Value k) {
      Value dot = v.zeros(type);
      for (int64_t i = 0; i < half / width; ++i)
        dot = v.fma(v.load(type, op.getFeatures(), {k, e.index(i * width)}),
                    diff[i], dot);
      Value grad = v.sub(v.mul(v.sum(dot), e.f32(std::sqrt(scale))),
                         v.mul(sum, v.loadScalar(op.getInput(), {t, k})));
      v.storeScalar(v.add(v.loadScalar(op.getGradInput(), {t, k}), grad),
                    op.getGradInput(), {t, k});
    });
  });
}

} // namespace

void lowerRandomFeaturesGrad(RandomFeaturesGradOp op,
                             const CpuTargetInfo &target, OpBuilder &builder) {
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  emitRandomFeaturesGrad(op, target, b);
}

void lowerRandomFeatures(RandomFeaturesOp op, const CpuTargetInfo &target,
                         OpBuilder &builder) {
  ImplicitLocOpBuilder b(op.getLoc(), builder);
  RandomFeaturesKernel(op, target, b).emit();
}

} // namespace pfc

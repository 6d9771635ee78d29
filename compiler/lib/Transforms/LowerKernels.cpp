//===- LowerKernels.cpp - pfc ops to loops and vectors --------------------===//
//
// `pfc.bsmm` gets the register-tiled kernel of BlockSparseKernel.cpp, the
// projection and the gate the vector kernels of DenseKernels.cpp. The other
// ops are plain loop nests whose innermost loop runs over contiguous
// features, which LLVM's vectorizer handles: the parts of the decomposed
// layer and the backward products, until training gets kernels of its own.
//
//===----------------------------------------------------------------------===//
#include "KernelEmitter.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/TypeSwitch.h"

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
  void emit(BlockSparseMatmulTransposeOp op);
  void emit(SampledMatmulOp op);

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
  /// `matrix[token, k] = 0` for k in [0, cols).
  void zeroRow(Value matrix, Value token, Value cols) {
    Value zero = e.f32(0);
    e.loop(e.index(0), cols, 1, [&](Value k) {
      store(zero, matrix, {token, k});
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
  /// A loop over the nonzero blocks of `op`'s pattern, read from constant
  /// tables: `body(n, outBase, inBase, outs, ins)` gets block n's first
  /// output and input and how many of its b outputs and inputs are real.
  void forEachBlock(Operation *op,
                    function_ref<void(Value, Value, Value, Value, Value)> body);

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
  if (!op.getU())
    return;
  Value out = e.dim(op.getU(), 0), rank = e.dim(op.getU(), 1);
  Value zero = e.f32(0);
  e.loop(e.index(0), rank, 1, [&](Value j) {
    e.loop(e.index(0), out, 1, [&](Value o) {
      store(load(op.getU(), {o, j}), op.getPackedU(), {j, o});
    });
    e.loop(out, e.dim(op.getPackedU(), 1), 1, [&](Value o) {
      store(zero, op.getPackedU(), {j, o});
    });
  });
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

void SimpleKernels::forEachBlock(
    Operation *op, function_ref<void(Value, Value, Value, Value, Value)> body) {
  auto pattern = cast<BlocksAttr>(op->getAttr("pattern"));
  WeightShape shape = *getWeightShape(op);
  SmallVector<int64_t> rows, cols(pattern.getColIndex());
  for (int64_t r = 0; r < pattern.getBlockRows(); ++r)
    rows.append(pattern.getRowStart()[r + 1] - pattern.getRowStart()[r], r);
  Value rowTable = e.constantTable(rows, "__pfc_block_row");
  Value colTable = e.constantTable(cols, "__pfc_block_col");
  Value block = e.index(shape.block);
  auto realPart = [&](int64_t size, Value base) {
    return e.min(block, b.create<arith::SubIOp>(e.index(size), base));
  };
  e.loop(e.index(0), e.index(pattern.getNumBlocks()), 1, [&](Value n) {
    Value outBase = e.mul(load(rowTable, {n}), block);
    Value inBase = e.mul(load(colTable, {n}), block);
    body(n, outBase, inBase, realPart(shape.out, outBase),
         realPart(shape.in, inBase));
  });
}

void SimpleKernels::emit(BlockSparseMatmulTransposeOp op) {
  // dx[t, c·b + k] += Σ_o dy[t, r·b + o] · packed[n, k, o] per block n.
  Value dy = op.getInput(), dx = op.getOutput();
  Value tokens = e.dim(dy, 0);
  e.loop(e.index(0), tokens, 1,
         [&](Value token) { zeroRow(dx, token, e.dim(dx, 1)); });
  forEachBlock(op, [&](Value n, Value outBase, Value inBase, Value outs,
                       Value ins) {
    e.loop(e.index(0), tokens, 1, [&](Value token) {
      e.loop(e.index(0), ins, 1, [&](Value k) {
        Value at = e.add(inBase, k);
        scf::ForOp dot = e.loop(e.index(0), outs, 1, {load(dx, {token, at})},
                                [&](Value o, ValueRange acc) {
                                  return SmallVector<Value>{fma(
                                      load(dy, {token, e.add(outBase, o)}),
                                      load(op.getBlocks(), {n, k, o}), acc[0])};
                                });
        store(dot.getResult(0), dx, {token, at});
      });
    });
  });
}

void SimpleKernels::emit(SampledMatmulOp op) {
  // dB[n, k, o] = Σ_t x[t, c·b + k] · dy[t, r·b + o]; zero in the padding.
  Value dy = op.getGradOutput(), x = op.getInput(), db = op.getOutput();
  Value block = e.dim(db, 1), zero = e.f32(0);
  forEachBlock(
      op, [&](Value n, Value outBase, Value inBase, Value outs, Value ins) {
        e.loop(e.index(0), block, 1, [&](Value k) {
          e.loop(e.index(0), block, 1, [&](Value o) {
            store(zero, db, {n, k, o});
          });
        });
        e.loop(e.index(0), e.dim(x, 0), 1, [&](Value token) {
          e.loop(e.index(0), ins, 1, [&](Value k) {
            Value xk = load(x, {token, e.add(inBase, k)});
            e.loop(e.index(0), outs, 1, [&](Value o) {
              store(fma(xk, load(dy, {token, e.add(outBase, o)}),
                        load(db, {n, k, o})),
                    db, {n, k, o});
            });
          });
        });
      });
}

struct LowerKernelsPass : impl::LowerKernelsBase<LowerKernelsPass> {
  using LowerKernelsBase::LowerKernelsBase;

  void runOnOperation() override {
    if (vectorWidth != 4 && vectorWidth != 8 && vectorWidth != 16) {
      getOperation().emitError("pfc-lower-kernels: vector-width ")
          << vectorWidth.getValue() << " is not 4, 8 or 16";
      return signalPassFailure();
    }
    if (cacheBytes < 1 || threads < 1) {
      getOperation().emitError(
          "pfc-lower-kernels: cache-bytes and threads must be positive");
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<PfcDialect>(op->getDialect()))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto layer = dyn_cast<LayerOp>(op)) {
        layer.emitOpError("must be fused or decomposed before lowering; run "
                          "pfc-fuse-lowrank or pfc-decompose-layer");
        return signalPassFailure();
      }
      if (op->getAttrOfType<ButterflyAttr>("pattern")) {
        op->emitOpError("needs an explicit block list to be lowered; run "
                        "pfc-materialize-pattern first");
        return signalPassFailure();
      }
      if (auto bsmm = dyn_cast<BlockSparseMatmulOp>(op)) {
        if (failed(lowerBlockSparseMatmul(
                bsmm, CpuTargetInfo{vectorWidth, cacheBytes, threads})))
          return signalPassFailure();
        continue;
      }
      if (auto project = dyn_cast<ProjectOp>(op)) {
        lowerProject(project, vectorWidth);
        project.erase();
        continue;
      }
      if (auto gate = dyn_cast<GateOp>(op)) {
        lowerGate(gate, vectorWidth);
        gate.erase();
        continue;
      }
      ImplicitLocOpBuilder b(op->getLoc(), op);
      SimpleKernels kernels(b);
      llvm::TypeSwitch<Operation *>(op)
          .Case<PackOp, LowRankOp, CombineOp, BlockSparseMatmulTransposeOp,
                SampledMatmulOp>([&](auto op) { kernels.emit(op); });
      op->erase();
    }
  }
};

} // namespace
} // namespace pfc

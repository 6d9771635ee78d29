//===- PfcOpInterfaces.cpp - The pfc ops' interface methods ---------------===//
//
// What the ops implement for their interfaces: the weight shape of the ops
// that carry a block pattern (BlockSparseOpInterface) and the written
// operands of every op (DestinationStyleOpInterface). The verifiers are in
// PfcOps.cpp.
//
//===----------------------------------------------------------------------===//
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Spec/Spec.h"

#include <type_traits>

using namespace mlir;

namespace pfc {

/// The weight of a product whose blocks are `blocks` [nnz, b, b]: `outputs`'
/// features by `inputs`' features (both token-row matrices).
static WeightShape weightShape(Value blocks, Value outputs, Value inputs) {
  auto dim = [](Value value, unsigned d) {
    return cast<MemRefType>(value.getType()).getDimSize(d);
  };
  return WeightShape{dim(outputs, 1), dim(inputs, 1), dim(blocks, 1)};
}

WeightShape LayerOp::getWeightShape() {
  return weightShape(getBlocks(), getOutput(), getInput());
}

WeightShape BlockSparseMatmulOp::getWeightShape() {
  return weightShape(getBlocks(), getOutput(), getInput());
}

WeightShape LayerGradOp::getWeightShape() {
  return weightShape(getBlocks(), getGradOutput(), getInput());
}

// dX = dY·B: the weight's outputs are the input's features.
WeightShape BlockSparseMatmulTransposeOp::getWeightShape() {
  return weightShape(getBlocks(), getInput(), getOutput());
}

WeightShape SampledMatmulOp::getWeightShape() {
  return weightShape(getOutput(), getGradOutput(), getInput());
}

/// The DPS inits of an op whose written operands are the ODS operand groups
/// `first` to `last`: contiguous, as every pfc op declares them.
template <typename OpT>
static MutableOperandRange operandGroups(OpT op, unsigned first,
                                         unsigned last) {
  unsigned begin = op.getODSOperandIndexAndLength(first).first;
  auto [lastBegin, lastLength] = op.getODSOperandIndexAndLength(last);
  return MutableOperandRange(op, begin, lastBegin + lastLength - begin);
}

MutableOperandRange PackOp::getDpsInitsMutable() {
  return operandGroups(*this, 2, 3);
}
MutableOperandRange LayerOp::getDpsInitsMutable() { return getOutputMutable(); }
MutableOperandRange LayerGradOp::getDpsInitsMutable() {
  return operandGroups(*this, 6, 11);
}
MutableOperandRange BlockSparseMatmulOp::getDpsInitsMutable() {
  return getOutputMutable();
}
MutableOperandRange BlockSparseMatmulTransposeOp::getDpsInitsMutable() {
  return operandGroups(*this, 6, 7);
}
MutableOperandRange SampledMatmulOp::getDpsInitsMutable() {
  return operandGroups(*this, 4, 5);
}
MutableOperandRange OuterSumOp::getDpsInitsMutable() {
  return getOutputMutable();
}
MutableOperandRange TransposeOp::getDpsInitsMutable() {
  return getOutputMutable();
}
MutableOperandRange RowDotOp::getDpsInitsMutable() {
  return getOutputMutable();
}
// Scaled in place: the matrix is read and written.
MutableOperandRange ScaleRowsOp::getDpsInitsMutable() {
  return getMatrixMutable();
}
// dX gets the gate's term added: read and written.
MutableOperandRange GammaGradOp::getDpsInitsMutable() {
  return operandGroups(*this, 5, 6);
}
MutableOperandRange SumTokensOp::getDpsInitsMutable() {
  return getOutputMutable();
}
MutableOperandRange ProjectOp::getDpsInitsMutable() {
  return getOutputMutable();
}
MutableOperandRange LowRankOp::getDpsInitsMutable() {
  return getOutputMutable();
}
MutableOperandRange GateOp::getDpsInitsMutable() { return getOutputMutable(); }
MutableOperandRange CombineOp::getDpsInitsMutable() {
  return getOutputMutable();
}

// Pixelfly attention: the support covers the padded sequence squared.
MutableOperandRange AttentionOp::getDpsInitsMutable() {
  return operandGroups(*this, 4, 5);
}
MutableOperandRange RandomFeaturesOp::getDpsInitsMutable() {
  return operandGroups(*this, 2, 3);
}
MutableOperandRange BlockAttentionOp::getDpsInitsMutable() {
  return operandGroups(*this, 7, 8);
}
MutableOperandRange AttentionGradOp::getDpsInitsMutable() {
  return operandGroups(*this, 7, 9);
}
// The input's gradient is added to: read and written.
MutableOperandRange RandomFeaturesGradOp::getDpsInitsMutable() {
  return getGradInputMutable();
}
MutableOperandRange BlockAttentionGradOp::getDpsInitsMutable() {
  return operandGroups(*this, 13, 17);
}

/// The scores of an attention op: its sequence padded to whole blocks,
/// squared; from seq_len (the head-level ops) or the keys' transpose [d, P]
/// (the kernels).
template <typename OpT> static WeightShape scoresShape(OpT op) {
  const int64_t block = static_cast<int64_t>(op.getBlock());
  int64_t padded;
  if constexpr (std::is_same_v<OpT, AttentionOp> ||
                std::is_same_v<OpT, AttentionGradOp>)
    padded = padTo(static_cast<int64_t>(op.getSeqLen()), block);
  else
    padded = cast<MemRefType>(op.getKeyT().getType()).getDimSize(1);
  return WeightShape{padded, padded, block};
}

WeightShape AttentionOp::getWeightShape() { return scoresShape(*this); }
WeightShape AttentionGradOp::getWeightShape() { return scoresShape(*this); }
WeightShape BlockAttentionOp::getWeightShape() { return scoresShape(*this); }
WeightShape BlockAttentionGradOp::getWeightShape() {
  return scoresShape(*this);
}

} // namespace pfc

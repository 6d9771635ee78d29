//===- PfcOps.cpp - Verifiers of the pfc ops ------------------------------===//
//
// Each verifier checks that the operand shapes agree with each other and with
// the pattern: token counts match where they are static, the blocks operand
// holds one square b×b block per nonzero of the pattern over the padded
// weight, U and V have one rank r ≤ min(in, out), and so on.
//
//===----------------------------------------------------------------------===//
#include "pfc/Dialect/PfcOps.h"
#include "Verifiers.h"

#include "pfc/Spec/Spec.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;

#include "pfc/Dialect/PfcOpInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "pfc/Dialect/PfcOps.cpp.inc"

namespace pfc {

void PfcDialect::registerOps() {
  addOperations<
#define GET_OP_LIST
#include "pfc/Dialect/PfcOps.cpp.inc"
      >();
}

MemRefType memrefType(Value value) { return cast<MemRefType>(value.getType()); }

/// Checks that the data operands (every matrix and block array except the
/// parameters' gradients in `gradients`, which are f32 whatever the data
/// type) share one element type.
LogicalResult verifyDataType(Operation *op, ArrayRef<Value> gradients) {
  Type data;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || type.getRank() < 2 || llvm::is_contained(gradients, operand))
      continue;
    if (!data)
      data = type.getElementType();
    else if (type.getElementType() != data)
      return op->emitOpError("mixes data types ")
             << data << " and " << type.getElementType();
  }
  return success();
}

/// Checks that every matrix in `matrices` (rows are tokens) has the same
/// number of tokens where it is static, and a contiguous innermost dimension.
/// Returns that number, or kDynamic when no matrix has it static.
FailureOr<int64_t> verifyTokenRows(Operation *op, ValueRange matrices) {
  int64_t tokens = ShapedType::kDynamic;
  for (Value matrix : matrices) {
    MemRefType type = memrefType(matrix);
    if (!isLastMemrefDimUnitStride(type))
      return op->emitOpError("needs matrices with contiguous rows, got ")
             << type;
    if (type.isDynamicDim(1))
      return op->emitOpError("needs a static feature count, got ") << type;
    int64_t rows = type.getDimSize(0);
    if (ShapedType::isDynamic(rows))
      continue;
    if (!ShapedType::isDynamic(tokens) && rows != tokens)
      return op->emitOpError("has ")
             << tokens << " and " << rows << " tokens in its operands";
    tokens = rows;
  }
  return tokens;
}

/// Checks that operands that only make sense together (U and V, the extra
/// columns and their weights, the ends of a block-row range) come in pairs:
/// the custom syntax ensures it, the generic form does not.
LogicalResult verifyPair(Operation *op, Value first, Value second,
                         StringRef what) {
  if (!first == !second)
    return success();
  return op->emitOpError("has only one of ") << what;
}

/// Checks `value` has the static shape `shape`; `what` names it.
LogicalResult verifyShape(Operation *op, Value value, ArrayRef<int64_t> shape,
                          StringRef what) {
  MemRefType type = memrefType(value);
  if (type.getShape() == shape)
    return success();
  InFlightDiagnostic diag = op->emitOpError() << what << " has shape [";
  llvm::interleaveComma(type.getShape(), diag, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      diag << "?";
    else
      diag << d;
  });
  diag << "], expected [";
  llvm::interleaveComma(shape, diag, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      diag << "?";
    else
      diag << d;
  });
  return diag << "]";
}

/// Checks γ or a scale: one element, or one per token. A dynamic size means
/// one per token (the kernels read element t for token t), which the caller
/// guarantees.
static LogicalResult verifyPerToken(Operation *op, Value value, int64_t tokens,
                                    StringRef what) {
  int64_t size = memrefType(value).getDimSize(0);
  if (size == 1 || size == tokens || ShapedType::isDynamic(size))
    return success();
  InFlightDiagnostic diag = op->emitOpError()
                            << what << " has " << size
                            << " elements, expected 1 or one per token (";
  if (ShapedType::isDynamic(tokens))
    return diag << "?)";
  return diag << tokens << ")";
}

/// Checks that `blocks` has the static shape [n, b, b]; returns b.
static FailureOr<int64_t> verifyBlockArray(Operation *op, Value blocks) {
  MemRefType type = memrefType(blocks);
  if (!type.hasStaticShape() || type.getDimSize(1) != type.getDimSize(2) ||
      type.getDimSize(1) < 1 || !type.getLayout().isIdentity())
    return op->emitOpError(
               "needs contiguous blocks of static shape [nnz, b, b], got ")
           << type;
  return type.getDimSize(1);
}

/// Checks that `blocks` [nnz, b, b] holds the nonzero blocks of `pattern`
/// over an `out × in` weight; returns b.
static FailureOr<int64_t> verifyBlocks(Operation *op,
                                       BlockPatternAttrInterface pattern,
                                       Value blocks, int64_t out, int64_t in) {
  FailureOr<int64_t> block = verifyBlockArray(op, blocks);
  if (failed(block))
    return failure();
  FailureOr<BlockMask> mask =
      pattern.getBlockMask(out, in, *block, [&] { return op->emitOpError(); });
  if (failed(mask))
    return failure();
  if (mask->nnzBlocks() != memrefType(blocks).getDimSize(0))
    return op->emitOpError("pattern has ")
           << mask->nnzBlocks() << " nonzero blocks, but the blocks operand "
           << memrefType(blocks).getDimSize(0);
  return *block;
}

/// Checks the low-rank factors: Uᵀ [r, padded out] and V [in, r].
static LogicalResult verifyLowRank(Operation *op, Value u, Value v, int64_t out,
                                   int64_t in, int64_t block) {
  int64_t rank = memrefType(v).getDimSize(1);
  if (ShapedType::isDynamic(rank))
    return op->emitOpError("needs a static rank, got V of type ")
           << v.getType();
  if (rank < 1 || rank > std::min(in, out))
    return op->emitOpError("rank ")
           << rank << " is not in [1, min(in, out) = " << std::min(in, out)
           << "]";
  if (failed(verifyShape(op, v, {in, rank}, "V")))
    return failure();
  return verifyShape(op, u, {rank, padTo(out, block)}, "packed U");
}

int64_t features(Value matrix) { return memrefType(matrix).getDimSize(1); }

LogicalResult PackOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  FailureOr<int64_t> block = verifyBlockArray(*this, getBlocks());
  if (failed(block))
    return failure();
  if (getBlocks().getType() != getPackedBlocks().getType())
    return emitOpError("packs ")
           << getBlocks().getType() << " into " << getPackedBlocks().getType();
  if (!getU() != !getPackedU())
    return emitOpError("needs both U and its packed form, or neither");
  if (!getU())
    return success();
  MemRefType u = memrefType(getU());
  if (!u.hasStaticShape())
    return emitOpError("needs a static U, got ") << u;
  return verifyShape(*this, getPackedU(),
                     {u.getDimSize(1), padTo(u.getDimSize(0), *block)},
                     "packed U");
}

/// Checks a layer's γ operand against its kind: none when fixed (with a
/// gamma_value), one element when scalar, the gate's in + 1 when a gate.
static LogicalResult verifyGamma(Operation *op, GammaKind kind, Value params,
                                 bool hasValue, int64_t in) {
  if ((kind == GammaKind::Fixed) != hasValue)
    return op->emitOpError("has a gamma_value exactly when gamma is fixed");
  if ((kind == GammaKind::Fixed) == static_cast<bool>(params))
    return op->emitOpError("has a gamma operand exactly when gamma is learned");
  if (kind == GammaKind::Scalar)
    return verifyShape(op, params, {1}, "gamma");
  if (kind == GammaKind::Gate)
    return verifyShape(op, params, {in + 1}, "gate parameters");
  return success();
}

LogicalResult LayerOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  Value input = getInput(), output = getOutput();
  if (failed(verifyPair(*this, getLowRankU(), getLowRankV(), "U and V")) ||
      failed(verifyPair(*this, getRowBegin(), getRowEnd(),
                        "the block-row range's ends")) ||
      failed(verifyTokenRows(*this, {input, output})))
    return failure();
  int64_t in = features(input), out = features(output);
  FailureOr<int64_t> block =
      verifyBlocks(*this, getPattern(), getBlocks(), out, in);
  if (failed(block))
    return failure();
  if (getLowRankU() && failed(verifyLowRank(*this, getLowRankU(), getLowRankV(),
                                            out, in, *block)))
    return failure();
  if (getBias() && failed(verifyShape(*this, getBias(), {out}, "bias")))
    return failure();

  return verifyGamma(*this, getGamma(), getGammaParams(),
                     getGammaValue().has_value(), in);
}

LogicalResult LayerGradOp::verify() {
  if (failed(verifyDataType(*this, {getGradBlocks(), getGradU(), getGradV()})))
    return failure();
  Value u = getLowRankU(), v = getLowRankV();
  if (failed(verifyPair(*this, u, v, "U and V")) ||
      failed(verifyPair(*this, getGradU(), getGradV(), "dU and dV")) ||
      failed(verifyPair(*this, getTokenBegin(), getTokenEnd(),
                        "the token range's ends")) ||
      failed(verifyPair(*this, getBlockBegin(), getBlockEnd(),
                        "the block range's ends")))
    return failure();
  if (!u != !getGradU())
    return emitOpError("has dU and dV exactly when it has U and V");
  Value input = getInput(), gradOutput = getGradOutput();
  if (failed(verifyTokenRows(*this, {input, gradOutput, getGradInput()})))
    return failure();
  int64_t in = features(input), out = features(gradOutput);
  if (failed(verifyShape(*this, getGradInput(), memrefType(input).getShape(),
                         "dX")))
    return failure();
  FailureOr<int64_t> block =
      verifyBlocks(*this, getPattern(), getBlocks(), out, in);
  if (failed(block))
    return failure();
  if (getGradBlocks().getType().getShape() !=
          memrefType(getBlocks()).getShape() ||
      !getGradBlocks().getType().getLayout().isIdentity())
    return emitOpError("has blocks of type ")
           << getBlocks().getType() << " but their gradient "
           << getGradBlocks().getType();
  if (u) {
    int64_t rank = memrefType(v).getDimSize(1);
    if (ShapedType::isDynamic(rank) || rank < 1 || rank > std::min(in, out))
      return emitOpError("rank of V ")
             << v.getType()
             << " is not in [1, min(in, out) = " << std::min(in, out) << "]";
    if (failed(verifyShape(*this, v, {in, rank}, "V")) ||
        failed(verifyShape(*this, u, {out, rank}, "U")) ||
        failed(verifyShape(*this, getGradV(), {in, rank}, "dV")) ||
        failed(verifyShape(*this, getGradU(), {out, rank}, "dU")))
      return failure();
    for (Value gradient : {getGradU(), getGradV()})
      if (!memrefType(gradient).getLayout().isIdentity())
        return emitOpError("needs contiguous gradients, got ")
               << gradient.getType();
  }
  if (getGradBias() &&
      failed(verifyShape(*this, getGradBias(), {out}, "bias gradient")))
    return failure();
  GammaKind kind = getGamma();
  if (failed(verifyGamma(*this, kind, getGammaParams(),
                         getGammaValue().has_value(), in)))
    return failure();
  if (kind == GammaKind::Fixed)
    return getGradGamma() ? emitOpError("has no gradient for a fixed gamma")
                          : success();
  if (!getGradGamma())
    return emitOpError("needs a gamma gradient for a learned gamma");
  return verifyShape(*this, getGradGamma(),
                     memrefType(getGammaParams()).getShape(), "gamma gradient");
}

/// What pfc.bsmm and pfc.bsmm_t share: the token rows of `matrices`, the
/// blocks of an `out × in` weight, the scale, and extra weights that add to
/// the product's `produced` outputs. Returns the token count and b.
static FailureOr<std::pair<int64_t, int64_t>>
verifyProduct(Operation *op, ArrayRef<Value> matrices,
              BlockPatternAttrInterface pattern, Value blocks, int64_t out,
              int64_t in, Value scale, Value extra, Value extraWeights,
              int64_t produced) {
  if (failed(verifyPair(op, extra, extraWeights,
                        "the extra columns and their weights")))
    return failure();
  SmallVector<Value> rows(matrices);
  if (extra)
    rows.push_back(extra);
  FailureOr<int64_t> tokens = verifyTokenRows(op, rows);
  if (failed(tokens))
    return failure();
  FailureOr<int64_t> block = verifyBlocks(op, pattern, blocks, out, in);
  if (failed(block))
    return failure();
  if (scale && failed(verifyPerToken(op, scale, *tokens, "scale")))
    return failure();
  if (extra && failed(verifyShape(op, extraWeights,
                                  {features(extra), padTo(produced, *block)},
                                  "extra weights")))
    return failure();
  return std::make_pair(*tokens, *block);
}

LogicalResult BlockSparseMatmulOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  if (failed(verifyPair(*this, getRowBegin(), getRowEnd(),
                        "the block-row range's ends")))
    return failure();
  Value input = getInput(), output = getOutput();
  int64_t in = features(input), out = features(output);
  if (failed(verifyProduct(*this, {input, output}, getPattern(), getBlocks(),
                           out, in, getScale(), getExtra(), getExtraWeights(),
                           out)))
    return failure();
  if (getBias())
    return verifyShape(*this, getBias(), {out}, "bias");
  return success();
}

LogicalResult BlockSparseMatmulTransposeOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  if (failed(verifyPair(*this, getDotInput(), getDots(),
                        "the dot products' input and output")))
    return failure();
  Value input = getInput(), output = getOutput();
  SmallVector<Value> matrices = {input, output};
  if (getDotInput())
    matrices.push_back(getDotInput());
  // dX = dY·B: the weight's outputs are the input's features.
  int64_t in = features(output), out = features(input);
  auto product =
      verifyProduct(*this, matrices, getPattern(), getBlocks(), out, in,
                    getScale(), getExtra(), getExtraWeights(), in);
  if (failed(product))
    return failure();
  if (!getDots())
    return success();
  if (features(getDotInput()) != in)
    return emitOpError("dot input has ")
           << features(getDotInput()) << " features, expected " << in;
  int64_t tokens = product->first;
  int64_t dots = memrefType(getDots()).getDimSize(0);
  if (ShapedType::isDynamic(dots) || ShapedType::isDynamic(tokens) ||
      dots == tokens)
    return success();
  return emitOpError("has ") << dots << " dots for " << tokens << " tokens";
}

LogicalResult SampledMatmulOp::verify() {
  if (failed(verifyDataType(*this, {getOutput()})))
    return failure();
  if (failed(verifyPair(*this, getBlockBegin(), getBlockEnd(),
                        "the block range's ends")) ||
      failed(verifyPair(*this, getDotBlocks(), getDot(),
                        "the dot's blocks and output")))
    return failure();
  if (getDotBlocks()) {
    if (getDotBlocks().getType().getShape() != getOutput().getType().getShape())
      return emitOpError("dots blocks of type ")
             << getDotBlocks().getType() << " with dB of type "
             << getOutput().getType();
    if (failed(verifyShape(*this, getDot(), {1}, "dot")))
      return failure();
  }
  Value gradOutput = getGradOutput(), input = getInput();
  FailureOr<int64_t> tokens = verifyTokenRows(*this, {gradOutput, input});
  if (failed(tokens))
    return failure();
  if (getScale() && failed(verifyPerToken(*this, getScale(), *tokens, "scale")))
    return failure();
  return verifyBlocks(*this, getPattern(), getOutput(), features(gradOutput),
                      features(input));
}

LogicalResult OuterSumOp::verify() {
  if (failed(verifyDataType(*this, {getOutput()})))
    return failure();
  Value lhs = getLhs(), rhs = getRhs();
  if (failed(verifyTokenRows(*this, {lhs, rhs})))
    return failure();
  if (!memrefType(getOutput()).getLayout().isIdentity())
    return emitOpError("needs a contiguous output, got ")
           << getOutput().getType();
  return verifyShape(*this, getOutput(), {features(lhs), features(rhs)},
                     "output");
}

LogicalResult TransposeOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  MemRefType input = memrefType(getInput()), output = memrefType(getOutput());
  // The input's rows may be tokens (attention's keys): the output then has
  // room for as many as a call may pass, which the caller guarantees.
  if (input.isDynamicDim(1) || !output.hasStaticShape())
    return emitOpError("needs a static output and input columns, got ")
           << input << " and " << output;
  if (output.getDimSize(0) != input.getDimSize(1) ||
      (!input.isDynamicDim(0) && output.getDimSize(1) < input.getDimSize(0)))
    return emitOpError("cannot hold the transpose of ")
           << input << " in " << output;
  return success();
}

LogicalResult RowDotOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  FailureOr<int64_t> tokens = verifyTokenRows(*this, {getLhs(), getRhs()});
  if (failed(tokens))
    return failure();
  if (features(getLhs()) != features(getRhs()))
    return emitOpError("multiplies rows of ")
           << features(getLhs()) << " and " << features(getRhs())
           << " features";
  return verifyShape(*this, getOutput(), {*tokens}, "output");
}

LogicalResult ScaleRowsOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  FailureOr<int64_t> tokens = verifyTokenRows(*this, {getMatrix()});
  if (failed(tokens))
    return failure();
  return verifyPerToken(*this, getGamma(), *tokens, "gamma");
}

LogicalResult GammaGradOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  int64_t tokens = memrefType(getSparseDots()).getDimSize(0);
  bool gate = getGamma() == GammaKind::Gate;
  // A scalar γ sums each vector of dots on its own.
  if (gate && getLowRankDots() &&
      failed(verifyShape(*this, getLowRankDots(), {tokens}, "low-rank dots")))
    return failure();
  if (getGamma() == GammaKind::Fixed)
    return emitOpError("has no gradient for a fixed gamma");
  for (Value operand : {getInput(), getParams(), getGradInput()})
    if (gate != static_cast<bool>(operand))
      return emitOpError(
          "has the gate's operands exactly when gamma is a gate");
  if (!gate) {
    if (failed(verifyShape(*this, getGammaValues(), {1}, "gamma")))
      return failure();
    return verifyShape(*this, getOutput(), {1}, "output");
  }
  FailureOr<int64_t> inputTokens =
      verifyTokenRows(*this, {getInput(), getGradInput()});
  if (failed(inputTokens))
    return failure();
  if (failed(verifyShape(*this, getGammaValues(), {tokens}, "gamma")) ||
      failed(verifyShape(*this, getInput(), {tokens, features(getGradInput())},
                         "input")))
    return failure();
  int64_t in = features(getInput());
  if (failed(verifyShape(*this, getParams(), {in + 1}, "gate parameters")))
    return failure();
  return verifyShape(*this, getOutput(), {in + 1}, "output");
}

LogicalResult SumTokensOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  if (failed(verifyTokenRows(*this, {getInput()})))
    return failure();
  return verifyShape(*this, getOutput(), {features(getInput())}, "output");
}

LogicalResult ProjectOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  Value input = getInput(), output = getOutput();
  FailureOr<int64_t> tokens = verifyTokenRows(*this, {input, output});
  if (failed(tokens))
    return failure();
  if (failed(
          verifyShape(*this, getV(), {features(input), features(output)}, "V")))
    return failure();
  if (getGamma())
    return verifyPerToken(*this, getGamma(), *tokens, "gamma");
  return success();
}

LogicalResult LowRankOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  Value input = getInput(), output = getOutput();
  if (failed(verifyTokenRows(*this, {input, output})))
    return failure();
  int64_t in = features(input), out = features(output);
  int64_t rank = memrefType(getV()).getDimSize(1);
  if (ShapedType::isDynamic(rank))
    return emitOpError("needs a static rank, got V of type ")
           << getV().getType();
  if (failed(verifyShape(*this, getV(), {in, rank}, "V")))
    return failure();
  int64_t paddedOut = memrefType(getU()).getDimSize(1);
  if (ShapedType::isDynamic(paddedOut) || paddedOut < out)
    return emitOpError("packed U has ")
           << paddedOut << " columns, fewer than the " << out << " outputs";
  return verifyShape(*this, getU(), {rank, paddedOut}, "packed U");
}

LogicalResult GateOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  Value input = getInput();
  if (failed(verifyTokenRows(*this, {input})))
    return failure();
  if (failed(verifyShape(*this, getParams(), {features(input) + 1},
                         "gate parameters")))
    return failure();
  int64_t tokens = memrefType(input).getDimSize(0);
  return verifyShape(*this, getOutput(), {tokens}, "gate output");
}

LogicalResult CombineOp::verify() {
  if (failed(verifyDataType(*this)))
    return failure();
  SmallVector<Value> matrices = {getSparse(), getOutput()};
  if (getLowRank())
    matrices.push_back(getLowRank());
  FailureOr<int64_t> tokens = verifyTokenRows(*this, matrices);
  if (failed(tokens))
    return failure();
  int64_t out = features(getOutput());
  for (Value matrix : matrices)
    if (features(matrix) != out)
      return emitOpError("combines matrices of ")
             << features(matrix) << " and " << out << " features";
  if (failed(verifyPerToken(*this, getGamma(), *tokens, "gamma")))
    return failure();
  if (getBias())
    return verifyShape(*this, getBias(), {out}, "bias");
  return success();
}

} // namespace pfc

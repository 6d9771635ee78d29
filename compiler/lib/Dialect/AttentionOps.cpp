//===- AttentionOps.cpp - Pixelfly attention's ops ------------------------===//
//
// The verifiers and interface methods of pfc.attention, pfc.random_features
// and pfc.block_attention: every head-sized matrix has the head dimension d,
// the keys' transposed matrices span the padded sequence P, and the support
// fits P×P in blocks of `block` tokens.
//
//===----------------------------------------------------------------------===//
#include "Verifiers.h"
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Spec/Spec.h"

using namespace mlir;

namespace pfc {

/// Checks the head matrices (same tokens, d features each, d static) and
/// the stats [T, 3]; returns the static token count or kDynamic.
static FailureOr<int64_t> verifyHeads(Operation *op, ValueRange matrices,
                                      Value stats) {
  SmallVector<Value> rows(matrices);
  rows.push_back(stats);
  FailureOr<int64_t> tokens = verifyTokenRows(op, rows);
  if (failed(tokens))
    return failure();
  int64_t d = features(matrices.front());
  for (Value matrix : matrices.drop_front())
    if (features(matrix) != d)
      return op->emitOpError("has head dimensions ")
             << d << " and " << features(matrix);
  if (features(stats) != 3)
    return op->emitOpError("needs stats of 3 columns, got ")
           << memrefType(stats);
  return tokens;
}

/// Checks the support: a pattern that fits `padded`×`padded` in blocks of
/// `block` tokens, where `padded` is a multiple of `block`.
static LogicalResult verifySupport(Operation *op,
                                   BlockPatternAttrInterface pattern,
                                   int64_t padded, int64_t block) {
  if (block < 1 || padded < 1 || padded % block != 0)
    return op->emitOpError("needs a sequence of whole blocks, got ")
           << padded << " tokens in blocks of " << block;
  return pattern.getBlockMask(padded, padded, block,
                              [&] { return op->emitOpError(); });
}

/// Checks that a static token count is at most `padded`.
static LogicalResult verifyTokensFit(Operation *op, int64_t tokens,
                                     int64_t padded) {
  if (ShapedType::isDynamic(tokens) || tokens <= padded)
    return success();
  return op->emitOpError("has ")
         << tokens << " tokens, more than the sequence's " << padded;
}

/// Checks `features` Wᵀ: static [d, m/2].
static LogicalResult verifyFeatureMatrix(Operation *op, Value w, int64_t d) {
  MemRefType type = memrefType(w);
  if (type.hasStaticShape() && type.getDimSize(0) == d)
    return success();
  return op->emitOpError("needs features Wᵀ of static shape [")
         << d << ", m/2], got " << type;
}

/// What pfc.attention and pfc.attention_grad share: the head matrices, the
/// stats, the sequence, the scale and the features.
template <typename OpT>
static LogicalResult verifyAttention(OpT op, ValueRange heads) {
  if (failed(verifyDataType(op, {op.getStats()})))
    return failure();
  FailureOr<int64_t> tokens = verifyHeads(op, heads, op.getStats());
  if (failed(tokens))
    return failure();
  const int64_t seqLen = static_cast<int64_t>(op.getSeqLen());
  const int64_t block = static_cast<int64_t>(op.getBlock());
  if (seqLen < 1)
    return op.emitOpError("needs a positive seq_len, got ") << seqLen;
  if (block < 1)
    return op.emitOpError("needs a positive block, got ") << block;
  if (!(op.getScale().convertToDouble() > 0))
    return op.emitOpError("needs a positive scale");
  if (failed(verifySupport(op, op.getPattern(), padTo(seqLen, block), block)) ||
      failed(verifyTokensFit(op, *tokens, seqLen)))
    return failure();
  if (Value w = op.getFeatures())
    return verifyFeatureMatrix(op, w, features(op.getQuery()));
  return success();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyPair(*this, getRowBegin(), getRowEnd(),
                        "the block-row range's ends")))
    return failure();
  return verifyAttention(*this,
                         {getQuery(), getKey(), getValue(), getOutput()});
}

LogicalResult AttentionGradOp::verify() {
  if (failed(verifyPair(*this, getRowBegin(), getRowEnd(),
                        "the block-row range's ends")))
    return failure();
  return verifyAttention(*this, {getQuery(), getKey(), getValue(), getOutput(),
                                 getGradOutput(), getGradQuery(), getGradKey(),
                                 getGradValue()});
}

LogicalResult RandomFeaturesGradOp::verify() {
  if (failed(verifyDataType(*this, {getPhi(), getGradPhi()})) ||
      failed(verifyTokenRows(*this, {getInput(), getGradInput()})))
    return failure();
  const int64_t d = features(getInput());
  if (features(getGradInput()) != d)
    return emitOpError("has head dimensions ")
           << d << " and " << features(getGradInput());
  if (failed(verifyFeatureMatrix(*this, getFeatures(), d)))
    return failure();
  const int64_t m = 2 * memrefType(getFeatures()).getDimSize(1);
  MemRefType phi = memrefType(getPhi());
  if (phi.isDynamicDim(1) || phi.getDimSize(1) != m)
    return emitOpError("needs features of ") << m << " columns, got " << phi;
  if (phi != memrefType(getGradPhi()))
    return emitOpError("needs the features and their gradient of one type, "
                       "got ")
           << phi << " and " << memrefType(getGradPhi());
  if (!(getScale().convertToDouble() > 0))
    return emitOpError("needs a positive scale");
  return success();
}

LogicalResult RandomFeaturesOp::verify() {
  if (failed(verifyDataType(*this, {getOutput()})) ||
      failed(verifyTokenRows(*this, {getInput()})))
    return failure();
  int64_t d = features(getInput()), group = static_cast<int64_t>(getGroup());
  MemRefType w = memrefType(getFeatures());
  if (!w.hasStaticShape() || w.getDimSize(0) != d)
    return emitOpError("needs features Wᵀ of static shape [")
           << d << ", m/2], got " << w;
  const int64_t m = 2 * w.getDimSize(1);
  if (group < 1)
    return emitOpError("needs a positive group, got ") << group;
  if (!(getScale().convertToDouble() > 0))
    return emitOpError("needs a positive scale");
  if (!getTransposed() && group != 1)
    return emitOpError("needs group 1 unless transposed, got ") << group;
  if (!getTransposed())
    return failure(failed(verifyShape(*this, getOutput(),
                                      {memrefType(getInput()).getDimSize(0), m},
                                      "output")) ||
                   failed(verifyTokenRows(*this, {getInput(), getOutput()})));
  MemRefType out = memrefType(getOutput());
  int64_t padded = out.getDimSize(1);
  if (!out.hasStaticShape() || out.getDimSize(0) != m || padded % group != 0)
    return emitOpError("needs a transposed output of static shape [")
           << m << ", P] with P a multiple of " << group << ", got " << out;
  if (failed(
          verifyTokensFit(*this, memrefType(getInput()).getDimSize(0), padded)))
    return failure();
  return verifyShape(*this, getLogScale(), {padded / group}, "log_scale");
}

/// What pfc.block_attention and its gradient share: the support over the
/// keys' padded sequence, the scale and the random features (all or none).
/// Returns the padded sequence P.
template <typename OpT>
static FailureOr<int64_t> verifyBlockAttention(OpT op, int64_t tokens) {
  const int64_t d = features(op.getQuery());
  const int64_t block = static_cast<int64_t>(op.getBlock());
  MemRefType keyT = memrefType(op.getKeyT());
  const int64_t padded = keyT.getDimSize(1);
  if (!keyT.hasStaticShape() || keyT.getDimSize(0) != d)
    return op.emitOpError("needs keys Kᵀ of static shape [")
           << d << ", P], got " << keyT;
  if (!(op.getScale().convertToDouble() > 0))
    return op.emitOpError("needs a positive scale");
  if (failed(verifySupport(op, op.getPattern(), padded, block)) ||
      failed(verifyTokensFit(op, tokens, padded)))
    return failure();
  Value phiQ = op.getQueryFeatures(), phiKT = op.getKeyFeaturesT();
  if (failed(verifyPair(op, phiQ, op.getQueryLogScale(),
                        "the queries' features and scales")) ||
      failed(verifyPair(op, phiKT, op.getKeyLogScale(),
                        "the keys' features and scales")) ||
      failed(verifyPair(op, phiQ, phiKT, "the queries' and keys' features")))
    return failure();
  if (!phiQ)
    return padded;
  if (failed(verifyTokenRows(op, {op.getQuery(), phiQ})))
    return failure();
  const int64_t m = features(phiQ);
  MemRefType cq = memrefType(op.getQueryLogScale());
  if (cq.getDimSize(0) != memrefType(op.getQuery()).getDimSize(0))
    return op.emitOpError("needs one query scale per token, got ") << cq;
  if (failed(verifyShape(op, phiKT, {m, padded}, "the keys' features")) ||
      failed(verifyShape(op, op.getKeyLogScale(), {padded / block},
                         "the keys' scales")))
    return failure();
  return padded;
}

LogicalResult BlockAttentionGradOp::verify() {
  if (failed(verifyDataType(*this,
                            {getStats(), getQueryFeatures(), getKeyFeaturesT(),
                             getKeyFeatures(), getGradQueryFeatures(),
                             getGradKeyFeatures()})))
    return failure();
  FailureOr<int64_t> tokens = verifyHeads(
      *this,
      {getQuery(), getKey(), getValue(), getOutput(), getGradOutput(),
       getGradQuery(), getGradKey(), getGradValue()},
      getStats());
  if (failed(tokens))
    return failure();
  FailureOr<int64_t> padded = verifyBlockAttention(*this, *tokens);
  if (failed(padded))
    return failure();
  if (failed(verifyShape(*this, getValueT(), memrefType(getKeyT()).getShape(),
                         "the values' transpose")) ||
      failed(verifyPair(*this, getQueryFeatures(), getKeyFeatures(),
                        "the keys' features in both layouts")) ||
      failed(verifyPair(*this, getQueryFeatures(), getGradQueryFeatures(),
                        "the features and their gradients")) ||
      failed(verifyPair(*this, getGradQueryFeatures(), getGradKeyFeatures(),
                        "the features' gradients")) ||
      failed(verifyPair(*this, getRowBegin(), getRowEnd(),
                        "the block-row range's ends")))
    return failure();
  if (!getQueryFeatures())
    return success();
  const int64_t m = features(getQueryFeatures());
  if (failed(verifyShape(*this, getKeyFeatures(), {*padded, m},
                         "the keys' features")) ||
      failed(verifyShape(*this, getGradKeyFeatures(), {*padded, m},
                         "the keys' features' gradient")))
    return failure();
  return verifyShape(*this, getGradQueryFeatures(),
                     memrefType(getQueryFeatures()).getShape(),
                     "the queries' features' gradient");
}

LogicalResult BlockAttentionOp::verify() {
  if (failed(verifyPair(*this, getRowBegin(), getRowEnd(),
                        "the block-row range's ends")))
    return failure();
  if (failed(verifyDataType(
          *this, {getStats(), getQueryFeatures(), getKeyFeaturesT()})))
    return failure();
  FailureOr<int64_t> tokens =
      verifyHeads(*this, {getQuery(), getValue(), getOutput()}, getStats());
  if (failed(tokens))
    return failure();
  return failure(failed(verifyBlockAttention(*this, *tokens)));
}

} // namespace pfc

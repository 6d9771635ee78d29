//===- PfcAttrs.cpp - Patterns, schedules and γ modes ---------------------===//
#include "pfc/Dialect/PfcAttrs.h"
#include "pfc/Dialect/PfcDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

#include "pfc/Dialect/PfcAttrInterfaces.cpp.inc"
#include "pfc/Dialect/PfcEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "pfc/Dialect/PfcAttrs.cpp.inc"

namespace pfc {

void PfcDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "pfc/Dialect/PfcAttrs.cpp.inc"
      >();
}

LogicalResult
ButterflyAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      int64_t size, ArrayRef<int64_t> strides, bool shuffle,
                      int64_t global) {
  ButterflyPattern pattern{size, strides.vec(), shuffle, global};
  // A pattern is well-formed when it fits the one shape every valid size
  // divides: the coarse grid itself.
  std::string why = checkPatternFits(pattern, size, size);
  if (!why.empty())
    return emitError() << "invalid butterfly pattern: " << why;
  return success();
}

LogicalResult BlocksAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t blockRows, int64_t blockCols,
                                 ArrayRef<int64_t> rowStart,
                                 ArrayRef<int64_t> colIndex) {
  if (blockRows < 1 || blockCols < 1)
    return emitError() << "block grid " << blockRows << "x" << blockCols
                       << " is empty";
  if (static_cast<int64_t>(rowStart.size()) != blockRows + 1 ||
      rowStart.front() != 0 ||
      rowStart.back() != static_cast<int64_t>(colIndex.size()))
    return emitError() << "block list has " << rowStart.size() - 1
                       << " rows, expected " << blockRows;
  for (int64_t r = 0; r < blockRows; ++r) {
    if (rowStart[r + 1] < rowStart[r])
      return emitError() << "block-row " << r << " starts after its end";
    for (int64_t i = rowStart[r]; i < rowStart[r + 1]; ++i) {
      if (colIndex[i] < 0 || colIndex[i] >= blockCols)
        return emitError() << "block (" << r << ", " << colIndex[i]
                           << ") lies outside the " << blockRows << "x"
                           << blockCols << " grid";
      if (i > rowStart[r] && colIndex[i] <= colIndex[i - 1])
        return emitError() << "block-row " << r
                           << " lists its columns out of order";
    }
  }
  return success();
}

// #pfc.blocks<ROWSxCOLS: [c, ...], ...>, one bracketed list per block-row.
Attribute BlocksAttr::parse(AsmParser &parser, Type) {
  SmallVector<int64_t, 2> grid;
  if (parser.parseLess() ||
      parser.parseDimensionList(grid, /*allowDynamic=*/false,
                                /*withTrailingX=*/false))
    return {};
  if (grid.size() != 2) {
    parser.emitError(parser.getCurrentLocation(),
                     "expected a ROWSxCOLS block grid");
    return {};
  }
  SmallVector<int64_t> rowStart = {0}, colIndex;
  if (parser.parseColon())
    return {};
  auto parseRow = [&]() -> ParseResult {
    if (parser.parseCommaSeparatedList(
            AsmParser::Delimiter::Square, [&]() -> ParseResult {
              return parser.parseInteger(colIndex.emplace_back());
            }))
      return failure();
    rowStart.push_back(colIndex.size());
    return success();
  };
  if (parser.parseCommaSeparatedList(parseRow) || parser.parseGreater())
    return {};
  return parser.getChecked<BlocksAttr>(parser.getContext(), grid[0], grid[1],
                                       rowStart, colIndex);
}

void BlocksAttr::print(AsmPrinter &printer) const {
  printer << "<" << getBlockRows() << "x" << getBlockCols() << ": ";
  ArrayRef<int64_t> rowStart = getRowStart(), colIndex = getColIndex();
  for (int64_t r = 0; r < getBlockRows(); ++r) {
    printer << (r ? ", [" : "[");
    llvm::interleaveComma(
        colIndex.slice(rowStart[r], rowStart[r + 1] - rowStart[r]), printer);
    printer << "]";
  }
  printer << ">";
}

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t tile, int64_t vector, int64_t chunk,
                                   int64_t unroll, bool unrolled,
                                   int64_t prefetch) {
  std::string why =
      checkSchedule({tile, vector, chunk, unroll, unrolled, prefetch});
  if (!why.empty())
    return emitError() << why;
  return success();
}

Schedule ScheduleAttr::getSchedule() const {
  return {getTile(),   getVector(),   getChunk(),
          getUnroll(), getUnrolled(), getPrefetch()};
}

GammaKind getGammaKind(GammaMode mode) {
  switch (mode) {
  case GammaMode::Scalar:
    return GammaKind::Scalar;
  case GammaMode::Gate:
    return GammaKind::Gate;
  case GammaMode::Fixed:
    return GammaKind::Fixed;
  }
  llvm_unreachable("unknown gamma mode");
}

GammaMode getGammaMode(GammaKind kind) {
  switch (kind) {
  case GammaKind::Scalar:
    return GammaMode::Scalar;
  case GammaKind::Gate:
    return GammaMode::Gate;
  case GammaKind::Fixed:
    return GammaMode::Fixed;
  }
  llvm_unreachable("unknown gamma kind");
}

FloatType getElementType(MLIRContext *context, DType dtype) {
  switch (dtype) {
  case DType::F32:
    return FloatType::getF32(context);
  case DType::BF16:
    return FloatType::getBF16(context);
  case DType::F16:
    return FloatType::getF16(context);
  }
  llvm_unreachable("unknown dtype");
}

std::optional<DType> getDType(Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isBF16())
    return DType::BF16;
  if (type.isF16())
    return DType::F16;
  return std::nullopt;
}

ButterflyAttr getButterflyAttr(MLIRContext *context,
                               const ButterflyPattern &pattern) {
  return ButterflyAttr::get(context, pattern.size, pattern.strides,
                            pattern.shuffle, pattern.global);
}

ButterflyPattern getButterflyPattern(ButterflyAttr attr) {
  return ButterflyPattern{attr.getSize(), attr.getStrides().vec(),
                          attr.getShuffle(), attr.getGlobal()};
}

BlocksAttr getBlocksAttr(MLIRContext *context, const BlockMask &mask) {
  return BlocksAttr::get(context, mask.blockRows, mask.blockCols, mask.rowStart,
                         mask.colIndex);
}

BlockMask getBlockMask(BlocksAttr attr, int64_t block) {
  BlockMask mask;
  mask.block = block;
  mask.blockRows = attr.getBlockRows();
  mask.blockCols = attr.getBlockCols();
  mask.rows = mask.blockRows * block;
  mask.cols = mask.blockCols * block;
  mask.rowStart = attr.getRowStart().vec();
  mask.colIndex = attr.getColIndex().vec();
  return mask;
}

FailureOr<BlockMask>
BlocksAttr::getBlockMask(int64_t out, int64_t in, int64_t block,
                         function_ref<InFlightDiagnostic()> emitError) const {
  int64_t blockRows = (out + block - 1) / block;
  int64_t blockCols = (in + block - 1) / block;
  if (getBlockRows() != blockRows || getBlockCols() != blockCols)
    return emitError() << "block list covers a " << getBlockRows() << "x"
                       << getBlockCols() << " grid, but a " << out << "x" << in
                       << " weight with " << block << "x" << block
                       << " blocks has " << blockRows << "x" << blockCols;
  return pfc::getBlockMask(*this, block);
}

bool BlocksAttr::isMaterialized() const { return true; }

FailureOr<BlockMask> ButterflyAttr::getBlockMask(
    int64_t out, int64_t in, int64_t block,
    function_ref<InFlightDiagnostic()> emitError) const {
  ButterflyPattern butterfly = getButterflyPattern(*this);
  std::string why =
      checkPatternFits(butterfly, padTo(out, block), padTo(in, block));
  if (!why.empty())
    return emitError() << why;
  return buildBlockMask(butterfly, out, in, block);
}

bool ButterflyAttr::isMaterialized() const { return false; }

} // namespace pfc

//===- CudaKernelEmitters.cpp - One CUDA kernel per kernel-level pfc op ---===//
//
// The per-op half of the CUDA target (the walk and the plan are in
// CudaEmitter.cpp). The products are two lowerings of one tiled product from
// the prelude (pfc::Tile, CudaPrelude.cuh): over features with token rows
// (the block-sparse products and the projection) and over tokens (the weight
// gradients); the other ops call the prelude's element-wise kernels.
//
//===----------------------------------------------------------------------===//
#include "FunctionEmitter.h"

#include "pfc/Support/Math.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace pfc::cuda {

LogicalResult FunctionEmitter::emitSparse(Operation *op, llvm::StringRef what,
                                          const BlockSparseProduct &p) {
  const int64_t b = p.block, bm = options.schedule.tileTokens;
  const int64_t bn = std::min(options.schedule.tileCols, b);
  FailureOr<Kernel> made = kernel(what, p.input);
  if (failed(made))
    return failure();
  Kernel &k = *made;
  std::string prefix = k.name;
  table(prefix + "_row_start", p.mask.rowStart);
  table(prefix + "_col_index", p.mask.colIndex);
  if (!p.blockIndex.empty())
    table(prefix + "_block_index", p.blockIndex);
  if (p.rowBegin) {
    FailureOr<int64_t> begin = indexArg(op, p.rowBegin);
    FailureOr<int64_t> end = indexArg(op, p.rowEnd);
    if (failed(begin) || failed(end))
      return failure();
    k.index("rowBegin", *begin);
    k.index("rowEnd", *end);
  }
  pointer(k, "input", p.input, true);
  pointer(k, "blocks", p.blocks, true);
  std::string body;
  llvm::raw_string_ostream s(body);
  int64_t threads;
  s << "  using Tile = " << tileType(bm, bn, false, threads) << ";\n"
    << "  using E = " << elementName(dtype) << ";\n"
    << "  constexpr long long B = " << b << ", IN = " << p.in
    << ", OUT = " << p.out << ", BN = " << bn << ", BM = " << bm << ";\n"
    << "  __shared__ Tile::Smem smem;\n"
    << "  const int row = blockIdx.y / (B / BN);\n"
    << "  const long long n0 = blockIdx.y % (B / BN) * BN;\n";
  if (p.rowBegin)
    s << "  if (row < rowBegin || row >= rowEnd)\n    return;\n";
  s << "  const long long t0 = (long long)blockIdx.x * BM, tokens = T - t0;\n"
    << "  const long long outBase = row * B + n0;\n"
    << "  const int first = " << prefix << "_row_start[row];\n"
    << "  const int count = " << prefix << "_row_start[row + 1] - first;\n"
    << "  Tile tile;\n  tile.zero();\n"
    << "  // Every nonzero block of the block-row, in k-tiles of 16.\n"
    << "  tile.accumulate(smem, count * (B / 16), [&](int i, pfc::Src<E> &a, "
       "pfc::Src<E> &b) {\n"
    << "    const int n = first + i / (B / 16);\n"
    << "    const long long k0 = i % (B / 16) * 16;\n"
    << "    const long long col = " << prefix << "_col_index[n];\n"
    << "    const long long k = pfc::minLL(B, IN - col * B) - k0;\n"
    << "    a = {input + t0 * IN + col * B + k0, IN, tokens, k, nullptr};\n"
    << "    b = {blocks + (long long)"
    << (p.blockIndex.empty() ? "n" : prefix + "_block_index[n]")
    << " * B * B + k0 * B + n0, B, k, BN, nullptr};\n"
    << "  });\n";
  if (p.dots) {
    pointer(k, "dotInput", p.dotInput, true);
    pointer(k, "dots", p.dots, false);
    s << "  // dγ's part through the weight, before γ: Σ (input·Wᵀ)⊙dotInput."
         "\n  tile.rowDots([&](int m, int n) {\n"
      << "    return m < tokens && outBase + n < OUT\n"
      << "        ? pfc::toFloat(dotInput[(t0 + m) * OUT + outBase + n]) : 0.f;"
         "\n  }, dots + t0, tokens);\n";
  }
  if (p.scale) {
    std::string g = gamma(k, "scale", p.scale, "t0 + m");
    s << "  tile.forEach([&](int m, int n, float &v) {\n"
      << "    if (m < tokens)\n      v *= " << g << ";\n  });\n";
  }
  if (p.extra) {
    pointer(k, "extra", p.extra, true);
    pointer(k, "extraWeights", p.extraWeights, true);
    int64_t rank = cols(p.extra), width = cols(p.extraWeights);
    s << "  // The low-rank term: " << rank << " extra columns.\n"
      << "  constexpr long long R = " << rank << ", LDW = " << width << ";\n"
      << "  tile.accumulate(smem, (R + 15) / 16, [&](int i, pfc::Src<E> &a, "
         "pfc::Src<E> &b) {\n"
      << "    const long long k0 = i * 16;\n"
      << "    a = {extra + t0 * R + k0, R, tokens, R - k0, nullptr};\n"
      << "    b = {extraWeights + k0 * LDW + outBase, LDW, R - k0, "
         "LDW - outBase, nullptr};\n"
      << "  });\n";
  }
  if (p.bias) {
    pointer(k, "bias", p.bias, true);
    s << "  tile.forEach([&](int m, int n, float &v) {\n"
      << "    if (outBase + n < OUT)\n      v += bias[outBase + n];\n  });\n";
  }
  pointer(k, "output", p.output, false);
  s << "  tile.store(output + t0 * OUT + outBase, OUT, tokens, OUT - outBase);"
       "\n}\n\n";
  os << k.signature(threads) << body;
  if (p.dots) {
    PlanStep zero;
    zero.kind = PlanStep::Kind::Zero;
    zero.params = {buffers.lookup(p.dots).param};
    FailureOr<int64_t> tokens = tokenCount(p.dots);
    if (failed(tokens))
      return failure();
    zero.elements = perTokens(*tokens, 1, 1);
    entry->steps.push_back(zero);
  }
  launch(k, perTokens(k.tokens(), 1, bm), fixed(p.mask.blockRows * (b / bn)),
         threads);
  return success();
}

LogicalResult FunctionEmitter::emitProject(ProjectOp op) {
  const int64_t rank = cols(op.getOutput()), in = cols(op.getInput());
  const int64_t bm = options.schedule.tileTokens;
  const int64_t bn = std::min(
      options.schedule.tileCols,
      roundUp(rank, 8 * std::max<int64_t>(1, options.schedule.warpsN)));
  FailureOr<Kernel> made = kernel("project", op.getInput());
  if (failed(made))
    return failure();
  Kernel &k = *made;
  pointer(k, "input", op.getInput(), true);
  pointer(k, "weights", op.getV(), true);
  std::string body;
  llvm::raw_string_ostream s(body);
  int64_t threads;
  s << "  using Tile = " << tileType(bm, bn, false, threads) << ";\n"
    << "  using E = " << elementName(dtype) << ";\n"
    << "  constexpr long long IN = " << in << ", R = " << rank
    << ", BM = " << bm << ", BN = " << bn << ";\n"
    << "  __shared__ Tile::Smem smem;\n"
    << "  const long long t0 = (long long)blockIdx.x * BM, tokens = T - t0;\n"
    << "  const long long n0 = (long long)blockIdx.y * BN;\n"
    << "  Tile tile;\n  tile.zero();\n"
    << "  tile.accumulate(smem, (IN + 15) / 16, [&](int i, pfc::Src<E> &a, "
       "pfc::Src<E> &b) {\n"
    << "    const long long k0 = i * 16;\n"
    << "    a = {input + t0 * IN + k0, IN, tokens, IN - k0, nullptr};\n"
    << "    b = {weights + k0 * R + n0, R, IN - k0, R - n0, nullptr};\n"
    << "  });\n";
  if (Value g = op.getGamma()) {
    std::string value = gamma(k, "gamma", g, "t0 + m");
    s << "  tile.forEach([&](int m, int n, float &v) {\n"
      << "    if (m < tokens)\n      v *= 1.f - " << value << ";\n  });\n";
  }
  pointer(k, "output", op.getOutput(), false);
  s << "  tile.store(output + t0 * R + n0, R, tokens, R - n0);\n}\n\n";
  os << k.signature(threads) << body;
  launch(k, perTokens(k.tokens(), 1, bm), fixed(ceilDiv(rank, bn)), threads);
  return success();
}

LogicalResult FunctionEmitter::emitSampled(SampledMatmulOp op) {
  auto pattern = dyn_cast<BlocksAttr>(op.getPattern());
  WeightShape shape = op.getWeightShape();
  const int64_t b = shape.block;
  const int64_t bm = std::min(options.schedule.tileCols, b), bn = bm;
  BlockMask mask = getBlockMask(pattern, b);
  std::vector<int64_t> blockRow;
  for (int64_t r = 0; r < mask.blockRows; ++r)
    for (int64_t n = mask.rowStart[r]; n < mask.rowStart[r + 1]; ++n)
      blockRow.push_back(r);
  FailureOr<Kernel> made = kernel("sddmm", op.getGradOutput());
  if (failed(made))
    return failure();
  Kernel &k = *made;
  table(k.name + "_block_row", blockRow);
  table(k.name + "_col_index", mask.colIndex);
  if (op.getBlockBegin()) {
    FailureOr<int64_t> begin = indexArg(op, op.getBlockBegin());
    FailureOr<int64_t> end = indexArg(op, op.getBlockEnd());
    if (failed(begin) || failed(end))
      return failure();
    k.index("blockBegin", *begin);
    k.index("blockEnd", *end);
  }
  pointer(k, "gradOutput", op.getGradOutput(), true);
  pointer(k, "input", op.getInput(), true);
  Value scale = op.getScale();
  bool perToken = scale && isPerToken(scale);
  // A per-token γ scales dY's rows as they are loaded, one γ for all the sum.
  std::string g;
  if (perToken)
    pointer(k, "scale", scale, true);
  else if (scale)
    g = gamma(k, "scale", scale, "0");
  pointer(k, "output", op.getOutput(), false);
  if (op.getDot()) {
    pointer(k, "dotBlocks", op.getDotBlocks(), true);
    pointer(k, "dot", op.getDot(), false);
  }
  int64_t threads;
  std::string tile = tileType(bm, bn, true, threads);
  os << k.signature(threads) << "  using Tile = " << tile << ";\n"
     << "  using E = " << elementName(dtype) << ";\n"
     << "  constexpr long long B = " << b << ", IN = " << shape.in
     << ", OUT = " << shape.out << ", BM = " << bm << ", BN = " << bn << ";\n"
     << "  __shared__ Tile::Smem smem;\n"
     << "  const int n = blockIdx.x / ((B / BM) * (B / BN));\n"
     << (op.getBlockBegin()
             ? "  if (n < blockBegin || n >= blockEnd)\n    return;\n"
             : "")
     << "  const int part = blockIdx.x % ((B / BM) * (B / BN));\n"
     << "  const long long m0 = part / (B / BN) * BM, n0 = part % (B / BN) * "
        "BN;\n"
     << "  const long long rowBase = " << k.name
     << "_block_row[n] * B + m0, colBase = " << k.name
     << "_col_index[n] * B + n0;\n"
     << "  Tile tile;\n  tile.zero();\n"
     << "  // Σ over tokens of gradOutput[t, rows]ᵀ·input[t, cols].\n"
     << "  tile.accumulate(smem, (int)((T + 15) / 16), [&](int i, pfc::Src<E> "
        "&a, pfc::Src<E> &b) {\n"
     << "    const long long k0 = (long long)i * 16;\n"
     << "    a = {gradOutput + k0 * OUT + rowBase, OUT, T - k0, OUT - rowBase, "
     << (perToken ? "scale + k0" : "nullptr") << "};\n"
     << "    b = {input + k0 * IN + colBase, IN, T - k0, IN - colBase, "
        "nullptr};\n"
     << "  });\n";
  if (op.getDot()) {
    // dγ's part through B, before γ: Σ B ⊙ (dYᵀ·x) over the block.
    os << "  float dotPart = 0.f;\n"
       << "  tile.forEach([&](int m, int c, float &v) {\n"
       << "    dotPart += v * pfc::toFloat(dotBlocks[(long long)n * B * B + "
          "(m0 + m) * B + n0 + c]);\n  });\n"
       << "  atomicAdd(dot, dotPart);\n";
  }
  if (!g.empty())
    os << "  tile.forEach([&](int m, int n, float &v) { v *= " << g
       << "; });\n";
  os << "  tile.store(output + (long long)n * B * B + m0 * B + n0, B, BM, BN);"
        "\n}\n\n";
  if (op.getDot()) {
    PlanStep zero;
    zero.kind = PlanStep::Kind::Zero;
    zero.params = {buffers.lookup(op.getDot()).param};
    zero.elements = fixed(1);
    entry->steps.push_back(zero);
  }
  launch(k, fixed(mask.nnzBlocks() * (b / bm) * (b / bn)), fixed(1), threads);
  return success();
}

LogicalResult FunctionEmitter::emitOuterSum(OuterSumOp op) {
  const int64_t rows = cols(op.getLhs()), width = cols(op.getRhs());
  const int64_t bm = options.schedule.tileCols;
  const int64_t bn = std::min(options.schedule.tileCols, roundUp(width, 16));
  FailureOr<Kernel> made = kernel("outer_sum", op.getLhs());
  if (failed(made))
    return failure();
  Kernel &k = *made;
  pointer(k, "lhs", op.getLhs(), true);
  pointer(k, "rhs", op.getRhs(), true);
  pointer(k, "output", op.getOutput(), false);
  int64_t threads;
  std::string tile = tileType(bm, bn, true, threads);
  os << k.signature(threads) << "  using Tile = " << tile << ";\n"
     << "  using E = " << elementName(dtype) << ";\n"
     << "  constexpr long long I = " << rows << ", J = " << width
     << ", BM = " << bm << ", BN = " << bn << ";\n"
     << "  __shared__ Tile::Smem smem;\n"
     << "  const long long m0 = (long long)blockIdx.y * BM, n0 = "
        "(long long)blockIdx.x * BN;\n"
     << "  Tile tile;\n  tile.zero();\n"
     << "  // Σ over tokens of lhs[t, i]·rhs[t, j].\n"
     << "  tile.accumulate(smem, (int)((T + 15) / 16), [&](int i, pfc::Src<E> "
        "&a, pfc::Src<E> &b) {\n"
     << "    const long long k0 = (long long)i * 16;\n"
     << "    a = {lhs + k0 * I + m0, I, T - k0, I - m0, nullptr};\n"
     << "    b = {rhs + k0 * J + n0, J, T - k0, J - n0, nullptr};\n"
     << "  });\n"
     << "  tile.store(output + m0 * J + n0, J, I - m0, J - n0);\n}\n\n";
  launch(k, fixed(ceilDiv(width, bn)), fixed(ceilDiv(rows, bm)), threads);
  return success();
}

LogicalResult FunctionEmitter::emitElementwise(Operation *op) {
  // The buffer whose rows are the op's tokens (none for the weights' ops).
  Value rows =
      llvm::TypeSwitch<Operation *, Value>(op)
          .Case([](GateOp op) { return op.getInput(); })
          .Case([](RowDotOp op) { return op.getLhs(); })
          .Case([](ScaleRowsOp op) { return op.getMatrix(); })
          .Case([](SumTokensOp op) { return op.getInput(); })
          .Case([](GammaGradOp op) {
            // A scalar γ's sparse dots may come summed already.
            return op.getGamma() != GammaKind::Gate && op.getLowRankDots()
                       ? op.getLowRankDots()
                       : op.getSparseDots();
          })
          .Default([](Operation *) { return Value(); });
  FailureOr<Kernel> made = kernel(op->getName().stripDialect(), rows);
  if (failed(made))
    return failure();
  Kernel &k = *made;
  std::string call;
  llvm::raw_string_ostream s(call);
  std::string t = elementName(dtype);
  int64_t threads = 256;
  PlanExtent grid = fixed(1);
  LogicalResult result =
      llvm::TypeSwitch<Operation *, LogicalResult>(op)
          .Case([&](PackOp op) {
            auto type = memrefType(op.getBlocks());
            int64_t nnz = type.getDimSize(0), b = type.getDimSize(1);
            int64_t rank = op.getU() ? cols(op.getU()) : 0;
            int64_t padded = op.getU() ? cols(op.getPackedU()) : 0;
            int64_t out = op.getU() ? dimSize(op.getU(), 0) : 0;
            pointer(k, "blocks", op.getBlocks(), true);
            if (op.getU())
              pointer(k, "u", op.getU(), true);
            pointer(k, "packed", op.getPackedBlocks(), false);
            if (op.getU())
              pointer(k, "packedU", op.getPackedU(), false);
            s << "pfc::pack<" << nnz << ", " << b << ", " << out << ", " << rank
              << ", " << padded << ">(blocks, "
              << (op.getU() ? "u" : "(const " + t + " *)nullptr")
              << ", packed, "
              << (op.getU() ? "packedU" : "(" + t + " *)nullptr") << ")";
            grid = fixed(ceilDiv(nnz * b * b + rank * padded, threads));
            return success();
          })
          .Case([&](GateOp op) {
            pointer(k, "x", op.getInput(), true);
            pointer(k, "params", op.getParams(), true);
            pointer(k, "gamma", op.getOutput(), false);
            s << "pfc::gate<" << cols(op.getInput())
              << ">(T, x, params, gamma)";
            threads = 128;
            grid = perTokens(k.tokens(), 1, threads / 32);
            return success();
          })
          .Case([&](RowDotOp op) {
            pointer(k, "lhs", op.getLhs(), true);
            pointer(k, "rhs", op.getRhs(), true);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::rowDot<" << cols(op.getLhs()) << ">(T, lhs, rhs, out)";
            threads = 128;
            grid = perTokens(k.tokens(), 1, threads / 32);
            return success();
          })
          .Case([&](ScaleRowsOp op) {
            pointer(k, "matrix", op.getMatrix(), false);
            std::string g = gamma(k, "gamma", op.getGamma(), "t");
            s << "pfc::scaleRows<" << cols(op.getMatrix())
              << ">(T, matrix, [&](long long t) { return " << g << "; })";
            grid = perTokens(k.tokens(), cols(op.getMatrix()), threads);
            return success();
          })
          .Case([&](TransposeOp op) {
            int64_t rows = dimSize(op.getInput(), 0);
            int64_t width = cols(op.getInput()), padded = cols(op.getOutput());
            pointer(k, "in", op.getInput(), true);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::transposePadded<" << rows << ", " << width << ", "
              << padded << ">(in, out)";
            grid = fixed(ceilDiv(width * padded, threads));
            return success();
          })
          .Case([&](SumTokensOp op) {
            int64_t width = cols(op.getInput());
            pointer(k, "in", op.getInput(), true);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::sumTokens<" << width << ">(T, in, out)";
            threads = 128;
            grid = fixed(ceilDiv(width, threads));
            return success();
          })
          .Case([&](GammaGradOp op) {
            pointer(k, "sparseDots", op.getSparseDots(), true);
            if (op.getLowRankDots())
              pointer(k, "lowRankDots", op.getLowRankDots(), true);
            std::string low =
                op.getLowRankDots() ? "lowRankDots" : "(const float *)nullptr";
            if (op.getGamma() != GammaKind::Gate) {
              pointer(k, "out", op.getOutput(), false);
              auto sparse = memrefType(op.getSparseDots());
              std::string count = sparse.isDynamicDim(0)
                                      ? "T"
                                      : std::to_string(sparse.getDimSize(0));
              s << "pfc::gammaGradScalar(" << count << ", T, sparseDots, "
                << low << ", out)";
              return success();
            }
            int64_t in = cols(op.getInput());
            pointer(k, "gamma", op.getGammaValues(), true);
            pointer(k, "x", op.getInput(), true);
            pointer(k, "params", op.getParams(), true);
            pointer(k, "dx", op.getGradInput(), false);
            pointer(k, "out", op.getOutput(), false);
            s << "pfc::gammaGradGate<" << in << ">(T, sparseDots, " << low
              << ", gamma, x, params, dx, out)";
            threads = 128;
            grid = fixed(ceilDiv(in + 1, threads));
            return success();
          })
          .Default([&](Operation *op) {
            return op->emitOpError(
                "has no CUDA kernel; the GPU target fuses the low-rank term "
                "(pfc-fuse-lowrank) and decomposes gradients "
                "(pfc-decompose-gradients)");
          });
  if (failed(result))
    return failure();
  os << k.signature(threads) << "  " << call << ";\n}\n\n";
  launch(k, grid, fixed(1), threads);
  return success();
}

} // namespace pfc::cuda

//===- RegisterTile.h - Register tiles of vector accumulators ---*- C++ -*-===//
//
// The building block of pfc's CPU kernels: `rows` token rows × `vectors`
// vectors of f32 accumulators that live in registers while a loop feeds them
// broadcast-times-vector FMAs, then get scaled, offset and stored once.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_TRANSFORMS_REGISTERTILE_H
#define PFC_TRANSFORMS_REGISTERTILE_H

#include "KernelEmitter.h"

#include "mlir/IR/BuiltinTypes.h"

namespace pfc {

class RegisterTile {
public:
  RegisterTile(KernelEmitter &e, int64_t width, int64_t vectors);

  int64_t width() const { return lanes; }
  int64_t vectors() const { return count; }

  /// For vectors starting at `base + v·width` of a row whose first `limit`
  /// columns are real: a mask per vector that reaches past `limit`, null for
  /// the others. Null everywhere when `mayOverrun` is false.
  llvm::SmallVector<mlir::Value> masks(mlir::Value base, int64_t limit,
                                       bool mayOverrun);
  /// `rows × vectors` zero accumulators.
  llvm::SmallVector<mlir::Value> zeros(int64_t rows);
  /// The vectors of `memref[indices..., last + v·width]`, masked loads
  /// (zero elsewhere) where `masks` has a mask.
  llvm::SmallVector<mlir::Value> loadRow(mlir::Value memref,
                                         llvm::ArrayRef<mlir::Value> indices,
                                         llvm::ArrayRef<mlir::Value> masks);
  /// acc[m][v] += broadcast(lhs[token + m, lhsCol]) · rhs[v].
  llvm::SmallVector<mlir::Value> fma(mlir::Value lhs, mlir::Value token,
                                     int64_t rows, mlir::Value lhsCol,
                                     llvm::ArrayRef<mlir::Value> rhs,
                                     mlir::ValueRange accs);
  /// acc[m][v] += broadcast(scalars[m]) · rhs[v].
  llvm::SmallVector<mlir::Value> fma(llvm::ArrayRef<mlir::Value> scalars,
                                     llvm::ArrayRef<mlir::Value> rhs,
                                     mlir::ValueRange accs);
  /// dots[token + m] += Σ_v acc[m][v] · matrix[token + m, base + v·width],
  /// the matrix's vectors masked where `masks` says.
  void accumulateRowDots(llvm::ArrayRef<mlir::Value> accs, int64_t rows,
                         mlir::Value matrix, mlir::Value token,
                         mlir::Value base, llvm::ArrayRef<mlir::Value> masks,
                         mlir::Value dots);
  /// acc[m][v] *= broadcast(scale(token + m)).
  void scaleRows(llvm::SmallVectorImpl<mlir::Value> &accs, mlir::Value token,
                 int64_t rows,
                 llvm::function_ref<mlir::Value(mlir::Value)> scale);
  /// acc[m][v] += row[v].
  void addRow(llvm::SmallVectorImpl<mlir::Value> &accs,
              llvm::ArrayRef<mlir::Value> row);
  /// out[token + m, base + v·width] = acc[m][v], masked where `masks` says.
  void store(llvm::ArrayRef<mlir::Value> accs, int64_t rows, mlir::Value out,
             mlir::Value token, mlir::Value base,
             llvm::ArrayRef<mlir::Value> masks);
  /// The same into out[prefix..., row + m, base + v·width].
  void store(llvm::ArrayRef<mlir::Value> accs, int64_t rows, mlir::Value out,
             llvm::ArrayRef<mlir::Value> prefix, mlir::Value row,
             mlir::Value base, llvm::ArrayRef<mlir::Value> masks);

private:
  /// acc[m][v] += broadcast(scalar) · rhs[v].
  void fmaRow(int64_t m, mlir::Value scalar, llvm::ArrayRef<mlir::Value> rhs,
              llvm::SmallVectorImpl<mlir::Value> &accs);

  KernelEmitter &e;
  mlir::ImplicitLocOpBuilder &b;
  int64_t lanes, count;
  mlir::VectorType vectorType, maskType;
};

} // namespace pfc

#endif // PFC_TRANSFORMS_REGISTERTILE_H

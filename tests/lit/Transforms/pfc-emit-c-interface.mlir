// pfc-emit-c-interface renames every function marked `pfc.c_interface` to
// `<name>_impl`, makes it private, and adds a public `<name>` that takes one
// pointer per memref (a row-major array) and the other arguments unchanged,
// rebuilds the descriptors and calls it. A memref's dynamic first size comes
// from the index argument marked `pfc.tokens`.
// RUN: %pfc-opt %s -split-input-file -pfc-emit-c-interface -verify-diagnostics | FileCheck %s --enable-var-scope

// CHECK-LABEL: func.func @kernel
// CHECK-SAME: (%[[PX:[^:]*]]: !llvm.ptr, %[[PB:[^:]*]]: !llvm.ptr, %[[PY:[^:]*]]: !llvm.ptr, %[[N:[^:]*]]: index, %[[S:[^:]*]]: f32)
// CHECK-NOT: attributes
// CHECK-SAME: {
// The [?, 64] input: pointer twice, offset 0, sizes [n, 64], strides [64, 1].
// CHECK: %[[D0:.*]] = llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK-NEXT: %[[D1:.*]] = llvm.insertvalue %[[PX]], %[[D0]][0]
// CHECK-NEXT: %[[D2:.*]] = llvm.insertvalue %[[PX]], %[[D1]][1]
// CHECK-NEXT: %[[ZERO:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-NEXT: %[[D3:.*]] = llvm.insertvalue %[[ZERO]], %[[D2]][2]
// CHECK-NEXT: %[[COLS:.*]] = llvm.mlir.constant(64 : i64) : i64
// CHECK-NEXT: %[[D4:.*]] = llvm.insertvalue %[[COLS]], %[[D3]][3, 1]
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-NEXT: %[[D5:.*]] = llvm.insertvalue %[[ONE]], %[[D4]][4, 1]
// CHECK-NEXT: %[[ROWS:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK-NEXT: %[[D6:.*]] = llvm.insertvalue %[[ROWS]], %[[D5]][3, 0]
// CHECK-NEXT: %[[STRIDE:.*]] = llvm.mlir.constant(64 : i64) : i64
// CHECK-NEXT: %[[D7:.*]] = llvm.insertvalue %[[STRIDE]], %[[D6]][4, 0]
// CHECK-NEXT: %[[X:.*]] = builtin.unrealized_conversion_cast %[[D7]] : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<?x64xf32>
// The static [4, 32, 32] blocks: strides [1024, 32, 1].
// CHECK: llvm.insertvalue %[[PB]], %{{.*}}[0] : !llvm.struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>
// CHECK: llvm.mlir.constant(1024 : i64) : i64
// CHECK: %[[B:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<4x32x32xf32>
// CHECK: llvm.insertvalue %[[PY]], %{{.*}}[0]
// CHECK: %[[Y:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<?x64xf32>
// CHECK-NEXT: call @kernel_impl(%[[X]], %[[B]], %[[Y]], %[[N]], %[[S]]) : (memref<?x64xf32>, memref<4x32x32xf32>, memref<?x64xf32>, index, f32) -> ()
// CHECK-NEXT: return
// The original keeps its body; internal linkage lets LLVM inline it into the
// wrapper and drop it.
// CHECK: func.func private @kernel_impl(%{{.*}}: memref<?x64xf32>, %{{.*}}: memref<4x32x32xf32>, %{{.*}}: memref<?x64xf32>, %{{.*}}: index {pfc.tokens}, %{{.*}}: f32)
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>} {
// CHECK-NEXT: memref.copy
// CHECK-NOT: pfc.c_interface
// Unmarked functions are left alone.
// CHECK-LABEL: func.func @helper
// CHECK-SAME: (%{{.*}}: memref<?x64xf32>)
// CHECK-NOT: @helper_impl
func.func @kernel(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                  %y: memref<?x64xf32>, %n: index {pfc.tokens}, %s: f32)
    attributes {pfc.c_interface} {
  memref.copy %x, %y : memref<?x64xf32> to memref<?x64xf32>
  return
}

func.func @helper(%x: memref<?x64xf32>) {
  return
}

// -----

// Without dynamic sizes no argument needs to be marked.
// CHECK-LABEL: func.func @static
// CHECK-SAME: (%[[P:[^:]*]]: !llvm.ptr)
// CHECK: %[[M:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<8x64xf32>
// CHECK-NEXT: call @static_impl(%[[M]]) : (memref<8x64xf32>) -> ()
// CHECK: func.func private @static_impl
func.func @static(%x: memref<8x64xf32>) attributes {pfc.c_interface} {
  return
}

// -----

// expected-error @below {{'func.func' op has a dynamic size but no argument marked pfc.tokens}}
func.func @no_tokens(%x: memref<?x64xf32>, %n: index) attributes {pfc.c_interface} {
  return
}

// -----

// The token count is an index argument.
// expected-error @below {{'func.func' op marks argument 1 of type 'i64' as pfc.tokens, expected an index}}
func.func @tokens_i64(%x: memref<?x64xf32>, %n: i64 {pfc.tokens}) attributes {pfc.c_interface} {
  return
}

// -----

// expected-error @below {{'func.func' op with a C interface must not return values}}
func.func @results(%x: memref<8x64xf32>) -> f32 attributes {pfc.c_interface} {
  %zero = arith.constant 0.0 : f32
  return %zero : f32
}

// -----

// expected-error @below {{'func.func' op argument 0 of type 'memref<8x?xf32>' is not a row-major array with at most its first size dynamic}}
func.func @dynamic_inner(%x: memref<8x?xf32>, %n: index {pfc.tokens}) attributes {pfc.c_interface} {
  return
}

// -----

// expected-error @below {{'func.func' op argument 0 of type 'memref<8x64xf32, strided<[128, 1]>>' is not a row-major array with at most its first size dynamic}}
func.func @strided(%x: memref<8x64xf32, strided<[128, 1]>>) attributes {pfc.c_interface} {
  return
}

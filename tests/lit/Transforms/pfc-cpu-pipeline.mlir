// pfc-cpu-pipeline takes a whole layer down to the LLVM dialect: nothing of
// pfc, scf, vector, memref, arith, math, cf or func is left, the kernel has a
// C signature of pointers, and the block-sparse product is made of vector
// FMAs.
// RUN: %pfc-opt %s -pfc-cpu-pipeline > %t.fused.mlir
// RUN: FileCheck %s --enable-var-scope --check-prefixes=CHECK,FUSED --input-file=%t.fused.mlir
// RUN: FileCheck %s --check-prefix=ONLY-LLVM --input-file=%t.fused.mlir
// The decomposed form with 8-lane vectors (AVX2) lowers as fully.
// RUN: %pfc-opt %s -pfc-cpu-pipeline='fuse-lowrank=false vector-width=8' > %t.avx2.mlir
// RUN: FileCheck %s --enable-var-scope --check-prefixes=CHECK,AVX2 --input-file=%t.avx2.mlir
// RUN: FileCheck %s --check-prefixes=ONLY-LLVM,NO-AVX512 --input-file=%t.avx2.mlir

// No op of another dialect is left anywhere in the module.
// ONLY-LLVM-NOT: {{^ *(%[^ ]+ = )?"?(pfc|scf|vector|memref|arith|math|cf|func|builtin)\.}}

// CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @free(!llvm.ptr)
// The C entry point: one pointer per array, the token count as i64.
// CHECK-DAG: llvm.func @layer(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64) {
// CHECK-DAG: llvm.call @layer_impl(
// CHECK-DAG: llvm.func internal @layer_impl(
// FUSED-DAG: llvm.intr.fmuladd{{.*}} : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// AVX2-DAG: llvm.intr.fmuladd{{.*}} : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// NO-AVX512-NOT: vector<16xf32>
func.func @layer(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                 %ut: memref<8x64xf32>, %v: memref<64x8xf32>, %g: memref<1xf32>,
                 %bias: memref<64xf32>, %y: memref<?x64xf32>,
                 %tokens: index {pfc.tokens}) attributes {pfc.c_interface} {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// A layer's backward pass (gate mode, every gradient) lowers as fully:
// pfc-decompose-gradients runs in the pipeline, and the per-token dots of dγ
// are vector reductions.
// CHECK-DAG: llvm.func @layer_grad(%{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64) {
// CHECK-DAG: llvm.call @layer_grad_impl(
// FUSED-DAG: llvm.intr.vector.reduce.fadd"({{.*}} : (f32, vector<16xf32>) -> f32
// AVX2-DAG: llvm.intr.vector.reduce.fadd"({{.*}} : (f32, vector<8xf32>) -> f32
func.func @layer_grad(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                      %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                      %v: memref<64x8xf32>, %p: memref<65xf32>,
                      %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>,
                      %du: memref<64x8xf32>, %dv: memref<64x8xf32>,
                      %dp: memref<65xf32>, %dbias: memref<64xf32>,
                      %tokens: index {pfc.tokens}) attributes {pfc.c_interface} {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      gamma(%p : memref<65xf32>) into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      grad_gamma(%dp : memref<65xf32>) grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

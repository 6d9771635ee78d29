// What the CUDA translation rejects, each with its reason.
// RUN: %pfc-translate --pfc-to-cuda %s -split-input-file -verify-diagnostics
// RUN: %exit 1 %pfc-translate --pfc-to-cuda --cuda-stages=3 %S/pfc-to-cuda.mlir -split-input-file 2>&1 | FileCheck %s --check-prefix=STAGES
// STAGES: error: 'pfc.bsmm' op cannot be translated to CUDA: stages 3 is not 1 or 2

func.func @small_blocks(%x: memref<?x16xf32>, %b: memref<4x8x8xf32>, %y: memref<?x16xf32>) {
  // expected-error @+1 {{'pfc.bsmm' op cannot be translated to CUDA: block size 8 is below 16, the smallest the CUDA target tiles}}
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x16xf32>, memref<4x8x8xf32> -> memref<?x16xf32>
  return
}

// -----

func.func @unfused(%x: memref<?x64xf32>, %ut: memref<8x64xf32>, %v: memref<64x8xf32>, %y: memref<?x64xf32>) {
  // expected-error @+1 {{'pfc.lowrank' op has no CUDA kernel; the GPU target fuses the low-rank term (pfc-fuse-lowrank) and decomposes gradients (pfc-decompose-gradients)}}
  pfc.lowrank %x, %ut, %v into %y
      : memref<?x64xf32>, memref<8x64xf32>, memref<64x8xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @columns(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>, %y: memref<?x128xf32>) {
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %dim = memref.dim %x, %c0 : memref<?x64xf32>
  // expected-error @+1 {{'memref.subview' op the CUDA target takes only whole token rows of a buffer}}
  %cols = memref.subview %y[0, 64] [%dim, 64] [1, 1] : memref<?x128xf32> to memref<?x64xf32, strided<[128, 1], offset: 64>>
  return
}

// -----

func.func @other(%n: index) {
  // expected-error @+1 {{'arith.addi' op cannot be translated to CUDA}}
  %twice = arith.addi %n, %n : index
  return
}

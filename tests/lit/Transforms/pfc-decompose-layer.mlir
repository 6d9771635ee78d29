// pfc-decompose-layer splits a layer into separate kernels with temporaries:
// γ (gate mode: pfc.gate), the block-sparse product, the low-rank product and
// the γ combination with the bias. A layer restricted to a block-row range
// cannot be split (the combination writes every output).
// RUN: %pfc-opt %s -split-input-file -pfc-decompose-layer -verify-diagnostics | FileCheck %s --enable-var-scope

// CHECK-LABEL: func.func @scalar
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[TOKENS:.*]] = memref.dim %[[X]], %[[C0]] : memref<?x64xf32>
// CHECK-NEXT: %[[SPARSE:.*]] = memref.alloc(%[[TOKENS]]) : memref<?x64xf32>
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] into %[[SPARSE]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK: %[[LOWRANK:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK-NEXT: pfc.lowrank %[[X]], %[[UT]], %[[V]] into %[[LOWRANK]] : memref<?x64xf32>, memref<8x64xf32>, memref<64x8xf32> -> memref<?x64xf32>
// CHECK-NEXT: pfc.combine %[[SPARSE]] lowrank(%[[LOWRANK]] : memref<?x64xf32>) gamma(%[[G]] : memref<1xf32>) bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] : memref<?x64xf32> -> memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[SPARSE]] : memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[LOWRANK]] : memref<?x64xf32>
// CHECK-NEXT: return
func.func @scalar(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                  %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                  %g: memref<1xf32>, %bias: memref<64xf32>,
                  %y: memref<?x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>,
       schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// CHECK-LABEL: func.func @gate
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK: %[[GAMMA:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.gate %[[X]], %[[P]] into %[[GAMMA]] : memref<?x64xf32>, memref<65xf32> -> memref<?xf32>
// CHECK: %[[SPARSE:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] into %[[SPARSE]]
// CHECK: %[[LOWRANK:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK-NEXT: pfc.lowrank %[[X]], %[[UT]], %[[V]] into %[[LOWRANK]]
// CHECK-NEXT: pfc.combine %[[SPARSE]] lowrank(%[[LOWRANK]] : memref<?x64xf32>) gamma(%[[GAMMA]] : memref<?xf32>) into %[[Y]] : memref<?x64xf32> -> memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[GAMMA]] : memref<?xf32>
// CHECK-NEXT: memref.dealloc %[[SPARSE]] : memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[LOWRANK]] : memref<?x64xf32>
// CHECK-NEXT: return
func.func @gate(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                %p: memref<65xf32>, %y: memref<?x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%p : memref<65xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// A fixed γ is a constant on the stack; without low-rank factors the
// combination has no low-rank term.
// CHECK-LABEL: func.func @fixed_rank_zero
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: %[[GAMMA:.*]] = memref.alloca() : memref<1xf32>
// CHECK-NEXT: %[[VALUE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.store %[[VALUE]], %[[GAMMA]][%[[C0]]] : memref<1xf32>
// CHECK: %[[SPARSE:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] into %[[SPARSE]] {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>}
// CHECK-NOT: pfc.lowrank
// CHECK-NEXT: pfc.combine %[[SPARSE]] gamma(%[[GAMMA]] : memref<1xf32>) into %[[Y]] : memref<?x64xf32> -> memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[SPARSE]] : memref<?x64xf32>
// CHECK-NEXT: return
func.func @fixed_rank_zero(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                           %y: memref<?x64xf32>) {
  pfc.layer %x, %b into %y
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<fixed>, gamma_value = 0.25 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @rows(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                %y: memref<?x64xf32>, %r0: index, %r1: index) {
  // expected-error @below {{'pfc.layer' op with a block-row range cannot be decomposed; use pfc-fuse-lowrank}}
  pfc.layer %x, %b rows(%r0, %r1) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.25 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

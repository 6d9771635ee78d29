// pfc-fuse-lowrank turns a layer into the fused kernel: γ (a parameter, a
// per-token gate or a constant), the projection t = (1−γ)⊙(x·V) into a
// temporary, and one pfc.bsmm that scales by γ, adds t·Uᵀ and the bias.
// RUN: %pfc-opt %s -pfc-fuse-lowrank | FileCheck %s --enable-var-scope

// A learned scalar γ is used in place; the block-row range, the pattern and
// the schedule carry over to the bsmm.
// CHECK-LABEL: func.func @scalar
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[T_ROWS:.*]] = memref.dim %[[X]], %[[C0]] : memref<?x64xf32>
// CHECK-NEXT: %[[T:.*]] = memref.alloc(%[[T_ROWS]]) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[X]], %[[V]] complement(%[[G]] : memref<1xf32>) into %[[T]] : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[G]] : memref<1xf32>) extra(%[[T]], %[[UT]] : memref<?x8xf32>, memref<8x64xf32>) bias(%[[BIAS]] : memref<64xf32>) rows(%[[R0]], %[[R1]]) into %[[Y]]
// CHECK-SAME: {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>}
// CHECK-SAME: : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>{{$}}
// CHECK-NEXT: memref.dealloc %[[T]] : memref<?x8xf32>
// CHECK-NEXT: return
// CHECK-NOT: pfc.layer
func.func @scalar(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                  %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                  %g: memref<1xf32>, %bias: memref<64xf32>,
                  %y: memref<?x64xf32>, %r0: index, %r1: index) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) rows(%r0, %r1) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>,
       schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// Gate mode computes one γ per token with pfc.gate first; both temporaries
// are freed after the bsmm.
// CHECK-LABEL: func.func @gate
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK: %[[GAMMA:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.gate %[[X]], %[[P]] into %[[GAMMA]] : memref<?x64xf32>, memref<65xf32> -> memref<?xf32>
// CHECK: %[[T:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[X]], %[[V]] complement(%[[GAMMA]] : memref<?xf32>) into %[[T]]
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[GAMMA]] : memref<?xf32>) extra(%[[T]], %[[UT]] : memref<?x8xf32>, memref<8x64xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK-DAG: memref.dealloc %[[GAMMA]] : memref<?xf32>
// CHECK-DAG: memref.dealloc %[[T]] : memref<?x8xf32>
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

// A fixed γ becomes a one-element stack buffer holding the constant.
// CHECK-LABEL: func.func @fixed
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: %[[GAMMA:.*]] = memref.alloca() : memref<1xf32>
// CHECK-NEXT: %[[VALUE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.store %[[VALUE]], %[[GAMMA]][%[[C0]]] : memref<1xf32>
// CHECK: %[[T:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[X]], %[[V]] complement(%[[GAMMA]] : memref<1xf32>) into %[[T]]
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[GAMMA]] : memref<1xf32>) extra(%[[T]], %[[UT]] : memref<?x8xf32>, memref<8x64xf32>) into %[[Y]]
// CHECK-NEXT: memref.dealloc %[[T]]
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @fixed(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                 %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                 %y: memref<?x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.25 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// Without low-rank factors there is no projection and no extra columns. The
// butterfly pattern is left to pfc-materialize-pattern.
// CHECK-LABEL: func.func @rank_zero
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: %[[GAMMA:.*]] = memref.alloca() : memref<1xf32>
// CHECK-NOT: pfc.project
// CHECK-NOT: memref.alloc(
// CHECK: pfc.bsmm %[[X]], %[[B]] scale(%[[GAMMA]] : memref<1xf32>) into %[[Y]] {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK-NEXT: return
func.func @rank_zero(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                     %y: memref<?x64xf32>) {
  pfc.layer %x, %b into %y
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<fixed>, gamma_value = 0.25 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// A rank-0 layer with a learned γ and a bias: a bsmm with a scale and a bias
// but no extra columns.
// CHECK-LABEL: func.func @rank_zero_bias
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[G]] : memref<1xf32>) bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK-NEXT: return
func.func @rank_zero_bias(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                          %g: memref<1xf32>, %bias: memref<64xf32>,
                          %y: memref<?x64xf32>) {
  pfc.layer %x, %b gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// Other ops are left alone.
// CHECK-LABEL: func.func @parts_untouched
// CHECK-NEXT: pfc.bsmm
// CHECK-NEXT: return
func.func @parts_untouched(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                           %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

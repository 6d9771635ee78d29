// pfc-materialize-pattern replaces every #pfc.butterfly by the #pfc.blocks
// list of its op's padded weight. The expected lists were worked out by hand
// from the mask rule (DESIGN.md, "The mask") and agree with `pfc mask` on the
// same layer specs.
// RUN: %pfc-opt %s -pfc-materialize-pattern | FileCheck %s --enable-var-scope

// 128x128 with 32x32 blocks, S = 4, stride 2: coarse cell (p, q) is nonzero
// when p XOR q is 0 or 1, one coarse cell per block.
// CHECK-LABEL: func.func @square
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x128xf32>, %[[B:[^:]*]]: memref<8x32x32xf32>, %[[Y:[^:]*]]: memref<?x128xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] into %[[Y]]
// CHECK-SAME: {pattern = #pfc.blocks<4x4: [0, 1], [0, 1], [2, 3], [2, 3]>, schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>}
// CHECK-NOT: #pfc.butterfly
func.func @square(%x: memref<?x128xf32>, %b: memref<8x32x32xf32>,
                  %y: memref<?x128xf32>) {
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>}
      : memref<?x128xf32>, memref<8x32x32xf32> -> memref<?x128xf32>
  return
}

// A rectangular, padded weight: 20 outputs x 36 inputs with 8x8 blocks pad to
// 24x40, a 3x5 grid; coarse cells are 6x10 elements, so block-row 1 (rows
// 8..15) meets coarse rows 1 and 2 and touches every block-column.
// The layer, its backward products and the sampled product see the same
// weight (for bsmm_t and sddmm, through dY's and X's feature counts).
// CHECK-LABEL: func.func @padded
// CHECK: pfc.layer
// CHECK-SAME: pattern = #pfc.blocks<3x5: [0, 1, 2], [0, 1, 2, 3, 4], [2, 3, 4]>
// CHECK: pfc.bsmm_t
// CHECK-SAME: {pattern = #pfc.blocks<3x5: [0, 1, 2], [0, 1, 2, 3, 4], [2, 3, 4]>}
// CHECK: pfc.sddmm
// CHECK-SAME: {pattern = #pfc.blocks<3x5: [0, 1, 2], [0, 1, 2, 3, 4], [2, 3, 4]>}
// CHECK-NOT: #pfc.butterfly
func.func @padded(%x: memref<?x36xf32>, %b: memref<11x8x8xf32>,
                  %y: memref<?x20xf32>, %dy: memref<?x20xf32>,
                  %dx: memref<?x36xf32>) {
  pfc.layer %x, %b into %y
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<fixed>, gamma_value = 1.0 : f64}
      : memref<?x36xf32>, memref<11x8x8xf32> -> memref<?x20xf32>
  pfc.bsmm_t %dy, %b into %dx
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>}
      : memref<?x20xf32>, memref<11x8x8xf32> -> memref<?x36xf32>
  pfc.sddmm %dy, %x into %b
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>}
      : memref<?x20xf32>, memref<?x36xf32> -> memref<11x8x8xf32>
  return
}

// pfc.layer_grad reads the weight from dY's features (20 outputs) and X's
// (36 inputs): the list of @padded, not that of a 36x20 weight.
// CHECK-LABEL: func.func @layer_grad
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x36xf32>, %[[DY:[^:]*]]: memref<?x20xf32>, %[[B:[^:]*]]: memref<11x8x8xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DX:[^:]*]]: memref<?x36xf32>, %[[DB:[^:]*]]: memref<11x8x8xf32>, %[[DG:[^:]*]]: memref<1xf32>)
// CHECK-NEXT: pfc.layer_grad %[[X]], %[[DY]], %[[B]] gamma(%[[G]] : memref<1xf32>) into %[[DX]], %[[DB]] grad_gamma(%[[DG]] : memref<1xf32>)
// CHECK-SAME: {gamma = #pfc.gamma<scalar>, pattern = #pfc.blocks<3x5: [0, 1, 2], [0, 1, 2, 3, 4], [2, 3, 4]>, schedule = #pfc.schedule<tile = 4, vector = 8, chunk = 64, unroll = 1, unrolled = false>}
// CHECK-NOT: #pfc.butterfly
func.func @layer_grad(%x: memref<?x36xf32>, %dy: memref<?x20xf32>,
                      %b: memref<11x8x8xf32>, %g: memref<1xf32>,
                      %dx: memref<?x36xf32>, %db: memref<11x8x8xf32>,
                      %dg: memref<1xf32>) {
  pfc.layer_grad %x, %dy, %b gamma(%g : memref<1xf32>) into %dx, %db
      grad_gamma(%dg : memref<1xf32>)
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<scalar>,
       schedule = #pfc.schedule<tile = 4, vector = 8, chunk = 64, unroll = 1, unrolled = false>}
      : memref<?x36xf32>, memref<?x20xf32>, memref<11x8x8xf32>
      -> memref<?x36xf32>, memref<11x8x8xf32>
  return
}

// The shuffle moves coarse column q to (q mod 2)·2 + q/2 (columns 1 and 2
// swap); `global = 32` makes block-row 0 and block-column 0 dense. An
// explicit list is left as it is.
// CHECK-LABEL: func.func @shuffle_and_global
// CHECK: pfc.bsmm
// CHECK-SAME: {pattern = #pfc.blocks<4x4: [0, 2], [0, 2], [1, 3], [1, 3]>}
// CHECK: pfc.bsmm
// CHECK-SAME: {pattern = #pfc.blocks<4x4: [0, 1, 2, 3], [0, 1], [0, 2, 3], [0, 2, 3]>}
// CHECK: pfc.bsmm
// CHECK-SAME: {pattern = #pfc.blocks<4x4: [0, 3], [1, 2], [1, 2], [0, 3]>}
func.func @shuffle_and_global(%x: memref<?x128xf32>, %b: memref<8x32x32xf32>,
                              %b12: memref<12x32x32xf32>, %y: memref<?x128xf32>) {
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = true, global = 0>}
      : memref<?x128xf32>, memref<8x32x32xf32> -> memref<?x128xf32>
  pfc.bsmm %x, %b12 into %y
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 32>}
      : memref<?x128xf32>, memref<12x32x32xf32> -> memref<?x128xf32>
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<4x4: [0, 3], [1, 2], [1, 2], [0, 3]>}
      : memref<?x128xf32>, memref<8x32x32xf32> -> memref<?x128xf32>
  return
}

// Two factors (strides 2 and 4) with the shuffle, 16x16 blocks: three blocks
// per block-row.
// CHECK-LABEL: func.func @two_factors
// CHECK: pfc.bsmm
// CHECK-SAME: {pattern = #pfc.blocks<8x8: [0, 2, 4], [0, 2, 6], [0, 4, 6], [2, 4, 6], [1, 3, 5], [1, 3, 7], [1, 5, 7], [3, 5, 7]>}
func.func @two_factors(%x: memref<?x128xf32>, %b: memref<24x16x16xf32>,
                       %y: memref<?x128xf32>) {
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.butterfly<size = 8, strides = [2, 4], shuffle = true, global = 0>}
      : memref<?x128xf32>, memref<24x16x16xf32> -> memref<?x128xf32>
  return
}

// Ops whose optional operands are absent in the middle of the list. The
// custom forms of pfc.layer, pfc.bsmm and pfc.combine print the types of the
// optional operands as `(`,` type($x)^)?` groups one after the other, so the
// parser takes the first type after the mandatory ones for the first optional
// group, whichever operand it belongs to: a layer with a bias or a learned γ
// but no low-rank factors, a bsmm with a bias or extra columns but no scale
// (what pfc-fuse-lowrank makes of a rank-0 layer with a bias) and a combine
// without a low-rank term print a form that does not parse back. The input is
// in the generic form, which parses; the second pfc-opt fails.
// XFAIL: *
// RUN: %pfc-opt %s -split-input-file | %pfc-opt -split-input-file | FileCheck %s --enable-var-scope

// CHECK-LABEL: func.func @layer_bias_only
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] bias(%[[BIAS]]) into %[[Y]] {{{.*}}} : memref<?x64xf32>, memref<4x32x32xf32>, memref<64xf32> -> memref<?x64xf32>
func.func @layer_bias_only(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                           %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  "pfc.layer"(%x, %b, %bias, %y)
      <{gamma = #pfc.gamma<fixed>, gammaValue = 7.5e-01 : f64,
        operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 1, 1, 0, 0>,
        pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}>
      : (memref<?x64xf32>, memref<4x32x32xf32>, memref<64xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

// CHECK-LABEL: func.func @layer_gamma_no_lowrank
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] gamma(%[[G]]) into %[[Y]] {{{.*}}} : memref<?x64xf32>, memref<4x32x32xf32>, memref<1xf32> -> memref<?x64xf32>
func.func @layer_gamma_no_lowrank(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                  %g: memref<1xf32>, %y: memref<?x64xf32>) {
  "pfc.layer"(%x, %b, %g, %y)
      <{gamma = #pfc.gamma<scalar>,
        operandSegmentSizes = array<i32: 1, 1, 0, 0, 1, 0, 1, 0, 0>,
        pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}>
      : (memref<?x64xf32>, memref<4x32x32xf32>, memref<1xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

// CHECK-LABEL: func.func @layer_lowrank_bias_fixed
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] lowrank(%[[UT]], %[[V]]) bias(%[[BIAS]]) into %[[Y]] {{{.*}}} : memref<?x64xf32>, memref<4x32x32xf32>, memref<8x64xf32>, memref<64x8xf32>, memref<64xf32> -> memref<?x64xf32>
func.func @layer_lowrank_bias_fixed(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                    %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                                    %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  "pfc.layer"(%x, %b, %ut, %v, %bias, %y)
      <{gamma = #pfc.gamma<fixed>, gammaValue = 7.5e-01 : f64,
        operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 1, 1, 0, 0>,
        pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}>
      : (memref<?x64xf32>, memref<4x32x32xf32>, memref<8x64xf32>, memref<64x8xf32>,
         memref<64xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

// CHECK-LABEL: func.func @bsmm_bias_only
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] bias(%[[BIAS]]) into %[[Y]] {{{.*}}} : memref<?x64xf32>, memref<4x32x32xf32>, memref<64xf32> -> memref<?x64xf32>
func.func @bsmm_bias_only(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                          %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  "pfc.bsmm"(%x, %b, %bias, %y)
      <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 1, 1, 0, 0>,
        pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}>
      : (memref<?x64xf32>, memref<4x32x32xf32>, memref<64xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

// CHECK-LABEL: func.func @bsmm_scale_bias
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[S:[^:]*]]: memref<1xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[S]]) bias(%[[BIAS]]) into %[[Y]] {{{.*}}} : memref<?x64xf32>, memref<4x32x32xf32>, memref<1xf32>, memref<64xf32> -> memref<?x64xf32>
func.func @bsmm_scale_bias(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                           %s: memref<1xf32>, %bias: memref<64xf32>,
                           %y: memref<?x64xf32>) {
  "pfc.bsmm"(%x, %b, %s, %bias, %y)
      <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 1, 0, 0>,
        pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}>
      : (memref<?x64xf32>, memref<4x32x32xf32>, memref<1xf32>, memref<64xf32>,
         memref<?x64xf32>) -> ()
  return
}

// -----

// CHECK-LABEL: func.func @bsmm_extra_no_scale
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[T:[^:]*]]: memref<?x8xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] extra(%[[T]], %[[UT]]) into %[[Y]] {{{.*}}} : memref<?x64xf32>, memref<4x32x32xf32>, memref<?x8xf32>, memref<8x64xf32> -> memref<?x64xf32>
func.func @bsmm_extra_no_scale(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                               %t: memref<?x8xf32>, %ut: memref<8x64xf32>,
                               %y: memref<?x64xf32>) {
  "pfc.bsmm"(%x, %b, %t, %ut, %y)
      <{operandSegmentSizes = array<i32: 1, 1, 0, 1, 1, 0, 1, 0, 0>,
        pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}>
      : (memref<?x64xf32>, memref<4x32x32xf32>, memref<?x8xf32>, memref<8x64xf32>,
         memref<?x64xf32>) -> ()
  return
}

// -----

// CHECK-LABEL: func.func @combine_no_lowrank
// CHECK-SAME: (%[[S:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.combine %[[S]] gamma(%[[G]]) into %[[Y]] : memref<?x64xf32>, memref<1xf32> -> memref<?x64xf32>
func.func @combine_no_lowrank(%s: memref<?x64xf32>, %g: memref<1xf32>,
                              %y: memref<?x64xf32>) {
  "pfc.combine"(%s, %g, %y)
      <{operandSegmentSizes = array<i32: 1, 0, 1, 0, 1>}>
      : (memref<?x64xf32>, memref<1xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

// CHECK-LABEL: func.func @combine_no_lowrank_bias
// CHECK-SAME: (%[[S:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.combine %[[S]] gamma(%[[G]]) bias(%[[BIAS]]) into %[[Y]] : memref<?x64xf32>, memref<?xf32>, memref<64xf32> -> memref<?x64xf32>
func.func @combine_no_lowrank_bias(%s: memref<?x64xf32>, %g: memref<?xf32>,
                                   %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  "pfc.combine"(%s, %g, %bias, %y)
      <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1>}>
      : (memref<?x64xf32>, memref<?xf32>, memref<64xf32>, memref<?x64xf32>) -> ()
  return
}

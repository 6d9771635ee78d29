// Every pfc op and attribute prints in a form that parses back to itself,
// also when read from the generic form. Each optional operand carries its
// type in its own group, so any subset of them reads back, also when an
// earlier one is absent (the `*_without_*` and `*_only` cases).
// RUN: %pfc-opt %s | %pfc-opt | FileCheck %s --enable-var-scope
// RUN: %pfc-opt %s -mlir-print-op-generic | %pfc-opt | FileCheck %s --enable-var-scope

// The dialect is registered in pfc-opt next to the dialects it lowers to.
// RUN: %pfc-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS
// DIALECTS: Available Dialects:
// DIALECTS-SAME: pfc

// A layer with every optional part: low-rank factors, learned γ, bias, a
// block-row range and a schedule, on a butterfly pattern.
// CHECK-LABEL: func.func @layer_all
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] lowrank(%[[UT]], %[[V]] : memref<8x64xf32>, memref<64x8xf32>) gamma(%[[G]] : memref<1xf32>) bias(%[[BIAS]] : memref<64xf32>) rows(%[[R0]], %[[R1]]) into %[[Y]]
// CHECK-SAME: {gamma = #pfc.gamma<scalar>, pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = true, global = 16>, schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>}
// CHECK-SAME: : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>{{$}}
func.func @layer_all(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                     %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                     %g: memref<1xf32>, %bias: memref<64xf32>,
                     %y: memref<?x64xf32>, %r0: index, %r1: index) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) rows(%r0, %r1) into %y
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = true, global = 16>,
       gamma = #pfc.gamma<scalar>,
       schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// A layer with none of them: a fixed γ, an explicit block list.
// CHECK-LABEL: func.func @layer_none
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] into %[[Y]] {gamma = #pfc.gamma<fixed>, gamma_value = 7.500000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @layer_none(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                      %y: memref<?x64xf32>) {
  pfc.layer %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.75 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// The per-token gate takes `in + 1` parameters.
// CHECK-LABEL: func.func @layer_gate
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] lowrank(%[[UT]], %[[V]] : memref<8x64xf32>, memref<64x8xf32>) gamma(%[[P]] : memref<65xf32>) into %[[Y]] {gamma = #pfc.gamma<gate>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @layer_gate(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                      %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                      %p: memref<65xf32>, %y: memref<?x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%p : memref<65xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// Optional parts absent in front of present ones: a bias alone, γ without
// low-rank factors, low-rank factors and a bias with a fixed γ.
// CHECK-LABEL: func.func @layer_bias_only
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] {gamma = #pfc.gamma<fixed>, gamma_value = 7.500000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @layer_bias_only(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                           %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  pfc.layer %x, %b bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.75 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @layer_gamma_without_lowrank
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] gamma(%[[G]] : memref<1xf32>) into %[[Y]] {gamma = #pfc.gamma<scalar>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @layer_gamma_without_lowrank(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                       %g: memref<1xf32>, %y: memref<?x64xf32>) {
  pfc.layer %x, %b gamma(%g : memref<1xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @layer_lowrank_bias_without_gamma
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.layer %[[X]], %[[B]] lowrank(%[[UT]], %[[V]] : memref<8x64xf32>, memref<64x8xf32>) bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] {gamma = #pfc.gamma<fixed>, gamma_value = 7.500000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @layer_lowrank_bias_without_gamma(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                            %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                                            %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.75 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// A layer's gradients with every optional part: the low-rank factors and
// their gradients, a learned γ and its gradient, the bias gradient, a
// schedule, on a butterfly pattern.
// CHECK-LABEL: func.func @layer_grad_all
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[U:[^:]*]]: memref<64x8xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DU:[^:]*]]: memref<64x8xf32>, %[[DV:[^:]*]]: memref<64x8xf32>, %[[DG:[^:]*]]: memref<1xf32>, %[[DBIAS:[^:]*]]: memref<64xf32>)
// CHECK-NEXT: pfc.layer_grad %[[X]], %[[DY]], %[[B]] lowrank(%[[U]], %[[V]] : memref<64x8xf32>, memref<64x8xf32>) gamma(%[[G]] : memref<1xf32>) into %[[DX]], %[[DB]] grad_lowrank(%[[DU]], %[[DV]] : memref<64x8xf32>, memref<64x8xf32>) grad_gamma(%[[DG]] : memref<1xf32>) grad_bias(%[[DBIAS]] : memref<64xf32>) {gamma = #pfc.gamma<scalar>, pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>, schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 1, unrolled = false>} : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>, memref<4x32x32xf32>
func.func @layer_grad_all(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                          %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                          %v: memref<64x8xf32>, %g: memref<1xf32>,
                          %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>,
                          %du: memref<64x8xf32>, %dv: memref<64x8xf32>,
                          %dg: memref<1xf32>, %dbias: memref<64xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      grad_gamma(%dg : memref<1xf32>) grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<scalar>,
       schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 1, unrolled = false>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// γ's gradient behind absent low-rank gradients.
// CHECK-LABEL: func.func @layer_grad_scalar_without_lowrank
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DG:[^:]*]]: memref<1xf32>)
// CHECK-NEXT: pfc.layer_grad %[[X]], %[[DY]], %[[B]] gamma(%[[G]] : memref<1xf32>) into %[[DX]], %[[DB]] grad_gamma(%[[DG]] : memref<1xf32>) {gamma = #pfc.gamma<scalar>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>, memref<4x32x32xf32>
func.func @layer_grad_scalar_without_lowrank(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                             %b: memref<4x32x32xf32>, %g: memref<1xf32>,
                                             %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>,
                                             %dg: memref<1xf32>) {
  pfc.layer_grad %x, %dy, %b gamma(%g : memref<1xf32>) into %dx, %db
      grad_gamma(%dg : memref<1xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// The gate on a padded 40x80 weight: U [40, 8] and V [80, 8] in the
// user's layout, in + 1 = 81 gate parameters and as many gradients.
// CHECK-LABEL: func.func @layer_grad_gate
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x80xf32>, %[[DY:[^:]*]]: memref<?x40xf32>, %[[B:[^:]*]]: memref<5x32x32xf32>, %[[U:[^:]*]]: memref<40x8xf32>, %[[V:[^:]*]]: memref<80x8xf32>, %[[P:[^:]*]]: memref<81xf32>, %[[DX:[^:]*]]: memref<?x80xf32>, %[[DB:[^:]*]]: memref<5x32x32xf32>, %[[DU:[^:]*]]: memref<40x8xf32>, %[[DV:[^:]*]]: memref<80x8xf32>, %[[DP:[^:]*]]: memref<81xf32>)
// CHECK-NEXT: pfc.layer_grad %[[X]], %[[DY]], %[[B]] lowrank(%[[U]], %[[V]] : memref<40x8xf32>, memref<80x8xf32>) gamma(%[[P]] : memref<81xf32>) into %[[DX]], %[[DB]] grad_lowrank(%[[DU]], %[[DV]] : memref<40x8xf32>, memref<80x8xf32>) grad_gamma(%[[DP]] : memref<81xf32>) {gamma = #pfc.gamma<gate>, pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>} : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>, memref<5x32x32xf32>
func.func @layer_grad_gate(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                           %b: memref<5x32x32xf32>, %u: memref<40x8xf32>,
                           %v: memref<80x8xf32>, %p: memref<81xf32>,
                           %dx: memref<?x80xf32>, %db: memref<5x32x32xf32>,
                           %du: memref<40x8xf32>, %dv: memref<80x8xf32>,
                           %dp: memref<81xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<40x8xf32>, memref<80x8xf32>)
      gamma(%p : memref<81xf32>) into %dx, %db
      grad_lowrank(%du, %dv : memref<40x8xf32>, memref<80x8xf32>)
      grad_gamma(%dp : memref<81xf32>)
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, gamma = #pfc.gamma<gate>}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// A gate and a bias gradient without a rank, static token counts.
// CHECK-LABEL: func.func @layer_grad_gate_bias_without_lowrank
// CHECK-SAME: (%[[X:[^:]*]]: memref<4x64xf32>, %[[DY:[^:]*]]: memref<4x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[DX:[^:]*]]: memref<4x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DP:[^:]*]]: memref<65xf32>, %[[DBIAS:[^:]*]]: memref<64xf32>)
// CHECK-NEXT: pfc.layer_grad %[[X]], %[[DY]], %[[B]] gamma(%[[P]] : memref<65xf32>) into %[[DX]], %[[DB]] grad_gamma(%[[DP]] : memref<65xf32>) grad_bias(%[[DBIAS]] : memref<64xf32>) {gamma = #pfc.gamma<gate>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<4x64xf32>, memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>, memref<4x32x32xf32>
func.func @layer_grad_gate_bias_without_lowrank(%x: memref<4x64xf32>, %dy: memref<4x64xf32>,
                                                %b: memref<4x32x32xf32>, %p: memref<65xf32>,
                                                %dx: memref<4x64xf32>, %db: memref<4x32x32xf32>,
                                                %dp: memref<65xf32>, %dbias: memref<64xf32>) {
  pfc.layer_grad %x, %dy, %b gamma(%p : memref<65xf32>) into %dx, %db
      grad_gamma(%dp : memref<65xf32>) grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<4x64xf32>, memref<4x64xf32>, memref<4x32x32xf32>
      -> memref<4x64xf32>, memref<4x32x32xf32>
  return
}

// A fixed γ has no operand and no gradient: no optional part at all.
// CHECK-LABEL: func.func @layer_grad_fixed
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>)
// CHECK-NEXT: pfc.layer_grad %[[X]], %[[DY]], %[[B]] into %[[DX]], %[[DB]] {gamma = #pfc.gamma<fixed>, gamma_value = 7.500000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>, memref<4x32x32xf32>
func.func @layer_grad_fixed(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                            %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                            %db: memref<4x32x32xf32>) {
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.75 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// A fixed γ with low-rank factors and a bias gradient.
// CHECK-LABEL: func.func @layer_grad_fixed_lowrank_bias
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[U:[^:]*]]: memref<64x8xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DU:[^:]*]]: memref<64x8xf32>, %[[DV:[^:]*]]: memref<64x8xf32>, %[[DBIAS:[^:]*]]: memref<64xf32>)
// CHECK-NEXT: pfc.layer_grad %[[X]], %[[DY]], %[[B]] lowrank(%[[U]], %[[V]] : memref<64x8xf32>, memref<64x8xf32>) into %[[DX]], %[[DB]] grad_lowrank(%[[DU]], %[[DV]] : memref<64x8xf32>, memref<64x8xf32>) grad_bias(%[[DBIAS]] : memref<64xf32>) {gamma = #pfc.gamma<fixed>, gamma_value = 7.500000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>, memref<4x32x32xf32>
func.func @layer_grad_fixed_lowrank_bias(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                         %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                                         %v: memref<64x8xf32>, %dx: memref<?x64xf32>,
                                         %db: memref<4x32x32xf32>, %du: memref<64x8xf32>,
                                         %dv: memref<64x8xf32>, %dbias: memref<64xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.75 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// CHECK-LABEL: func.func @bsmm_plain
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @bsmm_plain(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                      %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// The fused kernel on a padded rectangular weight (40x80 with 32x32 blocks:
// Uᵀ is padded to 64 outputs), with a per-token scale and a table schedule.
// CHECK-LABEL: func.func @bsmm_fused
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x80xf32>, %[[B:[^:]*]]: memref<5x32x32xf32>, %[[S:[^:]*]]: memref<?xf32>, %[[T:[^:]*]]: memref<?x8xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[BIAS:[^:]*]]: memref<40xf32>, %[[Y:[^:]*]]: memref<?x40xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[S]] : memref<?xf32>) extra(%[[T]], %[[UT]] : memref<?x8xf32>, memref<8x64xf32>) bias(%[[BIAS]] : memref<40xf32>) rows(%[[R0]], %[[R1]]) into %[[Y]]
// CHECK-SAME: {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, schedule = #pfc.schedule<tile = 4, vector = 8, chunk = 64, unroll = 2, unrolled = false>}
// CHECK-SAME: : memref<?x80xf32>, memref<5x32x32xf32> -> memref<?x40xf32>{{$}}
func.func @bsmm_fused(%x: memref<?x80xf32>, %b: memref<5x32x32xf32>,
                      %s: memref<?xf32>, %t: memref<?x8xf32>,
                      %ut: memref<8x64xf32>, %bias: memref<40xf32>,
                      %y: memref<?x40xf32>, %r0: index, %r1: index) {
  pfc.bsmm %x, %b scale(%s : memref<?xf32>)
      extra(%t, %ut : memref<?x8xf32>, memref<8x64xf32>)
      bias(%bias : memref<40xf32>) rows(%r0, %r1) into %y
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>,
       schedule = #pfc.schedule<tile = 4, vector = 8, chunk = 64, unroll = 2, unrolled = false>}
      : memref<?x80xf32>, memref<5x32x32xf32> -> memref<?x40xf32>
  return
}

// CHECK-LABEL: func.func @bsmm_scale
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[S:[^:]*]]: memref<1xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[S]] : memref<1xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @bsmm_scale(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                      %s: memref<1xf32>, %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b scale(%s : memref<1xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// A bias alone, a scale and a bias, extra columns without a scale (what
// pfc-fuse-lowrank makes of a rank-0 layer with a bias, and the like).
// CHECK-LABEL: func.func @bsmm_bias_only
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @bsmm_bias_only(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                          %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @bsmm_scale_bias
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[S:[^:]*]]: memref<1xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[S]] : memref<1xf32>) bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @bsmm_scale_bias(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                           %s: memref<1xf32>, %bias: memref<64xf32>,
                           %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b scale(%s : memref<1xf32>) bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @bsmm_extra_without_scale
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[T:[^:]*]]: memref<?x8xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] extra(%[[T]], %[[UT]] : memref<?x8xf32>, memref<8x64xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @bsmm_extra_without_scale(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                    %t: memref<?x8xf32>, %ut: memref<8x64xf32>,
                                    %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b extra(%t, %ut : memref<?x8xf32>, memref<8x64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// With a static token count, a per-token scale has that many elements.
// CHECK-LABEL: func.func @bsmm_scale_static_tokens
// CHECK-SAME: (%[[X:[^:]*]]: memref<4x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[S:[^:]*]]: memref<4xf32>, %[[Y:[^:]*]]: memref<4x64xf32>)
// CHECK-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[S]] : memref<4xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
func.func @bsmm_scale_static_tokens(%x: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                                    %s: memref<4xf32>, %y: memref<4x64xf32>) {
  pfc.bsmm %x, %b scale(%s : memref<4xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
  return
}

// dX = dY·B for a 40x80 weight: dY has the 40 outputs, dX the 80 inputs.
// CHECK-LABEL: func.func @bsmm_t
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x40xf32>, %[[B:[^:]*]]: memref<5x32x32xf32>, %[[DX:[^:]*]]: memref<?x80xf32>)
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] into %[[DX]] {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>} : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
func.func @bsmm_t(%dy: memref<?x40xf32>, %b: memref<5x32x32xf32>,
                  %dx: memref<?x80xf32>) {
  pfc.bsmm_t %dy, %b into %dx {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>}
      : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
  return
}

// CHECK-LABEL: func.func @sddmm
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x40xf32>, %[[X:[^:]*]]: memref<?x80xf32>, %[[DB:[^:]*]]: memref<5x32x32xf32>)
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] into %[[DB]] {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>} : memref<?x40xf32>, memref<?x80xf32> -> memref<5x32x32xf32>
func.func @sddmm(%dy: memref<?x40xf32>, %x: memref<?x80xf32>,
                 %db: memref<5x32x32xf32>) {
  pfc.sddmm %dy, %x into %db {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>}
      : memref<?x40xf32>, memref<?x80xf32> -> memref<5x32x32xf32>
  return
}

// The fused dX of a 40x80 weight with 32x32 blocks: a per-token γ, the
// low-rank term as 8 extra columns over Vᵀ padded to 96 inputs, and the
// per-token dots of the unscaled product with X.
// CHECK-LABEL: func.func @bsmm_t_fused
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x40xf32>, %[[B:[^:]*]]: memref<5x32x32xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[W:[^:]*]]: memref<?x8xf32>, %[[VT:[^:]*]]: memref<8x96xf32>, %[[X:[^:]*]]: memref<?x80xf32>, %[[D:[^:]*]]: memref<?xf32>, %[[DX:[^:]*]]: memref<?x80xf32>)
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[G]] : memref<?xf32>) extra(%[[W]], %[[VT]] : memref<?x8xf32>, memref<8x96xf32>) dots(%[[X]], %[[D]] : memref<?x80xf32>, memref<?xf32>) into %[[DX]] {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 1, unrolled = false>} : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
func.func @bsmm_t_fused(%dy: memref<?x40xf32>, %b: memref<5x32x32xf32>,
                        %g: memref<?xf32>, %w: memref<?x8xf32>,
                        %vt: memref<8x96xf32>, %x: memref<?x80xf32>,
                        %d: memref<?xf32>, %dx: memref<?x80xf32>) {
  pfc.bsmm_t %dy, %b scale(%g : memref<?xf32>)
      extra(%w, %vt : memref<?x8xf32>, memref<8x96xf32>)
      dots(%x, %d : memref<?x80xf32>, memref<?xf32>) into %dx
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>,
       schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 1, unrolled = false>}
      : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
  return
}

// Each optional part alone, and the dots behind an absent scale and extra.
// CHECK-LABEL: func.func @bsmm_t_scale
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DX:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[G]] : memref<1xf32>) into %[[DX]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @bsmm_t_scale(%dy: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                        %g: memref<1xf32>, %dx: memref<?x64xf32>) {
  pfc.bsmm_t %dy, %b scale(%g : memref<1xf32>) into %dx
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @bsmm_t_extra_without_scale
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[W:[^:]*]]: memref<?x8xf32>, %[[VT:[^:]*]]: memref<8x64xf32>, %[[DX:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] extra(%[[W]], %[[VT]] : memref<?x8xf32>, memref<8x64xf32>) into %[[DX]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
func.func @bsmm_t_extra_without_scale(%dy: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                      %w: memref<?x8xf32>, %vt: memref<8x64xf32>,
                                      %dx: memref<?x64xf32>) {
  pfc.bsmm_t %dy, %b extra(%w, %vt : memref<?x8xf32>, memref<8x64xf32>) into %dx
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @bsmm_t_dots_only
// CHECK-SAME: (%[[DY:[^:]*]]: memref<4x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[X:[^:]*]]: memref<4x64xf32>, %[[D:[^:]*]]: memref<4xf32>, %[[DX:[^:]*]]: memref<4x64xf32>)
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] dots(%[[X]], %[[D]] : memref<4x64xf32>, memref<4xf32>) into %[[DX]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
func.func @bsmm_t_dots_only(%dy: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                            %x: memref<4x64xf32>, %d: memref<4xf32>,
                            %dx: memref<4x64xf32>) {
  pfc.bsmm_t %dy, %b dots(%x, %d : memref<4x64xf32>, memref<4xf32>) into %dx
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
  return
}

// dB with γ: one element, or one per token.
// CHECK-LABEL: func.func @sddmm_scale
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x40xf32>, %[[X:[^:]*]]: memref<?x80xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DB:[^:]*]]: memref<5x32x32xf32>)
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[G]] : memref<1xf32>) into %[[DB]] {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>} : memref<?x40xf32>, memref<?x80xf32> -> memref<5x32x32xf32>
func.func @sddmm_scale(%dy: memref<?x40xf32>, %x: memref<?x80xf32>,
                       %g: memref<1xf32>, %db: memref<5x32x32xf32>) {
  pfc.sddmm %dy, %x scale(%g : memref<1xf32>) into %db
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>}
      : memref<?x40xf32>, memref<?x80xf32> -> memref<5x32x32xf32>
  return
}

// CHECK-LABEL: func.func @sddmm_scale_per_token
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x64xf32>, %[[X:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>)
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[G]] : memref<?xf32>) into %[[DB]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
func.func @sddmm_scale_per_token(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                                 %g: memref<?xf32>, %db: memref<4x32x32xf32>) {
  pfc.sddmm %dy, %x scale(%g : memref<?xf32>) into %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
  return
}

// The pieces of the decomposed backward pass.
// CHECK-LABEL: func.func @outer_sum
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[W:[^:]*]]: memref<?x8xf32>, %[[DV:[^:]*]]: memref<64x8xf32>)
// CHECK-NEXT: pfc.outer_sum %[[X]], %[[W]] into %[[DV]] : memref<?x64xf32>, memref<?x8xf32> -> memref<64x8xf32>
func.func @outer_sum(%x: memref<?x64xf32>, %w: memref<?x8xf32>,
                     %dv: memref<64x8xf32>) {
  pfc.outer_sum %x, %w into %dv
      : memref<?x64xf32>, memref<?x8xf32> -> memref<64x8xf32>
  return
}

// Vᵀ [8, 64] from V [60, 8]: the columns past 60 are zero.
// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[V:[^:]*]]: memref<60x8xf32>, %[[VT:[^:]*]]: memref<8x64xf32>)
// CHECK-NEXT: pfc.transpose %[[V]] into %[[VT]] : memref<60x8xf32> -> memref<8x64xf32>
func.func @transpose(%v: memref<60x8xf32>, %vt: memref<8x64xf32>) {
  pfc.transpose %v into %vt : memref<60x8xf32> -> memref<8x64xf32>
  return
}

// CHECK-LABEL: func.func @row_dot
// CHECK-SAME: (%[[W:[^:]*]]: memref<?x8xf32>, %[[T:[^:]*]]: memref<?x8xf32>, %[[D:[^:]*]]: memref<?xf32>)
// CHECK-NEXT: pfc.row_dot %[[W]], %[[T]] into %[[D]] : memref<?x8xf32>, memref<?x8xf32> -> memref<?xf32>
func.func @row_dot(%w: memref<?x8xf32>, %t: memref<?x8xf32>, %d: memref<?xf32>) {
  pfc.row_dot %w, %t into %d
      : memref<?x8xf32>, memref<?x8xf32> -> memref<?xf32>
  return
}

// CHECK-LABEL: func.func @scale_rows
// CHECK-SAME: (%[[W:[^:]*]]: memref<?x8xf32>, %[[G:[^:]*]]: memref<1xf32>)
// CHECK-NEXT: pfc.scale_rows %[[W]] complement(%[[G]] : memref<1xf32>) : memref<?x8xf32>
func.func @scale_rows(%w: memref<?x8xf32>, %g: memref<1xf32>) {
  pfc.scale_rows %w complement(%g : memref<1xf32>) : memref<?x8xf32>
  return
}

// CHECK-LABEL: func.func @gamma_grad_scalar
// CHECK-SAME: (%[[SD:[^:]*]]: memref<?xf32>, %[[LD:[^:]*]]: memref<?xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DG:[^:]*]]: memref<1xf32>)
// CHECK-NEXT: pfc.gamma_grad %[[SD]] lowrank(%[[LD]] : memref<?xf32>) gamma(%[[G]] : memref<1xf32>) into %[[DG]] {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<1xf32>
func.func @gamma_grad_scalar(%sd: memref<?xf32>, %ld: memref<?xf32>,
                             %g: memref<1xf32>, %dg: memref<1xf32>) {
  pfc.gamma_grad %sd lowrank(%ld : memref<?xf32>) gamma(%g : memref<1xf32>)
      into %dg {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<1xf32>
  return
}

// CHECK-LABEL: func.func @gamma_grad_scalar_without_lowrank
// CHECK-SAME: (%[[SD:[^:]*]]: memref<?xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DG:[^:]*]]: memref<1xf32>)
// CHECK-NEXT: pfc.gamma_grad %[[SD]] gamma(%[[G]] : memref<1xf32>) into %[[DG]] {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<1xf32>
func.func @gamma_grad_scalar_without_lowrank(%sd: memref<?xf32>, %g: memref<1xf32>,
                                             %dg: memref<1xf32>) {
  pfc.gamma_grad %sd gamma(%g : memref<1xf32>) into %dg
      {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<1xf32>
  return
}

// The gate's gradient also adds to dX (`gate(%x, %params, %dx)`); with and
// without the low-rank dots.
// CHECK-LABEL: func.func @gamma_grad_gate
// CHECK-SAME: (%[[SD:[^:]*]]: memref<?xf32>, %[[LD:[^:]*]]: memref<?xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[X:[^:]*]]: memref<?x64xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DP:[^:]*]]: memref<65xf32>)
// CHECK-NEXT: pfc.gamma_grad %[[SD]] lowrank(%[[LD]] : memref<?xf32>) gamma(%[[G]] : memref<?xf32>) gate(%[[X]], %[[P]], %[[DX]] : memref<?x64xf32>, memref<65xf32>, memref<?x64xf32>) into %[[DP]] {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<65xf32>
func.func @gamma_grad_gate(%sd: memref<?xf32>, %ld: memref<?xf32>,
                           %g: memref<?xf32>, %x: memref<?x64xf32>,
                           %p: memref<65xf32>, %dx: memref<?x64xf32>,
                           %dp: memref<65xf32>) {
  pfc.gamma_grad %sd lowrank(%ld : memref<?xf32>) gamma(%g : memref<?xf32>)
      gate(%x, %p, %dx : memref<?x64xf32>, memref<65xf32>, memref<?x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<65xf32>
  return
}

// CHECK-LABEL: func.func @gamma_grad_gate_without_lowrank
// CHECK-SAME: (%[[SD:[^:]*]]: memref<4xf32>, %[[G:[^:]*]]: memref<4xf32>, %[[X:[^:]*]]: memref<4x64xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[DX:[^:]*]]: memref<4x64xf32>, %[[DP:[^:]*]]: memref<65xf32>)
// CHECK-NEXT: pfc.gamma_grad %[[SD]] gamma(%[[G]] : memref<4xf32>) gate(%[[X]], %[[P]], %[[DX]] : memref<4x64xf32>, memref<65xf32>, memref<4x64xf32>) into %[[DP]] {gamma = #pfc.gamma<gate>} : memref<4xf32> -> memref<65xf32>
func.func @gamma_grad_gate_without_lowrank(%sd: memref<4xf32>, %g: memref<4xf32>,
                                           %x: memref<4x64xf32>, %p: memref<65xf32>,
                                           %dx: memref<4x64xf32>, %dp: memref<65xf32>) {
  pfc.gamma_grad %sd gamma(%g : memref<4xf32>)
      gate(%x, %p, %dx : memref<4x64xf32>, memref<65xf32>, memref<4x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<4xf32> -> memref<65xf32>
  return
}

// CHECK-LABEL: func.func @sum_tokens
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<64xf32>)
// CHECK-NEXT: pfc.sum_tokens %[[DY]] into %[[DB]] : memref<?x64xf32> -> memref<64xf32>
func.func @sum_tokens(%dy: memref<?x64xf32>, %db: memref<64xf32>) {
  pfc.sum_tokens %dy into %db : memref<?x64xf32> -> memref<64xf32>
  return
}

// CHECK-LABEL: func.func @project
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[T:[^:]*]]: memref<?x8xf32>)
// CHECK-NEXT: pfc.project %[[X]], %[[V]] into %[[T]] : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
func.func @project(%x: memref<?x64xf32>, %v: memref<64x8xf32>,
                   %t: memref<?x8xf32>) {
  pfc.project %x, %v into %t
      : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
  return
}

// CHECK-LABEL: func.func @project_complement
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[T:[^:]*]]: memref<?x8xf32>)
// CHECK-NEXT: pfc.project %[[X]], %[[V]] complement(%[[G]] : memref<?xf32>) into %[[T]] : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
func.func @project_complement(%x: memref<?x64xf32>, %v: memref<64x8xf32>,
                              %g: memref<?xf32>, %t: memref<?x8xf32>) {
  pfc.project %x, %v complement(%g : memref<?xf32>) into %t
      : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
  return
}

// CHECK-LABEL: func.func @project_complement_static_tokens
// CHECK-SAME: (%[[X:[^:]*]]: memref<4x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[G:[^:]*]]: memref<4xf32>, %[[T:[^:]*]]: memref<4x8xf32>)
// CHECK-NEXT: pfc.project %[[X]], %[[V]] complement(%[[G]] : memref<4xf32>) into %[[T]] : memref<4x64xf32>, memref<64x8xf32> -> memref<4x8xf32>
func.func @project_complement_static_tokens(%x: memref<4x64xf32>, %v: memref<64x8xf32>,
                                            %g: memref<4xf32>, %t: memref<4x8xf32>) {
  pfc.project %x, %v complement(%g : memref<4xf32>) into %t
      : memref<4x64xf32>, memref<64x8xf32> -> memref<4x8xf32>
  return
}

// CHECK-LABEL: func.func @lowrank
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[UT:[^:]*]]: memref<8x96xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[Y:[^:]*]]: memref<?x80xf32>)
// CHECK-NEXT: pfc.lowrank %[[X]], %[[UT]], %[[V]] into %[[Y]] : memref<?x64xf32>, memref<8x96xf32>, memref<64x8xf32> -> memref<?x80xf32>
func.func @lowrank(%x: memref<?x64xf32>, %ut: memref<8x96xf32>,
                   %v: memref<64x8xf32>, %y: memref<?x80xf32>) {
  pfc.lowrank %x, %ut, %v into %y
      : memref<?x64xf32>, memref<8x96xf32>, memref<64x8xf32> -> memref<?x80xf32>
  return
}

// CHECK-LABEL: func.func @gate
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[G:[^:]*]]: memref<?xf32>)
// CHECK-NEXT: pfc.gate %[[X]], %[[P]] into %[[G]] : memref<?x64xf32>, memref<65xf32> -> memref<?xf32>
func.func @gate(%x: memref<?x64xf32>, %p: memref<65xf32>, %g: memref<?xf32>) {
  pfc.gate %x, %p into %g : memref<?x64xf32>, memref<65xf32> -> memref<?xf32>
  return
}

// CHECK-LABEL: func.func @combine
// CHECK-SAME: (%[[S:[^:]*]]: memref<?x64xf32>, %[[L:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.combine %[[S]] lowrank(%[[L]] : memref<?x64xf32>) gamma(%[[G]] : memref<1xf32>) into %[[Y]] : memref<?x64xf32> -> memref<?x64xf32>
func.func @combine(%s: memref<?x64xf32>, %l: memref<?x64xf32>,
                   %g: memref<1xf32>, %y: memref<?x64xf32>) {
  pfc.combine %s lowrank(%l : memref<?x64xf32>) gamma(%g : memref<1xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @combine_bias
// CHECK-SAME: (%[[S:[^:]*]]: memref<?x64xf32>, %[[L:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.combine %[[S]] lowrank(%[[L]] : memref<?x64xf32>) gamma(%[[G]] : memref<?xf32>) bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] : memref<?x64xf32> -> memref<?x64xf32>
func.func @combine_bias(%s: memref<?x64xf32>, %l: memref<?x64xf32>,
                        %g: memref<?xf32>, %bias: memref<64xf32>,
                        %y: memref<?x64xf32>) {
  pfc.combine %s lowrank(%l : memref<?x64xf32>) gamma(%g : memref<?xf32>)
      bias(%bias : memref<64xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// Without a low-rank term, with and without a bias.
// CHECK-LABEL: func.func @combine_without_lowrank
// CHECK-SAME: (%[[S:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.combine %[[S]] gamma(%[[G]] : memref<1xf32>) into %[[Y]] : memref<?x64xf32> -> memref<?x64xf32>
func.func @combine_without_lowrank(%s: memref<?x64xf32>, %g: memref<1xf32>,
                                   %y: memref<?x64xf32>) {
  pfc.combine %s gamma(%g : memref<1xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @combine_without_lowrank_bias
// CHECK-SAME: (%[[S:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[BIAS:[^:]*]]: memref<64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.combine %[[S]] gamma(%[[G]] : memref<?xf32>) bias(%[[BIAS]] : memref<64xf32>) into %[[Y]] : memref<?x64xf32> -> memref<?x64xf32>
func.func @combine_without_lowrank_bias(%s: memref<?x64xf32>, %g: memref<?xf32>,
                                        %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  pfc.combine %s gamma(%g : memref<?xf32>) bias(%bias : memref<64xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// One γ per token of a static count.
// CHECK-LABEL: func.func @combine_static_tokens
// CHECK-SAME: (%[[S:[^:]*]]: memref<4x64xf32>, %[[L:[^:]*]]: memref<4x64xf32>, %[[G:[^:]*]]: memref<4xf32>, %[[Y:[^:]*]]: memref<4x64xf32>)
// CHECK-NEXT: pfc.combine %[[S]] lowrank(%[[L]] : memref<4x64xf32>) gamma(%[[G]] : memref<4xf32>) into %[[Y]] : memref<4x64xf32> -> memref<4x64xf32>
func.func @combine_static_tokens(%s: memref<4x64xf32>, %l: memref<4x64xf32>,
                                 %g: memref<4xf32>, %y: memref<4x64xf32>) {
  pfc.combine %s lowrank(%l : memref<4x64xf32>) gamma(%g : memref<4xf32>) into %y
      : memref<4x64xf32> -> memref<4x64xf32>
  return
}

// CHECK-LABEL: func.func @pack
// CHECK-SAME: (%[[B:[^:]*]]: memref<4x32x32xf32>, %[[PB:[^:]*]]: memref<4x32x32xf32>)
// CHECK-NEXT: pfc.pack %[[B]] : memref<4x32x32xf32> into %[[PB]] : memref<4x32x32xf32>{{$}}
func.func @pack(%b: memref<4x32x32xf32>, %pb: memref<4x32x32xf32>) {
  pfc.pack %b : memref<4x32x32xf32> into %pb : memref<4x32x32xf32>
  return
}

// U [80, 8] is packed into Uᵀ padded to 96 outputs (3 blocks of 32).
// CHECK-LABEL: func.func @pack_u
// CHECK-SAME: (%[[B:[^:]*]]: memref<4x32x32xf32>, %[[U:[^:]*]]: memref<80x8xf32>, %[[PB:[^:]*]]: memref<4x32x32xf32>, %[[PU:[^:]*]]: memref<8x96xf32>)
// CHECK-NEXT: pfc.pack %[[B]] : memref<4x32x32xf32>, %[[U]] : memref<80x8xf32> into %[[PB]] : memref<4x32x32xf32>, %[[PU]] : memref<8x96xf32>
func.func @pack_u(%b: memref<4x32x32xf32>, %u: memref<80x8xf32>,
                  %pb: memref<4x32x32xf32>, %pu: memref<8x96xf32>) {
  pfc.pack %b : memref<4x32x32xf32>, %u : memref<80x8xf32>
      into %pb : memref<4x32x32xf32>, %pu : memref<8x96xf32>
  return
}

// Pixelfly attention with every optional part: the random features' Wᵀ, a
// block-row range, causal, on a butterfly over 256 tokens in blocks of 32.
// CHECK-LABEL: func.func @attention_all
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.attention %[[Q]], %[[K]], %[[V]] features(%[[WT]] : memref<64x32xf32>) rows(%[[R0]], %[[R1]]) into %[[O]], %[[STATS]] {block = 32 : i64, causal, pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>, scale = 1.250000e-01 : f64, seq_len = 256 : i64} : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x3xf32>
func.func @attention_all(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                         %v: memref<?x64xf32>, %wt: memref<64x32xf32>,
                         %o: memref<?x64xf32>, %stats: memref<?x3xf32>,
                         %r0: index, %r1: index) {
  pfc.attention %q, %k, %v features(%wt : memref<64x32xf32>) rows(%r0, %r1)
      into %o, %stats
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       seq_len = 256 : i64, block = 32 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// Without them: the exact part alone, on a block list; 100 static tokens
// in blocks of 64 pad to 128.
// CHECK-LABEL: func.func @attention_none
// CHECK-SAME: (%[[Q:[^:]*]]: memref<100x64xf32>, %[[K:[^:]*]]: memref<100x64xf32>, %[[V:[^:]*]]: memref<100x64xf32>, %[[O:[^:]*]]: memref<100x64xf32>, %[[STATS:[^:]*]]: memref<100x3xf32>)
// CHECK-NEXT: pfc.attention %[[Q]], %[[K]], %[[V]] into %[[O]], %[[STATS]] {block = 64 : i64, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64, seq_len = 100 : i64} : memref<100x64xf32>, memref<100x64xf32>, memref<100x64xf32> -> memref<100x64xf32>, memref<100x3xf32>
func.func @attention_none(%q: memref<100x64xf32>, %k: memref<100x64xf32>,
                          %v: memref<100x64xf32>, %o: memref<100x64xf32>,
                          %stats: memref<100x3xf32>) {
  pfc.attention %q, %k, %v into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 100 : i64,
       block = 64 : i64, scale = 0.125 : f64}
      : memref<100x64xf32>, memref<100x64xf32>, memref<100x64xf32>
      -> memref<100x64xf32>, memref<100x3xf32>
  return
}

// A block-row range behind absent features.
// CHECK-LABEL: func.func @attention_rows_without_features
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.attention %[[Q]], %[[Q]], %[[Q]] rows(%[[R0]], %[[R1]]) into %[[O]], %[[STATS]] {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64, seq_len = 256 : i64} : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x3xf32>
func.func @attention_rows_without_features(%q: memref<?x64xf32>, %o: memref<?x64xf32>,
                                            %stats: memref<?x3xf32>, %r0: index,
                                            %r1: index) {
  pfc.attention %q, %q, %q rows(%r0, %r1) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// The random features in rows, one scale per token (group 1), and
// transposed, [m, P] with one scale per group of 32 tokens.
// CHECK-LABEL: func.func @random_features
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[PHI:[^:]*]]: memref<?x64xf32>, %[[C:[^:]*]]: memref<?xf32>)
// CHECK-NEXT: pfc.random_features %[[Q]], %[[WT]] into %[[PHI]], %[[C]] {group = 1 : i64, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32> -> memref<?x64xf32>, memref<?xf32>
func.func @random_features(%q: memref<?x64xf32>, %wt: memref<64x32xf32>,
                           %phi: memref<?x64xf32>, %c: memref<?xf32>) {
  pfc.random_features %q, %wt into %phi, %c {scale = 0.125 : f64, group = 1 : i64}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<?x64xf32>, memref<?xf32>
  return
}

// CHECK-LABEL: func.func @random_features_transposed
// CHECK-SAME: (%[[K:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[PHI:[^:]*]]: memref<64x256xf32>, %[[C:[^:]*]]: memref<8xf32>)
// CHECK-NEXT: pfc.random_features %[[K]], %[[WT]] into %[[PHI]], %[[C]] {group = 32 : i64, scale = 1.250000e-01 : f64, transposed} : memref<?x64xf32>, memref<64x32xf32> -> memref<64x256xf32>, memref<8xf32>
func.func @random_features_transposed(%k: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                      %phi: memref<64x256xf32>, %c: memref<8xf32>) {
  pfc.random_features %k, %wt into %phi, %c
      {scale = 0.125 : f64, group = 32 : i64, transposed}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<64x256xf32>, memref<8xf32>
  return
}

// The attention kernel with the random features (the queries' [T, m] and
// their scales, the keys' transposed [m, P] and one scale per block), a
// block-row range and causal; without any; a range without features.
// CHECK-LABEL: func.func @block_attention_all
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[KT:[^:]*]]: memref<64x256xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[PHIQ:[^:]*]]: memref<?x64xf32>, %[[CQ:[^:]*]]: memref<?xf32>, %[[PHIKT:[^:]*]]: memref<64x256xf32>, %[[CK:[^:]*]]: memref<2xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.block_attention %[[Q]], %[[KT]], %[[V]] lowrank(%[[PHIQ]], %[[CQ]], %[[PHIKT]], %[[CK]] : memref<?x64xf32>, memref<?xf32>, memref<64x256xf32>, memref<2xf32>) rows(%[[R0]], %[[R1]]) into %[[O]], %[[STATS]] {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x3xf32>
func.func @block_attention_all(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                               %v: memref<?x64xf32>, %phiq: memref<?x64xf32>,
                               %cq: memref<?xf32>, %phikt: memref<64x256xf32>,
                               %ck: memref<2xf32>, %o: memref<?x64xf32>,
                               %stats: memref<?x3xf32>, %r0: index, %r1: index) {
  pfc.block_attention %q, %kt, %v
      lowrank(%phiq, %cq, %phikt, %ck : memref<?x64xf32>, memref<?xf32>,
              memref<64x256xf32>, memref<2xf32>) rows(%r0, %r1) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64,
       scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// CHECK-LABEL: func.func @block_attention_none
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[KT:[^:]*]]: memref<64x256xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>)
// CHECK-NEXT: pfc.block_attention %[[Q]], %[[KT]], %[[V]] into %[[O]], %[[STATS]] {block = 128 : i64, pattern = #pfc.blocks<2x2: [0, 1], [1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x3xf32>
func.func @block_attention_none(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                           %v: memref<?x64xf32>, %o: memref<?x64xf32>,
                           %stats: memref<?x3xf32>) {
  pfc.block_attention %q, %kt, %v into %o, %stats
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// CHECK-LABEL: func.func @block_attention_rows_without_lowrank
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[KT:[^:]*]]: memref<64x256xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.block_attention %[[Q]], %[[KT]], %[[V]] rows(%[[R0]], %[[R1]]) into %[[O]], %[[STATS]] {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x3xf32>
func.func @block_attention_rows_without_lowrank(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                                %v: memref<?x64xf32>, %o: memref<?x64xf32>,
                                                %stats: memref<?x3xf32>, %r0: index,
                                                %r1: index) {
  pfc.block_attention %q, %kt, %v rows(%r0, %r1) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64,
       scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// The attention's gradients with every optional part (the features, a
// block-row range), without any, and a range without features.
// CHECK-LABEL: func.func @attention_grad_all
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.attention_grad %[[Q]], %[[K]], %[[V]] features(%[[WT]] : memref<64x32xf32>), %[[O]], %[[STATS]], %[[DO]] rows(%[[R0]], %[[R1]]) into %[[DQ]], %[[DK]], %[[DV]] {block = 32 : i64, causal, pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>, scale = 1.250000e-01 : f64, seq_len = 256 : i64} : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
func.func @attention_grad_all(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                                          %v: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                          %o: memref<?x64xf32>, %stats: memref<?x3xf32>,
                                          %do: memref<?x64xf32>, %dq: memref<?x64xf32>,
                                          %dk: memref<?x64xf32>, %dv: memref<?x64xf32>,
                                          %r0: index, %r1: index) {
  pfc.attention_grad %q, %k, %v features(%wt : memref<64x32xf32>), %o, %stats, %do
      rows(%r0, %r1) into %dq, %dk, %dv
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       seq_len = 256 : i64, block = 32 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @attention_grad_none
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.attention_grad %[[Q]], %[[K]], %[[V]], %[[O]], %[[STATS]], %[[DO]] into %[[DQ]], %[[DK]], %[[DV]] {block = 128 : i64, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64, seq_len = 200 : i64} : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
func.func @attention_grad_none(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                               %v: memref<?x64xf32>, %o: memref<?x64xf32>,
                               %stats: memref<?x3xf32>, %do: memref<?x64xf32>,
                               %dq: memref<?x64xf32>, %dk: memref<?x64xf32>,
                               %dv: memref<?x64xf32>) {
  pfc.attention_grad %q, %k, %v, %o, %stats, %do into %dq, %dk, %dv
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 200 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @attention_grad_rows_without_features
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.attention_grad %[[Q]], %[[K]], %[[K]], %[[O]], %[[STATS]], %[[O]] rows(%[[R0]], %[[R1]]) into %[[DQ]], %[[K]], %[[Q]] {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64, seq_len = 256 : i64} : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
func.func @attention_grad_rows_without_features(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                                                 %o: memref<?x64xf32>, %stats: memref<?x3xf32>,
                                                 %dq: memref<?x64xf32>, %r0: index,
                                                 %r1: index) {
  pfc.attention_grad %q, %k, %k, %o, %stats, %o rows(%r0, %r1) into %dq, %k, %q
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// The gradient through the keys' random features, in rows [P, m].
// CHECK-LABEL: func.func @random_features_grad
// CHECK-SAME: (%[[K:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[PHIK:[^:]*]]: memref<256x64xf32>, %[[DPHIK:[^:]*]]: memref<256x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.random_features_grad %[[K]], %[[WT]], %[[PHIK]], %[[DPHIK]] into %[[DK]] {scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32>, memref<256x64xf32>, memref<256x64xf32> -> memref<?x64xf32>
func.func @random_features_grad(%k: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                %phik: memref<256x64xf32>, %dphik: memref<256x64xf32>,
                                %dk: memref<?x64xf32>) {
  pfc.random_features_grad %k, %wt, %phik, %dphik into %dk {scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x32xf32>, memref<256x64xf32>, memref<256x64xf32>
      -> memref<?x64xf32>
  return
}

// The kernel's gradients with the forward's features, the keys' in rows
// too, the features' gradients and a block-row range; without any; a range
// without features.
// CHECK-LABEL: func.func @block_attention_grad_all
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[KT:[^:]*]]: memref<64x256xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[VT:[^:]*]]: memref<64x256xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[PHIQ:[^:]*]]: memref<?x64xf32>, %[[CQ:[^:]*]]: memref<?xf32>, %[[PHIKT:[^:]*]]: memref<64x256xf32>, %[[PHIK:[^:]*]]: memref<256x64xf32>, %[[CK:[^:]*]]: memref<2xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>, %[[DPHIQ:[^:]*]]: memref<?x64xf32>, %[[DPHIK:[^:]*]]: memref<256x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.block_attention_grad %[[Q]], %[[K]], %[[KT]], %[[V]], %[[VT]], %[[O]], %[[STATS]], %[[DO]] lowrank(%[[PHIQ]], %[[CQ]], %[[PHIKT]], %[[PHIK]], %[[CK]] : memref<?x64xf32>, memref<?xf32>, memref<64x256xf32>, memref<256x64xf32>, memref<2xf32>) rows(%[[R0]], %[[R1]]) into %[[DQ]], %[[DK]], %[[DV]] features(%[[DPHIQ]], %[[DPHIK]] : memref<?x64xf32>, memref<256x64xf32>) {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
func.func @block_attention_grad_all(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                                        %kt: memref<64x256xf32>, %v: memref<?x64xf32>,
                                        %vt: memref<64x256xf32>, %o: memref<?x64xf32>,
                                        %stats: memref<?x3xf32>, %do: memref<?x64xf32>,
                                        %phiq: memref<?x64xf32>, %cq: memref<?xf32>,
                                        %phikt: memref<64x256xf32>, %phik: memref<256x64xf32>,
                                        %ck: memref<2xf32>, %dq: memref<?x64xf32>,
                                        %dk: memref<?x64xf32>, %dv: memref<?x64xf32>,
                                        %dphiq: memref<?x64xf32>, %dphik: memref<256x64xf32>,
                                        %r0: index, %r1: index) {
  pfc.block_attention_grad %q, %k, %kt, %v, %vt, %o, %stats, %do
      lowrank(%phiq, %cq, %phikt, %phik, %ck : memref<?x64xf32>, memref<?xf32>,
              memref<64x256xf32>, memref<256x64xf32>, memref<2xf32>)
      rows(%r0, %r1) into %dq, %dk, %dv
      features(%dphiq, %dphik : memref<?x64xf32>, memref<256x64xf32>)
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64,
       scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>,
        memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @block_attention_grad_none
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[KT:[^:]*]]: memref<64x256xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[VT:[^:]*]]: memref<64x256xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: pfc.block_attention_grad %[[Q]], %[[K]], %[[KT]], %[[V]], %[[VT]], %[[O]], %[[STATS]], %[[DO]] into %[[DQ]], %[[DK]], %[[DV]] {block = 128 : i64, pattern = #pfc.blocks<2x2: [0, 1], [1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
func.func @block_attention_grad_none(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                                %kt: memref<64x256xf32>, %v: memref<?x64xf32>,
                                %vt: memref<64x256xf32>, %o: memref<?x64xf32>,
                                %stats: memref<?x3xf32>, %do: memref<?x64xf32>,
                                %dq: memref<?x64xf32>, %dk: memref<?x64xf32>,
                                %dv: memref<?x64xf32>) {
  pfc.block_attention_grad %q, %k, %kt, %v, %vt, %o, %stats, %do
      into %dq, %dk, %dv
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>,
        memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// CHECK-LABEL: func.func @block_attention_grad_rows_without_lowrank
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[KT:[^:]*]]: memref<64x256xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: pfc.block_attention_grad %[[Q]], %[[Q]], %[[KT]], %[[Q]], %[[KT]], %[[O]], %[[STATS]], %[[O]] rows(%[[R0]], %[[R1]]) into %[[DQ]], %[[Q]], %[[O]] {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>{{$}}
func.func @block_attention_grad_rows_without_lowrank(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                                     %o: memref<?x64xf32>, %stats: memref<?x3xf32>,
                                                     %dq: memref<?x64xf32>, %r0: index,
                                                     %r1: index) {
  pfc.block_attention_grad %q, %q, %kt, %q, %kt, %o, %stats, %o rows(%r0, %r1)
      into %dq, %q, %o
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64,
       scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>,
        memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// The attributes on their own, at the edges of their ranges: three factors,
// a block-row without blocks, the smallest schedule.
// CHECK-LABEL: func.func @attributes()
// CHECK-SAME: attributes {patterns = [
// CHECK-SAME: #pfc.butterfly<size = 16, strides = [2, 4, 16], shuffle = false, global = 0>,
// CHECK-SAME: #pfc.blocks<2x3: [], [0, 2]>,
// CHECK-SAME: #pfc.schedule<tile = 1, vector = 4, chunk = 1, unroll = 1, unrolled = false>,
// CHECK-SAME: #pfc.gamma<scalar>, #pfc.gamma<gate>, #pfc.gamma<fixed>]}
func.func @attributes() attributes {patterns = [
    #pfc.butterfly<size = 16, strides = [2, 4, 16], shuffle = false, global = 0>,
    #pfc.blocks<2x3: [], [0, 2]>,
    #pfc.schedule<tile = 1, vector = 4, chunk = 1, unroll = 1, unrolled = false>,
    #pfc.gamma<scalar>, #pfc.gamma<gate>, #pfc.gamma<fixed>]} {
  return
}

// -----

// CHECK-LABEL: func.func @sddmm_dot
// CHECK: pfc.sddmm %{{.*}}, %{{.*}} scale(%{{.*}} : memref<1xf32>) dot(%{{.*}}, %{{.*}} : memref<4x32x32xf32>, memref<1xf32>) into %{{.*}} blocks(%{{.*}}, %{{.*}})
func.func @sddmm_dot(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                     %g: memref<1xf32>, %b: memref<4x32x32xf32>,
                     %d: memref<1xf32>, %db: memref<4x32x32xf32>,
                     %n0: index, %n1: index) {
  pfc.sddmm %dy, %x scale(%g : memref<1xf32>)
      dot(%b, %d : memref<4x32x32xf32>, memref<1xf32>) into %db blocks(%n0, %n1)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
  return
}

// bf16 and f16 data: token matrices and weights hold the data type, while
// γ, the bias and the weights' gradients stay f32.
// CHECK-LABEL: func.func @layer_bf16
// CHECK: pfc.layer %{{.*}}, %{{.*}} lowrank(%{{.*}}, %{{.*}} : memref<8x64xbf16>, memref<64x8xbf16>) gamma(%{{.*}} : memref<1xf32>) bias(%{{.*}} : memref<64xf32>) into %{{[[:alnum:]]+}} {
// CHECK-SAME: : memref<?x64xbf16>, memref<4x32x32xbf16> -> memref<?x64xbf16>{{$}}
func.func @layer_bf16(%x: memref<?x64xbf16>, %b: memref<4x32x32xbf16>,
                      %ut: memref<8x64xbf16>, %v: memref<64x8xbf16>,
                      %g: memref<1xf32>, %bias: memref<64xf32>,
                      %y: memref<?x64xbf16>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xbf16>, memref<64x8xbf16>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xbf16>, memref<4x32x32xbf16> -> memref<?x64xbf16>
  return
}

// CHECK-LABEL: func.func @layer_grad_f16
// CHECK: pfc.layer_grad %{{.*}}, %{{.*}}, %{{.*}} lowrank(%{{.*}}, %{{.*}} : memref<64x8xf16>, memref<64x8xf16>) gamma(%{{.*}} : memref<1xf32>) into %{{.*}}, %{{.*}} grad_lowrank(%{{.*}}, %{{.*}} : memref<64x8xf32>, memref<64x8xf32>) grad_gamma(%{{[[:alnum:]]+}} : memref<1xf32>) {
// CHECK-SAME: : memref<?x64xf16>, memref<?x64xf16>, memref<4x32x32xf16> -> memref<?x64xf16>, memref<4x32x32xf32>{{$}}
func.func @layer_grad_f16(%x: memref<?x64xf16>, %dy: memref<?x64xf16>,
                          %b: memref<4x32x32xf16>, %u: memref<64x8xf16>,
                          %v: memref<64x8xf16>, %g: memref<1xf32>,
                          %dx: memref<?x64xf16>, %db: memref<4x32x32xf32>,
                          %du: memref<64x8xf32>, %dv: memref<64x8xf32>,
                          %dg: memref<1xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf16>, memref<64x8xf16>)
      gamma(%g : memref<1xf32>) into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      grad_gamma(%dg : memref<1xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf16>, memref<?x64xf16>, memref<4x32x32xf16>
      -> memref<?x64xf16>, memref<4x32x32xf32>
  return
}

// CHECK-LABEL: func.func @sddmm_bf16
// CHECK: pfc.sddmm %{{.*}}, %{{.*}} dot(%{{.*}}, %{{.*}} : memref<4x32x32xbf16>, memref<1xf32>) into %{{[[:alnum:]]+}} {
// CHECK-SAME: : memref<?x64xbf16>, memref<?x64xbf16> -> memref<4x32x32xf32>{{$}}
func.func @sddmm_bf16(%dy: memref<?x64xbf16>, %x: memref<?x64xbf16>,
                      %b: memref<4x32x32xbf16>, %d: memref<1xf32>,
                      %db: memref<4x32x32xf32>) {
  pfc.sddmm %dy, %x dot(%b, %d : memref<4x32x32xbf16>, memref<1xf32>) into %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xbf16>, memref<?x64xbf16> -> memref<4x32x32xf32>
  return
}

// CHECK-LABEL: func.func @outer_sum_f16
// CHECK: pfc.outer_sum %{{.*}}, %{{.*}} into %{{.*}} : memref<?x64xf16>, memref<?x8xf16> -> memref<64x8xf32>
func.func @outer_sum_f16(%x: memref<?x64xf16>, %w: memref<?x8xf16>,
                         %dv: memref<64x8xf32>) {
  pfc.outer_sum %x, %w into %dv
      : memref<?x64xf16>, memref<?x8xf16> -> memref<64x8xf32>
  return
}

// Attention on bf16 data: the head matrices and Wᵀ hold the data type, the
// stats stay f32; the kernel's random features are f32 too.
// CHECK-LABEL: func.func @attention_bf16
// CHECK: pfc.attention %{{.*}}, %{{.*}}, %{{.*}} features(%{{.*}} : memref<64x32xbf16>) into %{{.*}}, %{{[[:alnum:]]+}} {
// CHECK-SAME: : memref<?x64xbf16>, memref<?x64xbf16>, memref<?x64xbf16> -> memref<?x64xbf16>, memref<?x3xf32>{{$}}
func.func @attention_bf16(%q: memref<?x64xbf16>, %wt: memref<64x32xbf16>,
                          %o: memref<?x64xbf16>, %stats: memref<?x3xf32>) {
  pfc.attention %q, %q, %q features(%wt : memref<64x32xbf16>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xbf16>, memref<?x64xbf16>, memref<?x64xbf16>
      -> memref<?x64xbf16>, memref<?x3xf32>
  return
}

// CHECK-LABEL: func.func @block_attention_f16
// CHECK: pfc.block_attention %{{.*}}, %{{.*}}, %{{.*}} lowrank(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : memref<?x64xf32>, memref<?xf32>, memref<64x256xf32>, memref<2xf32>) into %{{.*}}, %{{[[:alnum:]]+}} {
// CHECK-SAME: : memref<?x64xf16>, memref<64x256xf16>, memref<?x64xf16> -> memref<?x64xf16>, memref<?x3xf32>{{$}}
func.func @block_attention_f16(%q: memref<?x64xf16>, %kt: memref<64x256xf16>,
                               %phiq: memref<?x64xf32>, %cq: memref<?xf32>,
                               %phikt: memref<64x256xf32>, %ck: memref<2xf32>,
                               %o: memref<?x64xf16>, %stats: memref<?x3xf32>) {
  pfc.block_attention %q, %kt, %q
      lowrank(%phiq, %cq, %phikt, %ck : memref<?x64xf32>, memref<?xf32>,
              memref<64x256xf32>, memref<2xf32>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf16>, memref<64x256xf16>, memref<?x64xf16>
      -> memref<?x64xf16>, memref<?x3xf32>
  return
}

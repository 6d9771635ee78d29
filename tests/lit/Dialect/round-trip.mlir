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
// CHECK-SAME: {gamma = #pfc.gamma<scalar>, pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = true, global = 16>, schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true, threads = 2>}
// CHECK-SAME: : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>{{$}}
func.func @layer_all(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                     %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                     %g: memref<1xf32>, %bias: memref<64xf32>,
                     %y: memref<?x64xf32>, %r0: index, %r1: index) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) rows(%r0, %r1) into %y
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = true, global = 16>,
       gamma = #pfc.gamma<scalar>,
       schedule = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true, threads = 2>}
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
// CHECK-SAME: {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, schedule = #pfc.schedule<tile = 4, vector = 8, chunk = 64, unroll = 2, unrolled = false, threads = 1>}
// CHECK-SAME: : memref<?x80xf32>, memref<5x32x32xf32> -> memref<?x40xf32>{{$}}
func.func @bsmm_fused(%x: memref<?x80xf32>, %b: memref<5x32x32xf32>,
                      %s: memref<?xf32>, %t: memref<?x8xf32>,
                      %ut: memref<8x64xf32>, %bias: memref<40xf32>,
                      %y: memref<?x40xf32>, %r0: index, %r1: index) {
  pfc.bsmm %x, %b scale(%s : memref<?xf32>)
      extra(%t, %ut : memref<?x8xf32>, memref<8x64xf32>)
      bias(%bias : memref<40xf32>) rows(%r0, %r1) into %y
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>,
       schedule = #pfc.schedule<tile = 4, vector = 8, chunk = 64, unroll = 2, unrolled = false, threads = 1>}
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

// The attributes on their own, at the edges of their ranges: three factors,
// a block-row without blocks, the smallest schedule.
// CHECK-LABEL: func.func @attributes()
// CHECK-SAME: attributes {patterns = [
// CHECK-SAME: #pfc.butterfly<size = 16, strides = [2, 4, 16], shuffle = false, global = 0>,
// CHECK-SAME: #pfc.blocks<2x3: [], [0, 2]>,
// CHECK-SAME: #pfc.schedule<tile = 1, vector = 4, chunk = 1, unroll = 1, unrolled = false, threads = 64>,
// CHECK-SAME: #pfc.gamma<scalar>, #pfc.gamma<gate>, #pfc.gamma<fixed>]}
func.func @attributes() attributes {patterns = [
    #pfc.butterfly<size = 16, strides = [2, 4, 16], shuffle = false, global = 0>,
    #pfc.blocks<2x3: [], [0, 2]>,
    #pfc.schedule<tile = 1, vector = 4, chunk = 1, unroll = 1, unrolled = false, threads = 64>,
    #pfc.gamma<scalar>, #pfc.gamma<gate>, #pfc.gamma<fixed>]} {
  return
}

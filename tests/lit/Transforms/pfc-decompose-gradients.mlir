// pfc-decompose-gradients turns pfc.layer_grad into its kernels, in this
// order, with t = x·V, w = dY·U and γ the scalar parameter, one γ per token
// from pfc.gate, or a constant on the stack (fixed):
//   t, w                         two pfc.project
//   Σ_j w⊙t per token            pfc.row_dot (dγ's low-rank part, unscaled)
//   t, w *= 1 − γ                two pfc.scale_rows
//   Vᵀ padded to whole blocks    pfc.transpose
//   dX = γ⊙(dY·B) + w·Vᵀ         pfc.bsmm_t, also writing the dots of dY·B
//                                with x (dγ's block-sparse part)
//   dB = (γ⊙dY)ᵀ·x               pfc.sddmm
//   dU = dYᵀ·t, dV = xᵀ·w        two pfc.outer_sum
//   dγ                           pfc.gamma_grad
//   d(bias) = Σ_t dY             pfc.sum_tokens
// Without a rank there are no low-rank parts; with a fixed γ no dots and no
// pfc.gamma_grad. Temporaries have the input's token count and are freed
// after the last kernel.
// RUN: %pfc-opt %s -split-input-file -pfc-decompose-gradients | FileCheck %s --enable-var-scope

// Every part: U, V, a scalar γ, a bias; the schedule goes to the dX product.
// CHECK-LABEL: func.func @scalar
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[U:[^:]*]]: memref<64x8xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DU:[^:]*]]: memref<64x8xf32>, %[[DV:[^:]*]]: memref<64x8xf32>, %[[DG:[^:]*]]: memref<1xf32>, %[[DBIAS:[^:]*]]: memref<64xf32>)
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[TOKENS:.*]] = memref.dim %[[X]], %[[C0]] : memref<?x64xf32>
// CHECK-NEXT: %[[T:.*]] = memref.alloc(%[[TOKENS]]) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[X]], %[[V]] into %[[T]] : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
// CHECK: %[[W:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[DY]], %[[U]] into %[[W]] : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
// CHECK: %[[LOWRANK_DOTS:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.row_dot %[[W]], %[[T]] into %[[LOWRANK_DOTS]] : memref<?x8xf32>, memref<?x8xf32> -> memref<?xf32>
// CHECK-NEXT: pfc.scale_rows %[[T]] complement(%[[G]] : memref<1xf32>) : memref<?x8xf32>
// CHECK-NEXT: pfc.scale_rows %[[W]] complement(%[[G]] : memref<1xf32>) : memref<?x8xf32>
// CHECK-NEXT: %[[VT:.*]] = memref.alloc() : memref<8x64xf32>
// CHECK-NEXT: pfc.transpose %[[V]] into %[[VT]] : memref<64x8xf32> -> memref<8x64xf32>
// CHECK-NEXT: %[[SPARSE_SUM:.*]] = memref.alloc() : memref<1xf32>
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[G]] : memref<1xf32>) extra(%[[W]], %[[VT]] : memref<?x8xf32>, memref<8x64xf32>) into %[[DX]]
// CHECK-SAME: {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 1, unrolled = false>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[G]] : memref<1xf32>) dot(%[[B]], %[[SPARSE_SUM]] : memref<4x32x32xf32>, memref<1xf32>) into %[[DB]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
// CHECK-NEXT: pfc.outer_sum %[[DY]], %[[T]] into %[[DU]] : memref<?x64xf32>, memref<?x8xf32> -> memref<64x8xf32>
// CHECK-NEXT: pfc.outer_sum %[[X]], %[[W]] into %[[DV]] : memref<?x64xf32>, memref<?x8xf32> -> memref<64x8xf32>
// CHECK-NEXT: pfc.gamma_grad %[[SPARSE_SUM]] lowrank(%[[LOWRANK_DOTS]] : memref<?xf32>) gamma(%[[G]] : memref<1xf32>) into %[[DG]] {gamma = #pfc.gamma<scalar>} : memref<1xf32> -> memref<1xf32>
// CHECK-NEXT: pfc.sum_tokens %[[DY]] into %[[DBIAS]] : memref<?x64xf32> -> memref<64xf32>
// CHECK-NEXT: memref.dealloc %[[T]] : memref<?x8xf32>
// CHECK-NEXT: memref.dealloc %[[W]] : memref<?x8xf32>
// CHECK-NEXT: memref.dealloc %[[LOWRANK_DOTS]] : memref<?xf32>
// CHECK-NEXT: memref.dealloc %[[VT]] : memref<8x64xf32>
// CHECK-NEXT: memref.dealloc %[[SPARSE_SUM]] : memref<1xf32>
// CHECK-NEXT: return
func.func @scalar(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                  %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                  %v: memref<64x8xf32>, %g: memref<1xf32>,
                  %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>,
                  %du: memref<64x8xf32>, %dv: memref<64x8xf32>,
                  %dg: memref<1xf32>, %dbias: memref<64xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      grad_gamma(%dg : memref<1xf32>) grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>,
       schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 1, unrolled = false>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// A scalar γ without a rank: dγ is the dB kernel's Σ B ⊙ (dYᵀ·x) alone.
// CHECK-LABEL: func.func @scalar_rank_zero
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DG:[^:]*]]: memref<1xf32>)
// CHECK-NOT: pfc.project
// CHECK-NOT: pfc.row_dot
// CHECK: %[[SPARSE_SUM:.*]] = memref.alloc() : memref<1xf32>
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[G]] : memref<1xf32>) into %[[DX]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[G]] : memref<1xf32>) dot(%[[B]], %[[SPARSE_SUM]] : memref<4x32x32xf32>, memref<1xf32>) into %[[DB]]
// CHECK-NEXT: pfc.gamma_grad %[[SPARSE_SUM]] gamma(%[[G]] : memref<1xf32>) into %[[DG]] {gamma = #pfc.gamma<scalar>} : memref<1xf32> -> memref<1xf32>
// CHECK-NEXT: memref.dealloc %[[SPARSE_SUM]] : memref<1xf32>
// CHECK-NEXT: return
func.func @scalar_rank_zero(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
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

// -----

// The gate on a padded 40x80 weight: one γ per token from pfc.gate scales
// every part, Vᵀ is padded to 96 inputs, and pfc.gamma_grad gets the gate's
// input, parameters and dX (to which it adds the gate's share).
// CHECK-LABEL: func.func @gate
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x80xf32>, %[[DY:[^:]*]]: memref<?x40xf32>, %[[B:[^:]*]]: memref<5x32x32xf32>, %[[U:[^:]*]]: memref<40x8xf32>, %[[V:[^:]*]]: memref<80x8xf32>, %[[P:[^:]*]]: memref<81xf32>, %[[DX:[^:]*]]: memref<?x80xf32>, %[[DB:[^:]*]]: memref<5x32x32xf32>, %[[DU:[^:]*]]: memref<40x8xf32>, %[[DV:[^:]*]]: memref<80x8xf32>, %[[DP:[^:]*]]: memref<81xf32>)
// CHECK: %[[GAMMA:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.gate %[[X]], %[[P]] into %[[GAMMA]] : memref<?x80xf32>, memref<81xf32> -> memref<?xf32>
// CHECK: %[[T:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[X]], %[[V]] into %[[T]] : memref<?x80xf32>, memref<80x8xf32> -> memref<?x8xf32>
// CHECK: %[[W:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[DY]], %[[U]] into %[[W]] : memref<?x40xf32>, memref<40x8xf32> -> memref<?x8xf32>
// CHECK: %[[LOWRANK_DOTS:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.row_dot %[[W]], %[[T]] into %[[LOWRANK_DOTS]]
// CHECK-NEXT: pfc.scale_rows %[[T]] complement(%[[GAMMA]] : memref<?xf32>) : memref<?x8xf32>
// CHECK-NEXT: pfc.scale_rows %[[W]] complement(%[[GAMMA]] : memref<?xf32>) : memref<?x8xf32>
// CHECK-NEXT: %[[VT:.*]] = memref.alloc() : memref<8x96xf32>
// CHECK-NEXT: pfc.transpose %[[V]] into %[[VT]] : memref<80x8xf32> -> memref<8x96xf32>
// CHECK: %[[SPARSE_DOTS:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[GAMMA]] : memref<?xf32>) extra(%[[W]], %[[VT]] : memref<?x8xf32>, memref<8x96xf32>) dots(%[[X]], %[[SPARSE_DOTS]] : memref<?x80xf32>, memref<?xf32>) into %[[DX]] {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>} : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[GAMMA]] : memref<?xf32>) into %[[DB]] {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>} : memref<?x40xf32>, memref<?x80xf32> -> memref<5x32x32xf32>
// CHECK-NEXT: pfc.outer_sum %[[DY]], %[[T]] into %[[DU]] : memref<?x40xf32>, memref<?x8xf32> -> memref<40x8xf32>
// CHECK-NEXT: pfc.outer_sum %[[X]], %[[W]] into %[[DV]] : memref<?x80xf32>, memref<?x8xf32> -> memref<80x8xf32>
// CHECK-NEXT: pfc.gamma_grad %[[SPARSE_DOTS]] lowrank(%[[LOWRANK_DOTS]] : memref<?xf32>) gamma(%[[GAMMA]] : memref<?xf32>) gate(%[[X]], %[[P]], %[[DX]] : memref<?x80xf32>, memref<81xf32>, memref<?x80xf32>) into %[[DP]] {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<81xf32>
// CHECK-NEXT: memref.dealloc %[[GAMMA]] : memref<?xf32>
// CHECK-NEXT: memref.dealloc %[[T]] : memref<?x8xf32>
// CHECK-NEXT: memref.dealloc %[[W]] : memref<?x8xf32>
// CHECK-NEXT: memref.dealloc %[[LOWRANK_DOTS]] : memref<?xf32>
// CHECK-NEXT: memref.dealloc %[[VT]] : memref<8x96xf32>
// CHECK-NEXT: memref.dealloc %[[SPARSE_DOTS]] : memref<?xf32>
// CHECK-NEXT: return
func.func @gate(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
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

// -----

// A gate without a rank, with a bias, static token counts: the per-token
// temporaries have the static count.
// CHECK-LABEL: func.func @gate_rank_zero_bias
// CHECK-SAME: (%[[X:[^:]*]]: memref<4x64xf32>, %[[DY:[^:]*]]: memref<4x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[DX:[^:]*]]: memref<4x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DP:[^:]*]]: memref<65xf32>, %[[DBIAS:[^:]*]]: memref<64xf32>)
// CHECK-NEXT: %[[GAMMA:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: pfc.gate %[[X]], %[[P]] into %[[GAMMA]] : memref<4x64xf32>, memref<65xf32> -> memref<4xf32>
// CHECK-NEXT: %[[SPARSE_DOTS:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[GAMMA]] : memref<4xf32>) dots(%[[X]], %[[SPARSE_DOTS]] : memref<4x64xf32>, memref<4xf32>) into %[[DX]]
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[GAMMA]] : memref<4xf32>) into %[[DB]]
// CHECK-NEXT: pfc.gamma_grad %[[SPARSE_DOTS]] gamma(%[[GAMMA]] : memref<4xf32>) gate(%[[X]], %[[P]], %[[DX]] : memref<4x64xf32>, memref<65xf32>, memref<4x64xf32>) into %[[DP]] {gamma = #pfc.gamma<gate>} : memref<4xf32> -> memref<65xf32>
// CHECK-NEXT: pfc.sum_tokens %[[DY]] into %[[DBIAS]] : memref<4x64xf32> -> memref<64xf32>
// CHECK-NEXT: memref.dealloc %[[GAMMA]] : memref<4xf32>
// CHECK-NEXT: memref.dealloc %[[SPARSE_DOTS]] : memref<4xf32>
// CHECK-NEXT: return
func.func @gate_rank_zero_bias(%x: memref<4x64xf32>, %dy: memref<4x64xf32>,
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

// -----

// A fixed γ is a constant on the stack (not freed); it has no gradient, so
// there are no dots, no pfc.row_dot and no pfc.gamma_grad.
// CHECK-LABEL: func.func @fixed
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[U:[^:]*]]: memref<64x8xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DU:[^:]*]]: memref<64x8xf32>, %[[DV:[^:]*]]: memref<64x8xf32>)
// CHECK-NEXT: %[[GAMMA:.*]] = memref.alloca() : memref<1xf32>
// CHECK-NEXT: %[[VALUE:.*]] = arith.constant 7.500000e-01 : f32
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.store %[[VALUE]], %[[GAMMA]][%[[C0]]] : memref<1xf32>
// CHECK: %[[T:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[X]], %[[V]] into %[[T]]
// CHECK: %[[W:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NEXT: pfc.project %[[DY]], %[[U]] into %[[W]]
// CHECK-NEXT: pfc.scale_rows %[[T]] complement(%[[GAMMA]] : memref<1xf32>) : memref<?x8xf32>
// CHECK-NEXT: pfc.scale_rows %[[W]] complement(%[[GAMMA]] : memref<1xf32>) : memref<?x8xf32>
// CHECK-NEXT: %[[VT:.*]] = memref.alloc() : memref<8x64xf32>
// CHECK-NEXT: pfc.transpose %[[V]] into %[[VT]] : memref<64x8xf32> -> memref<8x64xf32>
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[GAMMA]] : memref<1xf32>) extra(%[[W]], %[[VT]] : memref<?x8xf32>, memref<8x64xf32>) into %[[DX]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[GAMMA]] : memref<1xf32>) into %[[DB]]
// CHECK-NEXT: pfc.outer_sum %[[DY]], %[[T]] into %[[DU]]
// CHECK-NEXT: pfc.outer_sum %[[X]], %[[W]] into %[[DV]]
// CHECK-NEXT: memref.dealloc %[[T]] : memref<?x8xf32>
// CHECK-NEXT: memref.dealloc %[[W]] : memref<?x8xf32>
// CHECK-NEXT: memref.dealloc %[[VT]] : memref<8x64xf32>
// CHECK-NEXT: return
func.func @fixed(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                 %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                 %v: memref<64x8xf32>, %dx: memref<?x64xf32>,
                 %db: memref<4x32x32xf32>, %du: memref<64x8xf32>,
                 %dv: memref<64x8xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.75 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// A fixed γ, no rank, a bias: three kernels and no temporary on the heap. A
// butterfly pattern is passed on as it is (pfc-materialize-pattern runs
// first in the pipeline).
// CHECK-LABEL: func.func @fixed_rank_zero_bias
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DBIAS:[^:]*]]: memref<64xf32>)
// CHECK-NEXT: %[[GAMMA:.*]] = memref.alloca() : memref<1xf32>
// CHECK-NEXT: %[[VALUE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: memref.store %[[VALUE]], %[[GAMMA]][%[[C0]]] : memref<1xf32>
// CHECK-NEXT: pfc.bsmm_t %[[DY]], %[[B]] scale(%[[GAMMA]] : memref<1xf32>) into %[[DX]] {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>} : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
// CHECK-NEXT: pfc.sddmm %[[DY]], %[[X]] scale(%[[GAMMA]] : memref<1xf32>) into %[[DB]] {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>} : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
// CHECK-NEXT: pfc.sum_tokens %[[DY]] into %[[DBIAS]] : memref<?x64xf32> -> memref<64xf32>
// CHECK-NEXT: return
func.func @fixed_rank_zero_bias(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                                %db: memref<4x32x32xf32>, %dbias: memref<64xf32>) {
  pfc.layer_grad %x, %dy, %b into %dx, %db grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<fixed>, gamma_value = 0.25 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// Ranges: every kernel sees rows [t0, t1) of x, dY and dX (the gate's γ too,
// computed for those tokens only); dB is written for blocks [n0, n1) only.
// CHECK-LABEL: func.func @ranges
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[DY:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>, %[[DP:[^:]*]]: memref<65xf32>, %[[T0:[^:]*]]: index, %[[T1:[^:]*]]: index, %[[N0:[^:]*]]: index, %[[N1:[^:]*]]: index)
// CHECK: %[[XPART:.*]] = memref.subview %[[X]][%[[T0]], 0]
// CHECK: %[[DYPART:.*]] = memref.subview %[[DY]][%[[T0]], 0]
// CHECK: %[[DXPART:.*]] = memref.subview %[[DX]][%[[T0]], 0]
// CHECK: %[[GPART:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.gate %[[XPART]], %[[P]] into %[[GPART]]
// CHECK: pfc.bsmm_t %[[DYPART]], %[[B]] scale(%[[GPART]] : {{.*}}) dots(%[[XPART]], %{{.*}} : {{.*}}) into %[[DXPART]]
// CHECK-NEXT: pfc.sddmm %[[DYPART]], %[[XPART]] scale(%[[GPART]] : memref<?xf32>) into %[[DB]] blocks(%[[N0]], %[[N1]])
// CHECK-NEXT: pfc.gamma_grad {{.*}} gamma(%[[GPART]] : {{.*}}) gate(%[[XPART]], %[[P]], %[[DXPART]] : {{.*}}) into %[[DP]]
func.func @ranges(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                  %b: memref<4x32x32xf32>, %p: memref<65xf32>,
                  %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>,
                  %dp: memref<65xf32>, %t0: index, %t1: index, %n0: index,
                  %n1: index) {
  pfc.layer_grad %x, %dy, %b gamma(%p : memref<65xf32>) into %dx, %db
      grad_gamma(%dp : memref<65xf32>) tokens(%t0, %t1) blocks(%n0, %n1)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

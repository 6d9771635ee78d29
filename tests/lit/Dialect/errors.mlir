// One case per verifier message of the pfc ops (PfcOps.cpp, AttentionOps.cpp)
// and attributes (PfcAttrs.cpp). Unless a case says otherwise the weight is
// 64x64 with 32x32 blocks, a 2x2 grid whose four blocks are all nonzero.
// RUN: %pfc-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Token rows, shared by every op on matrices.
//===----------------------------------------------------------------------===//

func.func @token_mismatch(%x: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                          %y: memref<8x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op has 4 and 8 tokens in its operands}}
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<8x64xf32>
  return
}

// -----

// Static token counts are checked across all the matrices, the extra
// columns included; dynamic ones are not.
func.func @token_mismatch_extra(%x: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                                %t: memref<2x8xf32>, %ut: memref<8x64xf32>,
                                %s: memref<1xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op has 4 and 2 tokens in its operands}}
  pfc.bsmm %x, %b scale(%s : memref<1xf32>)
      extra(%t, %ut : memref<2x8xf32>, memref<8x64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @non_contiguous_rows(%x: memref<?x64xf32, strided<[128, 2]>>,
                               %v: memref<64x8xf32>, %t: memref<?x8xf32>) {
  // expected-error @below {{'pfc.project' op needs matrices with contiguous rows, got 'memref<?x64xf32, strided<[128, 2]>>'}}
  pfc.project %x, %v into %t
      : memref<?x64xf32, strided<[128, 2]>>, memref<64x8xf32> -> memref<?x8xf32>
  return
}

// -----

func.func @dynamic_features(%s: memref<?x?xf32>, %l: memref<?x64xf32>,
                            %g: memref<1xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.combine' op needs a static feature count, got 'memref<?x?xf32>'}}
  pfc.combine %s lowrank(%l : memref<?x64xf32>) gamma(%g : memref<1xf32>) into %y
      : memref<?x?xf32> -> memref<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Blocks and patterns.
//===----------------------------------------------------------------------===//

func.func @non_square_blocks(%x: memref<?x64xf32>, %b: memref<4x32x16xf32>,
                             %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op needs contiguous blocks of static shape [nnz, b, b], got 'memref<4x32x16xf32>'}}
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x16xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @dynamic_blocks(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                          %db: memref<?x32x32xf32>) {
  // expected-error @below {{'pfc.sddmm' op needs contiguous blocks of static shape [nnz, b, b], got 'memref<?x32x32xf32>'}}
  pfc.sddmm %dy, %x into %db {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<?x32x32xf32>
  return
}

// -----

func.func @empty_blocks(%x: memref<?x64xf32>, %b: memref<4x0x0xf32>,
                        %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op needs contiguous blocks of static shape [nnz, b, b], got 'memref<4x0x0xf32>'}}
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x0x0xf32> -> memref<?x64xf32>
  return
}

// -----

// The butterfly's size must divide the padded weight: 80 features with 32x32
// blocks pad to 96.
func.func @pattern_does_not_fit(%x: memref<?x80xf32>, %b: memref<9x32x32xf32>,
                                %y: memref<?x80xf32>) {
  // expected-error @below {{'pfc.bsmm' op butterfly size 64 does not divide the padded shape 96x96}}
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.butterfly<size = 64, strides = [2], shuffle = false, global = 0>}
      : memref<?x80xf32>, memref<9x32x32xf32> -> memref<?x80xf32>
  return
}

// -----

// bsmm_t reads the weight's shape from its operands the other way round: an
// [T, 40] dY and an [T, 80] dX make a 40x80 weight, a 2x3 grid.
func.func @block_grid_mismatch(%dy: memref<?x40xf32>, %b: memref<5x32x32xf32>,
                               %dx: memref<?x80xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op block list covers a 3x2 grid, but a 40x80 weight with 32x32 blocks has 2x3}}
  pfc.bsmm_t %dy, %b into %dx {pattern = #pfc.blocks<3x2: [0, 1], [0], [0, 1]>}
      : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
  return
}

// -----

func.func @nnz_mismatch(%x: memref<?x64xf32>, %b: memref<3x32x32xf32>,
                        %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op pattern has 2 nonzero blocks, but the blocks operand 3}}
  pfc.layer %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0], [1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 1.0 : f64}
      : memref<?x64xf32>, memref<3x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// The same for a butterfly: 128x128 with S = 4, one factor, has 8 blocks.
func.func @nnz_mismatch_butterfly(%x: memref<?x128xf32>, %b: memref<16x32x32xf32>,
                                  %y: memref<?x128xf32>) {
  // expected-error @below {{'pfc.bsmm' op pattern has 8 nonzero blocks, but the blocks operand 16}}
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>}
      : memref<?x128xf32>, memref<16x32x32xf32> -> memref<?x128xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.layer: low-rank factors, bias and γ.
//===----------------------------------------------------------------------===//

func.func @rank_too_large(%x: memref<?x64xf32>, %b: memref<2x32x32xf32>,
                          %ut: memref<40x32xf32>, %v: memref<64x40xf32>,
                          %y: memref<?x32xf32>) {
  // expected-error @below {{'pfc.layer' op rank 40 is not in [1, min(in, out) = 32]}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<40x32xf32>, memref<64x40xf32>) into %y
      {pattern = #pfc.blocks<1x2: [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 1.0 : f64}
      : memref<?x64xf32>, memref<2x32x32xf32> -> memref<?x32xf32>
  return
}

// -----

// The rank is V's second size, and must be static.
func.func @rank_dynamic(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                        %ut: memref<?x64xf32>, %v: memref<64x?xf32>,
                        %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op needs a static rank, got V of type 'memref<64x?xf32>'}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<?x64xf32>, memref<64x?xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 1.0 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @layer_v_shape(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                         %ut: memref<8x64xf32>, %v: memref<32x8xf32>,
                         %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op V has shape [32, 8], expected [64, 8]}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<32x8xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 1.0 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// Uᵀ is padded to whole blocks: 40 outputs with 32x32 blocks make 64.
func.func @layer_u_not_padded(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                              %ut: memref<8x40xf32>, %v: memref<64x8xf32>,
                              %y: memref<?x40xf32>) {
  // expected-error @below {{'pfc.layer' op packed U has shape [8, 40], expected [8, 64]}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x40xf32>, memref<64x8xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 1.0 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x40xf32>
  return
}

// -----

func.func @layer_bias_shape(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                            %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                            %g: memref<1xf32>, %bias: memref<63xf32>,
                            %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op bias has shape [63], expected [64]}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<63xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @fixed_without_value(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                               %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op has a gamma_value exactly when gamma is fixed}}
  pfc.layer %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @learned_with_value(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                              %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                              %g: memref<1xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op has a gamma_value exactly when gamma is fixed}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @learned_without_operand(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                   %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op has a gamma operand exactly when gamma is learned}}
  pfc.layer %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @fixed_with_operand(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                              %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                              %g: memref<1xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op has a gamma operand exactly when gamma is learned}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// A scalar γ has exactly one element, not one per token.
func.func @scalar_gamma_shape(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                              %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                              %g: memref<?xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op gamma has shape [?], expected [1]}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<?xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @layer_gate_params(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                             %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                             %p: memref<64xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op gate parameters has shape [64], expected [65]}}
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%p : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.bsmm: scale, extra columns, bias.
//===----------------------------------------------------------------------===//

func.func @scale_shape(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                       %s: memref<2xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op scale has 2 elements, expected 1 or one per token (?)}}
  pfc.bsmm %x, %b scale(%s : memref<2xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// With a static token count, a per-token scale has exactly that many
// elements (4 here); the bsmm reads it from its input.
func.func @scale_shape_static_tokens(%x: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                                     %s: memref<2xf32>, %y: memref<4x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op scale has 2 elements, expected 1 or one per token (4)}}
  pfc.bsmm %x, %b scale(%s : memref<2xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
  return
}

// -----

func.func @extra_weights_shape(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                               %s: memref<1xf32>, %t: memref<?x8xf32>,
                               %ut: memref<4x64xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op extra weights has shape [4, 64], expected [8, 64]}}
  pfc.bsmm %x, %b scale(%s : memref<1xf32>)
      extra(%t, %ut : memref<?x8xf32>, memref<4x64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @bsmm_bias_shape(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                           %s: memref<1xf32>, %t: memref<?x8xf32>,
                           %ut: memref<8x64xf32>, %bias: memref<1xf32>,
                           %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op bias has shape [1], expected [64]}}
  pfc.bsmm %x, %b scale(%s : memref<1xf32>)
      extra(%t, %ut : memref<?x8xf32>, memref<8x64xf32>)
      bias(%bias : memref<1xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.layer_grad: the layer's operands, their gradients and γ.
//===----------------------------------------------------------------------===//

// The generic form can leave out one operand of a pair.
func.func @layer_grad_u_without_v(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                  %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                                  %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has only one of U and V}}
  "pfc.layer_grad"(%x, %dy, %b, %u, %dx, %db) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0>, gamma = #pfc.gamma<fixed>, gamma_value = 5.000000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>, memref<64x8xf32>, memref<?x64xf32>, memref<4x32x32xf32>) -> ()
  return
}

// -----

func.func @layer_grad_du_without_dv(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                    %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                                    %v: memref<64x8xf32>, %dx: memref<?x64xf32>,
                                    %db: memref<4x32x32xf32>, %du: memref<64x8xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has only one of dU and dV}}
  "pfc.layer_grad"(%x, %dy, %b, %u, %v, %dx, %db, %du) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0>, gamma = #pfc.gamma<fixed>, gamma_value = 5.000000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>, memref<64x8xf32>, memref<64x8xf32>, memref<?x64xf32>, memref<4x32x32xf32>, memref<64x8xf32>) -> ()
  return
}

// -----

func.func @layer_grad_lowrank_without_grad(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                           %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                                           %v: memref<64x8xf32>, %dx: memref<?x64xf32>,
                                           %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has dU and dV exactly when it has U and V}}
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

func.func @layer_grad_grad_without_lowrank(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                           %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                                           %db: memref<4x32x32xf32>, %du: memref<64x8xf32>,
                                           %dv: memref<64x8xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has dU and dV exactly when it has U and V}}
  pfc.layer_grad %x, %dy, %b into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// X, dY and dX have one token count where it is static.
func.func @layer_grad_tokens(%x: memref<4x64xf32>, %dy: memref<8x64xf32>,
                             %b: memref<4x32x32xf32>, %dx: memref<4x64xf32>,
                             %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has 4 and 8 tokens in its operands}}
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<4x64xf32>, memref<8x64xf32>, memref<4x32x32xf32>
      -> memref<4x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// dX has X's shape exactly, dynamic sizes included.
func.func @layer_grad_dx_shape(%x: memref<4x64xf32>, %dy: memref<?x64xf32>,
                               %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                               %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op dX has shape [?, 64], expected [4, 64]}}
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<4x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// The weight is [dY's features, X's features]: 40x80, a 2x3 grid.
func.func @layer_grad_grid(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                           %b: memref<5x32x32xf32>, %dx: memref<?x80xf32>,
                           %db: memref<5x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op block list covers a 3x2 grid, but a 40x80 weight with 32x32 blocks has 2x3}}
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<3x2: [0, 1], [0], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// -----

func.func @layer_grad_blocks_gradient(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                      %b: memref<2x32x32xf32>, %dx: memref<?x64xf32>,
                                      %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has blocks of type 'memref<2x32x32xf32>' but their gradient 'memref<4x32x32xf32>'}}
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<2x2: [0], [1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<2x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

func.func @layer_grad_rank_too_large(%x: memref<?x64xf32>, %dy: memref<?x32xf32>,
                                     %b: memref<2x32x32xf32>, %u: memref<32x40xf32>,
                                     %v: memref<64x40xf32>, %dx: memref<?x64xf32>,
                                     %db: memref<2x32x32xf32>, %du: memref<32x40xf32>,
                                     %dv: memref<64x40xf32>) {
  // expected-error @below {{'pfc.layer_grad' op rank of V 'memref<64x40xf32>' is not in [1, min(in, out) = 32]}}
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<32x40xf32>, memref<64x40xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<32x40xf32>, memref<64x40xf32>)
      {pattern = #pfc.blocks<1x2: [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<?x32xf32>, memref<2x32x32xf32>
      -> memref<?x64xf32>, memref<2x32x32xf32>
  return
}

// -----

func.func @layer_grad_rank_dynamic(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                   %b: memref<4x32x32xf32>, %u: memref<64x?xf32>,
                                   %v: memref<64x?xf32>, %dx: memref<?x64xf32>,
                                   %db: memref<4x32x32xf32>, %du: memref<64x?xf32>,
                                   %dv: memref<64x?xf32>) {
  // expected-error @below {{'pfc.layer_grad' op rank of V 'memref<64x?xf32>' is not in [1, min(in, out) = 64]}}
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x?xf32>, memref<64x?xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<64x?xf32>, memref<64x?xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// U and V are [out, r] and [in, r] (40 outputs, 80 inputs), as are dU and dV.
func.func @layer_grad_v_shape(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                              %b: memref<5x32x32xf32>, %u: memref<40x8xf32>,
                              %v: memref<40x8xf32>, %dx: memref<?x80xf32>,
                              %db: memref<5x32x32xf32>, %du: memref<40x8xf32>,
                              %dv: memref<80x8xf32>) {
  // expected-error @below {{'pfc.layer_grad' op V has shape [40, 8], expected [80, 8]}}
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<40x8xf32>, memref<40x8xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<40x8xf32>, memref<80x8xf32>)
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// -----

// U in the user's layout, not packed: [40, 8], not Uᵀ [8, 64].
func.func @layer_grad_u_shape(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                              %b: memref<5x32x32xf32>, %ut: memref<8x64xf32>,
                              %v: memref<80x8xf32>, %dx: memref<?x80xf32>,
                              %db: memref<5x32x32xf32>, %du: memref<40x8xf32>,
                              %dv: memref<80x8xf32>) {
  // expected-error @below {{'pfc.layer_grad' op U has shape [8, 64], expected [40, 8]}}
  pfc.layer_grad %x, %dy, %b lowrank(%ut, %v : memref<8x64xf32>, memref<80x8xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<40x8xf32>, memref<80x8xf32>)
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// -----

func.func @layer_grad_dv_shape(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                               %b: memref<5x32x32xf32>, %u: memref<40x8xf32>,
                               %v: memref<80x8xf32>, %dx: memref<?x80xf32>,
                               %db: memref<5x32x32xf32>, %du: memref<40x8xf32>,
                               %dv: memref<40x8xf32>) {
  // expected-error @below {{'pfc.layer_grad' op dV has shape [40, 8], expected [80, 8]}}
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<40x8xf32>, memref<80x8xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<40x8xf32>, memref<40x8xf32>)
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// -----

func.func @layer_grad_du_shape(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                               %b: memref<5x32x32xf32>, %u: memref<40x8xf32>,
                               %v: memref<80x8xf32>, %dx: memref<?x80xf32>,
                               %db: memref<5x32x32xf32>, %du: memref<40x4xf32>,
                               %dv: memref<80x8xf32>) {
  // expected-error @below {{'pfc.layer_grad' op dU has shape [40, 4], expected [40, 8]}}
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<40x8xf32>, memref<80x8xf32>)
      into %dx, %db grad_lowrank(%du, %dv : memref<40x4xf32>, memref<80x8xf32>)
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// -----

// The bias has one element per output (dY's features), not per input.
func.func @layer_grad_bias_shape(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                                 %b: memref<5x32x32xf32>, %dx: memref<?x80xf32>,
                                 %db: memref<5x32x32xf32>, %dbias: memref<80xf32>) {
  // expected-error @below {{'pfc.layer_grad' op bias gradient has shape [80], expected [40]}}
  pfc.layer_grad %x, %dy, %b into %dx, %db grad_bias(%dbias : memref<80xf32>)
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// -----

// γ is checked as for pfc.layer.
func.func @layer_grad_fixed_without_value(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                          %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                                          %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has a gamma_value exactly when gamma is fixed}}
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

func.func @layer_grad_learned_without_operand(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                              %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                                              %db: memref<4x32x32xf32>, %dg: memref<1xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has a gamma operand exactly when gamma is learned}}
  pfc.layer_grad %x, %dy, %b into %dx, %db grad_gamma(%dg : memref<1xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

func.func @layer_grad_scalar_gamma_shape(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                         %b: memref<4x32x32xf32>, %g: memref<?xf32>,
                                         %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>,
                                         %dg: memref<?xf32>) {
  // expected-error @below {{'pfc.layer_grad' op gamma has shape [?], expected [1]}}
  pfc.layer_grad %x, %dy, %b gamma(%g : memref<?xf32>) into %dx, %db
      grad_gamma(%dg : memref<?xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// The gate has in + 1 parameters: X's features, not dY's.
func.func @layer_grad_gate_params(%x: memref<?x80xf32>, %dy: memref<?x40xf32>,
                                  %b: memref<5x32x32xf32>, %p: memref<41xf32>,
                                  %dx: memref<?x80xf32>, %db: memref<5x32x32xf32>,
                                  %dp: memref<41xf32>) {
  // expected-error @below {{'pfc.layer_grad' op gate parameters has shape [41], expected [81]}}
  pfc.layer_grad %x, %dy, %b gamma(%p : memref<41xf32>) into %dx, %db
      grad_gamma(%dp : memref<41xf32>)
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>, gamma = #pfc.gamma<gate>}
      : memref<?x80xf32>, memref<?x40xf32>, memref<5x32x32xf32>
      -> memref<?x80xf32>, memref<5x32x32xf32>
  return
}

// -----

func.func @layer_grad_fixed_with_gradient(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                          %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                                          %db: memref<4x32x32xf32>, %dg: memref<1xf32>) {
  // expected-error @below {{'pfc.layer_grad' op has no gradient for a fixed gamma}}
  pfc.layer_grad %x, %dy, %b into %dx, %db grad_gamma(%dg : memref<1xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

func.func @layer_grad_learned_without_gradient(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                               %b: memref<4x32x32xf32>, %g: memref<1xf32>,
                                               %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.layer_grad' op needs a gamma gradient for a learned gamma}}
  pfc.layer_grad %x, %dy, %b gamma(%g : memref<1xf32>) into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

// γ's gradient has γ's shape: the gate's in + 1 parameters.
func.func @layer_grad_gamma_gradient_shape(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                           %b: memref<4x32x32xf32>, %p: memref<65xf32>,
                                           %dx: memref<?x64xf32>, %db: memref<4x32x32xf32>,
                                           %dp: memref<1xf32>) {
  // expected-error @below {{'pfc.layer_grad' op gamma gradient has shape [1], expected [65]}}
  pfc.layer_grad %x, %dy, %b gamma(%p : memref<65xf32>) into %dx, %db
      grad_gamma(%dp : memref<1xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.bsmm_t: scale, extra columns, dots; pfc.sddmm: scale.
//===----------------------------------------------------------------------===//

// The generic form can leave out one operand of a pair.
func.func @bsmm_t_extra_without_weights(%dy: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                        %w: memref<?x8xf32>, %dx: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op has only one of the extra columns and their weights}}
  "pfc.bsmm_t"(%dy, %b, %w, %dx) <{operandSegmentSizes = array<i32: 1, 1, 0, 1, 0, 0, 0, 1>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<4x32x32xf32>, memref<?x8xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

func.func @bsmm_t_dots_without_input(%dy: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                     %d: memref<?xf32>, %dx: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op has only one of the dot products' input and output}}
  "pfc.bsmm_t"(%dy, %b, %d, %dx) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 0, 1, 1>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<4x32x32xf32>, memref<?xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

// The dots' input counts among the matrices whose token counts must agree.
func.func @bsmm_t_dots_tokens(%dy: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                              %x: memref<2x64xf32>, %d: memref<4xf32>,
                              %dx: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op has 4 and 2 tokens in its operands}}
  pfc.bsmm_t %dy, %b dots(%x, %d : memref<2x64xf32>, memref<4xf32>) into %dx
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @bsmm_t_scale_shape(%dy: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                              %g: memref<2xf32>, %dx: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op scale has 2 elements, expected 1 or one per token (?)}}
  pfc.bsmm_t %dy, %b scale(%g : memref<2xf32>) into %dx
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// Vᵀ is padded to the padded inputs: 80 with 32x32 blocks make 96.
func.func @bsmm_t_extra_weights_shape(%dy: memref<?x40xf32>, %b: memref<5x32x32xf32>,
                                      %w: memref<?x8xf32>, %vt: memref<8x80xf32>,
                                      %dx: memref<?x80xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op extra weights has shape [8, 80], expected [8, 96]}}
  pfc.bsmm_t %dy, %b extra(%w, %vt : memref<?x8xf32>, memref<8x80xf32>) into %dx
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>}
      : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
  return
}

// -----

// The dots multiply the product (dX's shape) by X: 80 features, not dY's 40.
func.func @bsmm_t_dot_input_shape(%dy: memref<4x40xf32>, %b: memref<5x32x32xf32>,
                                  %x: memref<4x40xf32>, %d: memref<4xf32>,
                                  %dx: memref<4x80xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op dot input has 40 features, expected 80}}
  pfc.bsmm_t %dy, %b dots(%x, %d : memref<4x40xf32>, memref<4xf32>) into %dx
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>}
      : memref<4x40xf32>, memref<5x32x32xf32> -> memref<4x80xf32>
  return
}

// -----

func.func @bsmm_t_dots_shape(%dy: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                             %x: memref<4x64xf32>, %d: memref<8xf32>,
                             %dx: memref<4x64xf32>) {
  // expected-error @below {{'pfc.bsmm_t' op has 8 dots for 4 tokens}}
  pfc.bsmm_t %dy, %b dots(%x, %d : memref<4x64xf32>, memref<8xf32>) into %dx
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
  return
}

// -----

func.func @sddmm_scale_shape(%dy: memref<4x64xf32>, %x: memref<?x64xf32>,
                             %g: memref<3xf32>, %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.sddmm' op scale has 3 elements, expected 1 or one per token (4)}}
  pfc.sddmm %dy, %x scale(%g : memref<3xf32>) into %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<4x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.outer_sum, pfc.transpose, pfc.row_dot, pfc.scale_rows, pfc.sum_tokens.
//===----------------------------------------------------------------------===//

func.func @outer_sum_tokens(%x: memref<4x64xf32>, %w: memref<8x8xf32>,
                            %dv: memref<64x8xf32>) {
  // expected-error @below {{'pfc.outer_sum' op has 4 and 8 tokens in its operands}}
  pfc.outer_sum %x, %w into %dv
      : memref<4x64xf32>, memref<8x8xf32> -> memref<64x8xf32>
  return
}

// -----

// The output is lhsᵀ·rhs: [lhs features, rhs features].
func.func @outer_sum_output_shape(%x: memref<?x64xf32>, %w: memref<?x8xf32>,
                                  %dv: memref<8x64xf32>) {
  // expected-error @below {{'pfc.outer_sum' op output has shape [8, 64], expected [64, 8]}}
  pfc.outer_sum %x, %w into %dv
      : memref<?x64xf32>, memref<?x8xf32> -> memref<8x64xf32>
  return
}

// -----

func.func @transpose_dynamic(%v: memref<?x8xf32>, %vt: memref<8x?xf32>) {
  // expected-error @below {{'pfc.transpose' op needs a static output and input columns, got 'memref<?x8xf32>' and 'memref<8x?xf32>'}}
  pfc.transpose %v into %vt : memref<?x8xf32> -> memref<8x?xf32>
  return
}

// -----

// The output may have more columns than the input has rows, not fewer.
func.func @transpose_too_narrow(%v: memref<60x8xf32>, %vt: memref<8x32xf32>) {
  // expected-error @below {{'pfc.transpose' op cannot hold the transpose of 'memref<60x8xf32>' in 'memref<8x32xf32>'}}
  pfc.transpose %v into %vt : memref<60x8xf32> -> memref<8x32xf32>
  return
}

// -----

func.func @transpose_rows(%v: memref<60x8xf32>, %vt: memref<4x64xf32>) {
  // expected-error @below {{'pfc.transpose' op cannot hold the transpose of 'memref<60x8xf32>' in 'memref<4x64xf32>'}}
  pfc.transpose %v into %vt : memref<60x8xf32> -> memref<4x64xf32>
  return
}

// -----

func.func @row_dot_features(%w: memref<?x8xf32>, %t: memref<?x4xf32>,
                            %d: memref<?xf32>) {
  // expected-error @below {{'pfc.row_dot' op multiplies rows of 8 and 4 features}}
  pfc.row_dot %w, %t into %d
      : memref<?x8xf32>, memref<?x4xf32> -> memref<?xf32>
  return
}

// -----

// One output per token: a static count when either input has one.
func.func @row_dot_output_shape(%w: memref<4x8xf32>, %t: memref<?x8xf32>,
                                %d: memref<?xf32>) {
  // expected-error @below {{'pfc.row_dot' op output has shape [?], expected [4]}}
  pfc.row_dot %w, %t into %d
      : memref<4x8xf32>, memref<?x8xf32> -> memref<?xf32>
  return
}

// -----

func.func @scale_rows_gamma_shape(%w: memref<4x8xf32>, %g: memref<3xf32>) {
  // expected-error @below {{'pfc.scale_rows' op gamma has 3 elements, expected 1 or one per token (4)}}
  pfc.scale_rows %w complement(%g : memref<3xf32>) : memref<4x8xf32>
  return
}

// -----

func.func @sum_tokens_output_shape(%dy: memref<?x64xf32>, %db: memref<32xf32>) {
  // expected-error @below {{'pfc.sum_tokens' op output has shape [32], expected [64]}}
  pfc.sum_tokens %dy into %db : memref<?x64xf32> -> memref<32xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.gamma_grad.
//===----------------------------------------------------------------------===//

// For the gate, both dots have one token count, the sparse dots' one.
func.func @gamma_grad_lowrank_shape(%sd: memref<4xf32>, %ld: memref<?xf32>,
                                    %g: memref<4xf32>, %x: memref<4x64xf32>,
                                    %p: memref<65xf32>, %dx: memref<4x64xf32>,
                                    %dg: memref<65xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op low-rank dots has shape [?], expected [4]}}
  pfc.gamma_grad %sd lowrank(%ld : memref<?xf32>) gamma(%g : memref<4xf32>)
      gate(%x, %p, %dx : memref<4x64xf32>, memref<65xf32>, memref<4x64xf32>)
      into %dg {gamma = #pfc.gamma<gate>} : memref<4xf32> -> memref<65xf32>
  return
}

// -----

func.func @gamma_grad_fixed(%sd: memref<?xf32>, %g: memref<1xf32>,
                            %dg: memref<1xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op has no gradient for a fixed gamma}}
  pfc.gamma_grad %sd gamma(%g : memref<1xf32>) into %dg
      {gamma = #pfc.gamma<fixed>} : memref<?xf32> -> memref<1xf32>
  return
}

// -----

func.func @gamma_grad_gate_without_operands(%sd: memref<?xf32>, %g: memref<?xf32>,
                                            %dp: memref<65xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op has the gate's operands exactly when gamma is a gate}}
  pfc.gamma_grad %sd gamma(%g : memref<?xf32>) into %dp
      {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<65xf32>
  return
}

// -----

func.func @gamma_grad_scalar_with_gate(%sd: memref<?xf32>, %g: memref<1xf32>,
                                       %x: memref<?x64xf32>, %p: memref<65xf32>,
                                       %dx: memref<?x64xf32>, %dg: memref<1xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op has the gate's operands exactly when gamma is a gate}}
  pfc.gamma_grad %sd gamma(%g : memref<1xf32>)
      gate(%x, %p, %dx : memref<?x64xf32>, memref<65xf32>, memref<?x64xf32>)
      into %dg {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<1xf32>
  return
}

// -----

// A scalar γ and its gradient have one element each.
func.func @gamma_grad_scalar_gamma_shape(%sd: memref<?xf32>, %g: memref<?xf32>,
                                         %dg: memref<1xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op gamma has shape [?], expected [1]}}
  pfc.gamma_grad %sd gamma(%g : memref<?xf32>) into %dg
      {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<1xf32>
  return
}

// -----

func.func @gamma_grad_scalar_output_shape(%sd: memref<?xf32>, %g: memref<1xf32>,
                                          %dg: memref<2xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op output has shape [2], expected [1]}}
  pfc.gamma_grad %sd gamma(%g : memref<1xf32>) into %dg
      {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<2xf32>
  return
}

// -----

func.func @gamma_grad_gate_tokens(%sd: memref<?xf32>, %g: memref<?xf32>,
                                  %x: memref<4x64xf32>, %p: memref<65xf32>,
                                  %dx: memref<8x64xf32>, %dp: memref<65xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op has 4 and 8 tokens in its operands}}
  pfc.gamma_grad %sd gamma(%g : memref<?xf32>)
      gate(%x, %p, %dx : memref<4x64xf32>, memref<65xf32>, memref<8x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<65xf32>
  return
}

// -----

// A gate's γ has one element per token.
func.func @gamma_grad_gate_gamma_shape(%sd: memref<4xf32>, %g: memref<1xf32>,
                                       %x: memref<4x64xf32>, %p: memref<65xf32>,
                                       %dx: memref<4x64xf32>, %dp: memref<65xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op gamma has shape [1], expected [4]}}
  pfc.gamma_grad %sd gamma(%g : memref<1xf32>)
      gate(%x, %p, %dx : memref<4x64xf32>, memref<65xf32>, memref<4x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<4xf32> -> memref<65xf32>
  return
}

// -----

// X has dX's shape, with the dots' token count.
func.func @gamma_grad_gate_input_shape(%sd: memref<4xf32>, %g: memref<4xf32>,
                                       %x: memref<4x32xf32>, %p: memref<33xf32>,
                                       %dx: memref<4x64xf32>, %dp: memref<33xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op input has shape [4, 32], expected [4, 64]}}
  pfc.gamma_grad %sd gamma(%g : memref<4xf32>)
      gate(%x, %p, %dx : memref<4x32xf32>, memref<33xf32>, memref<4x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<4xf32> -> memref<33xf32>
  return
}

// -----

func.func @gamma_grad_gate_params_shape(%sd: memref<?xf32>, %g: memref<?xf32>,
                                        %x: memref<?x64xf32>, %p: memref<64xf32>,
                                        %dx: memref<?x64xf32>, %dp: memref<65xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op gate parameters has shape [64], expected [65]}}
  pfc.gamma_grad %sd gamma(%g : memref<?xf32>)
      gate(%x, %p, %dx : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<65xf32>
  return
}

// -----

func.func @gamma_grad_gate_output_shape(%sd: memref<?xf32>, %g: memref<?xf32>,
                                        %x: memref<?x64xf32>, %p: memref<65xf32>,
                                        %dx: memref<?x64xf32>, %dp: memref<1xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op output has shape [1], expected [65]}}
  pfc.gamma_grad %sd gamma(%g : memref<?xf32>)
      gate(%x, %p, %dx : memref<?x64xf32>, memref<65xf32>, memref<?x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.project, pfc.lowrank, pfc.gate, pfc.combine.
//===----------------------------------------------------------------------===//

func.func @project_v_shape(%x: memref<?x64xf32>, %v: memref<64x4xf32>,
                           %t: memref<?x8xf32>) {
  // expected-error @below {{'pfc.project' op V has shape [64, 4], expected [64, 8]}}
  pfc.project %x, %v into %t
      : memref<?x64xf32>, memref<64x4xf32> -> memref<?x8xf32>
  return
}

// -----

func.func @project_gamma_shape(%x: memref<?x64xf32>, %v: memref<64x8xf32>,
                               %g: memref<3xf32>, %t: memref<?x8xf32>) {
  // expected-error @below {{'pfc.project' op gamma has 3 elements, expected 1 or one per token (?)}}
  pfc.project %x, %v complement(%g : memref<3xf32>) into %t
      : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
  return
}

// -----

func.func @lowrank_v_shape(%x: memref<?x64xf32>, %ut: memref<8x96xf32>,
                           %v: memref<32x8xf32>, %y: memref<?x80xf32>) {
  // expected-error @below {{'pfc.lowrank' op V has shape [32, 8], expected [64, 8]}}
  pfc.lowrank %x, %ut, %v into %y
      : memref<?x64xf32>, memref<8x96xf32>, memref<32x8xf32> -> memref<?x80xf32>
  return
}

// -----

func.func @lowrank_rank_dynamic(%x: memref<?x64xf32>, %ut: memref<8x96xf32>,
                                %v: memref<64x?xf32>, %y: memref<?x80xf32>) {
  // expected-error @below {{'pfc.lowrank' op needs a static rank, got V of type 'memref<64x?xf32>'}}
  pfc.lowrank %x, %ut, %v into %y
      : memref<?x64xf32>, memref<8x96xf32>, memref<64x?xf32> -> memref<?x80xf32>
  return
}

// -----

func.func @lowrank_u_too_narrow(%x: memref<?x64xf32>, %ut: memref<8x64xf32>,
                                %v: memref<64x8xf32>, %y: memref<?x80xf32>) {
  // expected-error @below {{'pfc.lowrank' op packed U has 64 columns, fewer than the 80 outputs}}
  pfc.lowrank %x, %ut, %v into %y
      : memref<?x64xf32>, memref<8x64xf32>, memref<64x8xf32> -> memref<?x80xf32>
  return
}

// -----

func.func @lowrank_u_rank(%x: memref<?x64xf32>, %ut: memref<4x96xf32>,
                          %v: memref<64x8xf32>, %y: memref<?x80xf32>) {
  // expected-error @below {{'pfc.lowrank' op packed U has shape [4, 96], expected [8, 96]}}
  pfc.lowrank %x, %ut, %v into %y
      : memref<?x64xf32>, memref<4x96xf32>, memref<64x8xf32> -> memref<?x80xf32>
  return
}

// -----

func.func @gate_params_shape(%x: memref<?x64xf32>, %p: memref<64xf32>,
                             %g: memref<?xf32>) {
  // expected-error @below {{'pfc.gate' op gate parameters has shape [64], expected [65]}}
  pfc.gate %x, %p into %g : memref<?x64xf32>, memref<64xf32> -> memref<?xf32>
  return
}

// -----

func.func @gate_output_shape(%x: memref<4x64xf32>, %p: memref<65xf32>,
                             %g: memref<?xf32>) {
  // expected-error @below {{'pfc.gate' op gate output has shape [?], expected [4]}}
  pfc.gate %x, %p into %g : memref<4x64xf32>, memref<65xf32> -> memref<?xf32>
  return
}

// -----

func.func @combine_features(%s: memref<?x64xf32>, %l: memref<?x32xf32>,
                            %g: memref<1xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.combine' op combines matrices of 32 and 64 features}}
  pfc.combine %s lowrank(%l : memref<?x32xf32>) gamma(%g : memref<1xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @combine_gamma_shape(%s: memref<?x64xf32>, %l: memref<?x64xf32>,
                               %g: memref<2xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.combine' op gamma has 2 elements, expected 1 or one per token (?)}}
  pfc.combine %s lowrank(%l : memref<?x64xf32>) gamma(%g : memref<2xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// -----

// The combination reads the token count from its output.
func.func @combine_gamma_static_tokens(%s: memref<4x64xf32>, %g: memref<8xf32>,
                                       %y: memref<4x64xf32>) {
  // expected-error @below {{'pfc.combine' op gamma has 8 elements, expected 1 or one per token (4)}}
  pfc.combine %s gamma(%g : memref<8xf32>) into %y
      : memref<4x64xf32> -> memref<4x64xf32>
  return
}

// -----

func.func @combine_bias_shape(%s: memref<?x64xf32>, %l: memref<?x64xf32>,
                              %g: memref<1xf32>, %bias: memref<32xf32>,
                              %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.combine' op bias has shape [32], expected [64]}}
  pfc.combine %s lowrank(%l : memref<?x64xf32>) gamma(%g : memref<1xf32>)
      bias(%bias : memref<32xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.pack.
//===----------------------------------------------------------------------===//

func.func @pack_type_mismatch(%b: memref<4x32x32xf32>, %pb: memref<2x32x32xf32>) {
  // expected-error @below {{'pfc.pack' op packs 'memref<4x32x32xf32>' into 'memref<2x32x32xf32>'}}
  pfc.pack %b : memref<4x32x32xf32> into %pb : memref<2x32x32xf32>
  return
}

// -----

// The blocks are checked before anything else: b×b, of a static shape.
func.func @pack_non_square_blocks(%b: memref<4x32x16xf32>, %pb: memref<4x32x16xf32>) {
  // expected-error @below {{'pfc.pack' op needs contiguous blocks of static shape [nnz, b, b], got 'memref<4x32x16xf32>'}}
  pfc.pack %b : memref<4x32x16xf32> into %pb : memref<4x32x16xf32>
  return
}

// -----

func.func @pack_dynamic_blocks(%b: memref<?x32x32xf32>, %pb: memref<?x32x32xf32>) {
  // expected-error @below {{'pfc.pack' op needs contiguous blocks of static shape [nnz, b, b], got 'memref<?x32x32xf32>'}}
  pfc.pack %b : memref<?x32x32xf32> into %pb : memref<?x32x32xf32>
  return
}

// -----

func.func @pack_u_without_packed_u(%b: memref<4x32x32xf32>, %u: memref<80x8xf32>,
                                   %pb: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.pack' op needs both U and its packed form, or neither}}
  pfc.pack %b : memref<4x32x32xf32>, %u : memref<80x8xf32>
      into %pb : memref<4x32x32xf32>
  return
}

// -----

func.func @pack_dynamic_u(%b: memref<4x32x32xf32>, %u: memref<?x8xf32>,
                          %pb: memref<4x32x32xf32>, %pu: memref<8x96xf32>) {
  // expected-error @below {{'pfc.pack' op needs a static U, got 'memref<?x8xf32>'}}
  pfc.pack %b : memref<4x32x32xf32>, %u : memref<?x8xf32>
      into %pb : memref<4x32x32xf32>, %pu : memref<8x96xf32>
  return
}

// -----

func.func @pack_u_shape(%b: memref<4x32x32xf32>, %u: memref<80x8xf32>,
                        %pb: memref<4x32x32xf32>, %pu: memref<8x80xf32>) {
  // expected-error @below {{'pfc.pack' op packed U has shape [8, 80], expected [8, 96]}}
  pfc.pack %b : memref<4x32x32xf32>, %u : memref<80x8xf32>
      into %pb : memref<4x32x32xf32>, %pu : memref<8x80xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.attention, pfc.attention_grad: the head matrices, the stats, the
// sequence, the scale, the features. Unless a case says otherwise the head
// dimension is 64, seq_len 256 in blocks of 128 (a 2x2 grid) and W 64x32.
//===----------------------------------------------------------------------===//

func.func @attention_token_mismatch(%q: memref<4x64xf32>, %k: memref<8x64xf32>,
                                    %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op has 4 and 8 tokens in its operands}}
  pfc.attention %q, %k, %k into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<4x64xf32>, memref<8x64xf32>, memref<8x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

func.func @attention_head_dimensions(%q: memref<?x64xf32>, %k: memref<?x32xf32>,
                                     %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op has head dimensions 64 and 32}}
  pfc.attention %q, %k, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x32xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// The stats are each row's scale, denominator and floor flag.
func.func @attention_stats_columns(%q: memref<?x64xf32>, %o: memref<?x64xf32>,
                                   %stats: memref<?x2xf32>) {
  // expected-error @below {{'pfc.attention' op needs stats of 3 columns, got 'memref<?x2xf32>'}}
  pfc.attention %q, %q, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x2xf32>
  return
}

// -----

// The stats are f32 whatever the data type.
func.func @attention_bf16_stats(%q: memref<?x64xbf16>, %o: memref<?x64xbf16>,
                                %stats: memref<?x3xbf16>) {
  // expected-error @below {{'pfc.attention' op operand #4 must be 2D memref of 32-bit float values, but got 'memref<?x3xbf16>'}}
  pfc.attention %q, %q, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xbf16>, memref<?x64xbf16>, memref<?x64xbf16>
      -> memref<?x64xbf16>, memref<?x3xbf16>
  return
}

// -----

func.func @attention_mixed_data(%q: memref<?x64xbf16>, %k: memref<?x64xf32>,
                                %o: memref<?x64xbf16>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op mixes data types 'bf16' and 'f32'}}
  pfc.attention %q, %k, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xbf16>, memref<?x64xf32>, memref<?x64xbf16>
      -> memref<?x64xbf16>, memref<?x3xf32>
  return
}

// -----

func.func @attention_block(%q: memref<?x64xf32>, %o: memref<?x64xf32>,
                           %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op needs a positive block, got 0}}
  pfc.attention %q, %q, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 0 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

func.func @attention_seq_len(%q: memref<?x64xf32>, %o: memref<?x64xf32>,
                             %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op needs a positive seq_len, got 0}}
  pfc.attention %q, %q, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 0 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

func.func @attention_scale(%q: memref<?x64xf32>, %o: memref<?x64xf32>,
                           %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op needs a positive scale}}
  pfc.attention %q, %q, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.0 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// The pattern covers the sequence padded to whole blocks: 200 tokens in
// blocks of 64 make a 4x4 grid.
func.func @attention_pattern_grid(%q: memref<?x64xf32>, %o: memref<?x64xf32>,
                                  %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op block list covers a 2x2 grid, but a 256x256 weight with 64x64 blocks has 4x4}}
  pfc.attention %q, %q, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 200 : i64,
       block = 64 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// A static token count is at most seq_len (not its padding to blocks).
func.func @attention_too_many_tokens(%q: memref<201x64xf32>, %o: memref<201x64xf32>,
                                     %stats: memref<201x3xf32>) {
  // expected-error @below {{'pfc.attention' op has 201 tokens, more than the sequence's 200}}
  pfc.attention %q, %q, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 200 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<201x64xf32>, memref<201x64xf32>, memref<201x64xf32>
      -> memref<201x64xf32>, memref<201x3xf32>
  return
}

// -----

// W is Wᵀ [d, m/2]: the head dimension first, static.
func.func @attention_features_shape(%q: memref<?x64xf32>, %wt: memref<32x64xf32>,
                                    %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention' op needs features Wᵀ of static shape [64, m/2], got 'memref<32x64xf32>'}}
  pfc.attention %q, %q, %q features(%wt : memref<32x64xf32>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// The generic form can leave out one operand of a pair.
func.func @attention_row_begin_only(%q: memref<?x64xf32>, %o: memref<?x64xf32>,
                                    %stats: memref<?x3xf32>, %r: index) {
  // expected-error @below {{'pfc.attention' op has only one of the block-row range's ends}}
  "pfc.attention"(%q, %q, %q, %o, %stats, %r) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 1, 1, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64, seq_len = 256 : i64}> : (memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x3xf32>, index) -> ()
  return
}

// -----

func.func @attention_grad_row_end_only(%q: memref<?x64xf32>, %stats: memref<?x3xf32>,
                                       %r: index) {
  // expected-error @below {{'pfc.attention_grad' op has only one of the block-row range's ends}}
  "pfc.attention_grad"(%q, %q, %q, %q, %stats, %q, %q, %q, %q, %r) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 1>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64, seq_len = 256 : i64}> : (memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, index) -> ()
  return
}

// -----

// The gradients' matrices are head matrices too.
func.func @attention_grad_head_dimensions(%q: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                          %stats: memref<?x3xf32>,
                                          %dk: memref<?x32xf32>) {
  // expected-error @below {{'pfc.attention_grad' op has head dimensions 64 and 32}}
  pfc.attention_grad %q, %q, %q features(%wt : memref<64x32xf32>), %q, %stats, %q
      into %q, %dk, %q
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x32xf32>, memref<?x64xf32>
  return
}

// -----

func.func @attention_grad_dynamic_features(%q: memref<?x64xf32>, %wt: memref<64x?xf32>,
                                           %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention_grad' op needs features Wᵀ of static shape [64, m/2], got 'memref<64x?xf32>'}}
  pfc.attention_grad %q, %q, %q features(%wt : memref<64x?xf32>), %q, %stats, %q
      into %q, %q, %q
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

// The butterfly is checked on the padded sequence: 80 tokens in blocks of
// 32 pad to 96.
func.func @attention_grad_butterfly(%q: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.attention_grad' op butterfly size 64 does not divide the padded shape 96x96}}
  pfc.attention_grad %q, %q, %q, %q, %stats, %q into %q, %q, %q
      {pattern = #pfc.butterfly<size = 64, strides = [2], shuffle = false, global = 0>,
       seq_len = 80 : i64, block = 32 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.random_features, pfc.random_features_grad.
//===----------------------------------------------------------------------===//

func.func @random_features_shape(%x: memref<?x64xf32>, %wt: memref<32x32xf32>,
                                 %phi: memref<?x64xf32>, %c: memref<?xf32>) {
  // expected-error @below {{'pfc.random_features' op needs features Wᵀ of static shape [64, m/2], got 'memref<32x32xf32>'}}
  pfc.random_features %x, %wt into %phi, %c {scale = 0.125 : f64, group = 1 : i64}
      : memref<?x64xf32>, memref<32x32xf32> -> memref<?x64xf32>, memref<?xf32>
  return
}

// -----

func.func @random_features_group(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                 %phi: memref<64x256xf32>, %c: memref<8xf32>) {
  // expected-error @below {{'pfc.random_features' op needs a positive group, got 0}}
  pfc.random_features %x, %wt into %phi, %c
      {scale = 0.125 : f64, group = 0 : i64, transposed}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<64x256xf32>, memref<8xf32>
  return
}

// -----

func.func @random_features_scale(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                 %phi: memref<?x64xf32>, %c: memref<?xf32>) {
  // expected-error @below {{'pfc.random_features' op needs a positive scale}}
  pfc.random_features %x, %wt into %phi, %c {scale = -0.125 : f64, group = 1 : i64}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<?x64xf32>, memref<?xf32>
  return
}

// -----

// Tokens in rows have one scale each.
func.func @random_features_group_untransposed(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                              %phi: memref<?x64xf32>, %c: memref<?xf32>) {
  // expected-error @below {{'pfc.random_features' op needs group 1 unless transposed, got 32}}
  pfc.random_features %x, %wt into %phi, %c {scale = 0.125 : f64, group = 32 : i64}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<?x64xf32>, memref<?xf32>
  return
}

// -----

// m = 2·32 features per token, in rows with the input's token count.
func.func @random_features_output(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                  %phi: memref<?x32xf32>, %c: memref<?xf32>) {
  // expected-error @below {{'pfc.random_features' op output has shape [?, 32], expected [?, 64]}}
  pfc.random_features %x, %wt into %phi, %c {scale = 0.125 : f64, group = 1 : i64}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<?x32xf32>, memref<?xf32>
  return
}

// -----

func.func @random_features_strided_output(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                          %phi: memref<?x64xf32, strided<[128, 2]>>,
                                          %c: memref<?xf32>) {
  // expected-error @below {{'pfc.random_features' op needs matrices with contiguous rows, got 'memref<?x64xf32, strided<[128, 2]>>'}}
  pfc.random_features %x, %wt into %phi, %c {scale = 0.125 : f64, group = 1 : i64}
      : memref<?x64xf32>, memref<64x32xf32>
      -> memref<?x64xf32, strided<[128, 2]>>, memref<?xf32>
  return
}

// -----

// Transposed: [m, P] with whole groups.
func.func @random_features_transposed_output(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                             %phi: memref<64x240xf32>, %c: memref<8xf32>) {
  // expected-error @below {{'pfc.random_features' op needs a transposed output of static shape [64, P] with P a multiple of 32, got 'memref<64x240xf32>'}}
  pfc.random_features %x, %wt into %phi, %c
      {scale = 0.125 : f64, group = 32 : i64, transposed}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<64x240xf32>, memref<8xf32>
  return
}

// -----

func.func @random_features_transposed_tokens(%x: memref<300x64xf32>, %wt: memref<64x32xf32>,
                                             %phi: memref<64x256xf32>, %c: memref<8xf32>) {
  // expected-error @below {{'pfc.random_features' op has 300 tokens, more than the sequence's 256}}
  pfc.random_features %x, %wt into %phi, %c
      {scale = 0.125 : f64, group = 32 : i64, transposed}
      : memref<300x64xf32>, memref<64x32xf32> -> memref<64x256xf32>, memref<8xf32>
  return
}

// -----

// One scale per group: 256 / 32.
func.func @random_features_log_scale(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                     %phi: memref<64x256xf32>, %c: memref<4xf32>) {
  // expected-error @below {{'pfc.random_features' op log_scale has shape [4], expected [8]}}
  pfc.random_features %x, %wt into %phi, %c
      {scale = 0.125 : f64, group = 32 : i64, transposed}
      : memref<?x64xf32>, memref<64x32xf32> -> memref<64x256xf32>, memref<4xf32>
  return
}

// -----

func.func @random_features_mixed_data(%x: memref<?x64xbf16>, %wt: memref<64x32xf32>,
                                      %phi: memref<?x64xf32>, %c: memref<?xf32>) {
  // expected-error @below {{'pfc.random_features' op mixes data types 'bf16' and 'f32'}}
  pfc.random_features %x, %wt into %phi, %c {scale = 0.125 : f64, group = 1 : i64}
      : memref<?x64xbf16>, memref<64x32xf32> -> memref<?x64xf32>, memref<?xf32>
  return
}

// -----

func.func @random_features_grad_head_dimensions(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                                %phi: memref<256x64xf32>,
                                                %dx: memref<?x32xf32>) {
  // expected-error @below {{'pfc.random_features_grad' op has head dimensions 64 and 32}}
  pfc.random_features_grad %x, %wt, %phi, %phi into %dx {scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x32xf32>, memref<256x64xf32>, memref<256x64xf32>
      -> memref<?x32xf32>
  return
}

// -----

func.func @random_features_grad_tokens(%x: memref<4x64xf32>, %wt: memref<64x32xf32>,
                                       %phi: memref<256x64xf32>, %dx: memref<8x64xf32>) {
  // expected-error @below {{'pfc.random_features_grad' op has 4 and 8 tokens in its operands}}
  pfc.random_features_grad %x, %wt, %phi, %phi into %dx {scale = 0.125 : f64}
      : memref<4x64xf32>, memref<64x32xf32>, memref<256x64xf32>, memref<256x64xf32>
      -> memref<8x64xf32>
  return
}

// -----

func.func @random_features_grad_features_shape(%x: memref<?x64xf32>, %wt: memref<?x32xf32>,
                                               %phi: memref<256x64xf32>) {
  // expected-error @below {{'pfc.random_features_grad' op needs features Wᵀ of static shape [64, m/2], got 'memref<?x32xf32>'}}
  pfc.random_features_grad %x, %wt, %phi, %phi into %x {scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x32xf32>, memref<256x64xf32>, memref<256x64xf32>
      -> memref<?x64xf32>
  return
}

// -----

// φ has m = 2·32 columns.
func.func @random_features_grad_phi_columns(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                            %phi: memref<256x32xf32>) {
  // expected-error @below {{'pfc.random_features_grad' op needs features of 64 columns, got 'memref<256x32xf32>'}}
  pfc.random_features_grad %x, %wt, %phi, %phi into %x {scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x32xf32>, memref<256x32xf32>, memref<256x32xf32>
      -> memref<?x64xf32>
  return
}

// -----

func.func @random_features_grad_phi_type(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                         %phi: memref<256x64xf32>, %dphi: memref<128x64xf32>) {
  // expected-error @below {{'pfc.random_features_grad' op needs the features and their gradient of one type, got 'memref<256x64xf32>' and 'memref<128x64xf32>'}}
  pfc.random_features_grad %x, %wt, %phi, %dphi into %x {scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x32xf32>, memref<256x64xf32>, memref<128x64xf32>
      -> memref<?x64xf32>
  return
}

// -----

func.func @random_features_grad_scale(%x: memref<?x64xf32>, %wt: memref<64x32xf32>,
                                      %phi: memref<256x64xf32>) {
  // expected-error @below {{'pfc.random_features_grad' op needs a positive scale}}
  pfc.random_features_grad %x, %wt, %phi, %phi into %x {scale = 0.0 : f64}
      : memref<?x64xf32>, memref<64x32xf32>, memref<256x64xf32>, memref<256x64xf32>
      -> memref<?x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// pfc.block_attention, pfc.block_attention_grad: Kᵀ (and Vᵀ) [d, P], the
// support over P, the random features. Unless a case says otherwise P is
// 256 in blocks of 128 and m 64.
//===----------------------------------------------------------------------===//

func.func @block_attention_key_shape(%q: memref<?x64xf32>, %kt: memref<32x256xf32>,
                                     %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op needs keys Kᵀ of static shape [64, P], got 'memref<32x256xf32>'}}
  pfc.block_attention %q, %kt, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<32x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

func.func @block_attention_dynamic_features(%q: memref<?x?xf32>, %kt: memref<64x256xf32>,
                                            %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op needs a static feature count, got 'memref<?x?xf32>'}}
  pfc.block_attention %q, %kt, %o into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x?xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

func.func @block_attention_scale(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                 %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op needs a positive scale}}
  pfc.block_attention %q, %kt, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = -1.0 : f64}
      : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// P is Kᵀ's second size; it must be whole blocks.
func.func @block_attention_whole_blocks(%q: memref<?x64xf32>, %kt: memref<64x200xf32>,
                                        %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op needs a sequence of whole blocks, got 200 tokens in blocks of 128}}
  pfc.block_attention %q, %kt, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x200xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

func.func @block_attention_too_many_tokens(%q: memref<300x64xf32>, %kt: memref<64x256xf32>,
                                           %o: memref<300x64xf32>, %stats: memref<300x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op has 300 tokens, more than the sequence's 256}}
  pfc.block_attention %q, %kt, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<300x64xf32>, memref<64x256xf32>, memref<300x64xf32>
      -> memref<300x64xf32>, memref<300x3xf32>
  return
}

// -----

func.func @block_attention_stats_columns(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                         %o: memref<?x64xf32>, %stats: memref<?x4xf32>) {
  // expected-error @below {{'pfc.block_attention' op needs stats of 3 columns, got 'memref<?x4xf32>'}}
  pfc.block_attention %q, %kt, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x4xf32>
  return
}

// -----

// The queries' features have the queries' token count.
func.func @block_attention_query_features_tokens(%q: memref<4x64xf32>, %kt: memref<64x256xf32>,
                                                 %phiq: memref<8x64xf32>, %cq: memref<4xf32>,
                                                 %phikt: memref<64x256xf32>, %ck: memref<2xf32>,
                                                 %o: memref<4x64xf32>, %stats: memref<4x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op has 4 and 8 tokens in its operands}}
  pfc.block_attention %q, %kt, %q
      lowrank(%phiq, %cq, %phikt, %ck : memref<8x64xf32>, memref<4xf32>,
              memref<64x256xf32>, memref<2xf32>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<4x64xf32>, memref<64x256xf32>, memref<4x64xf32>
      -> memref<4x64xf32>, memref<4x3xf32>
  return
}

// -----

func.func @block_attention_query_scales(%q: memref<4x64xf32>, %kt: memref<64x256xf32>,
                                        %phiq: memref<4x64xf32>, %cq: memref<1xf32>,
                                        %phikt: memref<64x256xf32>, %ck: memref<2xf32>,
                                        %o: memref<4x64xf32>, %stats: memref<4x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op needs one query scale per token, got 'memref<1xf32>'}}
  pfc.block_attention %q, %kt, %q
      lowrank(%phiq, %cq, %phikt, %ck : memref<4x64xf32>, memref<1xf32>,
              memref<64x256xf32>, memref<2xf32>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<4x64xf32>, memref<64x256xf32>, memref<4x64xf32>
      -> memref<4x64xf32>, memref<4x3xf32>
  return
}

// -----

// The keys' features are transposed, [m, P], m the queries' feature count.
func.func @block_attention_key_features(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                        %phiq: memref<?x32xf32>, %cq: memref<?xf32>,
                                        %phikt: memref<64x256xf32>, %ck: memref<2xf32>,
                                        %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op the keys' features has shape [64, 256], expected [32, 256]}}
  pfc.block_attention %q, %kt, %q
      lowrank(%phiq, %cq, %phikt, %ck : memref<?x32xf32>, memref<?xf32>,
              memref<64x256xf32>, memref<2xf32>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// One key scale per block: 256 / 128.
func.func @block_attention_key_scales(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                      %phiq: memref<?x64xf32>, %cq: memref<?xf32>,
                                      %phikt: memref<64x256xf32>, %ck: memref<256xf32>,
                                      %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op the keys' scales has shape [256], expected [2]}}
  pfc.block_attention %q, %kt, %q
      lowrank(%phiq, %cq, %phikt, %ck : memref<?x64xf32>, memref<?xf32>,
              memref<64x256xf32>, memref<256xf32>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// The random features are f32 whatever the data type, the head matrices
// and Kᵀ share theirs.
func.func @block_attention_mixed_data(%q: memref<?x64xf16>, %kt: memref<64x256xbf16>,
                                      %o: memref<?x64xf16>, %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op mixes data types 'f16' and 'bf16'}}
  pfc.block_attention %q, %kt, %q into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf16>, memref<64x256xbf16>, memref<?x64xf16>
      -> memref<?x64xf16>, memref<?x3xf32>
  return
}

// -----

// Vᵀ has Kᵀ's shape.
func.func @block_attention_grad_value_transpose(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                                %vt: memref<64x128xf32>,
                                                %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention_grad' op the values' transpose has shape [64, 128], expected [64, 256]}}
  pfc.block_attention_grad %q, %q, %kt, %q, %vt, %q, %stats, %q into %q, %q, %q
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>,
        memref<64x128xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

// The keys' features in rows are [P, m].
func.func @block_attention_grad_key_features(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                             %stats: memref<?x3xf32>, %cq: memref<?xf32>,
                                             %phik: memref<128x64xf32>, %ck: memref<2xf32>,
                                             %dphik: memref<256x64xf32>) {
  // expected-error @below {{'pfc.block_attention_grad' op the keys' features has shape [128, 64], expected [256, 64]}}
  pfc.block_attention_grad %q, %q, %kt, %q, %kt, %q, %stats, %q
      lowrank(%q, %cq, %kt, %phik, %ck : memref<?x64xf32>, memref<?xf32>,
              memref<64x256xf32>, memref<128x64xf32>, memref<2xf32>)
      into %q, %q, %q features(%q, %dphik : memref<?x64xf32>, memref<256x64xf32>)
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>,
        memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

func.func @block_attention_grad_key_features_gradient(%q: memref<?x64xf32>,
                                                      %kt: memref<64x256xf32>,
                                                      %stats: memref<?x3xf32>,
                                                      %cq: memref<?xf32>,
                                                      %phik: memref<256x64xf32>,
                                                      %ck: memref<2xf32>,
                                                      %dphik: memref<64x256xf32>) {
  // expected-error @below {{'pfc.block_attention_grad' op the keys' features' gradient has shape [64, 256], expected [256, 64]}}
  pfc.block_attention_grad %q, %q, %kt, %q, %kt, %q, %stats, %q
      lowrank(%q, %cq, %kt, %phik, %ck : memref<?x64xf32>, memref<?xf32>,
              memref<64x256xf32>, memref<256x64xf32>, memref<2xf32>)
      into %q, %q, %q features(%q, %dphik : memref<?x64xf32>, memref<64x256xf32>)
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>,
        memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

// The queries' features' gradient has their shape, static token count
// included.
func.func @block_attention_grad_query_features_gradient(%q: memref<4x64xf32>,
                                                        %kt: memref<64x256xf32>,
                                                        %stats: memref<4x3xf32>,
                                                        %cq: memref<4xf32>,
                                                        %phik: memref<256x64xf32>,
                                                        %ck: memref<2xf32>,
                                                        %dphiq: memref<?x64xf32>) {
  // expected-error @below {{'pfc.block_attention_grad' op the queries' features' gradient has shape [?, 64], expected [4, 64]}}
  pfc.block_attention_grad %q, %q, %kt, %q, %kt, %q, %stats, %q
      lowrank(%q, %cq, %kt, %phik, %ck : memref<4x64xf32>, memref<4xf32>,
              memref<64x256xf32>, memref<256x64xf32>, memref<2xf32>)
      into %q, %q, %q features(%dphiq, %phik : memref<?x64xf32>, memref<256x64xf32>)
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64, scale = 0.125 : f64}
      : memref<4x64xf32>, memref<4x64xf32>, memref<64x256xf32>, memref<4x64xf32>,
        memref<64x256xf32>, memref<4x64xf32>, memref<4x3xf32>, memref<4x64xf32>
      -> memref<4x64xf32>, memref<4x64xf32>, memref<4x64xf32>
  return
}

// -----

// The generic form can leave out one operand of a pair.
func.func @block_attention_row_end_only(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                        %o: memref<?x64xf32>, %stats: memref<?x3xf32>,
                                        %r: index) {
  // expected-error @below {{'pfc.block_attention' op has only one of the block-row range's ends}}
  "pfc.block_attention"(%q, %kt, %q, %o, %stats, %r) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x3xf32>, index) -> ()
  return
}

// -----

func.func @block_attention_query_features_without_scales(%q: memref<?x64xf32>,
                                                         %kt: memref<64x256xf32>,
                                                         %phiq: memref<?x64xf32>,
                                                         %o: memref<?x64xf32>,
                                                         %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op has only one of the queries' features and scales}}
  "pfc.block_attention"(%q, %kt, %q, %phiq, %o, %stats) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x3xf32>) -> ()
  return
}

// -----

func.func @block_attention_key_scales_without_features(%q: memref<?x64xf32>,
                                                       %kt: memref<64x256xf32>,
                                                       %ck: memref<2xf32>,
                                                       %o: memref<?x64xf32>,
                                                       %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op has only one of the keys' features and scales}}
  "pfc.block_attention"(%q, %kt, %q, %ck, %o, %stats) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<2xf32>, memref<?x64xf32>, memref<?x3xf32>) -> ()
  return
}

// -----

func.func @block_attention_query_features_only(%q: memref<?x64xf32>,
                                               %kt: memref<64x256xf32>,
                                               %phiq: memref<?x64xf32>,
                                               %cq: memref<?xf32>,
                                               %o: memref<?x64xf32>,
                                               %stats: memref<?x3xf32>) {
  // expected-error @below {{'pfc.block_attention' op has only one of the queries' and keys' features}}
  "pfc.block_attention"(%q, %kt, %q, %phiq, %cq, %o, %stats) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?xf32>, memref<?x64xf32>, memref<?x3xf32>) -> ()
  return
}

// -----

// The gradients need the keys' features in rows [P, m] too, and the
// features' gradients exactly when they have the features.
func.func @block_attention_grad_without_key_rows(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                                 %stats: memref<?x3xf32>, %cq: memref<?xf32>,
                                                 %ck: memref<2xf32>,
                                                 %dphik: memref<256x64xf32>) {
  // expected-error @below {{'pfc.block_attention_grad' op has only one of the keys' features in both layouts}}
  "pfc.block_attention_grad"(%q, %q, %kt, %q, %kt, %q, %stats, %q, %q, %cq, %kt, %ck, %q, %q, %q, %q, %dphik) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?xf32>, memref<64x256xf32>, memref<2xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<256x64xf32>) -> ()
  return
}

// -----

func.func @block_attention_grad_without_feature_gradients(%q: memref<?x64xf32>,
                                                          %kt: memref<64x256xf32>,
                                                          %stats: memref<?x3xf32>,
                                                          %cq: memref<?xf32>,
                                                          %phik: memref<256x64xf32>,
                                                          %ck: memref<2xf32>) {
  // expected-error @below {{'pfc.block_attention_grad' op has only one of the features and their gradients}}
  "pfc.block_attention_grad"(%q, %q, %kt, %q, %kt, %q, %stats, %q, %q, %cq, %kt, %phik, %ck, %q, %q, %q) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?xf32>, memref<64x256xf32>, memref<256x64xf32>, memref<2xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

func.func @block_attention_grad_query_feature_gradient_only(%q: memref<?x64xf32>,
                                                            %kt: memref<64x256xf32>,
                                                            %stats: memref<?x3xf32>,
                                                            %cq: memref<?xf32>,
                                                            %phik: memref<256x64xf32>,
                                                            %ck: memref<2xf32>) {
  // expected-error @below {{'pfc.block_attention_grad' op has only one of the features' gradients}}
  "pfc.block_attention_grad"(%q, %q, %kt, %q, %kt, %q, %stats, %q, %q, %cq, %kt, %phik, %ck, %q, %q, %q, %q) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?xf32>, memref<64x256xf32>, memref<256x64xf32>, memref<2xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

func.func @block_attention_grad_row_begin_only(%q: memref<?x64xf32>, %kt: memref<64x256xf32>,
                                               %stats: memref<?x3xf32>, %r: index) {
  // expected-error @below {{'pfc.block_attention_grad' op has only one of the block-row range's ends}}
  "pfc.block_attention_grad"(%q, %q, %kt, %q, %kt, %q, %stats, %q, %q, %q, %q, %r) <{block = 128 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0>, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64}> : (memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, index) -> ()
  return
}

// -----

//===----------------------------------------------------------------------===//
// #pfc.butterfly.
//===----------------------------------------------------------------------===//

// expected-error @below {{invalid butterfly pattern: butterfly size 6 is not a power of two >= 2}}
func.func @butterfly_size() attributes {p = #pfc.butterfly<size = 6, strides = [2], shuffle = false, global = 0>} {
  return
}

// -----

// expected-error @below {{invalid butterfly pattern: butterfly size 1 is not a power of two >= 2}}
func.func @butterfly_size_one() attributes {p = #pfc.butterfly<size = 1, strides = [2], shuffle = false, global = 0>} {
  return
}

// -----

// expected-error @below {{invalid butterfly pattern: stride 8 is not a power of two in [2, 4]}}
func.func @butterfly_stride_too_large() attributes {p = #pfc.butterfly<size = 4, strides = [2, 8], shuffle = false, global = 0>} {
  return
}

// -----

// expected-error @below {{invalid butterfly pattern: stride 3 is not a power of two in [2, 8]}}
func.func @butterfly_stride_not_power_of_two() attributes {p = #pfc.butterfly<size = 8, strides = [3], shuffle = false, global = 0>} {
  return
}

// -----

// expected-error @below {{invalid butterfly pattern: strides are not strictly ascending}}
func.func @butterfly_strides_descending() attributes {p = #pfc.butterfly<size = 8, strides = [4, 2], shuffle = false, global = 0>} {
  return
}

// -----

// expected-error @below {{invalid butterfly pattern: strides are not strictly ascending}}
func.func @butterfly_strides_repeated() attributes {p = #pfc.butterfly<size = 8, strides = [2, 2], shuffle = false, global = 0>} {
  return
}

// -----

// expected-error @below {{invalid butterfly pattern: global is negative}}
func.func @butterfly_global() attributes {p = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = -1>} {
  return
}

// -----

// An empty stride list does not parse, so "the pattern has no butterfly
// factor" is not reachable from text.
// expected-error @below {{expected integer value}}
// expected-error @below {{failed to parse Pfc_ButterflyAttr parameter 'strides'}}
func.func @butterfly_no_factor() attributes {p = #pfc.butterfly<size = 4, strides = [], shuffle = false, global = 0>} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// #pfc.blocks.
//===----------------------------------------------------------------------===//

// expected-error @below {{block grid 0x2 is empty}}
func.func @blocks_empty_grid() attributes {p = #pfc.blocks<0x2: []>} {
  return
}

// -----

// expected-error @below {{block list has 3 rows, expected 2}}
func.func @blocks_row_count() attributes {p = #pfc.blocks<2x2: [0], [1], [0]>} {
  return
}

// -----

// expected-error @below {{block (1, 2) lies outside the 2x2 grid}}
func.func @blocks_outside() attributes {p = #pfc.blocks<2x2: [0, 1], [0, 2]>} {
  return
}

// -----

// expected-error @below {{block (0, -1) lies outside the 2x2 grid}}
func.func @blocks_negative() attributes {p = #pfc.blocks<2x2: [-1], [0]>} {
  return
}

// -----

// expected-error @below {{block-row 1 lists its columns out of order}}
func.func @blocks_out_of_order() attributes {p = #pfc.blocks<2x2: [0, 1], [1, 0]>} {
  return
}

// -----

// expected-error @below {{block-row 0 lists its columns out of order}}
func.func @blocks_repeated() attributes {p = #pfc.blocks<2x2: [1, 1], [0]>} {
  return
}

// -----

// expected-error @below {{expected a ROWSxCOLS block grid}}
func.func @blocks_grid_1d() attributes {p = #pfc.blocks<4: [0], [1], [2], [3]>} {
  return
}

// -----

// expected-error @below {{expected a ROWSxCOLS block grid}}
func.func @blocks_grid_3d() attributes {p = #pfc.blocks<2x2x2: [0], [1]>} {
  return
}

// -----

//===----------------------------------------------------------------------===//
// #pfc.schedule.
//===----------------------------------------------------------------------===//

// expected-error @below {{schedule tile 0 is not in [1, 32]}}
func.func @schedule_tile_zero() attributes {s = #pfc.schedule<tile = 0, vector = 16, chunk = 256, unroll = 4, unrolled = true>} {
  return
}

// -----

// expected-error @below {{schedule tile 33 is not in [1, 32]}}
func.func @schedule_tile_large() attributes {s = #pfc.schedule<tile = 33, vector = 16, chunk = 256, unroll = 4, unrolled = true>} {
  return
}

// -----

// expected-error @below {{schedule vector width 32 is not 4, 8 or 16}}
func.func @schedule_vector() attributes {s = #pfc.schedule<tile = 8, vector = 32, chunk = 256, unroll = 4, unrolled = true>} {
  return
}

// -----

// expected-error @below {{schedule chunk 4 is smaller than its tile 8}}
func.func @schedule_chunk() attributes {s = #pfc.schedule<tile = 8, vector = 16, chunk = 4, unroll = 4, unrolled = true>} {
  return
}

// -----

// expected-error @below {{schedule unroll 0 is not in [1, 64]}}
func.func @schedule_unroll() attributes {s = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 0, unrolled = true>} {
  return
}

// -----

// Threads are the runtime's choice, not the kernel's: a schedule has none.
// expected-error @below {{duplicate or unknown struct parameter name: threads}}
func.func @schedule_threads() attributes {s = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true, threads = 1>} {
  return
}

// -----

// expected-error @below {{schedule prefetch -1 is negative}}
func.func @schedule_prefetch() attributes {s = #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true, prefetch = -1>} {
  return
}

// -----

// The generic form can leave out one operand of a pair.
func.func @bsmm_extra_without_weights(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                                      %t: memref<?x8xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.bsmm' op has only one of the extra columns and their weights}}
  "pfc.bsmm"(%x, %b, %t, %y) <{operandSegmentSizes = array<i32: 1, 1, 0, 1, 0, 0, 1, 0, 0>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<4x32x32xf32>, memref<?x8xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

func.func @layer_u_without_v(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                             %u: memref<8x64xf32>, %y: memref<?x64xf32>) {
  // expected-error @below {{'pfc.layer' op has only one of U and V}}
  "pfc.layer"(%x, %b, %u, %y) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 0, 0>, gamma = #pfc.gamma<fixed>, gamma_value = 5.000000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<4x32x32xf32>, memref<8x64xf32>, memref<?x64xf32>) -> ()
  return
}

// -----

func.func @bsmm_row_begin_only(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                               %y: memref<?x64xf32>, %r: index) {
  // expected-error @below {{'pfc.bsmm' op has only one of the block-row range's ends}}
  "pfc.bsmm"(%x, %b, %y, %r) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 0, 1, 1, 0>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<4x32x32xf32>, memref<?x64xf32>, index) -> ()
  return
}

// -----

// The gate's three operands come together (the generic form can split them).
func.func @gamma_grad_gate_without_params(%sd: memref<4xf32>, %g: memref<4xf32>,
                                          %x: memref<4x64xf32>,
                                          %out: memref<65xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op has the gate's operands exactly when gamma is a gate}}
  "pfc.gamma_grad"(%sd, %g, %x, %out) <{gamma = #pfc.gamma<gate>, operandSegmentSizes = array<i32: 1, 0, 1, 1, 0, 0, 1>}> : (memref<4xf32>, memref<4xf32>, memref<4x64xf32>, memref<65xf32>) -> ()
  return
}

// -----

func.func @gamma_grad_scalar_with_params(%sd: memref<4xf32>, %g: memref<1xf32>,
                                         %p: memref<65xf32>,
                                         %out: memref<1xf32>) {
  // expected-error @below {{'pfc.gamma_grad' op has the gate's operands exactly when gamma is a gate}}
  "pfc.gamma_grad"(%sd, %g, %p, %out) <{gamma = #pfc.gamma<scalar>, operandSegmentSizes = array<i32: 1, 0, 1, 0, 1, 0, 1>}> : (memref<4xf32>, memref<1xf32>, memref<65xf32>, memref<1xf32>) -> ()
  return
}

// -----

// The kernels store whole rows: strided blocks and outputs are rejected.
func.func @sddmm_strided_blocks(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                                %db: memref<4x32x32xf32, strided<[2048, 64, 1]>>) {
  // expected-error @below {{'pfc.sddmm' op needs contiguous blocks of static shape [nnz, b, b], got 'memref<4x32x32xf32, strided<[2048, 64, 1]>>'}}
  pfc.sddmm %dy, %x into %db {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32, strided<[2048, 64, 1]>>
  return
}

// -----

func.func @outer_sum_strided_output(%x: memref<?x64xf32>, %w: memref<?x8xf32>,
                                    %dv: memref<64x8xf32, strided<[16, 2]>>) {
  // expected-error @below {{'pfc.outer_sum' op needs a contiguous output, got 'memref<64x8xf32, strided<[16, 2]>>'}}
  pfc.outer_sum %x, %w into %dv
      : memref<?x64xf32>, memref<?x8xf32> -> memref<64x8xf32, strided<[16, 2]>>
  return
}

// -----

func.func @layer_grad_strided_du(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                 %b: memref<4x32x32xf32>, %u: memref<64x8xf32>,
                                 %v: memref<64x8xf32>, %dx: memref<?x64xf32>,
                                 %db: memref<4x32x32xf32>,
                                 %du: memref<64x8xf32, strided<[16, 2]>>,
                                 %dv: memref<64x8xf32>) {
  // expected-error @below {{'pfc.layer_grad' op needs contiguous gradients, got 'memref<64x8xf32, strided<[16, 2]>>'}}
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32, strided<[16, 2]>>, memref<64x8xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 5.000000e-01 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

func.func @layer_grad_token_begin_only(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                                       %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                                       %db: memref<4x32x32xf32>, %t: index) {
  // expected-error @below {{'pfc.layer_grad' op has only one of the token range's ends}}
  "pfc.layer_grad"(%x, %dy, %b, %dx, %db, %t) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0>, gamma = #pfc.gamma<fixed>, gamma_value = 5.000000e-01 : f64, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>, memref<?x64xf32>, memref<4x32x32xf32>, index) -> ()
  return
}

// -----

func.func @sddmm_block_end_only(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                                %db: memref<4x32x32xf32>, %n: index) {
  // expected-error @below {{'pfc.sddmm' op has only one of the block range's ends}}
  "pfc.sddmm"(%dy, %x, %db, %n) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0, 1, 0, 1>, pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}> : (memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>, index) -> ()
  return
}

// -----

func.func @sddmm_dot_blocks_type(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                                 %b: memref<4x16x16xf32>, %d: memref<1xf32>,
                                 %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.sddmm' op dots blocks of type 'memref<4x16x16xf32>' with dB of type 'memref<4x32x32xf32>'}}
  pfc.sddmm %dy, %x dot(%b, %d : memref<4x16x16xf32>, memref<1xf32>) into %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
  return
}

// -----

func.func @sddmm_dot_shape(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                           %b: memref<4x32x32xf32>, %d: memref<2xf32>,
                           %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.sddmm' op dot has shape [2], expected [1]}}
  pfc.sddmm %dy, %x dot(%b, %d : memref<4x32x32xf32>, memref<2xf32>) into %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
  return
}

// -----

// An op's data operands share one element type.
func.func @mixed_data(%x: memref<?x64xbf16>, %b: memref<4x32x32xf32>,
                      %y: memref<?x64xbf16>) {
  // expected-error @below {{'pfc.bsmm' op mixes data types 'bf16' and 'f32'}}
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xbf16>, memref<4x32x32xf32> -> memref<?x64xbf16>
  return
}

// -----

func.func @mixed_data_grad(%x: memref<?x64xf16>, %dy: memref<?x64xbf16>,
                           %db: memref<4x32x32xf32>) {
  // expected-error @below {{'pfc.sddmm' op mixes data types 'bf16' and 'f16'}}
  pfc.sddmm %dy, %x into %db {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xbf16>, memref<?x64xf16> -> memref<4x32x32xf32>
  return
}

// -----

// The weights' gradients are f32 whatever the data type.
func.func @bf16_gradient(%x: memref<?x64xbf16>, %w: memref<?x8xbf16>,
                         %dv: memref<64x8xbf16>) {
  // expected-error @below {{'pfc.outer_sum' op operand #2 must be 2D memref of 32-bit float values, but got 'memref<64x8xbf16>'}}
  pfc.outer_sum %x, %w into %dv
      : memref<?x64xbf16>, memref<?x8xbf16> -> memref<64x8xbf16>
  return
}

// -----

// Vectors (γ, the bias, dots) are f32.
func.func @bf16_bias(%x: memref<?x64xbf16>, %b: memref<4x32x32xbf16>,
                     %bias: memref<64xbf16>, %y: memref<?x64xbf16>) {
  // expected-error @below {{'pfc.bsmm' op operand #2 must be 1D memref of 32-bit float values, but got 'memref<64xbf16>'}}
  pfc.bsmm %x, %b bias(%bias : memref<64xbf16>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xbf16>, memref<4x32x32xbf16> -> memref<?x64xbf16>
  return
}

// -----

// No other element type is a data type.
func.func @f64_data(%x: memref<?x64xf64>, %b: memref<4x32x32xf64>,
                    %y: memref<?x64xf64>) {
  // expected-error @below {{'pfc.bsmm' op operand #0 must be 2D memref of 32-bit float or bfloat16 type or 16-bit float values, but got 'memref<?x64xf64>'}}
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf64>, memref<4x32x32xf64> -> memref<?x64xf64>
  return
}

// pfc-translate --pfc-to-cuda: one __global__ kernel per kernel-level op,
// the pattern as constant tables, γ, the low-rank columns and the bias in
// the product's epilogue; bf16/f16 on mma.sync tensor cores, f32 on FMAs or
// TF32 tensor cores. Layers are fused and gradients decomposed first. This
// file has f32 IR; pfc-to-cuda-bf16.mlir has bf16 and f16 IR.
// RUN: %pfc-translate --pfc-to-cuda %s -split-input-file | FileCheck %s --check-prefix=F32
// RUN: %pfc-translate --pfc-to-cuda --cuda-tf32 --cuda-stages=1 --cuda-tile-tokens=128 --cuda-warps-m=4 %s -split-input-file | FileCheck %s --check-prefix=TF32

// F32-LABEL: fwd_1_bsmm(
// F32: using Tile = pfc::Tile<float, 64, 32, 2, 2, 2, 0, false>;
// TF32-LABEL: fwd_1_bsmm(
// TF32: using Tile = pfc::Tile<float, 128, 32, 4, 2, 1, 1, false>;
func.func @fwd(%x: memref<?x64xf32>, %b: memref<3x32x32xf32>,
               %ut: memref<8x64xf32>, %v: memref<64x8xf32>, %g: memref<1xf32>,
               %bias: memref<64xf32>, %y: memref<?x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xf32>, memref<3x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// The backward pass with a gate: every gradient kernel.
// F32-LABEL: bwd_0_gate(
// F32: pfc::gate<64>(T, x, params, gamma);
// F32-LABEL: bwd_1_project(
// F32-LABEL: bwd_2_project(
// F32-LABEL: bwd_3_row_dot(
// F32: pfc::rowDot<8>(T, lhs, rhs, out);
// F32-LABEL: bwd_4_scale_rows(
// F32: pfc::scaleRows<8>(T, matrix, [&](long long t) { return gamma[t]; });
// F32-LABEL: bwd_6_transpose(
// F32: pfc::transposePadded<64, 8, 64>(in, out);
// dX over the transposed pattern: block-column c's blocks, where B keeps them.
// F32: __constant__ int bwd_7_bsmm_t_row_start[3] = {
// F32-NEXT: 0, 1, 3};
// F32-NEXT: __constant__ int bwd_7_bsmm_t_col_index[3] = {
// F32-NEXT: 0, 0, 1};
// F32-NEXT: __constant__ int bwd_7_bsmm_t_block_index[3] = {
// F32-NEXT: 0, 1, 2};
// F32-LABEL: bwd_7_bsmm_t(
// F32: b = {blocks + (long long)bwd_7_bsmm_t_block_index[n] * B * B + k0 * B + n0, B, k, BN, nullptr};
// F32: tile.rowDots(
// F32: }, dots + t0, tokens);
// F32: v *= scale[t0 + m];
// F32: // The low-rank term: 8 extra columns.
// dB: one CTA per block, a sum over every token, γ per token on dY's rows.
// F32: __constant__ int bwd_8_sddmm_block_row[3] = {
// F32-NEXT: 0, 0, 1};
// F32-LABEL: bwd_8_sddmm(
// F32: using Tile = pfc::Tile<float, 32, 32, 2, 2, 2, 0, true>;
// F32: a = {gradOutput + k0 * OUT + rowBase, OUT, T - k0, OUT - rowBase, scale + k0};
// F32: tile.store(output + (long long)n * B * B + m0 * B + n0, B, BM, BN);
// F32-LABEL: bwd_9_outer_sum(
// F32: tile.store(output + m0 * J + n0, J, I - m0, J - n0);
// F32-LABEL: bwd_10_outer_sum(
// F32-LABEL: bwd_11_gamma_grad(
// F32: pfc::gammaGradGate<64>(T, sparseDots, lowRankDots, gamma, x, params, dx, out);
// F32-LABEL: bwd_12_sum_tokens(
// F32: pfc::sumTokens<64>(T, in, out);
func.func @bwd(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
               %b: memref<3x32x32xf32>, %u: memref<64x8xf32>,
               %v: memref<64x8xf32>, %g: memref<65xf32>, %dx: memref<?x64xf32>,
               %db: memref<3x32x32xf32>, %du: memref<64x8xf32>,
               %dv: memref<64x8xf32>, %dg: memref<65xf32>,
               %dbias: memref<64xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
      gamma(%g : memref<65xf32>) into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      grad_gamma(%dg : memref<65xf32>) grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<?x64xf32>, memref<3x32x32xf32>
      -> memref<?x64xf32>, memref<3x32x32xf32>
  return
}


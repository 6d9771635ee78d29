// pfc-translate --pfc-to-cuda on bf16 IR (and, with every bf16 made f16,
// f16 IR): the kernels take the element type of their memrefs, products run
// on mma.sync tensor cores and accumulate in f32; γ, the bias, per-token
// vectors and the weights' gradients stay f32.
// RUN: %pfc-translate --pfc-to-cuda %s -split-input-file | FileCheck %s --check-prefix=FWD
// RUN: sed 's/xbf16/xf16/g' %s | %pfc-translate --pfc-to-cuda -split-input-file | FileCheck %s --check-prefix=F16

// The device library comes first, self-contained.
// FWD: struct pfc_bf16 {
// FWD-NEXT: unsigned short bits;
// FWD: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// FWD: cp.async.cg.shared.global
// FWD-NOT: #include

// The projection t = (1−γ)·(x·V), then the fused block-sparse product.
// FWD-LABEL: fwd_0_project(long long T,
// FWD-NEXT: const pfc_bf16 *__restrict__ input,
// FWD-NEXT: const pfc_bf16 *__restrict__ weights,
// FWD-NEXT: const float *__restrict__ gamma,
// FWD-NEXT: pfc_bf16 *__restrict__ output) {
// FWD-NEXT: using Tile = pfc::Tile<pfc_bf16, 64, 16, 2, 2, 2, 2, false>;
// FWD: v *= 1.f - gamma[0];
// FWD: tile.store(output + t0 * R + n0, R, tokens, R - n0);

// FWD: __constant__ int fwd_1_bsmm_row_start[3] = {
// FWD-NEXT: 0, 2, 3};
// FWD-NEXT: __constant__ int fwd_1_bsmm_col_index[3] = {
// FWD-NEXT: 0, 1, 1};
// FWD-LABEL: fwd_1_bsmm(long long T,
// FWD-NEXT: const pfc_bf16 *__restrict__ input,
// FWD-NEXT: const pfc_bf16 *__restrict__ blocks,
// FWD-NEXT: const float *__restrict__ scale,
// FWD-NEXT: const pfc_bf16 *__restrict__ extra,
// FWD-NEXT: const pfc_bf16 *__restrict__ extraWeights,
// FWD-NEXT: const float *__restrict__ bias,
// FWD-NEXT: pfc_bf16 *__restrict__ output) {
// FWD: using Tile = pfc::Tile<pfc_bf16, 64, 32, 2, 2, 2, 2, false>;
// FWD: constexpr long long B = 32, IN = 64, OUT = 64, BN = 32, BM = 64;
// FWD: const int first = fwd_1_bsmm_row_start[row];
// FWD: const long long col = fwd_1_bsmm_col_index[n];
// FWD: b = {blocks + (long long)n * B * B + k0 * B + n0, B, k, BN, nullptr};
// FWD: v *= scale[0];
// FWD: // The low-rank term: 8 extra columns.
// FWD: b = {extraWeights + k0 * LDW + outBase, LDW, R - k0, LDW - outBase, nullptr};
// FWD: v += bias[outBase + n];
// FWD: tile.store(output + t0 * OUT + outBase, OUT, tokens, OUT - outBase);

// F16-LABEL: fwd_1_bsmm(long long T,
// F16-NEXT: const pfc_f16 *__restrict__ input,
// F16-NEXT: const pfc_f16 *__restrict__ blocks,
// F16-NEXT: const float *__restrict__ scale,
// F16: using Tile = pfc::Tile<pfc_f16, 64, 32, 2, 2, 2, 2, false>;
func.func @fwd(%x: memref<?x64xbf16>, %b: memref<3x32x32xbf16>,
               %ut: memref<8x64xbf16>, %v: memref<64x8xbf16>, %g: memref<1xf32>,
               %bias: memref<64xf32>, %y: memref<?x64xbf16>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xbf16>, memref<64x8xbf16>)
      gamma(%g : memref<1xf32>) bias(%bias : memref<64xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xbf16>, memref<3x32x32xbf16> -> memref<?x64xbf16>
  return
}

// -----

// A fixed γ is baked in; rows(r0, r1) skips the other block-rows.
// FWD-LABEL: fixed_0_project(
// FWD: v *= 1.f - 0.800000012f;
// FWD-LABEL: fixed_1_bsmm(long long T,
// FWD-NEXT: long long rowBegin,
// FWD-NEXT: long long rowEnd,
// FWD: if (row < rowBegin || row >= rowEnd)
// FWD-NEXT: return;
// FWD: v *= 0.800000012f;
func.func @fixed(%x: memref<?x64xbf16>, %b: memref<3x32x32xbf16>,
                 %ut: memref<8x64xbf16>, %v: memref<64x8xbf16>,
                 %y: memref<?x64xbf16>, %r0: index, %r1: index) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xbf16>, memref<64x8xbf16>)
      rows(%r0, %r1) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.8 : f64}
      : memref<?x64xbf16>, memref<3x32x32xbf16> -> memref<?x64xbf16>
  return
}

// -----

// Packing: blocks transposed, U transposed and padded.
// FWD-LABEL: pack_0_pack(
// FWD: pfc::pack<3, 32, 60, 8, 64>(blocks, u, packed, packedU);
func.func @pack(%b: memref<3x32x32xbf16>, %u: memref<60x8xbf16>,
                %pb: memref<3x32x32xbf16>, %pu: memref<8x64xbf16>) {
  pfc.pack %b : memref<3x32x32xbf16>, %u : memref<60x8xbf16>
      into %pb : memref<3x32x32xbf16>, %pu : memref<8x64xbf16>
  return
}

// -----

// The gradients of bf16 data: dX is bf16, dB, dU and dV are f32.
// FWD-LABEL: bwd_6_transpose(
// FWD-NEXT: const pfc_bf16 *__restrict__ in,
// FWD-NEXT: pfc_bf16 *__restrict__ out) {
// FWD-LABEL: bwd_7_bsmm_t(long long T,
// FWD-NEXT: const pfc_bf16 *__restrict__ input,
// FWD-NEXT: const pfc_bf16 *__restrict__ blocks,
// FWD: pfc_bf16 *__restrict__ output) {
// FWD-LABEL: bwd_8_sddmm(long long T,
// FWD-NEXT: const pfc_bf16 *__restrict__ gradOutput,
// FWD-NEXT: const pfc_bf16 *__restrict__ input,
// FWD: float *__restrict__ output) {
// FWD: using Tile = pfc::Tile<pfc_bf16, 32, 32, 2, 2, 2, 2, true>;
// FWD-LABEL: bwd_9_outer_sum(long long T,
// FWD-NEXT: const pfc_bf16 *__restrict__ lhs,
// FWD-NEXT: const pfc_bf16 *__restrict__ rhs,
// FWD-NEXT: float *__restrict__ output) {
func.func @bwd(%x: memref<?x64xbf16>, %dy: memref<?x64xbf16>,
               %b: memref<3x32x32xbf16>, %u: memref<64x8xbf16>,
               %v: memref<64x8xbf16>, %g: memref<65xf32>, %dx: memref<?x64xbf16>,
               %db: memref<3x32x32xf32>, %du: memref<64x8xf32>,
               %dv: memref<64x8xf32>, %dg: memref<65xf32>,
               %dbias: memref<64xf32>) {
  pfc.layer_grad %x, %dy, %b lowrank(%u, %v : memref<64x8xbf16>, memref<64x8xbf16>)
      gamma(%g : memref<65xf32>) into %dx, %db
      grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
      grad_gamma(%dg : memref<65xf32>) grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xbf16>, memref<?x64xbf16>, memref<3x32x32xbf16>
      -> memref<?x64xbf16>, memref<3x32x32xf32>
  return
}

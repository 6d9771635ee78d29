// A gate-mode layer whose input and output disagree on whether the token
// count is static (both are valid: token counts are only compared where both
// are static). pfc-decompose-layer sizes the per-token γ by the input; the
// parts check γ against every static token count they have, and accept a
// dynamic γ, so the result verifies either way.
// RUN: %pfc-opt %s -split-input-file -pfc-decompose-layer | FileCheck %s

// CHECK-LABEL: func.func @static_input
// CHECK: pfc.gate
// CHECK: pfc.combine
func.func @static_input(%x: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                        %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                        %p: memref<65xf32>, %y: memref<?x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%p : memref<65xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// CHECK-LABEL: func.func @static_output
// CHECK: pfc.gate
// CHECK: pfc.combine
func.func @static_output(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                         %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                         %p: memref<65xf32>, %y: memref<4x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%p : memref<65xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
  return
}

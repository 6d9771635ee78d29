// A gate-mode layer with a static token count. LayerTemporaries::gamma
// allocates the per-token γ as memref<?xf32>, but pfc.gate requires its output
// to have exactly the input's static token count, so both rewrites produce IR
// that fails to verify ("'pfc.gate' op gate output has shape [?], expected
// [4]"). (A memref<4xf32> γ would then be refused as a scale: the per-token
// operands accept 1 element or a dynamic size only.)
// XFAIL: *
// RUN: %pfc-opt %s -pfc-fuse-lowrank | FileCheck %s --check-prefix=FUSE
// RUN: %pfc-opt %s -pfc-decompose-layer | FileCheck %s --check-prefix=DECOMPOSE

// FUSE-LABEL: func.func @gate_static_tokens
// FUSE: pfc.gate
// FUSE: pfc.bsmm
// DECOMPOSE-LABEL: func.func @gate_static_tokens
// DECOMPOSE: pfc.gate
// DECOMPOSE: pfc.combine
func.func @gate_static_tokens(%x: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                              %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                              %p: memref<65xf32>, %y: memref<4x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v) gamma(%p) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<4x64xf32>, memref<4x32x32xf32>, memref<8x64xf32>, memref<64x8xf32>,
        memref<65xf32> -> memref<4x64xf32>
  return
}

// A gate-mode layer with a static token count: the temporaries (the
// per-token γ, the projection t, the two partial products) get the input's
// static token count, so pfc.gate's output has exactly 4 elements and the
// 4-element γ is accepted as a scale or a γ (one per token). Both rewrites
// give IR that verifies.
// RUN: %pfc-opt %s -pfc-fuse-lowrank | FileCheck %s --check-prefix=FUSE --enable-var-scope
// RUN: %pfc-opt %s -pfc-decompose-layer | FileCheck %s --check-prefix=DECOMPOSE --enable-var-scope

// FUSE-LABEL: func.func @gate_static_tokens
// FUSE-SAME: (%[[X:[^:]*]]: memref<4x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[Y:[^:]*]]: memref<4x64xf32>)
// FUSE-NEXT: %[[GAMMA:.*]] = memref.alloc() : memref<4xf32>
// FUSE-NEXT: pfc.gate %[[X]], %[[P]] into %[[GAMMA]] : memref<4x64xf32>, memref<65xf32> -> memref<4xf32>
// FUSE-NEXT: %[[T:.*]] = memref.alloc() : memref<4x8xf32>
// FUSE-NEXT: pfc.project %[[X]], %[[V]] complement(%[[GAMMA]] : memref<4xf32>) into %[[T]] : memref<4x64xf32>, memref<64x8xf32> -> memref<4x8xf32>
// FUSE-NEXT: pfc.bsmm %[[X]], %[[B]] scale(%[[GAMMA]] : memref<4xf32>) extra(%[[T]], %[[UT]] : memref<4x8xf32>, memref<8x64xf32>) into %[[Y]] {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>} : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
// FUSE-NEXT: memref.dealloc %[[GAMMA]] : memref<4xf32>
// FUSE-NEXT: memref.dealloc %[[T]] : memref<4x8xf32>
// FUSE-NEXT: return

// DECOMPOSE-LABEL: func.func @gate_static_tokens
// DECOMPOSE-SAME: (%[[X:[^:]*]]: memref<4x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[Y:[^:]*]]: memref<4x64xf32>)
// DECOMPOSE-NEXT: %[[GAMMA:.*]] = memref.alloc() : memref<4xf32>
// DECOMPOSE-NEXT: pfc.gate %[[X]], %[[P]] into %[[GAMMA]] : memref<4x64xf32>, memref<65xf32> -> memref<4xf32>
// DECOMPOSE-NEXT: %[[SPARSE:.*]] = memref.alloc() : memref<4x64xf32>
// DECOMPOSE-NEXT: pfc.bsmm %[[X]], %[[B]] into %[[SPARSE]]
// DECOMPOSE-NEXT: %[[LOWRANK:.*]] = memref.alloc() : memref<4x64xf32>
// DECOMPOSE-NEXT: pfc.lowrank %[[X]], %[[UT]], %[[V]] into %[[LOWRANK]]
// DECOMPOSE-NEXT: pfc.combine %[[SPARSE]] lowrank(%[[LOWRANK]] : memref<4x64xf32>) gamma(%[[GAMMA]] : memref<4xf32>) into %[[Y]] : memref<4x64xf32> -> memref<4x64xf32>
// DECOMPOSE-NEXT: memref.dealloc %[[GAMMA]] : memref<4xf32>
// DECOMPOSE-NEXT: memref.dealloc %[[SPARSE]] : memref<4x64xf32>
// DECOMPOSE-NEXT: memref.dealloc %[[LOWRANK]] : memref<4x64xf32>
// DECOMPOSE-NEXT: return
func.func @gate_static_tokens(%x: memref<4x64xf32>, %b: memref<4x32x32xf32>,
                              %ut: memref<8x64xf32>, %v: memref<64x8xf32>,
                              %p: memref<65xf32>, %y: memref<4x64xf32>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xf32>, memref<64x8xf32>)
      gamma(%p : memref<65xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<gate>}
      : memref<4x64xf32>, memref<4x32x32xf32> -> memref<4x64xf32>
  return
}

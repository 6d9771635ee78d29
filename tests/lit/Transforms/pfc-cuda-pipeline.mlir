// pfc-cuda-pipeline, what the CUDA target runs before emitting: patterns
// materialized, the layer fused into one block-sparse product, gradients
// decomposed into kernels: the kernel-level IR pfc-translate reads.
// RUN: %pfc-opt %s -pfc-cuda-pipeline | FileCheck %s --enable-var-scope

// CHECK-LABEL: func.func @layer
// CHECK-NOT: pfc.layer
// CHECK: pfc.project
// CHECK: pfc.bsmm %{{.*}}, %{{.*}} scale({{.*}}) extra({{.*}}) into %{{.*}} {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
// CHECK-SAME: : memref<?x64xbf16>, memref<4x32x32xbf16> -> memref<?x64xbf16>
// CHECK-LABEL: func.func @layer_grad
// CHECK-NOT: pfc.layer_grad
// CHECK: pfc.bsmm_t
// CHECK: pfc.sddmm
// CHECK-SAME: -> memref<4x32x32xf32>
func.func @layer(%x: memref<?x64xbf16>, %b: memref<4x32x32xbf16>,
                 %ut: memref<8x64xbf16>, %v: memref<64x8xbf16>,
                 %g: memref<1xf32>, %y: memref<?x64xbf16>) {
  pfc.layer %x, %b lowrank(%ut, %v : memref<8x64xbf16>, memref<64x8xbf16>)
      gamma(%g : memref<1xf32>) into %y
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>,
       gamma = #pfc.gamma<scalar>}
      : memref<?x64xbf16>, memref<4x32x32xbf16> -> memref<?x64xbf16>
  return
}

func.func @layer_grad(%x: memref<?x64xbf16>, %dy: memref<?x64xbf16>,
                      %b: memref<4x32x32xbf16>, %dx: memref<?x64xbf16>,
                      %db: memref<4x32x32xf32>) {
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xbf16>, memref<?x64xbf16>, memref<4x32x32xbf16>
      -> memref<?x64xbf16>, memref<4x32x32xf32>
  return
}

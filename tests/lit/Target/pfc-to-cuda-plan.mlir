// pfc-translate --pfc-to-cuda-plan: per function, its token counts, the
// temporaries it needs and its steps in order: each kernel with its grid
// (ceil((T·per_token + constant) / divisor) per dimension) and parameters
// bound to arguments (advanced by whole token rows), temporaries or token
// counts, and the buffers zeroed before a kernel sums into them. Every
// buffer has the element type of its memref: bf16 data, f32 vectors and
// weight gradients.
// RUN: %pfc-translate --pfc-to-cuda-plan %s -split-input-file | %python %S/Inputs/plan-lines.py | FileCheck %s

// CHECK-LABEL: entry fwd
// CHECK-NEXT: tokens [{"begin": 5, "end": 6}]
// CHECK-NEXT: args [{"buffer": "bf16"}, {"buffer": "bf16"}, {"buffer": "f32"}, {"buffer": "bf16"}, {"index": true}, {"index": true}, {"index": true}]
// CHECK-NEXT: temp {"dtype": "f32", "elements": {"constant": 0, "divisor": 1, "per_token": 1, "tokens": 0}}
// CHECK-NEXT: step {"grid": [{"constant": 0, "divisor": 4, "per_token": 1, "tokens": 0}, {"constant": 1, "divisor": 1, "per_token": 0, "tokens": 0}, {"constant": 1, "divisor": 1, "per_token": 0, "tokens": 0}], "launch": "fwd_0_gate", "params": [{"tokens": 0}, {"arg": 0, "row_elems": 64, "row_offset": 5}, {"arg": 2}, {"temp": 0}], "threads": 128}
// CHECK-NEXT: step {"grid": [{"constant": 0, "divisor": 64, "per_token": 1, "tokens": 0}, {"constant": 2, "divisor": 1, "per_token": 0, "tokens": 0}, {"constant": 1, "divisor": 1, "per_token": 0, "tokens": 0}], "launch": "fwd_1_bsmm", "params": [{"tokens": 0}, {"arg": 0, "row_elems": 64, "row_offset": 5}, {"arg": 1}, {"temp": 0}, {"arg": 3, "row_elems": 64, "row_offset": 5}], "threads": 128}
func.func @fwd(%x: memref<?x64xbf16>, %b: memref<3x32x32xbf16>, %g: memref<65xf32>,
               %y: memref<?x64xbf16>, %tokens: index {pfc.tokens}, %t0: index,
               %t1: index) {
  %n = arith.subi %t1, %t0 : index
  %xs = memref.subview %x[%t0, 0] [%n, 64] [1, 1] : memref<?x64xbf16> to memref<?x64xbf16, strided<[64, 1], offset: ?>>
  %ys = memref.subview %y[%t0, 0] [%n, 64] [1, 1] : memref<?x64xbf16> to memref<?x64xbf16, strided<[64, 1], offset: ?>>
  pfc.layer %xs, %b gamma(%g : memref<65xf32>) into %ys
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, gamma = #pfc.gamma<gate>}
      : memref<?x64xbf16, strided<[64, 1], offset: ?>>, memref<3x32x32xbf16>
      -> memref<?x64xbf16, strided<[64, 1], offset: ?>>
  return
}

// -----

// A scalar γ's dots through B are summed atomically by dB's kernel into one
// float: zeroed first. Weight gradients stay f32; dγ sums that one float.
// CHECK-LABEL: entry bwd
// CHECK-NEXT: tokens [{"arg": 8}, {"static": 1}]
// CHECK-NEXT: args [{"buffer": "bf16"}, {"buffer": "bf16"}, {"buffer": "bf16"}, {"buffer": "f32"}, {"buffer": "bf16"}, {"buffer": "f32"}, {"buffer": "f32"}, {"buffer": "f32"}, {"index": true}]
// CHECK-NEXT: temp {"dtype": "f32", "elements": {"constant": 1, "divisor": 1, "per_token": 0, "tokens": 0}}
// CHECK-NEXT: step {{.*}}"launch": "bwd_0_bsmm_t", "params": [{"tokens": 0}, {"arg": 1}, {"arg": 2}, {"arg": 3}, {"arg": 4}], "threads": 128}
// CHECK-NEXT: step {"elements": {"constant": 1, "divisor": 1, "per_token": 0, "tokens": 0}, "zero": {"temp": 0}}
// CHECK-NEXT: step {"grid": [{"constant": 3, "divisor": 1, "per_token": 0, "tokens": 0}, {{.*}}"launch": "bwd_1_sddmm", "params": [{"tokens": 0}, {"arg": 1}, {"arg": 0}, {"arg": 3}, {"arg": 5}, {"arg": 2}, {"temp": 0}], "threads": 128}
// CHECK-NEXT: step {{.*}}"launch": "bwd_2_gamma_grad", "params": [{"tokens": 1}, {"temp": 0}, {"arg": 6}], "threads": 256}
// CHECK-NEXT: step {{.*}}"launch": "bwd_3_sum_tokens", "params": [{"tokens": 0}, {"arg": 1}, {"arg": 7}], "threads": 128}
func.func @bwd(%x: memref<?x64xbf16>, %dy: memref<?x64xbf16>,
               %b: memref<3x32x32xbf16>, %g: memref<1xf32>,
               %dx: memref<?x64xbf16>, %db: memref<3x32x32xf32>,
               %dg: memref<1xf32>, %dbias: memref<64xf32>,
               %tokens: index {pfc.tokens}) {
  pfc.layer_grad %x, %dy, %b gamma(%g : memref<1xf32>) into %dx, %db
      grad_gamma(%dg : memref<1xf32>) grad_bias(%dbias : memref<64xf32>)
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, gamma = #pfc.gamma<scalar>}
      : memref<?x64xbf16>, memref<?x64xbf16>, memref<3x32x32xbf16>
      -> memref<?x64xbf16>, memref<3x32x32xf32>
  return
}

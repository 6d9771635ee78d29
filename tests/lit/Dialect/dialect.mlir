// The pfc dialect is registered in pfc-opt next to the dialects it lowers to.
// RUN: pfc-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS
// DIALECTS: Available Dialects:
// DIALECTS-SAME: pfc

// A module round-trips through pfc-opt.
// RUN: pfc-opt %s | pfc-opt | FileCheck %s
// CHECK-LABEL: func.func @identity
// CHECK-SAME: (%[[ARG:.*]]: f32) -> f32
// CHECK: return %[[ARG]] : f32
func.func @identity(%x: f32) -> f32 {
  return %x : f32
}

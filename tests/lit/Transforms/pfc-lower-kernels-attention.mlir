// pfc-lower-kernels emits the attention kernels as loops over vectors: each
// block-row's support comes from constant tables in the module (row starts
// and block-columns, causal ones without the blocks above the diagonal, and
// which block-rows lack their diagonal block where only some do), the
// products are vector.fma chains, and every exp (the softmax's and the
// random features') becomes a polynomial (math.floor, fma, and a bitcast
// building 2^n) instead of a call per lane. The output is checked after the
// canonicalize and cse that pfc-cpu-pipeline runs after the pass.
// RUN: %pfc-opt %s -split-input-file -pfc-lower-kernels -canonicalize -cse -verify-diagnostics | FileCheck %s --enable-var-scope
// The pass itself leaves no pfc op, no pfc attribute and no math.exp.
// RUN: %pfc-opt %s -split-input-file -pfc-lower-kernels | FileCheck %s --check-prefix=LOWERED
// LOWERED-NOT: pfc.
// LOWERED-NOT: math.exp

// The exact part alone on a 64-token sequence in blocks of 32: block-row 0
// holds block-columns 0 and 1, block-row 1 block-column 1.
// CHECK-DAG: memref.global "private" constant @[[$ROW_START:pfc_attention_row_start[_0-9]*]] : memref<3xindex> = dense<[0, 2, 3]>
// CHECK-DAG: memref.global "private" constant @[[$COL_INDEX:pfc_attention_col_index[_0-9]*]] : memref<3xindex> = dense<[0, 1, 1]>
// CHECK-LABEL: func.func @block_attention
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x16xf32>, %[[KT:[^:]*]]: memref<16x64xf32>, %[[V:[^:]*]]: memref<?x16xf32>, %[[O:[^:]*]]: memref<?x16xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>)
// CHECK-NOT: pfc.block_attention
// CHECK-DAG: %[[STARTS:.*]] = memref.get_global @[[$ROW_START]] : memref<3xindex>
// CHECK-DAG: %[[COLS:.*]] = memref.get_global @[[$COL_INDEX]] : memref<3xindex>
// CHECK: memref.load %[[STARTS]][%{{.*}}] : memref<3xindex>
// CHECK: memref.load %[[COLS]][%{{.*}}] : memref<3xindex>
// CHECK: vector.load %[[KT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>, vector<16xf32>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: math.floor %{{.*}} : vector<16xf32>
// CHECK: arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.store %{{.*}}, %[[O]][%{{.*}}, %{{.*}}] : memref<?x16xf32>, vector<16xf32>
// CHECK: memref.store %{{.*}}, %[[STATS]][%{{.*}}, %{{.*}}] : memref<?x3xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @block_attention(%q: memref<?x16xf32>, %kt: memref<16x64xf32>,
                           %v: memref<?x16xf32>, %o: memref<?x16xf32>,
                           %stats: memref<?x3xf32>) {
  pfc.block_attention %q, %kt, %v into %o, %stats
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, block = 32 : i64, scale = 0.25 : f64}
      : memref<?x16xf32>, memref<16x64xf32>, memref<?x16xf32>
      -> memref<?x16xf32>, memref<?x3xf32>
  return
}

// -----

// Causal, with the random features: block (0, 1) lies above the diagonal
// and leaves the tables; block-row 1 lacks its diagonal block, block-row 0
// does not, so a third table says which do. The keys' features come in with
// one scale per block.
// CHECK-DAG: memref.global "private" constant @[[$ROW_START:pfc_attention_row_start[_0-9]*]] : memref<3xindex> = dense<[0, 1, 2]>
// CHECK-DAG: memref.global "private" constant @[[$COL_INDEX:pfc_attention_col_index[_0-9]*]] : memref<2xindex> = dense<0>
// CHECK-DAG: memref.global "private" constant @[[$LACKS:pfc_attention_lacks_diagonal[_0-9]*]] : memref<2xindex> = dense<[0, 1]>
// CHECK-LABEL: func.func @block_attention_lowrank_causal
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x16xf32>, %[[KT:[^:]*]]: memref<16x64xf32>, %[[V:[^:]*]]: memref<?x16xf32>, %[[PHIQ:[^:]*]]: memref<?x16xf32>, %[[CQ:[^:]*]]: memref<?xf32>, %[[PHIKT:[^:]*]]: memref<16x64xf32>, %[[CK:[^:]*]]: memref<2xf32>, %[[O:[^:]*]]: memref<?x16xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>)
// CHECK-NOT: pfc.block_attention
// CHECK-DAG: memref.get_global @[[$ROW_START]] : memref<3xindex>
// CHECK-DAG: memref.get_global @[[$COL_INDEX]] : memref<2xindex>
// CHECK-DAG: memref.get_global @[[$LACKS]] : memref<2xindex>
// CHECK: memref.load %[[CK]][%{{.*}}] : memref<2xf32>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: math.floor %{{.*}} : vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @block_attention_lowrank_causal(%q: memref<?x16xf32>, %kt: memref<16x64xf32>,
                                          %v: memref<?x16xf32>, %phiq: memref<?x16xf32>,
                                          %cq: memref<?xf32>, %phikt: memref<16x64xf32>,
                                          %ck: memref<2xf32>, %o: memref<?x16xf32>,
                                          %stats: memref<?x3xf32>) {
  pfc.block_attention %q, %kt, %v
      lowrank(%phiq, %cq, %phikt, %ck : memref<?x16xf32>, memref<?xf32>,
              memref<16x64xf32>, memref<2xf32>) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0, 1], [0]>, block = 32 : i64,
       scale = 0.25 : f64, causal}
      : memref<?x16xf32>, memref<16x64xf32>, memref<?x16xf32>
      -> memref<?x16xf32>, memref<?x3xf32>
  return
}

// -----

// The keys' random features, transposed with one scale per block of 32
// tokens, and the queries', in rows with one scale per token: W·x̃ by
// vector.fma, exp(u − c) as a polynomial, no tables.
// CHECK-LABEL: func.func @random_features
// CHECK-SAME: (%[[K:[^:]*]]: memref<?x16xf32>, %[[WT:[^:]*]]: memref<16x8xf32>, %[[PHIKT:[^:]*]]: memref<16x64xf32>, %[[CK:[^:]*]]: memref<2xf32>, %[[Q:[^:]*]]: memref<?x16xf32>, %[[PHIQ:[^:]*]]: memref<?x16xf32>, %[[CQ:[^:]*]]: memref<?xf32>)
// CHECK-NOT: pfc.random_features
// CHECK-NOT: memref.get_global
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: memref.store %{{.*}}, %[[CK]][%{{.*}}] : memref<2xf32>
// CHECK: math.floor %{{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: vector.store %{{.*}}, %[[PHIKT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>, vector<{{[0-9]+}}xf32>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: math.floor %{{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: vector.store %{{.*}}, %[[PHIQ]][%{{.*}}, %{{.*}}] : memref<?x16xf32>, vector<{{[0-9]+}}xf32>
// CHECK: memref.store %{{.*}}, %[[CQ]][%{{.*}}] : memref<?xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @random_features(%k: memref<?x16xf32>, %wt: memref<16x8xf32>,
                           %phikt: memref<16x64xf32>, %ck: memref<2xf32>,
                           %q: memref<?x16xf32>, %phiq: memref<?x16xf32>,
                           %cq: memref<?xf32>) {
  pfc.random_features %k, %wt into %phikt, %ck
      {scale = 0.25 : f64, group = 32 : i64, transposed}
      : memref<?x16xf32>, memref<16x8xf32> -> memref<16x64xf32>, memref<2xf32>
  pfc.random_features %q, %wt into %phiq, %cq {scale = 0.25 : f64, group = 1 : i64}
      : memref<?x16xf32>, memref<16x8xf32> -> memref<?x16xf32>, memref<?xf32>
  return
}

// -----

// The gradients lower the same way: the backward kernel walks the same
// causal tables, and the gradient through the random features is a loop
// nest of its own.
// CHECK-DAG: memref.global "private" constant @[[$ROW_START:pfc_attention_row_start[_0-9]*]] : memref<3xindex> = dense<[0, 1, 3]>
// CHECK-DAG: memref.global "private" constant @[[$COL_INDEX:pfc_attention_col_index[_0-9]*]] : memref<3xindex> = dense<[0, 0, 1]>
// CHECK-LABEL: func.func @gradients
// CHECK-NOT: pfc.block_attention_grad
// CHECK-DAG: memref.get_global @[[$ROW_START]] : memref<3xindex>
// CHECK-DAG: memref.get_global @[[$COL_INDEX]] : memref<3xindex>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: math.floor %{{.*}} : vector<16xf32>
// CHECK-NOT: pfc.random_features_grad
// CHECK-NOT: math.exp
// CHECK: return
func.func @gradients(%q: memref<?x16xf32>, %kt: memref<16x64xf32>,
                     %stats: memref<?x3xf32>, %phiq: memref<?x16xf32>,
                     %cq: memref<?xf32>, %phik: memref<64x16xf32>,
                     %ck: memref<2xf32>, %dphiq: memref<?x16xf32>,
                     %dphik: memref<64x16xf32>, %wt: memref<16x8xf32>,
                     %dq: memref<?x16xf32>, %dk: memref<?x16xf32>,
                     %dv: memref<?x16xf32>) {
  pfc.block_attention_grad %q, %q, %kt, %q, %kt, %q, %stats, %q
      lowrank(%phiq, %cq, %kt, %phik, %ck : memref<?x16xf32>, memref<?xf32>,
              memref<16x64xf32>, memref<64x16xf32>, memref<2xf32>)
      into %dq, %dk, %dv
      features(%dphiq, %dphik : memref<?x16xf32>, memref<64x16xf32>)
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 32 : i64,
       scale = 0.25 : f64, causal}
      : memref<?x16xf32>, memref<?x16xf32>, memref<16x64xf32>, memref<?x16xf32>,
        memref<16x64xf32>, memref<?x16xf32>, memref<?x3xf32>, memref<?x16xf32>
      -> memref<?x16xf32>, memref<?x16xf32>, memref<?x16xf32>
  pfc.random_features_grad %q, %wt, %phiq, %dphiq into %dq {scale = 0.25 : f64}
      : memref<?x16xf32>, memref<16x8xf32>, memref<?x16xf32>, memref<?x16xf32>
      -> memref<?x16xf32>
  pfc.random_features_grad %q, %wt, %phik, %dphik into %dk {scale = 0.25 : f64}
      : memref<?x16xf32>, memref<16x8xf32>, memref<64x16xf32>, memref<64x16xf32>
      -> memref<?x16xf32>
  return
}

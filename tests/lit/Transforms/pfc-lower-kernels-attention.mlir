// pfc-lower-kernels emits the attention kernels as loops over vectors: each
// block-row's support comes from constant tables in the module (row starts
// and block-columns, causal ones without the blocks above the diagonal, and
// which block-rows lack their diagonal block where only some do), the
// products are vector.fma chains, and every exp (the softmax's and the
// random features') becomes the pass's own polynomial instead of a call per
// lane: x clamped (arith.maximumf/minimumf), n = math.roundeven(x·log2 e),
// r = x − n·ln 2 and e^r by a math.fma chain, and 2^n added to the result's
// exponent bits (arith.fptosi, arith.shli, arith.addi on an arith.bitcast).
// With the random features, each key block's share G_J = Φ_K,J·V_J of the
// state is computed once (Φ_Kᵀ read there), each block-row gets a row state
// (the state less its support's blocks) and the support walk no longer
// estimates the features per score. The output is checked after the
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
// Keys past the last token are masked by a compare of i32 lanes. The
// softmax's weights go through the whole polynomial: the clamp to
// [−87.3, 88], n, r in two fmas (ln 2 in two parts), Taylor to degree 6,
// and n shifted into the exponent bits of the polynomial's value.
// CHECK-LABEL: func.func @block_attention
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x16xf32>, %[[KT:[^:]*]]: memref<16x64xf32>, %[[V:[^:]*]]: memref<?x16xf32>, %[[O:[^:]*]]: memref<?x16xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>)
// CHECK-NOT: pfc.block_attention
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-8.730000e+01> : vector<16xf32>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<8.800000e+01> : vector<16xf32>
// CHECK-DAG: %[[LOG2E:.*]] = arith.constant dense<1.44269502> : vector<16xf32>
// CHECK-DAG: %[[LN2_HI:.*]] = arith.constant dense<-0.693359375> : vector<16xf32>
// CHECK-DAG: %[[LN2_LO:.*]] = arith.constant dense<2.12194442E-4> : vector<16xf32>
// CHECK-DAG: %[[C6:.*]] = arith.constant dense<0.00138888892> : vector<16xf32>
// CHECK-DAG: %[[C5:.*]] = arith.constant dense<0.00833333377> : vector<16xf32>
// CHECK-DAG: %[[C4:.*]] = arith.constant dense<0.0416666679> : vector<16xf32>
// CHECK-DAG: %[[C3:.*]] = arith.constant dense<0.166666672> : vector<16xf32>
// CHECK-DAG: %[[C2:.*]] = arith.constant dense<5.000000e-01> : vector<16xf32>
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : vector<16xf32>
// CHECK-DAG: %[[MANTISSA_BITS:.*]] = arith.constant dense<23> : vector<16xi32>
// CHECK-DAG: %[[STARTS:.*]] = memref.get_global @[[$ROW_START]] : memref<3xindex>
// CHECK-DAG: %[[COLS:.*]] = memref.get_global @[[$COL_INDEX]] : memref<3xindex>
// CHECK: memref.load %[[STARTS]][%{{.*}}] : memref<3xindex>
// CHECK: memref.load %[[COLS]][%{{.*}}] : memref<3xindex>
// CHECK: vector.load %[[KT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>, vector<16xf32>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: %[[ABOVE:.*]] = arith.maximumf %{{.*}}, %[[LO]] fastmath<nnan> : vector<16xf32>
// CHECK-NEXT: %[[X:.*]] = arith.minimumf %[[ABOVE]], %[[HI]] fastmath<nnan> : vector<16xf32>
// CHECK-NEXT: %[[XLOG2E:.*]] = arith.mulf %[[X]], %[[LOG2E]] : vector<16xf32>
// CHECK-NEXT: %[[N:.*]] = math.roundeven %[[XLOG2E]] : vector<16xf32>
// CHECK-NEXT: %[[R_HI:.*]] = math.fma %[[N]], %[[LN2_HI]], %[[X]] : vector<16xf32>
// CHECK-NEXT: %[[R:.*]] = math.fma %[[N]], %[[LN2_LO]], %[[R_HI]] : vector<16xf32>
// CHECK-NEXT: %[[P5:.*]] = math.fma %[[C6]], %[[R]], %[[C5]] : vector<16xf32>
// CHECK-NEXT: %[[P4:.*]] = math.fma %[[P5]], %[[R]], %[[C4]] : vector<16xf32>
// CHECK-NEXT: %[[P3:.*]] = math.fma %[[P4]], %[[R]], %[[C3]] : vector<16xf32>
// CHECK-NEXT: %[[P2:.*]] = math.fma %[[P3]], %[[R]], %[[C2]] : vector<16xf32>
// CHECK-NEXT: %[[P1:.*]] = math.fma %[[P2]], %[[R]], %[[ONE]] : vector<16xf32>
// CHECK-NEXT: %[[P:.*]] = math.fma %[[P1]], %[[R]], %[[ONE]] : vector<16xf32>
// CHECK-NEXT: %[[NI:.*]] = arith.fptosi %[[N]] : vector<16xf32> to vector<16xi32>
// CHECK-NEXT: %[[EXPONENT:.*]] = arith.shli %[[NI]], %[[MANTISSA_BITS]] : vector<16xi32>
// CHECK-NEXT: %[[P_BITS:.*]] = arith.bitcast %[[P]] : vector<16xf32> to vector<16xi32>
// CHECK-NEXT: %[[BITS:.*]] = arith.addi %[[P_BITS]], %[[EXPONENT]] : vector<16xi32>
// CHECK-NEXT: arith.bitcast %[[BITS]] : vector<16xi32> to vector<16xf32>
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
// one scale per block. Φ_Kᵀ is read where each key block's share of the
// state is computed (G_J = Φ_K,J·V_J by vector.fma, and g_J = Σ Φ_K,J), and
// for the missing diagonal block's estimate, but not in the support walk:
// each block-row's row state, the state less the support blocks that it
// holds (e^(c_J − C)·G_J times −1), carries the random features' rest.
// CHECK-DAG: memref.global "private" constant @[[$ROW_START:pfc_attention_row_start[_0-9]*]] : memref<3xindex> = dense<[0, 1, 2]>
// CHECK-DAG: memref.global "private" constant @[[$COL_INDEX:pfc_attention_col_index[_0-9]*]] : memref<2xindex> = dense<0>
// CHECK-DAG: memref.global "private" constant @[[$LACKS:pfc_attention_lacks_diagonal[_0-9]*]] : memref<2xindex> = dense<[0, 1]>
// CHECK-LABEL: func.func @block_attention_lowrank_causal
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x16xf32>, %[[KT:[^:]*]]: memref<16x64xf32>, %[[V:[^:]*]]: memref<?x16xf32>, %[[PHIQ:[^:]*]]: memref<?x16xf32>, %[[CQ:[^:]*]]: memref<?xf32>, %[[PHIKT:[^:]*]]: memref<16x64xf32>, %[[CK:[^:]*]]: memref<2xf32>, %[[O:[^:]*]]: memref<?x16xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>)
// CHECK-NOT: pfc.block_attention
// CHECK-DAG: %[[MINUS_ONE:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-DAG: %[[STARTS:.*]] = memref.get_global @[[$ROW_START]] : memref<3xindex>
// CHECK-DAG: %[[COLS:.*]] = memref.get_global @[[$COL_INDEX]] : memref<2xindex>
// CHECK-DAG: %[[LACKS_TABLE:.*]] = memref.get_global @[[$LACKS]] : memref<2xindex>
// CHECK: memref.alloc() : memref<4x3xf32>
// CHECK-NEXT: %[[STATE:.*]] = memref.alloc() : memref<16x16xf32>
// CHECK-NEXT: %[[STATE_SUMS:.*]] = memref.alloc() : memref<16xf32>
// CHECK-NEXT: %[[BLOCK_STATES:.*]] = memref.alloc() : memref<32x16xf32>
// CHECK-NEXT: %[[BLOCK_SUMS:.*]] = memref.alloc() : memref<32xf32>
// CHECK: %[[V_ROW:.*]] = vector.load %[[V]][%{{.*}}, %{{.*}}] : memref<?x16xf32>, vector<16xf32>
// CHECK-NEXT: %[[PHI:.*]] = memref.load %[[PHIKT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>
// CHECK-NEXT: %[[PHIS:.*]] = vector.broadcast %[[PHI]] : f32 to vector<16xf32>
// CHECK-NEXT: vector.fma %[[PHIS]], %[[V_ROW]], %{{.*}} : vector<16xf32>
// CHECK: vector.store %{{.*}}, %[[BLOCK_STATES]][%{{.*}}, %{{.*}}] : memref<32x16xf32>, vector<16xf32>
// CHECK: %[[PHI_SUM:.*]] = memref.load %[[PHIKT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>
// CHECK-NEXT: arith.addf %{{.*}}, %[[PHI_SUM]] : f32
// CHECK: memref.store %{{.*}}, %[[BLOCK_SUMS]][%{{.*}}] : memref<32xf32>
// CHECK: memref.load %[[CK]][%{{.*}}] : memref<2xf32>
// CHECK: math.roundeven %{{.*}} : f32
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: vector.load %[[BLOCK_STATES]][%{{.*}}, %{{.*}}] : memref<32x16xf32>, vector<16xf32>
// CHECK: vector.store %{{.*}}, %[[STATE]][%{{.*}}, %{{.*}}] : memref<16x16xf32>, vector<16xf32>
// CHECK: %[[STATE_ROW:.*]] = vector.load %[[STATE]][%{{.*}}, %{{.*}}] : memref<16x16xf32>, vector<16xf32>
// CHECK-NEXT: vector.store %[[STATE_ROW]], %[[ROW_STATE:[a-z0-9_]+]][%{{.*}}, %{{.*}}] : memref<16x16xf32>, vector<16xf32>
// CHECK-NEXT: %[[STATE_SUM:.*]] = memref.load %[[STATE_SUMS]][%{{.*}}] : memref<16xf32>
// CHECK-NEXT: memref.store %[[STATE_SUM]], %[[ROW_STATE_SUMS:[a-z0-9_]+]][%{{.*}}] : memref<16xf32>
// CHECK: %[[COL:.*]] = memref.load %[[COLS]][%{{.*}}] : memref<2xindex>
// CHECK-NEXT: %[[HELD:.*]] = arith.cmpi ult, %[[COL]], %{{.*}} : index
// CHECK-NEXT: scf.if %[[HELD]] {
// CHECK-NEXT: memref.load %[[CK]][%[[COL]]] : memref<2xf32>
// CHECK: arith.mulf %{{.*}}, %[[MINUS_ONE]] : f32
// CHECK: vector.load %[[BLOCK_STATES]][%{{.*}}, %{{.*}}] : memref<32x16xf32>, vector<16xf32>
// CHECK: vector.store %{{.*}}, %[[ROW_STATE]][%{{.*}}, %{{.*}}] : memref<16x16xf32>, vector<16xf32>
// CHECK: memref.load %[[BLOCK_SUMS]][%{{.*}}] : memref<32xf32>
// CHECK: memref.store %{{.*}}, %[[ROW_STATE_SUMS]][%{{.*}}] : memref<16xf32>
// CHECK: memref.load %[[COLS]][%{{.*}}] : memref<2xindex>
// CHECK: vector.load %[[KT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>, vector<16xf32>
// CHECK-NOT: %[[PHIKT]][
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-NOT: %[[PHIKT]][
// CHECK: math.roundeven %{{.*}} : vector<16xf32>
// CHECK-NOT: %[[PHIKT]][
// CHECK: arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT: %[[PHIKT]][
// CHECK: memref.load %[[LACKS_TABLE]][%{{.*}}] : memref<2xindex>
// CHECK: vector.load %[[PHIKT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>, vector<16xf32>
// CHECK: memref.load %[[ROW_STATE_SUMS]][%{{.*}}] : memref<16xf32>
// CHECK: vector.load %[[ROW_STATE]][%{{.*}}, %{{.*}}] : memref<16x16xf32>, vector<16xf32>
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
// CHECK: math.roundeven %{{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: arith.bitcast %{{.*}} : vector<{{[0-9]+}}xi32> to vector<{{[0-9]+}}xf32>
// CHECK: vector.store %{{.*}}, %[[PHIKT]][%{{.*}}, %{{.*}}] : memref<16x64xf32>, vector<{{[0-9]+}}xf32>
// CHECK: vector.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: math.roundeven %{{.*}} : vector<{{[0-9]+}}xf32>
// CHECK: arith.bitcast %{{.*}} : vector<{{[0-9]+}}xi32> to vector<{{[0-9]+}}xf32>
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
// CHECK: math.roundeven %{{.*}} : vector<16xf32>
// CHECK: arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
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

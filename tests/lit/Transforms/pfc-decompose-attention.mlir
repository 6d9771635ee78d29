// pfc-decompose-attention turns pfc.attention into its kernels, in this
// order, with P the seq_len padded to whole blocks and m = 2·(W's columns):
//   Kᵀ [d, P] in a [d, P + 16]       pfc.transpose
//   buffer, zeros past T
//   Φ_q [T, m], one scale per token  pfc.random_features (group 1)
//   Φ_Kᵀ [m, P] in a [m, P + 16]     pfc.random_features (group = block,
//   buffer, one scale per block      transposed)
//   the attention                    pfc.block_attention (lowrank(...) with
//                                    the features)
// and pfc.attention_grad the same way, with Vᵀ after Kᵀ, the keys' features
// in rows too (Φ_K [P, m], a pfc.transpose of Φ_Kᵀ) and their gradients'
// buffers, then pfc.block_attention_grad and one pfc.random_features_grad
// for the queries and one for the keys. Without features there are no
// random features. The kernels keep the op's pattern (a butterfly stays one
// here; pfc-materialize-pattern before the pass gives them the block list),
// its block, scale and causal. Temporaries have the queries' token count
// where it is dynamic and are freed after the last kernel.
// The buffers the kernels read a block of columns at a time (Kᵀ, Vᵀ, Φ_Kᵀ)
// are [rows, P] memref.subviews of [rows, P + 16] f32 buffers: their rows
// lie a cache line further apart than their length (rows a multiple of 4 KiB
// apart would all fall into one L1 set), the ops get the subview
// (memref<rows x P x f32, strided<[P + 16, 1]>>) and the deallocs free the
// base allocations. Φ_K in rows is a plain [P, m] buffer.
// RUN: %pfc-opt %s -split-input-file -pfc-decompose-attention | FileCheck %s --enable-var-scope
// RUN: %pfc-opt %s -split-input-file -pfc-materialize-pattern -pfc-decompose-attention | FileCheck %s --enable-var-scope --check-prefix=MATERIALIZED

// Features and causal on a butterfly: 100 tokens in blocks of 32 pad to 128,
// a 4x4 grid (S = 4, stride 2: blocks [0, 1], [0, 1], [2, 3], [2, 3]).
// CHECK-LABEL: func.func @features
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>)
// CHECK-NEXT: %[[KT_BASE:.*]] = memref.alloc() : memref<64x144xf32>
// CHECK-NEXT: %[[KT:.*]] = memref.subview %[[KT_BASE]][0, 0] [64, 128] [1, 1] : memref<64x144xf32> to memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: pfc.transpose %[[K]] into %[[KT]] : memref<?x64xf32> -> memref<64x128xf32, strided<[144, 1]>>
// CHECK: %[[TOKENS:.*]] = memref.dim %[[Q]], %{{.*}} : memref<?x64xf32>
// CHECK-NEXT: %[[PHIQ:.*]] = memref.alloc(%[[TOKENS]]) : memref<?x64xf32>
// CHECK: %[[CQ:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.random_features %[[Q]], %[[WT]] into %[[PHIQ]], %[[CQ]] {group = 1 : i64, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32> -> memref<?x64xf32>, memref<?xf32>
// CHECK-NEXT: %[[PHIKT_BASE:.*]] = memref.alloc() : memref<64x144xf32>
// CHECK-NEXT: %[[PHIKT:.*]] = memref.subview %[[PHIKT_BASE]][0, 0] [64, 128] [1, 1] : memref<64x144xf32> to memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: %[[CK:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: pfc.random_features %[[K]], %[[WT]] into %[[PHIKT]], %[[CK]] {group = 32 : i64, scale = 1.250000e-01 : f64, transposed} : memref<?x64xf32>, memref<64x32xf32> -> memref<64x128xf32, strided<[144, 1]>>, memref<4xf32>
// CHECK-NEXT: pfc.block_attention %[[Q]], %[[KT]], %[[V]] lowrank(%[[PHIQ]], %[[CQ]], %[[PHIKT]], %[[CK]] : memref<?x64xf32>, memref<?xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<4xf32>) into %[[O]], %[[STATS]]
// CHECK-SAME: {block = 32 : i64, causal, pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x3xf32>
// CHECK-NEXT: memref.dealloc %[[KT_BASE]] : memref<64x144xf32>
// CHECK-NEXT: memref.dealloc %[[PHIQ]] : memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[CQ]] : memref<?xf32>
// CHECK-NEXT: memref.dealloc %[[PHIKT_BASE]] : memref<64x144xf32>
// CHECK-NEXT: memref.dealloc %[[CK]] : memref<4xf32>
// CHECK-NEXT: return
// MATERIALIZED-LABEL: func.func @features
// MATERIALIZED-NOT: #pfc.butterfly
// MATERIALIZED: pfc.block_attention
// MATERIALIZED-SAME: {block = 32 : i64, causal, pattern = #pfc.blocks<4x4: [0, 1], [0, 1], [2, 3], [2, 3]>, scale = 1.250000e-01 : f64}
// MATERIALIZED-NOT: #pfc.butterfly
func.func @features(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                    %v: memref<?x64xf32>, %wt: memref<64x32xf32>,
                    %o: memref<?x64xf32>, %stats: memref<?x3xf32>) {
  pfc.attention %q, %k, %v features(%wt : memref<64x32xf32>) into %o, %stats
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       seq_len = 100 : i64, block = 32 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// Without features: the exact part alone, Kᵀ its only temporary ([64, 128]
// in a [64, 144] buffer); 100 tokens in blocks of 64 pad to 128. A block
// list is kept as it is.
// CHECK-LABEL: func.func @exact
// CHECK-SAME: (%[[Q:[^:]*]]: memref<100x64xf32>, %[[K:[^:]*]]: memref<100x64xf32>, %[[V:[^:]*]]: memref<100x64xf32>, %[[O:[^:]*]]: memref<100x64xf32>, %[[STATS:[^:]*]]: memref<100x3xf32>)
// CHECK-NEXT: %[[KT_BASE:.*]] = memref.alloc() : memref<64x144xf32>
// CHECK-NEXT: %[[KT:.*]] = memref.subview %[[KT_BASE]][0, 0] [64, 128] [1, 1] : memref<64x144xf32> to memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: pfc.transpose %[[K]] into %[[KT]] : memref<100x64xf32> -> memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: pfc.block_attention %[[Q]], %[[KT]], %[[V]] into %[[O]], %[[STATS]] {block = 64 : i64, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64} : memref<100x64xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<100x64xf32> -> memref<100x64xf32>, memref<100x3xf32>
// CHECK-NEXT: memref.dealloc %[[KT_BASE]] : memref<64x144xf32>
// CHECK-NEXT: return
// MATERIALIZED-LABEL: func.func @exact
// MATERIALIZED: pfc.block_attention
// MATERIALIZED-SAME: pattern = #pfc.blocks<2x2: [0], [0, 1]>
func.func @exact(%q: memref<100x64xf32>, %k: memref<100x64xf32>,
                 %v: memref<100x64xf32>, %o: memref<100x64xf32>,
                 %stats: memref<100x3xf32>) {
  pfc.attention %q, %k, %v into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 100 : i64,
       block = 64 : i64, scale = 0.125 : f64}
      : memref<100x64xf32>, memref<100x64xf32>, memref<100x64xf32>
      -> memref<100x64xf32>, memref<100x3xf32>
  return
}

// -----

// The gradients with features: Kᵀ and Vᵀ, the forward's random features, Φ_K
// in rows, the features' gradients, the kernel, then the gradients through
// the random features added to dQ and dK.
// CHECK-LABEL: func.func @grad
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: %[[KT_BASE:.*]] = memref.alloc() : memref<64x144xf32>
// CHECK-NEXT: %[[KT:.*]] = memref.subview %[[KT_BASE]][0, 0] [64, 128] [1, 1] : memref<64x144xf32> to memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: pfc.transpose %[[K]] into %[[KT]] : memref<?x64xf32> -> memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: %[[VT_BASE:.*]] = memref.alloc() : memref<64x144xf32>
// CHECK-NEXT: %[[VT:.*]] = memref.subview %[[VT_BASE]][0, 0] [64, 128] [1, 1] : memref<64x144xf32> to memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: pfc.transpose %[[V]] into %[[VT]] : memref<?x64xf32> -> memref<64x128xf32, strided<[144, 1]>>
// CHECK: %[[PHIQ:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK: %[[CQ:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: pfc.random_features %[[Q]], %[[WT]] into %[[PHIQ]], %[[CQ]] {group = 1 : i64, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32> -> memref<?x64xf32>, memref<?xf32>
// CHECK-NEXT: %[[PHIKT_BASE:.*]] = memref.alloc() : memref<64x144xf32>
// CHECK-NEXT: %[[PHIKT:.*]] = memref.subview %[[PHIKT_BASE]][0, 0] [64, 128] [1, 1] : memref<64x144xf32> to memref<64x128xf32, strided<[144, 1]>>
// CHECK-NEXT: %[[CK:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: pfc.random_features %[[K]], %[[WT]] into %[[PHIKT]], %[[CK]] {group = 32 : i64, scale = 1.250000e-01 : f64, transposed} : memref<?x64xf32>, memref<64x32xf32> -> memref<64x128xf32, strided<[144, 1]>>, memref<4xf32>
// CHECK-NEXT: %[[PHIK:.*]] = memref.alloc() : memref<128x64xf32>
// CHECK-NEXT: pfc.transpose %[[PHIKT]] into %[[PHIK]] : memref<64x128xf32, strided<[144, 1]>> -> memref<128x64xf32>
// CHECK: %[[DPHIQ:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK-NEXT: %[[DPHIK:.*]] = memref.alloc() : memref<128x64xf32>
// CHECK-NEXT: pfc.block_attention_grad %[[Q]], %[[K]], %[[KT]], %[[V]], %[[VT]], %[[O]], %[[STATS]], %[[DO]] lowrank(%[[PHIQ]], %[[CQ]], %[[PHIKT]], %[[PHIK]], %[[CK]] : memref<?x64xf32>, memref<?xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<128x64xf32>, memref<4xf32>) into %[[DQ]], %[[DK]], %[[DV]] features(%[[DPHIQ]], %[[DPHIK]] : memref<?x64xf32>, memref<128x64xf32>)
// CHECK-SAME: {block = 32 : i64, causal, pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<?x64xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<?x64xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
// CHECK-NEXT: pfc.random_features_grad %[[Q]], %[[WT]], %[[PHIQ]], %[[DPHIQ]] into %[[DQ]] {scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32>, memref<?x64xf32>, memref<?x64xf32> -> memref<?x64xf32>
// CHECK-NEXT: pfc.random_features_grad %[[K]], %[[WT]], %[[PHIK]], %[[DPHIK]] into %[[DK]] {scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32>, memref<128x64xf32>, memref<128x64xf32> -> memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[KT_BASE]] : memref<64x144xf32>
// CHECK-NEXT: memref.dealloc %[[VT_BASE]] : memref<64x144xf32>
// CHECK-NEXT: memref.dealloc %[[PHIQ]] : memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[CQ]] : memref<?xf32>
// CHECK-NEXT: memref.dealloc %[[PHIKT_BASE]] : memref<64x144xf32>
// CHECK-NEXT: memref.dealloc %[[CK]] : memref<4xf32>
// CHECK-NEXT: memref.dealloc %[[PHIK]] : memref<128x64xf32>
// CHECK-NEXT: memref.dealloc %[[DPHIQ]] : memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[DPHIK]] : memref<128x64xf32>
// CHECK-NEXT: return
// MATERIALIZED-LABEL: func.func @grad
// MATERIALIZED-NOT: #pfc.butterfly
// MATERIALIZED: pfc.block_attention_grad
// MATERIALIZED-SAME: {block = 32 : i64, causal, pattern = #pfc.blocks<4x4: [0, 1], [0, 1], [2, 3], [2, 3]>, scale = 1.250000e-01 : f64}
// MATERIALIZED-NOT: #pfc.butterfly
func.func @grad(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                %v: memref<?x64xf32>, %wt: memref<64x32xf32>,
                %o: memref<?x64xf32>, %stats: memref<?x3xf32>,
                %do: memref<?x64xf32>, %dq: memref<?x64xf32>,
                %dk: memref<?x64xf32>, %dv: memref<?x64xf32>) {
  pfc.attention_grad %q, %k, %v features(%wt : memref<64x32xf32>), %o, %stats, %do
      into %dq, %dk, %dv
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       seq_len = 100 : i64, block = 32 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

// The gradients without features: Kᵀ and Vᵀ ([64, 256] in [64, 272]
// buffers), the kernel, nothing else.
// CHECK-LABEL: func.func @grad_exact
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>)
// CHECK-NEXT: %[[KT_BASE:.*]] = memref.alloc() : memref<64x272xf32>
// CHECK-NEXT: %[[KT:.*]] = memref.subview %[[KT_BASE]][0, 0] [64, 256] [1, 1] : memref<64x272xf32> to memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.transpose %[[K]] into %[[KT]] : memref<?x64xf32> -> memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: %[[VT_BASE:.*]] = memref.alloc() : memref<64x272xf32>
// CHECK-NEXT: %[[VT:.*]] = memref.subview %[[VT_BASE]][0, 0] [64, 256] [1, 1] : memref<64x272xf32> to memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.transpose %[[V]] into %[[VT]] : memref<?x64xf32> -> memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.block_attention_grad %[[Q]], %[[K]], %[[KT]], %[[V]], %[[VT]], %[[O]], %[[STATS]], %[[DO]] into %[[DQ]], %[[DK]], %[[DV]] {block = 128 : i64, pattern = #pfc.blocks<2x2: [0, 1], [1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32, strided<[272, 1]>>, memref<?x64xf32>, memref<64x256xf32, strided<[272, 1]>>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[KT_BASE]] : memref<64x272xf32>
// CHECK-NEXT: memref.dealloc %[[VT_BASE]] : memref<64x272xf32>
// CHECK-NEXT: return
func.func @grad_exact(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                      %v: memref<?x64xf32>, %o: memref<?x64xf32>,
                      %stats: memref<?x3xf32>, %do: memref<?x64xf32>,
                      %dq: memref<?x64xf32>, %dk: memref<?x64xf32>,
                      %dv: memref<?x64xf32>) {
  pfc.attention_grad %q, %k, %v, %o, %stats, %do into %dq, %dk, %dv
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>, seq_len = 200 : i64,
       block = 128 : i64, scale = 0.125 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

// A block-row range goes to the kernel as it is.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: %[[KT_BASE:.*]] = memref.alloc() : memref<64x272xf32>
// CHECK-NEXT: %[[KT:.*]] = memref.subview %[[KT_BASE]][0, 0] [64, 256] [1, 1] : memref<64x272xf32> to memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.transpose %[[K]] into %[[KT]] : memref<?x64xf32> -> memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.block_attention %[[Q]], %[[KT]], %[[V]] rows(%[[R0]], %[[R1]]) into %[[O]], %[[STATS]] {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x256xf32, strided<[272, 1]>>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x3xf32>
// CHECK-NEXT: memref.dealloc %[[KT_BASE]] : memref<64x272xf32>
// CHECK-NEXT: return
func.func @rows(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                %v: memref<?x64xf32>, %o: memref<?x64xf32>,
                %stats: memref<?x3xf32>, %r0: index, %r1: index) {
  pfc.attention %q, %k, %v rows(%r0, %r1) into %o, %stats
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x3xf32>
  return
}

// -----

// So does the gradients' block-row range.
// CHECK-LABEL: func.func @grad_rows
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK-NEXT: %[[KT_BASE:.*]] = memref.alloc() : memref<64x272xf32>
// CHECK-NEXT: %[[KT:.*]] = memref.subview %[[KT_BASE]][0, 0] [64, 256] [1, 1] : memref<64x272xf32> to memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.transpose %[[K]] into %[[KT]] : memref<?x64xf32> -> memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: %[[VT_BASE:.*]] = memref.alloc() : memref<64x272xf32>
// CHECK-NEXT: %[[VT:.*]] = memref.subview %[[VT_BASE]][0, 0] [64, 256] [1, 1] : memref<64x272xf32> to memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.transpose %[[V]] into %[[VT]] : memref<?x64xf32> -> memref<64x256xf32, strided<[272, 1]>>
// CHECK-NEXT: pfc.block_attention_grad %[[Q]], %[[K]], %[[KT]], %[[V]], %[[VT]], %[[O]], %[[STATS]], %[[DO]] rows(%[[R0]], %[[R1]]) into %[[DQ]], %[[DK]], %[[DV]] {block = 128 : i64, causal, pattern = #pfc.blocks<2x2: [0], [0, 1]>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32, strided<[272, 1]>>, memref<?x64xf32>, memref<64x256xf32, strided<[272, 1]>>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
// CHECK-NEXT: memref.dealloc %[[KT_BASE]] : memref<64x272xf32>
// CHECK-NEXT: memref.dealloc %[[VT_BASE]] : memref<64x272xf32>
// CHECK-NEXT: return
func.func @grad_rows(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                     %v: memref<?x64xf32>, %o: memref<?x64xf32>,
                     %stats: memref<?x3xf32>, %do: memref<?x64xf32>,
                     %dq: memref<?x64xf32>, %dk: memref<?x64xf32>,
                     %dv: memref<?x64xf32>, %r0: index, %r1: index) {
  pfc.attention_grad %q, %k, %v, %o, %stats, %do rows(%r0, %r1) into %dq, %dk, %dv
      {pattern = #pfc.blocks<2x2: [0], [0, 1]>, seq_len = 256 : i64,
       block = 128 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

// -----

// With the features the range goes to the kernel alone, after its
// lowrank(...); the gradients through the features add what the kernel
// wrote, zero outside the rows, as they are.
// CHECK-LABEL: func.func @grad_rows_features
// CHECK-SAME: (%[[Q:[^:]*]]: memref<?x64xf32>, %[[K:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<?x64xf32>, %[[WT:[^:]*]]: memref<64x32xf32>, %[[O:[^:]*]]: memref<?x64xf32>, %[[STATS:[^:]*]]: memref<?x3xf32>, %[[DO:[^:]*]]: memref<?x64xf32>, %[[DQ:[^:]*]]: memref<?x64xf32>, %[[DK:[^:]*]]: memref<?x64xf32>, %[[DV:[^:]*]]: memref<?x64xf32>, %[[R0:[^:]*]]: index, %[[R1:[^:]*]]: index)
// CHECK: %[[PHIQ:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK: %[[CQ:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: %[[PHIKT:.*]] = memref.subview
// CHECK-NEXT: %[[CK:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[PHIK:.*]] = memref.alloc() : memref<128x64xf32>
// CHECK: %[[DPHIQ:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// CHECK-NEXT: %[[DPHIK:.*]] = memref.alloc() : memref<128x64xf32>
// CHECK-NEXT: pfc.block_attention_grad %[[Q]], %[[K]], %{{.*}}, %[[V]], %{{.*}}, %[[O]], %[[STATS]], %[[DO]] lowrank(%[[PHIQ]], %[[CQ]], %[[PHIKT]], %[[PHIK]], %[[CK]] : memref<?x64xf32>, memref<?xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<128x64xf32>, memref<4xf32>) rows(%[[R0]], %[[R1]]) into %[[DQ]], %[[DK]], %[[DV]] features(%[[DPHIQ]], %[[DPHIK]] : memref<?x64xf32>, memref<128x64xf32>)
// CHECK-SAME: {block = 32 : i64, causal, pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>, scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<?x64xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<?x64xf32>, memref<64x128xf32, strided<[144, 1]>>, memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32> -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
// CHECK-NEXT: pfc.random_features_grad %[[Q]], %[[WT]], %[[PHIQ]], %[[DPHIQ]] into %[[DQ]] {scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32>, memref<?x64xf32>, memref<?x64xf32> -> memref<?x64xf32>
// CHECK-NEXT: pfc.random_features_grad %[[K]], %[[WT]], %[[PHIK]], %[[DPHIK]] into %[[DK]] {scale = 1.250000e-01 : f64} : memref<?x64xf32>, memref<64x32xf32>, memref<128x64xf32>, memref<128x64xf32> -> memref<?x64xf32>
func.func @grad_rows_features(%q: memref<?x64xf32>, %k: memref<?x64xf32>,
                              %v: memref<?x64xf32>, %wt: memref<64x32xf32>,
                              %o: memref<?x64xf32>, %stats: memref<?x3xf32>,
                              %do: memref<?x64xf32>, %dq: memref<?x64xf32>,
                              %dk: memref<?x64xf32>, %dv: memref<?x64xf32>,
                              %r0: index, %r1: index) {
  pfc.attention_grad %q, %k, %v features(%wt : memref<64x32xf32>), %o, %stats, %do
      rows(%r0, %r1) into %dq, %dk, %dv
      {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false, global = 0>,
       seq_len = 128 : i64, block = 32 : i64, scale = 0.125 : f64, causal}
      : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
        memref<?x3xf32>, memref<?x64xf32>
      -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
  return
}

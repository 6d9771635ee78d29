// pfc-lower-kernels emits pfc.bsmm as the register-tiled kernel its schedule
// describes, and the other ops as plain loop nests. The output is checked
// after the canonicalize and cse that pfc-cpu-pipeline runs after the pass,
// which gather the constants the emitter repeats at the top of each function.
// RUN: %pfc-opt %s -split-input-file -pfc-lower-kernels -canonicalize -cse -verify-diagnostics | FileCheck %s --enable-var-scope
// Ops without a schedule get the default one for the pass's vector width.
// RUN: %pfc-opt %s -split-input-file -pfc-lower-kernels=vector-width=8 -canonicalize -cse -verify-diagnostics | FileCheck %s --enable-var-scope --check-prefix=WIDTH8
// ... and chunks of tokens sized for the pass's cache size.
// A vector width the CPUs do not have is an error, not a crash.
// RUN: not %pfc-opt %s -split-input-file -pfc-lower-kernels=vector-width=0 2>&1 | FileCheck %s --check-prefix=BADWIDTH
// BADWIDTH: error: pfc-lower-kernels: vector-width 0 is not 4, 8 or 16
// RUN: %pfc-opt %s -split-input-file -pfc-lower-kernels=cache-bytes=65536 -canonicalize -cse -verify-diagnostics | FileCheck %s --enable-var-scope --check-prefix=CACHE
// The loops a schedule unrolls are unrolled after the conversion, which
// marks them; no mark is left behind.
// RUN: %pfc-opt %s -split-input-file -pfc-lower-kernels -verify-diagnostics | FileCheck %s --check-prefix=MARK
// MARK-NOT: pfc.unroll

// The unrolled schedule: for each chunk of 64 tokens, for each block-row, an
// scf.index_switch with one case per block-row whose blocks have constant
// offsets. Block-row 0 holds blocks 0 and 1 (block-columns 0 and 1),
// block-row 1 holds block 2 (block-column 1). Tiles of 2 tokens carry 2 x 2
// accumulators of 16 lanes; the tokens left over get a tile of 1.
// CHECK-LABEL: func.func @unrolled
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<3x32x32xf32>, %[[Y:[^:]*]]: memref<?x64xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C48:.*]] = arith.constant 48 : index
// CHECK-DAG: %[[CHUNK:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK: %[[TOKENS:.*]] = memref.dim %[[X]], %[[C0]] : memref<?x64xf32>
// CHECK-NEXT: scf.for %[[FIRST:.*]] = %[[C0]] to %[[TOKENS]] step %[[CHUNK]] {
// CHECK-NEXT: %[[NEXT:.*]] = arith.addi %[[FIRST]], %[[CHUNK]] : index
// CHECK-NEXT: %[[LAST:.*]] = arith.minsi %[[NEXT]], %[[TOKENS]] : index
// CHECK-NEXT: %[[COUNT:.*]] = arith.subi %[[LAST]], %[[FIRST]] : index
// CHECK-NEXT: %[[REST:.*]] = arith.remui %[[COUNT]], %[[C2]] : index
// CHECK-NEXT: %[[FULL:.*]] = arith.subi %[[LAST]], %[[REST]] : index
// CHECK-NEXT: scf.for %[[ROW:.*]] = %[[C0]] to %[[C2]] step %[[C1]] {
// CHECK-NEXT: scf.index_switch %[[ROW]]
// CHECK-NEXT: case 0 {
// CHECK-NEXT: scf.for %[[T:.*]] = %[[FIRST]] to %[[FULL]] step %[[C2]] {
// CHECK-NEXT: %[[ACC0:.*]]:4 = scf.for %[[K:.*]] = %[[C0]] to %[[C32]] step %[[C1]] iter_args(%{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]]) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-NEXT: %[[W0:.*]] = vector.load %[[B]][%[[C0]], %[[K]], %[[C0]]] : memref<3x32x32xf32>, vector<16xf32>
// CHECK-NEXT: %[[W1:.*]] = vector.load %[[B]][%[[C0]], %[[K]], %[[C16]]] : memref<3x32x32xf32>, vector<16xf32>
// CHECK-NEXT: %[[XV:.*]] = memref.load %[[X]][%[[T]], %[[K]]] : memref<?x64xf32>
// CHECK-NEXT: %[[XB:.*]] = vector.broadcast %[[XV]] : f32 to vector<16xf32>
// CHECK-NEXT: vector.fma %[[XB]], %[[W0]], %{{.*}} : vector<16xf32>
// CHECK-NEXT: vector.fma %[[XB]], %[[W1]], %{{.*}} : vector<16xf32>
// CHECK: scf.yield
// Block 1 reads inputs 32..63.
// CHECK: %[[ACC1:.*]]:4 = scf.for %[[K:.*]] = %[[C0]] to %[[C32]] step %[[C1]] iter_args(%{{.*}} = %[[ACC0]]#0, %{{.*}} = %[[ACC0]]#1, %{{.*}} = %[[ACC0]]#2, %{{.*}} = %[[ACC0]]#3)
// CHECK-NEXT: %[[IN:.*]] = arith.addi %[[K]], %[[C32]] : index
// CHECK-NEXT: vector.load %[[B]][%[[C1]], %[[K]], %[[C0]]]
// CHECK-NEXT: vector.load %[[B]][%[[C1]], %[[K]], %[[C16]]]
// CHECK-NEXT: memref.load %[[X]][%[[T]], %[[IN]]]
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: vector.store %[[ACC1]]#0, %[[Y]][%[[T]], %[[C0]]] : memref<?x64xf32>, vector<16xf32>
// CHECK-NEXT: vector.store %[[ACC1]]#1, %[[Y]][%[[T]], %[[C16]]] : memref<?x64xf32>, vector<16xf32>
// CHECK-NEXT: %[[T1:.*]] = arith.addi %[[T]], %[[C1]] : index
// CHECK-NEXT: vector.store %[[ACC1]]#2, %[[Y]][%[[T1]], %[[C0]]] : memref<?x64xf32>, vector<16xf32>
// CHECK-NEXT: vector.store %[[ACC1]]#3, %[[Y]][%[[T1]], %[[C16]]] : memref<?x64xf32>, vector<16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: scf.for %[[T:.*]] = %[[FULL]] to %[[LAST]] step %[[C1]] {
// CHECK: -> (vector<16xf32>, vector<16xf32>) {
// CHECK: vector.store %{{.*}}, %[[Y]][%[[T]], %[[C16]]] : memref<?x64xf32>, vector<16xf32>
// CHECK: case 1 {
// CHECK-NEXT: scf.for %[[T:.*]] = %[[FIRST]] to %[[FULL]] step %[[C2]] {
// CHECK-NEXT: %[[ACC:.*]]:4 = scf.for %[[K:.*]] = %[[C0]] to %[[C32]] step %[[C1]]
// CHECK-NEXT: %[[IN:.*]] = arith.addi %[[K]], %[[C32]] : index
// CHECK-NEXT: vector.load %[[B]][%[[C2]], %[[K]], %[[C0]]]
// CHECK-NEXT: vector.load %[[B]][%[[C2]], %[[K]], %[[C16]]]
// CHECK-NEXT: memref.load %[[X]][%[[T]], %[[IN]]]
// CHECK-NOT: scf.for
// CHECK: vector.store %[[ACC]]#0, %[[Y]][%[[T]], %[[C32]]]
// CHECK-NEXT: vector.store %[[ACC]]#1, %[[Y]][%[[T]], %[[C48]]]
// CHECK: default {
// CHECK-NOT: case
// CHECK-NOT: memref.get_global
// CHECK-NOT: vector.maskedstore
// CHECK: return
func.func @unrolled(%x: memref<?x64xf32>, %b: memref<3x32x32xf32>,
                    %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>,
       schedule = #pfc.schedule<tile = 2, vector = 16, chunk = 64, unroll = 1, unrolled = true>}
      : memref<?x64xf32>, memref<3x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// `rows(%begin, %end)` bounds the block-row loop; `unroll = 4` unrolls the
// loop over a block's 32 inputs by 4.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<3x32x32xf32>, %[[Y:[^:]*]]: memref<?x64xf32>, %[[BEGIN:[^:]*]]: index, %[[END:[^:]*]]: index)
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: scf.for %[[ROW:.*]] = %[[BEGIN]] to %[[END]] step %{{.*}} {
// CHECK-NEXT: scf.index_switch %[[ROW]]
// CHECK-NEXT: case 0 {
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C32]] step %[[C4]] iter_args(
// CHECK-COUNT-16: vector.fma
// CHECK-NEXT: scf.yield
func.func @rows(%x: memref<?x64xf32>, %b: memref<3x32x32xf32>,
                %y: memref<?x64xf32>, %begin: index, %end: index) {
  pfc.bsmm %x, %b rows(%begin, %end) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>,
       schedule = #pfc.schedule<tile = 2, vector = 16, chunk = 64, unroll = 4, unrolled = true>}
      : memref<?x64xf32>, memref<3x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// 40 outputs with 32x32 blocks: the vectors of the last block-row that reach
// into the padding are stored (and the bias loaded) under a mask; the other
// block-row is stored plainly. The γ scale and the extra columns come before
// the bias.
// CHECK-LABEL: func.func @masked
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[S:[^:]*]]: memref<1xf32>, %[[T:[^:]*]]: memref<?x8xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[BIAS:[^:]*]]: memref<40xf32>, %[[Y:[^:]*]]: memref<?x40xf32>)
// CHECK: scf.index_switch
// CHECK-NEXT: case 0 {
// CHECK-NOT: vector.maskedstore
// CHECK: %[[GAMMA:.*]] = memref.load %[[S]][%{{.*}}] : memref<1xf32>
// CHECK-NEXT: %[[GAMMAS:.*]] = vector.broadcast %[[GAMMA]] : f32 to vector<16xf32>
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %{{.*}}, %[[GAMMAS]] : vector<16xf32>
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[SCALED]], {{.*}}) -> (vector<16xf32>, vector<16xf32>) {
// CHECK-NEXT: vector.load %[[UT]][%[[J]], %{{.*}}] : memref<8x64xf32>, vector<16xf32>
// CHECK: memref.load %[[T]][%{{.*}}, %[[J]]] : memref<?x8xf32>
// CHECK: vector.store %{{.*}}, %[[Y]]
// CHECK: case 1 {
// CHECK: %[[MASK:.*]] = vector.constant_mask [8] : vector<16xi1>
// CHECK: vector.maskedload %[[BIAS]][%{{.*}}], %[[MASK]], %{{.*}} : memref<40xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK-NOT: vector.store
// CHECK: vector.maskedstore %[[Y]][%{{.*}}, %{{.*}}], %[[MASK]], %{{.*}} : memref<?x40xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NOT: vector.store
// CHECK: default
func.func @masked(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                  %s: memref<1xf32>, %t: memref<?x8xf32>, %ut: memref<8x64xf32>,
                  %bias: memref<40xf32>, %y: memref<?x40xf32>) {
  pfc.bsmm %x, %b scale(%s : memref<1xf32>)
      extra(%t, %ut : memref<?x8xf32>, memref<8x64xf32>)
      bias(%bias : memref<40xf32>) into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>,
       schedule = #pfc.schedule<tile = 1, vector = 16, chunk = 64, unroll = 1, unrolled = true>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x40xf32>
  return
}

// -----

// The table schedule reads each block-row's blocks from constant tables in
// the module (BSR row starts and block-columns) instead of switching over
// block-rows; `vector = 8` gives 8-lane accumulators, 4 per token row.
// CHECK-DAG: memref.global "private" constant @[[$ROW_START:__pfc_row_start]] : memref<3xindex> = dense<[0, 2, 3]>
// CHECK-DAG: memref.global "private" constant @[[$COL_INDEX:__pfc_col_index]] : memref<3xindex> = dense<[0, 1, 1]>
// CHECK-LABEL: func.func @table
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<3x32x32xf32>, %[[Y:[^:]*]]: memref<?x40xf32>)
// CHECK-NOT: scf.index_switch
// CHECK-DAG: %[[STARTS:.*]] = memref.get_global @[[$ROW_START]] : memref<3xindex>
// CHECK-DAG: %[[COL_TABLE:.*]] = memref.get_global @[[$COL_INDEX]] : memref<3xindex>
// CHECK: scf.for %[[FIRST_TOKEN:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NOT: scf.index_switch
// CHECK: vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: %[[FIRST:.*]] = memref.load %[[STARTS]][%[[ROW]]] : memref<3xindex>
// CHECK: %[[END:.*]] = memref.load %[[STARTS]][%{{.*}}] : memref<3xindex>
// CHECK-NEXT: scf.for %[[N:.*]] = %[[FIRST]] to %[[END]] step %{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK-NEXT: %[[COL:.*]] = memref.load %[[COL_TABLE]][%[[N]]] : memref<3xindex>
// CHECK: vector.load %[[B]][%[[N]], %{{.*}}, %{{.*}}] : memref<3x32x32xf32>, vector<8xf32>
// CHECK: vector.fma %{{.*}} : vector<8xf32>
// CHECK: vector.maskedstore %[[Y]]{{.*}} : memref<?x40xf32>, vector<8xi1>, vector<8xf32>
// CHECK-NOT: scf.index_switch
// CHECK: return
func.func @table(%x: memref<?x64xf32>, %b: memref<3x32x32xf32>,
                 %y: memref<?x40xf32>) {
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [1]>,
       schedule = #pfc.schedule<tile = 2, vector = 8, chunk = 64, unroll = 1, unrolled = false>}
      : memref<?x64xf32>, memref<3x32x32xf32> -> memref<?x40xf32>
  return
}

// -----

// Without a schedule: 16 lanes, 2 vectors per 32-wide block-row, a tile of 8
// token rows (16 accumulators), chunks whose inputs fill a quarter of the L2
// cache (capped at 504 tokens), the input loop not unrolled, block offsets
// from constant tables; with vector-width=8: 8 lanes, 4 vectors per row,
// swept in panels of 2 vectors with tiles of 6 token rows (AVX2's 16
// registers hold 12 accumulators beside 2 weight vectors and a broadcast
// input); with cache-bytes=65536: chunks of 64 tokens (64 KiB / 4 / 256
// bytes per token, in whole tiles).
// CHECK-LABEL: func.func @default_schedule
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[CHUNK:.*]] = arith.constant 504 : index
// CHECK: %[[STARTS:.*]] = memref.get_global @__pfc_row_start
// CHECK: %[[COLS:.*]] = memref.get_global @__pfc_col_index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[CHUNK]] {
// CHECK-NOT: scf.index_switch
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8]] {
// CHECK: memref.load %[[STARTS]]
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> ([[V16:vector<16xf32>]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]]) {
// CHECK-NEXT: memref.load %[[COLS]]
// CHECK: scf.for %{{.*}} step %{{.*}} iter_args(
// CHECK-NOT: vector<8xf32>
// WIDTH8-LABEL: func.func @default_schedule
// WIDTH8-DAG: %[[C6:.*]] = arith.constant 6 : index
// WIDTH8: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C6]] {
// WIDTH8: scf.for {{.*}} iter_args({{.*}}) -> ([[V8:vector<8xf32>]], [[V8]], [[V8]], [[V8]], [[V8]], [[V8]], [[V8]], [[V8]], [[V8]], [[V8]], [[V8]], [[V8]]) {
// WIDTH8-NOT: vector<16xf32>
// CACHE-LABEL: func.func @default_schedule
// CACHE: %[[CHUNK:.*]] = arith.constant 64 : index
// CACHE: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[CHUNK]] {
func.func @default_schedule(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                            %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// An explicit schedule wins over the pass option.
// CHECK-LABEL: func.func @explicit_schedule
// CHECK: vector.fma {{.*}} : vector<16xf32>
// WIDTH8-LABEL: func.func @explicit_schedule
// WIDTH8-NOT: vector<8xf32>
// WIDTH8: vector.fma {{.*}} : vector<16xf32>
// WIDTH8-NOT: vector<8xf32>
func.func @explicit_schedule(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                             %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>,
       schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 4, unrolled = true>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// The gate is a vector dot product per token (four accumulators, a
// reduction, a scalar tail); the projection uses register tiles over r (here
// 8 columns: one masked 16-lane vector, a tile of 12 token rows); the other
// ops are scalar loop nests, and the backward products walk the blocks
// through constant tables of block-rows and block-columns.
// CHECK-LABEL: func.func @parts
// WIDTH8-LABEL: func.func @parts
// WIDTH8: vector.reduction <add>, %{{.*}} : vector<8xf32> into f32
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[V:[^:]*]]: memref<64x8xf32>, %[[UT:[^:]*]]: memref<8x64xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[T:[^:]*]]: memref<?x8xf32>, %[[L:[^:]*]]: memref<?x64xf32>, %[[Y:[^:]*]]: memref<?x64xf32>, %[[BIAS:[^:]*]]: memref<64xf32>)
// pfc.gate: γ = 1 / (1 + exp(x·g + c)).
// CHECK-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// CHECK: %[[DOT:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: %[[C:.*]] = memref.load %[[P]][%{{.*}}] : memref<65xf32>
// CHECK: %[[Z:.*]] = arith.addf %[[DOT]], %[[C]] : f32
// CHECK: %[[E:.*]] = math.exp %[[Z]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.addf %[[E]], %[[ONE:.*]] : f32
// CHECK-NEXT: %[[GATE:.*]] = arith.divf %[[ONE]], %[[D]] : f32
// CHECK-NEXT: memref.store %[[GATE]], %[[G]][%{{.*}}] : memref<?xf32>
// pfc.project with the complement: t = (1 − γ)·(x·V), masked to r = 8.
// CHECK: %[[MASK:.*]] = vector.constant_mask [8] : vector<16xi1>
// CHECK: vector.maskedload %[[V]][{{.*}}], %[[MASK]]
// CHECK: vector.fma
// CHECK: %[[GT:.*]] = memref.load %[[G]][%{{.*}}] : memref<?xf32>
// CHECK-NEXT: arith.subf %{{.*}}, %[[GT]] : f32
// CHECK: vector.maskedstore %[[T]][{{.*}}], %[[MASK]]
// pfc.lowrank through a one-row buffer.
// CHECK: memref.alloca() : memref<1x8xf32>
// pfc.combine.
// CHECK: arith.mulf
// CHECK: memref.load %[[BIAS]]
// CHECK: memref.store %{{.*}}, %[[Y]]
// CHECK: return
func.func @parts(%x: memref<?x64xf32>, %v: memref<64x8xf32>, %ut: memref<8x64xf32>,
                 %p: memref<65xf32>, %g: memref<?xf32>, %t: memref<?x8xf32>,
                 %l: memref<?x64xf32>, %y: memref<?x64xf32>, %bias: memref<64xf32>) {
  pfc.gate %x, %p into %g : memref<?x64xf32>, memref<65xf32> -> memref<?xf32>
  pfc.project %x, %v complement(%g : memref<?xf32>) into %t
      : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
  pfc.lowrank %x, %ut, %v into %l
      : memref<?x64xf32>, memref<8x64xf32>, memref<64x8xf32> -> memref<?x64xf32>
  pfc.combine %y lowrank(%l : memref<?x64xf32>) gamma(%g : memref<?xf32>)
      bias(%bias : memref<64xf32>) into %y
      : memref<?x64xf32> -> memref<?x64xf32>
  return
}

// -----

// pfc.bsmm_t runs pfc.bsmm's kernel over the transposed pattern: its
// block-rows are B's block-columns (0: block 1; 1: blocks 0 and 2), each
// block read at its position in the user's blocks, one output row o at a
// time. pfc.sddmm packs each chunk of tokens of dY and x in strips of 32
// features (whole strips by vectors, dY's last 8 features one by one), then tiles each block's outputs (dY's columns) by 8 and adds the
// chunk's sum to dB (to zero in the first chunk); the rows of block 1 past
// dY's 40 features are zeroed.
// CHECK-DAG: memref.global "private" constant @[[$ROW_START:__pfc_row_start]] : memref<3xindex> = dense<[0, 1, 3]>
// CHECK-DAG: memref.global "private" constant @[[$COL_INDEX:__pfc_col_index]] : memref<3xindex> = dense<[1, 0, 1]>
// CHECK-DAG: memref.global "private" constant @[[$BLOCK_INDEX:__pfc_block_index]] : memref<3xindex> = dense<[1, 0, 2]>
// CHECK-DAG: memref.global "private" constant @[[$BLOCK_ROWS:__pfc_block_row]] : memref<3xindex> = dense<[0, 1, 1]>
// CHECK-DAG: memref.global "private" constant @[[$BLOCK_COLS:__pfc_block_col]] : memref<3xindex> = dense<[1, 0, 1]>
// CHECK-LABEL: func.func @backward
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x40xf32>, %[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<3x32x32xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<3x32x32xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK: %[[POSITIONS:.*]] = memref.get_global @[[$BLOCK_INDEX]]
// CHECK: scf.for %[[P:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[BLOCK:.*]] = memref.load %[[POSITIONS]][%[[P]]]
// CHECK: scf.for %[[O:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: vector.load %[[B]][%[[BLOCK]], %[[O]], %{{.*}}] : memref<3x32x32xf32>, vector<16xf32>
// CHECK: memref.load %[[DY]]
// CHECK: vector.fma
// CHECK: vector.store %{{.*}}, %[[DX]]
// CHECK: memref.get_global @[[$BLOCK_ROWS]]
// CHECK: memref.get_global @[[$BLOCK_COLS]]
// CHECK: %[[PDY:.*]] = memref.alloc() : memref<2x[[CHUNK:[0-9]+]]x32xf32>
// CHECK: %[[PX:.*]] = memref.alloc() : memref<2x[[CHUNK]]x32xf32>
// CHECK: %[[CHUNKS:.*]] = arith.maxsi
// CHECK: scf.for %[[FIRST:.*]] = %{{.*}} to %[[CHUNKS]] step %{{.*}} {
// CHECK: vector.load %[[DY]]
// CHECK: vector.store %{{.*}}, %[[PDY]]
// CHECK: memref.load %[[DY]]
// CHECK: memref.store %{{.*}}, %[[PDY]]
// CHECK: vector.load %[[X]]
// CHECK: vector.store %{{.*}}, %[[PX]]
// CHECK: memref.load %{{.*}}[%[[N:.*]]] : memref<3xindex>
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: vector.load %[[DB]][%[[N]], %[[ROW]], %{{.*}}]
// CHECK: arith.select
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: memref.load %[[PDY]][%{{.*}}, %[[T]], %{{.*}}]
// CHECK: vector.load %[[PX]][%{{.*}}, %[[T]], %{{.*}}]
// CHECK: vector.fma
// CHECK: vector.store %{{.*}}, %[[DB]][%[[N]], %[[ROW]], %{{.*}}]
// CHECK: memref.store %{{.*}}, %[[DB]][%[[N]], %{{.*}}, %{{.*}}]
// CHECK: memref.dealloc %[[PDY]]
// CHECK: memref.dealloc %[[PX]]
// CHECK-NOT: pfc.
func.func @backward(%dy: memref<?x40xf32>, %x: memref<?x64xf32>,
                    %b: memref<3x32x32xf32>, %dx: memref<?x64xf32>,
                    %db: memref<3x32x32xf32>) {
  pfc.bsmm_t %dy, %b into %dx {pattern = #pfc.blocks<2x2: [1], [0, 1]>}
      : memref<?x40xf32>, memref<3x32x32xf32> -> memref<?x64xf32>
  pfc.sddmm %dy, %x into %db {pattern = #pfc.blocks<2x2: [1], [0, 1]>}
      : memref<?x40xf32>, memref<?x64xf32> -> memref<3x32x32xf32>
  return
}

// -----

// pfc.bsmm_t with all its parts, on a 40x80 weight (dX's block-rows are B's
// block-columns: 0 holds blocks 0 and 2, 2 holds blocks 1 and 4). Each
// token's dot with X is taken from the accumulators before they are scaled:
// the dots start at zero, each block-row adds its lanes (multiply, FMA,
// vector.reduction), then γ_t scales the accumulators and the extra columns
// w·Vᵀ are added.
// CHECK-LABEL: func.func @bsmm_t_fused
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x40xf32>, %[[B:[^:]*]]: memref<5x32x32xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[W:[^:]*]]: memref<?x8xf32>, %[[VT:[^:]*]]: memref<8x96xf32>, %[[X:[^:]*]]: memref<?x80xf32>, %[[D:[^:]*]]: memref<?xf32>, %[[DX:[^:]*]]: memref<?x80xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for %[[T:.*]] = %[[C0]] to %{{.*}} step %{{.*}} {
// CHECK-NEXT: memref.store %[[ZERO]], %[[D]][%[[T]]] : memref<?xf32>
// CHECK-NEXT: }
// CHECK: scf.index_switch
// CHECK-NEXT: case 0 {
// CHECK-NEXT: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[K:.*]] = %{{.*}} iter_args(
// CHECK-NEXT: vector.load %[[B]][%[[C0]], %[[K]], %[[C0]]] : memref<5x32x32xf32>, vector<16xf32>
// CHECK: %[[ACC:.*]]:2 = scf.for %[[K:.*]] = %{{.*}} to %[[C8]] step %{{.*}} iter_args(
// CHECK: vector.load %[[B]][%[[C2]], %[[K]], %[[C0]]] : memref<5x32x32xf32>, vector<16xf32>
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[X0:.*]] = vector.load %[[X]][%[[T]], %[[C0]]] : memref<?x80xf32>, vector<16xf32>
// CHECK-NEXT: %[[X1:.*]] = vector.load %[[X]][%[[T]], %[[C16]]] : memref<?x80xf32>, vector<16xf32>
// CHECK-NEXT: %[[P0:.*]] = arith.mulf %[[ACC]]#0, %[[X0]] : vector<16xf32>
// CHECK-NEXT: %[[P1:.*]] = vector.fma %[[ACC]]#1, %[[X1]], %[[P0]] : vector<16xf32>
// CHECK-NEXT: %[[DOT:.*]] = vector.reduction <add>, %[[P1]] fastmath<reassoc> : vector<16xf32> into f32
// CHECK-NEXT: %[[OLD:.*]] = memref.load %[[D]][%[[T]]] : memref<?xf32>
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[OLD]], %[[DOT]] : f32
// CHECK-NEXT: memref.store %[[NEW]], %[[D]][%[[T]]] : memref<?xf32>
// CHECK-NEXT: %[[GT:.*]] = memref.load %[[G]][%[[T]]] : memref<?xf32>
// CHECK-NEXT: %[[GV:.*]] = vector.broadcast %[[GT]] : f32 to vector<16xf32>
// CHECK-NEXT: %[[S0:.*]] = arith.mulf %[[ACC]]#0, %[[GV]] : vector<16xf32>
// CHECK-NEXT: %[[S1:.*]] = arith.mulf %[[ACC]]#1, %[[GV]] : vector<16xf32>
// CHECK-NEXT: %[[OUT:.*]]:2 = scf.for %[[J:.*]] = %[[C0]] to %[[C8]] step %{{.*}} iter_args(%{{.*}} = %[[S0]], %{{.*}} = %[[S1]])
// CHECK-NEXT: vector.load %[[VT]][%[[J]], %[[C0]]] : memref<8x96xf32>, vector<16xf32>
// CHECK-NEXT: vector.load %[[VT]][%[[J]], %[[C16]]] : memref<8x96xf32>, vector<16xf32>
// CHECK-NEXT: memref.load %[[W]][%[[T]], %[[J]]] : memref<?x8xf32>
// CHECK: vector.store %[[OUT]]#0, %[[DX]][%[[T]], %[[C0]]] : memref<?x80xf32>, vector<16xf32>
// CHECK-NEXT: vector.store %[[OUT]]#1, %[[DX]][%[[T]], %[[C16]]] : memref<?x80xf32>, vector<16xf32>
// Block-row 2 covers inputs 64..95, of which 80..95 are padding: the dots
// read X's last 16 columns only, and one vector of dX is stored.
// CHECK: case 2 {
// CHECK: vector.load %[[X]][%{{.*}}, %[[C64]]] : memref<?x80xf32>, vector<16xf32>
// CHECK-NOT: %[[X]][
// CHECK: vector.reduction <add>
// CHECK: vector.store %{{.*}}, %[[DX]][%{{.*}}, %[[C64]]]
// CHECK-NOT: vector.store
// CHECK: default
func.func @bsmm_t_fused(%dy: memref<?x40xf32>, %b: memref<5x32x32xf32>,
                        %g: memref<?xf32>, %w: memref<?x8xf32>,
                        %vt: memref<8x96xf32>, %x: memref<?x80xf32>,
                        %d: memref<?xf32>, %dx: memref<?x80xf32>) {
  pfc.bsmm_t %dy, %b scale(%g : memref<?xf32>)
      extra(%w, %vt : memref<?x8xf32>, memref<8x96xf32>)
      dots(%x, %d : memref<?x80xf32>, memref<?xf32>) into %dx
      {pattern = #pfc.blocks<2x3: [0, 2], [0, 1, 2]>,
       schedule = #pfc.schedule<tile = 1, vector = 16, chunk = 64, unroll = 1, unrolled = true>}
      : memref<?x40xf32>, memref<5x32x32xf32> -> memref<?x80xf32>
  return
}

// -----

// dB with one γ per token: in the loop over tokens, each element of dY (read
// in place or from a packed copy) is multiplied by γ_t before it is
// broadcast against a vector of X's row.
// CHECK-LABEL: func.func @sddmm_scale_per_token
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x64xf32>, %[[X:[^:]*]]: memref<?x64xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[DB:[^:]*]]: memref<2x32x32xf32>)
// CHECK: scf.for %{{.*}} iter_args(
// CHECK: %[[GT:.*]] = memref.load %[[G]][%{{.*}}] : memref<?xf32>
// CHECK-NOT: scf.yield
// CHECK: %[[E:.*]] = memref.load %{{.*}} : memref<{{.*}}xf32>
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[E]], %[[GT]] : f32
// CHECK-NOT: scf.yield
// CHECK: %[[XV:.*]] = vector.load %{{.*}} : memref<{{.*}}xf32>, vector<16xf32>
// CHECK-NOT: scf.yield
// CHECK: %[[BROADCAST:.*]] = vector.broadcast %[[SCALED]] : f32 to vector<16xf32>
// CHECK-NEXT: vector.fma %[[BROADCAST]], %[[XV]], %{{.*}} : vector<16xf32>
// CHECK: vector.store %{{.*}}, %[[DB]]
func.func @sddmm_scale_per_token(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                                 %g: memref<?xf32>, %db: memref<2x32x32xf32>) {
  pfc.sddmm %dy, %x scale(%g : memref<?xf32>) into %db
      {pattern = #pfc.blocks<2x2: [1], [0]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<2x32x32xf32>
  return
}

// -----

// pfc.outer_sum dV = xᵀ·w [64, 8]: a register tile of 8 rows of dV (one
// 16-lane vector each, masked to the 8 columns) carried through the tokens:
// 8 scalars of x's row t (in place or from a packed copy), one masked vector
// load of w's row t, 8 FMAs; the stores are masked too.
// CHECK-LABEL: func.func @outer_sum
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x64xf32>, %[[W:[^:]*]]: memref<?x8xf32>, %[[DV:[^:]*]]: memref<64x8xf32>)
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[MASK:.*]] = vector.constant_mask [8] : vector<16xi1>
// CHECK: scf.for %[[ROW:.*]] = %{{.*}} to %[[C64]] step %[[C8]] {
// CHECK: %[[ACC:.*]]:8 = scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> ([[V16:vector<16xf32>]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]], [[V16]]) {
// CHECK-COUNT-8: memref.load %{{.*}} : memref<{{.*}}xf32>
// CHECK-NOT: memref.load
// CHECK: %[[RHS:.*]] = vector.maskedload %[[W]][%{{.*}}, %{{.*}}], %[[MASK]], %{{.*}} : memref<?x8xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK-COUNT-8: vector.fma %{{.*}}, %[[RHS]], %{{.*}} : vector<16xf32>
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: vector.maskedstore %[[DV]][%[[ROW]], %{{.*}}], %[[MASK]], %[[ACC]]#0 : memref<64x8xf32>, vector<16xi1>, vector<16xf32>
// CHECK-COUNT-7: vector.maskedstore %[[DV]][%{{.*}}, %{{.*}}], %[[MASK]], %[[ACC]]#{{[1-7]}}
// CHECK-NOT: vector.store
// CHECK: return
func.func @outer_sum(%x: memref<?x64xf32>, %w: memref<?x8xf32>,
                     %dv: memref<64x8xf32>) {
  pfc.outer_sum %x, %w into %dv
      : memref<?x64xf32>, memref<?x8xf32> -> memref<64x8xf32>
  return
}

// -----

// 32 columns, two whole vectors: no masks.
// CHECK-LABEL: func.func @outer_sum_whole_vectors
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x40xf32>, %[[T:[^:]*]]: memref<?x32xf32>, %[[DU:[^:]*]]: memref<40x32xf32>)
// CHECK-NOT: vector.masked
// CHECK: vector.load %[[T]]
// CHECK-NOT: vector.masked
// CHECK: vector.store %{{.*}}, %[[DU]]
// CHECK-NOT: vector.masked
// CHECK: return
func.func @outer_sum_whole_vectors(%dy: memref<?x40xf32>, %t: memref<?x32xf32>,
                                   %du: memref<40x32xf32>) {
  pfc.outer_sum %dy, %t into %du
      : memref<?x40xf32>, memref<?x32xf32> -> memref<40x32xf32>
  return
}

// -----

// The parts of dγ and of the low-rank gradients are plain loop nests.
// pfc.transpose: Vᵀ, zero in the columns past V's 60 rows.
// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[V:[^:]*]]: memref<60x8xf32>, %[[VT:[^:]*]]: memref<8x64xf32>)
// CHECK-DAG: %[[C60:.*]] = arith.constant 60 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[I:.*]] = %{{.*}} to %[[C60]] step %{{.*}} {
// CHECK-NEXT: %[[E:.*]] = memref.load %[[V]][%[[I]], %[[J]]] : memref<60x8xf32>
// CHECK-NEXT: memref.store %[[E]], %[[VT]][%[[J]], %[[I]]] : memref<8x64xf32>
// CHECK-NEXT: }
// CHECK-NEXT: scf.for %[[I:.*]] = %[[C60]] to %[[C64]] step %{{.*}} {
// CHECK-NEXT: memref.store %[[ZERO]], %[[VT]][%[[J]], %[[I]]] : memref<8x64xf32>
func.func @transpose(%v: memref<60x8xf32>, %vt: memref<8x64xf32>) {
  pfc.transpose %v into %vt : memref<60x8xf32> -> memref<8x64xf32>
  return
}

// -----

// pfc.row_dot: one scalar sum per token, carried through the features.
// CHECK-LABEL: func.func @row_dot
// CHECK-SAME: (%[[W:[^:]*]]: memref<?x8xf32>, %[[P:[^:]*]]: memref<?x8xf32>, %[[D:[^:]*]]: memref<?xf32>)
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[DOT:.*]] = scf.for %[[J:.*]] = %{{.*}} to %[[C8]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK-NEXT: %[[L:.*]] = memref.load %[[W]][%[[T]], %[[J]]] : memref<?x8xf32>
// CHECK-NEXT: %[[R:.*]] = memref.load %[[P]][%[[T]], %[[J]]] : memref<?x8xf32>
// CHECK-NEXT: %[[PROD:.*]] = arith.mulf %[[L]], %[[R]] : f32
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[PROD]] : f32
// CHECK-NEXT: scf.yield %[[SUM]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: memref.store %[[DOT]], %[[D]][%[[T]]] : memref<?xf32>
func.func @row_dot(%w: memref<?x8xf32>, %p: memref<?x8xf32>, %d: memref<?xf32>) {
  pfc.row_dot %w, %p into %d : memref<?x8xf32>, memref<?x8xf32> -> memref<?xf32>
  return
}

// -----

// pfc.scale_rows with a single γ: every row times 1 − γ[0], in place.
// CHECK-LABEL: func.func @scale_rows
// CHECK-SAME: (%[[W:[^:]*]]: memref<?x8xf32>, %[[G:[^:]*]]: memref<1xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[GAMMA:.*]] = memref.load %[[G]][%[[C0]]] : memref<1xf32>
// CHECK-NEXT: %[[COMPLEMENT:.*]] = arith.subf %[[ONE]], %[[GAMMA]] : f32
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[E:.*]] = memref.load %[[W]][%[[T]], %[[J]]] : memref<?x8xf32>
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[COMPLEMENT]], %[[E]] : f32
// CHECK-NEXT: memref.store %[[SCALED]], %[[W]][%[[T]], %[[J]]] : memref<?x8xf32>
func.func @scale_rows(%w: memref<?x8xf32>, %g: memref<1xf32>) {
  pfc.scale_rows %w complement(%g : memref<1xf32>) : memref<?x8xf32>
  return
}

// -----

// pfc.sum_tokens: the output is zeroed, then every token's row added.
// CHECK-LABEL: func.func @sum_tokens
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x64xf32>, %[[DB:[^:]*]]: memref<64xf32>)
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %[[C64]] step %{{.*}} {
// CHECK-NEXT: memref.store %[[ZERO]], %[[DB]][%[[J]]] : memref<64xf32>
// CHECK-NEXT: }
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %[[C64]] step %{{.*}} {
// CHECK-NEXT: %[[OLD:.*]] = memref.load %[[DB]][%[[J]]] : memref<64xf32>
// CHECK-NEXT: %[[E:.*]] = memref.load %[[DY]][%[[T]], %[[J]]] : memref<?x64xf32>
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[OLD]], %[[E]] : f32
// CHECK-NEXT: memref.store %[[NEW]], %[[DB]][%[[J]]] : memref<64xf32>
func.func @sum_tokens(%dy: memref<?x64xf32>, %db: memref<64xf32>) {
  pfc.sum_tokens %dy into %db : memref<?x64xf32> -> memref<64xf32>
  return
}

// -----

// A scalar γ's gradient: Σ sparse_dots − Σ lowrank_dots, each over its own
// elements.
// CHECK-LABEL: func.func @gamma_grad_scalar
// CHECK-SAME: (%[[SD:[^:]*]]: memref<?xf32>, %[[LD:[^:]*]]: memref<?xf32>, %[[G:[^:]*]]: memref<1xf32>, %[[DG:[^:]*]]: memref<1xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[SN:.*]] = memref.dim %[[SD]], %[[C0]] : memref<?xf32>
// CHECK-NEXT: %[[SSUM:.*]] = scf.for %[[I:.*]] = %[[C0]] to %[[SN]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK-NEXT: %[[S:.*]] = memref.load %[[SD]][%[[I]]] : memref<?xf32>
// CHECK-NEXT: %[[NEXT:.*]] = arith.addf %[[ACC]], %[[S]] : f32
// CHECK-NEXT: scf.yield %[[NEXT]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[LN:.*]] = memref.dim %[[LD]], %[[C0]] : memref<?xf32>
// CHECK-NEXT: %[[LSUM:.*]] = scf.for %[[J:.*]] = %[[C0]] to %[[LN]] step %{{.*}} iter_args(%[[ACC2:.*]] = %[[ZERO]]) -> (f32) {
// CHECK-NEXT: %[[L:.*]] = memref.load %[[LD]][%[[J]]] : memref<?xf32>
// CHECK-NEXT: %[[NEXT2:.*]] = arith.addf %[[ACC2]], %[[L]] : f32
// CHECK-NEXT: scf.yield %[[NEXT2]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[GRAD:.*]] = arith.subf %[[SSUM]], %[[LSUM]] : f32
// CHECK-NEXT: memref.store %[[GRAD]], %[[DG]][%[[C0]]] : memref<1xf32>
// CHECK-NEXT: return
func.func @gamma_grad_scalar(%sd: memref<?xf32>, %ld: memref<?xf32>,
                             %g: memref<1xf32>, %dg: memref<1xf32>) {
  pfc.gamma_grad %sd lowrank(%ld : memref<?xf32>) gamma(%g : memref<1xf32>)
      into %dg {gamma = #pfc.gamma<scalar>} : memref<?xf32> -> memref<1xf32>
  return
}

// -----

// The gate's gradient: dz_t = −dγ_t·γ_t·(1 − γ_t) with dγ_t the difference
// of the dots; dz_t·x_t is added to the first 64 outputs, dz_t to the last
// (c's gradient), and dz_t·g to dX's row t.
// CHECK-LABEL: func.func @gamma_grad_gate
// CHECK-SAME: (%[[SD:[^:]*]]: memref<?xf32>, %[[LD:[^:]*]]: memref<?xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[X:[^:]*]]: memref<?x64xf32>, %[[P:[^:]*]]: memref<65xf32>, %[[DX:[^:]*]]: memref<?x64xf32>, %[[DP:[^:]*]]: memref<65xf32>)
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C65:.*]] = arith.constant 65 : index
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[C65]] step %{{.*}} {
// CHECK-NEXT: memref.store %[[ZERO]], %[[DP]][%[[I]]] : memref<65xf32>
// CHECK-NEXT: }
// CHECK-NEXT: scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: %[[GAMMA:.*]] = memref.load %[[G]][%[[T]]] : memref<?xf32>
// CHECK-NEXT: %[[COMPLEMENT:.*]] = arith.subf %[[ONE]], %[[GAMMA]] : f32
// CHECK-NEXT: %[[SLOPE:.*]] = arith.mulf %[[GAMMA]], %[[COMPLEMENT]] : f32
// CHECK-NEXT: %[[S:.*]] = memref.load %[[SD]][%[[T]]] : memref<?xf32>
// CHECK-NEXT: %[[L:.*]] = memref.load %[[LD]][%[[T]]] : memref<?xf32>
// CHECK-NEXT: %[[DGT:.*]] = arith.subf %[[S]], %[[L]] : f32
// CHECK-NEXT: %[[PROD:.*]] = arith.mulf %[[DGT]], %[[SLOPE]] : f32
// CHECK-NEXT: %[[DZ:.*]] = arith.negf %[[PROD]] : f32
// CHECK-NEXT: scf.for %[[I:.*]] = %{{.*}} to %[[C64]] step %{{.*}} {
// CHECK-NEXT: %[[XI:.*]] = memref.load %[[X]][%[[T]], %[[I]]] : memref<?x64xf32>
// CHECK-NEXT: %[[OLD:.*]] = memref.load %[[DP]][%[[I]]] : memref<65xf32>
// CHECK-NEXT: %[[XDZ:.*]] = arith.mulf %[[DZ]], %[[XI]] : f32
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[OLD]], %[[XDZ]] : f32
// CHECK-NEXT: memref.store %[[NEW]], %[[DP]][%[[I]]] : memref<65xf32>
// CHECK-NEXT: %[[GI:.*]] = memref.load %[[P]][%[[I]]] : memref<65xf32>
// CHECK-NEXT: %[[DXI:.*]] = memref.load %[[DX]][%[[T]], %[[I]]] : memref<?x64xf32>
// CHECK-NEXT: %[[GDZ:.*]] = arith.mulf %[[DZ]], %[[GI]] : f32
// CHECK-NEXT: %[[DXNEW:.*]] = arith.addf %[[DXI]], %[[GDZ]] : f32
// CHECK-NEXT: memref.store %[[DXNEW]], %[[DX]][%[[T]], %[[I]]] : memref<?x64xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[OLDC:.*]] = memref.load %[[DP]][%[[C64]]] : memref<65xf32>
// CHECK-NEXT: %[[NEWC:.*]] = arith.addf %[[OLDC]], %[[DZ]] : f32
// CHECK-NEXT: memref.store %[[NEWC]], %[[DP]][%[[C64]]] : memref<65xf32>
func.func @gamma_grad_gate(%sd: memref<?xf32>, %ld: memref<?xf32>,
                           %g: memref<?xf32>, %x: memref<?x64xf32>,
                           %p: memref<65xf32>, %dx: memref<?x64xf32>,
                           %dp: memref<65xf32>) {
  pfc.gamma_grad %sd lowrank(%ld : memref<?xf32>) gamma(%g : memref<?xf32>)
      gate(%x, %p, %dx : memref<?x64xf32>, memref<65xf32>, memref<?x64xf32>)
      into %dp {gamma = #pfc.gamma<gate>} : memref<?xf32> -> memref<65xf32>
  return
}

// -----

// pfc.pack transposes every block and Uᵀ, zero past the 80 real outputs.
// CHECK-LABEL: func.func @pack
// CHECK-SAME: (%[[B:[^:]*]]: memref<4x32x32xf32>, %[[U:[^:]*]]: memref<80x8xf32>, %[[PB:[^:]*]]: memref<4x32x32xf32>, %[[PU:[^:]*]]: memref<8x96xf32>)
// CHECK: scf.for %[[N:.*]] =
// CHECK-NEXT: scf.for %[[O:.*]] =
// CHECK-NEXT: scf.for %[[K:.*]] =
// CHECK-NEXT: %[[W:.*]] = memref.load %[[B]][%[[N]], %[[O]], %[[K]]]
// CHECK-NEXT: memref.store %[[W]], %[[PB]][%[[N]], %[[K]], %[[O]]]
// CHECK: scf.for %[[J:.*]] =
// CHECK-NEXT: scf.for %[[O:.*]] = %{{.*}} to %[[OUT:.*]] step
// CHECK-NEXT: %[[W:.*]] = memref.load %[[U]][%[[O]], %[[J]]]
// CHECK-NEXT: memref.store %[[W]], %[[PU]][%[[J]], %[[O]]]
// CHECK: scf.for %[[O:.*]] = %[[OUT]] to
// CHECK-NEXT: memref.store %{{.*}}, %[[PU]][%[[J]], %[[O]]]
func.func @pack(%b: memref<4x32x32xf32>, %u: memref<80x8xf32>,
                %pb: memref<4x32x32xf32>, %pu: memref<8x96xf32>) {
  pfc.pack %b : memref<4x32x32xf32>, %u : memref<80x8xf32>
      into %pb : memref<4x32x32xf32>, %pu : memref<8x96xf32>
  return
}

// -----

func.func @layer(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                 %y: memref<?x64xf32>) {
  // A layer has no kernel: the conversion leaves it illegal (run
  // pfc-fuse-lowrank or pfc-decompose-layer first).
  // expected-error @below {{failed to legalize operation 'pfc.layer' that was explicitly marked illegal}}
  pfc.layer %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @layer_grad(%x: memref<?x64xf32>, %dy: memref<?x64xf32>,
                      %b: memref<4x32x32xf32>, %dx: memref<?x64xf32>,
                      %db: memref<4x32x32xf32>) {
  // Nor has its gradient (run pfc-decompose-gradients first).
  // expected-error @below {{failed to legalize operation 'pfc.layer_grad' that was explicitly marked illegal}}
  pfc.layer_grad %x, %dy, %b into %dx, %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<fixed>,
       gamma_value = 0.5 : f64}
      : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
      -> memref<?x64xf32>, memref<4x32x32xf32>
  return
}

// -----

func.func @butterfly(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                     %y: memref<?x64xf32>) {
  // expected-error @+2 {{'pfc.bsmm' op needs an explicit block list to be lowered; run pfc-materialize-pattern first}}
  // expected-error @+1 {{failed to legalize operation 'pfc.bsmm' that was explicitly marked illegal}}
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

func.func @butterfly_sddmm(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                           %db: memref<4x32x32xf32>) {
  // expected-error @+2 {{'pfc.sddmm' op needs an explicit block list to be lowered; run pfc-materialize-pattern first}}
  // expected-error @+1 {{failed to legalize operation 'pfc.sddmm' that was explicitly marked illegal}}
  pfc.sddmm %dy, %x into %db
      {pattern = #pfc.butterfly<size = 2, strides = [2], shuffle = false, global = 0>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
  return
}

// -----

// The CPU kernels compute in f32: bf16 and f16 data are rejected, not
// silently computed as something else.
func.func @bf16(%x: memref<?x64xbf16>, %b: memref<4x32x32xbf16>,
                %y: memref<?x64xbf16>) {
  // expected-error @+2 {{'pfc.bsmm' op has 'bf16' data; the CPU back end computes in f32 only}}
  // expected-error @+1 {{failed to legalize operation 'pfc.bsmm' that was explicitly marked illegal}}
  pfc.bsmm %x, %b into %y {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xbf16>, memref<4x32x32xbf16> -> memref<?x64xbf16>
  return
}

// -----

func.func @f16_sum(%dy: memref<?x64xf16>, %db: memref<64xf32>) {
  // expected-error @+2 {{'pfc.sum_tokens' op has 'f16' data; the CPU back end computes in f32 only}}
  // expected-error @+1 {{failed to legalize operation 'pfc.sum_tokens' that was explicitly marked illegal}}
  pfc.sum_tokens %dy into %db : memref<?x64xf16> -> memref<64xf32>
  return
}

// -----

// 12x12 blocks do not split into vectors of 8 lanes.
func.func @vector_width(%x: memref<?x24xf32>, %b: memref<4x12x12xf32>,
                        %y: memref<?x24xf32>) {
  // expected-error @+2 {{'pfc.bsmm' op block size 12 is not a multiple of the vector width 8}}
  // expected-error @+1 {{failed to legalize operation 'pfc.bsmm' that was explicitly marked illegal}}
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>,
       schedule = #pfc.schedule<tile = 4, vector = 8, chunk = 64, unroll = 4, unrolled = true>}
      : memref<?x24xf32>, memref<4x12x12xf32> -> memref<?x24xf32>
  return
}

// -----

// Nor do 20x20 blocks, for dB (at 16 lanes or 8).
func.func @sddmm_vector_width(%dy: memref<?x40xf32>, %x: memref<?x40xf32>,
                              %db: memref<4x20x20xf32>) {
  // expected-error @+2 {{'pfc.sddmm' op block size 20 is not a multiple of the vector width}}
  // expected-error @+1 {{failed to legalize operation 'pfc.sddmm' that was explicitly marked illegal}}
  pfc.sddmm %dy, %x into %db {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x40xf32>, memref<?x40xf32> -> memref<4x20x20xf32>
  return
}

// -----

// prefetch = 2: while row k of block n feeds the FMAs, row k of block
// min(n + 2, nnz − 1) is prefetched, one cache line per vector.
// CHECK-LABEL: func.func @prefetch
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[LAST:.*]] = arith.constant 3 : index
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK: %[[AHEAD:.*]] = arith.addi %[[N]], %[[C2]] : index
// CHECK: %[[CLAMPED:.*]] = arith.minsi %[[AHEAD]], %[[LAST]] : index
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK: memref.prefetch %{{.*}}[%[[CLAMPED]], %[[K]], %{{.*}}], read, locality<3>, data : memref<4x32x32xf32>
// CHECK: memref.prefetch %{{.*}}[%[[CLAMPED]], %[[K]], %{{.*}}], read, locality<3>, data : memref<4x32x32xf32>
// CHECK-NOT: memref.prefetch
// CHECK: vector.fma
func.func @prefetch(%x: memref<?x64xf32>, %b: memref<4x32x32xf32>,
                    %y: memref<?x64xf32>) {
  pfc.bsmm %x, %b into %y
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>,
       schedule = #pfc.schedule<tile = 4, vector = 16, chunk = 64, unroll = 1, unrolled = false, prefetch = 2>}
      : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
  return
}

// -----

// pfc.sddmm with dot(B, d): d = 0 first; as the last chunk stores a tile,
// Σ tile ⊙ B (the same rows and columns of the layer's blocks) is added to
// d, before any γ.
// CHECK-LABEL: func.func @sddmm_dot
// CHECK-SAME: (%[[DY:[^:]*]]: memref<?x64xf32>, %[[X:[^:]*]]: memref<?x64xf32>, %[[B:[^:]*]]: memref<4x32x32xf32>, %[[D:[^:]*]]: memref<1xf32>, %[[DB:[^:]*]]: memref<4x32x32xf32>)
// CHECK: memref.store %{{.*}}, %[[D]][%{{.*}}] : memref<1xf32>
// CHECK: scf.if %[[LAST:.*]] {
// CHECK: vector.load %[[B]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<4x32x32xf32>, vector<16xf32>
// CHECK: vector.reduction <add>
// CHECK: %[[OLD:.*]] = memref.load %[[D]]
// CHECK: memref.store %{{.*}}, %[[D]]
// CHECK: }
// CHECK: vector.store %{{.*}}, %[[DB]]
func.func @sddmm_dot(%dy: memref<?x64xf32>, %x: memref<?x64xf32>,
                     %b: memref<4x32x32xf32>, %d: memref<1xf32>,
                     %db: memref<4x32x32xf32>) {
  pfc.sddmm %dy, %x dot(%b, %d : memref<4x32x32xf32>, memref<1xf32>) into %db
      {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
      : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
  return
}

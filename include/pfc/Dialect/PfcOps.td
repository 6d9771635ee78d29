//===- PfcOps.td - Pixelfly layers and their parts ---------*- tablegen -*-===//
//
// Every op works on memrefs in destination style: it reads its inputs and
// writes its `into` operand. Token counts are dynamic; feature counts are
// static. Weights are in the kernel layout that `pfc.pack` produces: each
// b×b block transposed (row k holds the b outputs that input k feeds), and U
// transposed and padded to `[r, padded out]`.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_DIALECT_PFCOPS_TD
#define PFC_DIALECT_PFCOPS_TD

include "pfc/Dialect/PfcAttrs.td"

def Pfc_Matrix : MemRefRankOf<[F32], [2]>;
def Pfc_BlockArray : MemRefRankOf<[F32], [3]>;
def Pfc_Vector : MemRefRankOf<[F32], [1]>;
def Pfc_PatternAttr : AnyAttrOf<[Pfc_ButterflyAttr, Pfc_BlocksAttr]>;

def Pfc_PackOp : Pfc_Op<"pack", [AttrSizedOperandSegments]> {
  let summary = "Puts a layer's weights into the kernel layout";
  let description = [{
    Copies the nonzero blocks `[nnz, b, b]` (BSR order, rows are outputs, as
    in `nn.Linear`) into `packed_blocks` with every block transposed, and U
    `[out, r]` into `packed_u` `[r, padded out]` with zeros past `out`. The
    runtime runs it once when parameters are set, not on every call.

    Example:

    ```mlir
    pfc.pack %blocks : memref<40x32x32xf32>, %u : memref<96x8xf32>
        into %pb : memref<40x32x32xf32>, %pu : memref<8x96xf32>
    ```
  }];
  let arguments = (ins Pfc_BlockArray:$blocks, Optional<Pfc_Matrix>:$u,
                       Pfc_BlockArray:$packedBlocks,
                       Optional<Pfc_Matrix>:$packedU);
  let assemblyFormat = [{
    $blocks `:` type($blocks) (`,` $u^ `:` type($u))? `into`
    $packedBlocks `:` type($packedBlocks)
    (`,` $packedU^ `:` type($packedU))? attr-dict
  }];
  let hasVerifier = 1;
}

def Pfc_LayerOp : Pfc_Op<"layer", [AttrSizedOperandSegments]> {
  let summary = "A whole Pixelfly layer";
  let description = [{
    `output = γ·(input·Bᵀ) + (1−γ)·((input·V)·Uᵀ) + bias` for a `[T, in]`
    input and a `[T, out]` output. B's nonzero blocks follow `pattern`; the
    low-rank factors (`lowrank(Uᵀ, V)`), `gamma` and `bias` are optional as
    the spec has them; each optional operand carries its type. For
    `gamma = #pfc.gamma<fixed>`, γ is `gamma_value`
    and there is no `gamma` operand. With `rows(%begin, %end)`, only the
    outputs of block-rows `[begin, end)` are written, so that threads can
    split a layer between them. `pfc-fuse-lowrank` or `pfc-decompose-layer`
    turns it into its parts.

    Example:

    ```mlir
    pfc.layer %x, %blocks
        lowrank(%ut, %v : memref<8x128xf32>, memref<128x8xf32>)
        gamma(%g : memref<1xf32>) bias(%b : memref<128xf32>) into %y
        {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false,
                                  global = 0>, gamma = #pfc.gamma<scalar>}
        : memref<?x128xf32>, memref<8x32x32xf32> -> memref<?x128xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$input, Pfc_BlockArray:$blocks,
                       Optional<Pfc_Matrix>:$lowRankU,
                       Optional<Pfc_Matrix>:$lowRankV,
                       Optional<Pfc_Vector>:$gammaParams,
                       Optional<Pfc_Vector>:$bias, Pfc_Matrix:$output,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_PatternAttr:$pattern, Pfc_GammaKindAttr:$gamma,
                       OptionalAttr<F64Attr>:$gamma_value,
                       OptionalAttr<Pfc_ScheduleAttr>:$schedule);
  let assemblyFormat = [{
    $input `,` $blocks
    (`lowrank` `(` $lowRankU^ `,` $lowRankV `:` type($lowRankU) `,`
                   type($lowRankV) `)`)?
    (`gamma` `(` $gammaParams^ `:` type($gammaParams) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`rows` `(` $rowBegin^ `,` $rowEnd `)`)? `into` $output attr-dict `:`
    type($input) `,` type($blocks) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_BlockSparseMatmulOp : Pfc_Op<"bsmm", [AttrSizedOperandSegments]> {
  let summary = "Block-sparse product, with the low-rank term fused in";
  let description = [{
    `output = scale ⊙ (input·Bᵀ) + extra·extra_weights + bias`, where B's
    nonzero blocks follow `pattern`. The optional parts make it the fused
    Pixelfly kernel (DESIGN.md): `scale` is γ (one element, or one per token),
    and `extra(%t, %ut)` adds `r` dense columns, the projected input
    `t = (1−γ)⊙(input·V)` `[T, r]` times `Uᵀ` `[r, padded out]`. `rows`
    restricts the output to a range of block-rows. `schedule` says how the
    CPU lowering unrolls it.

    Example:

    ```mlir
    pfc.bsmm %x, %blocks scale(%g : memref<1xf32>)
        extra(%t, %ut : memref<?x8xf32>, memref<8x64xf32>)
        bias(%b : memref<64xf32>) into %y
        {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
        : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$input, Pfc_BlockArray:$blocks,
                       Optional<Pfc_Vector>:$scale, Optional<Pfc_Matrix>:$extra,
                       Optional<Pfc_Matrix>:$extraWeights,
                       Optional<Pfc_Vector>:$bias, Pfc_Matrix:$output,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_PatternAttr:$pattern,
                       OptionalAttr<Pfc_ScheduleAttr>:$schedule);
  let assemblyFormat = [{
    $input `,` $blocks (`scale` `(` $scale^ `:` type($scale) `)`)?
    (`extra` `(` $extra^ `,` $extraWeights `:` type($extra) `,`
                 type($extraWeights) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`rows` `(` $rowBegin^ `,` $rowEnd `)`)? `into` $output attr-dict `:`
    type($input) `,` type($blocks) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_BlockSparseMatmulTransposeOp : Pfc_Op<"bsmm_t"> {
  let summary = "Product with the transposed block-sparse weight";
  let description = [{
    `output = input·B` for an `[T, out]` input (dY) and an `[T, in]` output
    (dX): the backward product through the block-sparse term.

    Example:

    ```mlir
    pfc.bsmm_t %dy, %blocks into %dx {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
        : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$input, Pfc_BlockArray:$blocks,
                       Pfc_Matrix:$output, Pfc_PatternAttr:$pattern);
  let assemblyFormat = [{
    $input `,` $blocks `into` $output attr-dict `:` type($input) `,`
    type($blocks) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_SampledMatmulOp : Pfc_Op<"sddmm"> {
  let summary = "Dense-dense product sampled on the pattern (dB)";
  let description = [{
    `output = (grad_output)ᵀ·input` computed only on the nonzero blocks of
    `pattern`, in the kernel layout: block n of the output holds
    `Σ_t input[t, c·b + k] · grad_output[t, r·b + o]` at `[n, k, o]`, for
    block n at block-row r and block-column c.

    Example:

    ```mlir
    pfc.sddmm %dy, %x into %dblocks {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
        : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$gradOutput, Pfc_Matrix:$input,
                       Pfc_BlockArray:$output, Pfc_PatternAttr:$pattern);
  let assemblyFormat = [{
    $gradOutput `,` $input `into` $output attr-dict `:` type($gradOutput) `,`
    type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_ProjectOp : Pfc_Op<"project"> {
  let summary = "The first half of the low-rank product, t = (1−γ)⊙(x·V)";
  let description = [{
    `output = input·V` `[T, r]`, and with `complement(%gamma)` each token's
    row is multiplied by `1 − γ` (one γ, or one per token).

    Example:

    ```mlir
    pfc.project %x, %v complement(%g : memref<1xf32>) into %t
        : memref<?x64xf32>, memref<64x8xf32> -> memref<?x8xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$input, Pfc_Matrix:$v,
                       Optional<Pfc_Vector>:$gamma, Pfc_Matrix:$output);
  let assemblyFormat = [{
    $input `,` $v (`complement` `(` $gamma^ `:` type($gamma) `)`)? `into`
    $output attr-dict `:` type($input) `,` type($v) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_LowRankOp : Pfc_Op<"lowrank"> {
  let summary = "The low-rank product (x·V)·Uᵀ";
  let description = [{
    `output = (input·V)·Uᵀ` for V `[in, r]` and U in the kernel layout,
    `[r, padded out]`.

    Example:

    ```mlir
    pfc.lowrank %x, %ut, %v into %y
        : memref<?x64xf32>, memref<8x96xf32>, memref<64x8xf32> -> memref<?x80xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$input, Pfc_Matrix:$u, Pfc_Matrix:$v,
                       Pfc_Matrix:$output);
  let assemblyFormat = [{
    $input `,` $u `,` $v `into` $output attr-dict `:` type($input) `,`
    type($u) `,` type($v) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_GateOp : Pfc_Op<"gate"> {
  let summary = "The per-token gate γ(x) = 1 − sigmoid(x·g + c)";
  let description = [{
    `params` holds g `[in]` followed by c; `output` gets one γ per token.

    Example:

    ```mlir
    pfc.gate %x, %params into %g : memref<?x64xf32>, memref<65xf32> -> memref<?xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$input, Pfc_Vector:$params,
                       Pfc_Vector:$output);
  let assemblyFormat = [{
    $input `,` $params `into` $output attr-dict `:` type($input) `,`
    type($params) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_CombineOp : Pfc_Op<"combine", [AttrSizedOperandSegments]> {
  let summary = "The γ combination γ⊙s + (1−γ)⊙l + bias";
  let description = [{
    Weighs the block-sparse result `sparse` against the low-rank result
    `lowrank` (optional) with γ (one element, or one per token) and adds the
    optional bias.

    Example:

    ```mlir
    pfc.combine %s lowrank(%l : memref<?x64xf32>) gamma(%g : memref<1xf32>)
        bias(%b : memref<64xf32>) into %y : memref<?x64xf32> -> memref<?x64xf32>
    ```
  }];
  let arguments = (ins Pfc_Matrix:$sparse, Optional<Pfc_Matrix>:$lowRank,
                       Pfc_Vector:$gamma, Optional<Pfc_Vector>:$bias,
                       Pfc_Matrix:$output);
  let assemblyFormat = [{
    $sparse (`lowrank` `(` $lowRank^ `:` type($lowRank) `)`)?
    `gamma` `(` $gamma `:` type($gamma) `)`
    (`bias` `(` $bias^ `:` type($bias) `)`)? `into` $output attr-dict `:`
    type($sparse) `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // PFC_DIALECT_PFCOPS_TD

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
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Token matrices and weights hold the layer's data type; an op's data
// operands agree on it (the verifiers check). γ, the bias, per-token vectors
// and the parameters' gradients stay f32, and products accumulate in f32.
def Pfc_DataElement : AnyTypeOf<[F32, BF16, F16]>;
def Pfc_Matrix : MemRefRankOf<[Pfc_DataElement], [2]>;
def Pfc_BlockArray : MemRefRankOf<[Pfc_DataElement], [3]>;
def Pfc_Vector : MemRefRankOf<[F32], [1]>;
def Pfc_GradMatrix : MemRefRankOf<[F32], [2]>;
def Pfc_GradBlockArray : MemRefRankOf<[F32], [3]>;

// Operands read, written, or both: the ops' memory effects. Every op is in
// destination style, its written operands its DPS inits.
class Pfc_In<TypeConstraint type> : Arg<type, "", [MemRead]>;
class Pfc_Out<TypeConstraint type> : Arg<type, "", [MemWrite]>;
class Pfc_InOut<TypeConstraint type> : Arg<type, "", [MemRead, MemWrite]>;

defvar Pfc_Dps = DeclareOpInterfaceMethods<DestinationStyleOpInterface>;
defvar Pfc_BlockSparse =
    DeclareOpInterfaceMethods<Pfc_BlockSparseOpInterface>;

def Pfc_PackOp : Pfc_Op<"pack", [AttrSizedOperandSegments, Pfc_Dps]> {
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
  let arguments = (ins Pfc_In<Pfc_BlockArray>:$blocks, Pfc_In<Optional<Pfc_Matrix>>:$u,
                       Pfc_Out<Pfc_BlockArray>:$packedBlocks,
                       Pfc_Out<Optional<Pfc_Matrix>>:$packedU);
  let assemblyFormat = [{
    $blocks `:` type($blocks) (`,` $u^ `:` type($u))? `into`
    $packedBlocks `:` type($packedBlocks)
    (`,` $packedU^ `:` type($packedU))? attr-dict
  }];
  let hasVerifier = 1;
}

def Pfc_LayerOp : Pfc_Op<"layer", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
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
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_BlockArray>:$blocks,
                       Pfc_In<Optional<Pfc_Matrix>>:$lowRankU,
                       Pfc_In<Optional<Pfc_Matrix>>:$lowRankV,
                       Pfc_In<Optional<Pfc_Vector>>:$gammaParams,
                       Pfc_In<Optional<Pfc_Vector>>:$bias, Pfc_Out<Pfc_Matrix>:$output,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_BlockPatternAttrInterface:$pattern, Pfc_GammaKindAttr:$gamma,
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

def Pfc_LayerGradOp : Pfc_Op<"layer_grad", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
  let summary = "The gradients of a whole Pixelfly layer";
  let description = [{
    Back-propagates `grad_output` (dY `[T, out]`) through the layer of
    `pfc.layer`: writes dX into `grad_input` `[T, in]` and the parameters'
    gradients, summed over the T tokens, into `grad_blocks` (the user's
    layout `[nnz, b, b]`, zero in the padding), `grad_lowrank` (dU `[out, r]`,
    dV `[in, r]`), `grad_gamma` (dγ `[1]`, or the gate's `[in + 1]`) and
    `grad_bias`. Unlike `pfc.layer` it takes U in the user's layout
    `[out, r]`. With `tokens(%t0, %t1)`, dX's rows and the sums of every
    gradient cover only tokens `[t0, t1)`, so that threads can split a batch
    into gradients of their own, summed afterwards; with `blocks(%n0, %n1)`,
    only dB's blocks `[n0, n1)` are written.
    `pfc-decompose-gradients` turns it into its parts; the schedule is that
    of the dX product.

    Example:

    ```mlir
    pfc.layer_grad %x, %dy, %blocks
        lowrank(%u, %v : memref<64x8xf32>, memref<64x8xf32>)
        gamma(%g : memref<1xf32>) into %dx, %dblocks
        grad_lowrank(%du, %dv : memref<64x8xf32>, memref<64x8xf32>)
        grad_gamma(%dg : memref<1xf32>) grad_bias(%db : memref<64xf32>)
        {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>, gamma = #pfc.gamma<scalar>}
        : memref<?x64xf32>, memref<?x64xf32>, memref<4x32x32xf32>
        -> memref<?x64xf32>, memref<4x32x32xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_Matrix>:$gradOutput,
                       Pfc_In<Pfc_BlockArray>:$blocks, Pfc_In<Optional<Pfc_Matrix>>:$lowRankU,
                       Pfc_In<Optional<Pfc_Matrix>>:$lowRankV,
                       Pfc_In<Optional<Pfc_Vector>>:$gammaParams,
                       Pfc_Out<Pfc_Matrix>:$gradInput, Pfc_Out<Pfc_GradBlockArray>:$gradBlocks,
                       Pfc_Out<Optional<Pfc_GradMatrix>>:$gradU,
                       Pfc_Out<Optional<Pfc_GradMatrix>>:$gradV,
                       Pfc_Out<Optional<Pfc_Vector>>:$gradGamma,
                       Pfc_Out<Optional<Pfc_Vector>>:$gradBias,
                       Optional<Index>:$tokenBegin, Optional<Index>:$tokenEnd,
                       Optional<Index>:$blockBegin, Optional<Index>:$blockEnd,
                       Pfc_BlockPatternAttrInterface:$pattern, Pfc_GammaKindAttr:$gamma,
                       OptionalAttr<F64Attr>:$gamma_value,
                       OptionalAttr<Pfc_ScheduleAttr>:$schedule);
  let assemblyFormat = [{
    $input `,` $gradOutput `,` $blocks
    (`lowrank` `(` $lowRankU^ `,` $lowRankV `:` type($lowRankU) `,`
                   type($lowRankV) `)`)?
    (`gamma` `(` $gammaParams^ `:` type($gammaParams) `)`)?
    `into` $gradInput `,` $gradBlocks
    (`grad_lowrank` `(` $gradU^ `,` $gradV `:` type($gradU) `,`
                        type($gradV) `)`)?
    (`grad_gamma` `(` $gradGamma^ `:` type($gradGamma) `)`)?
    (`grad_bias` `(` $gradBias^ `:` type($gradBias) `)`)?
    (`tokens` `(` $tokenBegin^ `,` $tokenEnd `)`)?
    (`blocks` `(` $blockBegin^ `,` $blockEnd `)`)? attr-dict `:`
    type($input) `,` type($gradOutput) `,` type($blocks) `->`
    type($gradInput) `,` type($gradBlocks)
  }];
  let hasVerifier = 1;
}

def Pfc_BlockSparseMatmulOp : Pfc_Op<"bsmm", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
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
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_BlockArray>:$blocks,
                       Pfc_In<Optional<Pfc_Vector>>:$scale, Pfc_In<Optional<Pfc_Matrix>>:$extra,
                       Pfc_In<Optional<Pfc_Matrix>>:$extraWeights,
                       Pfc_In<Optional<Pfc_Vector>>:$bias, Pfc_Out<Pfc_Matrix>:$output,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_BlockPatternAttrInterface:$pattern,
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

def Pfc_BlockSparseMatmulTransposeOp : Pfc_Op<"bsmm_t", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
  let summary = "Product with the transposed block-sparse weight (dX)";
  let description = [{
    `output = scale ⊙ (input·B) + extra·extra_weights` for an `[T, out]`
    input (dY) and an `[T, in]` output (dX), with B's nonzero blocks in the
    user's layout `[nnz, b (out), b (in)]`. It lowers to the kernel of
    `pfc.bsmm` run over the transposed pattern. The optional parts make it
    the layer's fused dX: `scale` is γ (one element, or one per token),
    `extra(%w, %vt)` adds `w = (1−γ)⊙(dY·U)` `[T, r]` times `Vᵀ`
    `[r, padded in]`, and `dots(%x, %d)` also writes, per token,
    `d[t] = Σ_k (input·B)[t, k]·x[t, k]` (the unscaled product: the part of
    dγ that comes through B).

    Example:

    ```mlir
    pfc.bsmm_t %dy, %blocks scale(%g : memref<1xf32>)
        extra(%w, %vt : memref<?x8xf32>, memref<8x64xf32>)
        dots(%x, %d : memref<?x64xf32>, memref<?xf32>) into %dx
        {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
        : memref<?x64xf32>, memref<4x32x32xf32> -> memref<?x64xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_BlockArray>:$blocks,
                       Pfc_In<Optional<Pfc_Vector>>:$scale, Pfc_In<Optional<Pfc_Matrix>>:$extra,
                       Pfc_In<Optional<Pfc_Matrix>>:$extraWeights,
                       Pfc_In<Optional<Pfc_Matrix>>:$dotInput,
                       Pfc_Out<Optional<Pfc_Vector>>:$dots, Pfc_Out<Pfc_Matrix>:$output,
                       Pfc_BlockPatternAttrInterface:$pattern,
                       OptionalAttr<Pfc_ScheduleAttr>:$schedule);
  let assemblyFormat = [{
    $input `,` $blocks (`scale` `(` $scale^ `:` type($scale) `)`)?
    (`extra` `(` $extra^ `,` $extraWeights `:` type($extra) `,`
                 type($extraWeights) `)`)?
    (`dots` `(` $dotInput^ `,` $dots `:` type($dotInput) `,` type($dots) `)`)?
    `into` $output attr-dict `:` type($input) `,` type($blocks) `->`
    type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_SampledMatmulOp : Pfc_Op<"sddmm", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
  let summary = "Dense-dense product sampled on the pattern (dB)";
  let description = [{
    `output = (scale ⊙ grad_output)ᵀ·input` computed only on the nonzero
    blocks of `pattern`, in the user's layout of the blocks: block n, at
    block-row r and block-column c, gets
    `Σ_t scale_t · grad_output[t, r·b + o] · input[t, c·b + k]` at `[n, o, k]`,
    and zero where it covers padding. `scale` (optional) has one element or
    one per token. With `blocks(%begin, %end)`, only the blocks at BSR
    positions `[begin, end)` are written, so that a caller can split dB's
    blocks between threads. With `dot(%b, %d)`, `d[0]` also gets the sum over
    the written blocks of `b ⊙ (grad_output)ᵀ·input` before any scale: for
    the layer's blocks b, the part of dγ through B, Σ_t Σ_o dY·s.

    Example:

    ```mlir
    pfc.sddmm %dy, %x scale(%g : memref<1xf32>) into %dblocks
        {pattern = #pfc.blocks<2x2: [0, 1], [0, 1]>}
        : memref<?x64xf32>, memref<?x64xf32> -> memref<4x32x32xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$gradOutput, Pfc_In<Pfc_Matrix>:$input,
                       Pfc_In<Optional<Pfc_Vector>>:$scale,
                       Pfc_In<Optional<Pfc_BlockArray>>:$dotBlocks,
                       Pfc_Out<Optional<Pfc_Vector>>:$dot, Pfc_Out<Pfc_GradBlockArray>:$output,
                       Optional<Index>:$blockBegin, Optional<Index>:$blockEnd,
                       Pfc_BlockPatternAttrInterface:$pattern);
  let assemblyFormat = [{
    $gradOutput `,` $input (`scale` `(` $scale^ `:` type($scale) `)`)?
    (`dot` `(` $dotBlocks^ `,` $dot `:` type($dotBlocks) `,` type($dot) `)`)?
    `into` $output (`blocks` `(` $blockBegin^ `,` $blockEnd `)`)? attr-dict
    `:` type($gradOutput) `,` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_OuterSumOp : Pfc_Op<"outer_sum", [Pfc_Dps]> {
  let summary = "The sum over tokens of outer products, lhsᵀ·rhs (dU, dV)";
  let description = [{
    `output[i, j] = Σ_t lhs[t, i] · rhs[t, j]` for `[T, I]` and `[T, J]`
    inputs: the gradient of a weight from its layer's input and output
    gradient, such as dV = xᵀ·w.

    Example:

    ```mlir
    pfc.outer_sum %x, %w into %dv
        : memref<?x64xf32>, memref<?x8xf32> -> memref<64x8xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$lhs, Pfc_In<Pfc_Matrix>:$rhs,
                       Pfc_Out<Pfc_GradMatrix>:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs `into` $output attr-dict `:` type($lhs) `,` type($rhs) `->`
    type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_TransposeOp : Pfc_Op<"transpose", [Pfc_Dps]> {
  let summary = "A matrix transposed, with zero columns past its rows";
  let description = [{
    `output[j, i] = input[i, j]` for i below the input's rows, and zero for
    the columns of `output` beyond them: V `[in, r]` becomes the extra
    weights `Vᵀ` `[r, padded in]` of `pfc.bsmm_t`.

    Example:

    ```mlir
    pfc.transpose %v into %vt : memref<60x8xf32> -> memref<8x64xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_Out<Pfc_Matrix>:$output);
  let assemblyFormat = [{
    $input `into` $output attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_RowDotOp : Pfc_Op<"row_dot", [Pfc_Dps]> {
  let summary = "Per-token dot products of two matrices";
  let description = [{
    `output[t] = Σ_j lhs[t, j] · rhs[t, j]`.

    Example:

    ```mlir
    pfc.row_dot %w, %t into %d
        : memref<?x8xf32>, memref<?x8xf32> -> memref<?xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$lhs, Pfc_In<Pfc_Matrix>:$rhs, Pfc_Out<Pfc_Vector>:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs `into` $output attr-dict `:` type($lhs) `,` type($rhs) `->`
    type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_ScaleRowsOp : Pfc_Op<"scale_rows", [Pfc_Dps]> {
  let summary = "Each token's row times 1 − γ, in place";
  let description = [{
    `matrix[t, :] *= 1 − γ_t` (γ: one element, or one per token): the
    low-rank half of the layer's γ combination.

    Example:

    ```mlir
    pfc.scale_rows %w complement(%g : memref<1xf32>) : memref<?x8xf32>
    ```
  }];
  let arguments = (ins Pfc_InOut<Pfc_Matrix>:$matrix, Pfc_In<Pfc_Vector>:$gamma);
  let assemblyFormat = [{
    $matrix `complement` `(` $gamma `:` type($gamma) `)` attr-dict `:`
    type($matrix)
  }];
  let hasVerifier = 1;
}

def Pfc_GammaGradOp : Pfc_Op<"gamma_grad", [AttrSizedOperandSegments, Pfc_Dps]> {
  let summary = "The gradient of γ from its two per-token parts";
  let description = [{
    With `sparse_dots[t] = Σ_o dY[t, o]·s[t, o]` (s = x·Bᵀ) and
    `lowrank_dots[t] = Σ_o dY[t, o]·l[t, o]` (l = (x·V)·Uᵀ, optional: zero
    without a rank), dγ_t = sparse_dots[t] − lowrank_dots[t].
    `#pfc.gamma<scalar>`: `output[0] = Σ sparse_dots − Σ lowrank_dots`, each
    summed over its own elements (the sparse part may come summed already,
    one element, from `pfc.sddmm`'s `dot`).
    `#pfc.gamma<gate>` (γ_t = 1 − sigmoid(x_t·g + c), `params` = g then c):
    `dz_t = −dγ_t·γ_t·(1 − γ_t)`, `output` = `Σ_t dz_t·x_t` then `Σ_t dz_t`,
    and `dz_t·g` is added to each row of `grad_input` (dX).

    Example:

    ```mlir
    pfc.gamma_grad %sd lowrank(%ld : memref<?xf32>) gamma(%g : memref<?xf32>)
        gate(%x, %params, %dx : memref<?x64xf32>, memref<65xf32>,
             memref<?x64xf32>) into %dgate {gamma = #pfc.gamma<gate>}
        : memref<?xf32> -> memref<65xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Vector>:$sparseDots, Pfc_In<Optional<Pfc_Vector>>:$lowRankDots,
                       Pfc_In<Pfc_Vector>:$gammaValues, Pfc_In<Optional<Pfc_Matrix>>:$input,
                       Pfc_In<Optional<Pfc_Vector>>:$params,
                       Pfc_InOut<Optional<Pfc_Matrix>>:$gradInput, Pfc_Out<Pfc_Vector>:$output,
                       Pfc_GammaKindAttr:$gamma);
  let assemblyFormat = [{
    $sparseDots (`lowrank` `(` $lowRankDots^ `:` type($lowRankDots) `)`)?
    `gamma` `(` $gammaValues `:` type($gammaValues) `)`
    (`gate` `(` $input^ `,` $params `,` $gradInput `:` type($input) `,`
                type($params) `,` type($gradInput) `)`)?
    `into` $output attr-dict `:` type($sparseDots) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_SumTokensOp : Pfc_Op<"sum_tokens", [Pfc_Dps]> {
  let summary = "The sum of a matrix's rows (d(bias))";
  let description = [{
    `output[j] = Σ_t input[t, j]`.

    Example:

    ```mlir
    pfc.sum_tokens %dy into %db : memref<?x64xf32> -> memref<64xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_Out<Pfc_Vector>:$output);
  let assemblyFormat = [{
    $input `into` $output attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_ProjectOp : Pfc_Op<"project", [Pfc_Dps]> {
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
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_Matrix>:$v,
                       Pfc_In<Optional<Pfc_Vector>>:$gamma, Pfc_Out<Pfc_Matrix>:$output);
  let assemblyFormat = [{
    $input `,` $v (`complement` `(` $gamma^ `:` type($gamma) `)`)? `into`
    $output attr-dict `:` type($input) `,` type($v) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_LowRankOp : Pfc_Op<"lowrank", [Pfc_Dps]> {
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
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_Matrix>:$u, Pfc_In<Pfc_Matrix>:$v,
                       Pfc_Out<Pfc_Matrix>:$output);
  let assemblyFormat = [{
    $input `,` $u `,` $v `into` $output attr-dict `:` type($input) `,`
    type($u) `,` type($v) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_GateOp : Pfc_Op<"gate", [Pfc_Dps]> {
  let summary = "The per-token gate γ(x) = 1 − sigmoid(x·g + c)";
  let description = [{
    `params` holds g `[in]` followed by c; `output` gets one γ per token.

    Example:

    ```mlir
    pfc.gate %x, %params into %g : memref<?x64xf32>, memref<65xf32> -> memref<?xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_Vector>:$params,
                       Pfc_Out<Pfc_Vector>:$output);
  let assemblyFormat = [{
    $input `,` $params `into` $output attr-dict `:` type($input) `,`
    type($params) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Pfc_CombineOp : Pfc_Op<"combine", [AttrSizedOperandSegments, Pfc_Dps]> {
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
  let arguments = (ins Pfc_In<Pfc_Matrix>:$sparse, Pfc_In<Optional<Pfc_Matrix>>:$lowRank,
                       Pfc_In<Pfc_Vector>:$gamma, Pfc_In<Optional<Pfc_Vector>>:$bias,
                       Pfc_Out<Pfc_Matrix>:$output);
  let assemblyFormat = [{
    $sparse (`lowrank` `(` $lowRank^ `:` type($lowRank) `)`)?
    `gamma` `(` $gamma `:` type($gamma) `)`
    (`bias` `(` $bias^ `:` type($bias) `)`)? `into` $output attr-dict `:`
    type($sparse) `->` type($output)
  }];
  let hasVerifier = 1;
}

include "pfc/Dialect/PfcAttentionOps.td"

#endif // PFC_DIALECT_PFCOPS_TD

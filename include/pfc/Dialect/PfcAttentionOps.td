//===- PfcAttentionOps.td - Pixelfly attention and its parts -*- tablegen -*-===//
//
// Pixelfly attention (docs/ATTENTION.md) per head: q, k, v [T, d], an exact
// softmax part on a block support (a block pattern over the padded T×T
// scores) and Performer's random features everywhere else, normalized
// together. Included by PfcOps.td, whose operand classes it uses.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_DIALECT_PFCATTENTIONOPS_TD
#define PFC_DIALECT_PFCATTENTIONOPS_TD

def Pfc_AttentionOp : Pfc_Op<"attention", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
  let summary = "Pixelfly attention of one head";
  let description = [{
    `output` `[T, d]` is Pixelfly attention of `query`, `key` and `value`
    (each `[T, d]`, T at most `seq_len`): with `eᵢⱼ = exp(scale·qᵢ·kⱼ)`, the
    random features φ of `features` (`Wᵀ`, `[d, m/2]`; absent: no low-rank
    part) and `pᵢⱼ = φ(qᵢ)·φ(kⱼ)`,
    `Oᵢ = (Σ_{S}(eᵢⱼ − pᵢⱼ)vⱼ + Σ_{R} pᵢⱼvⱼ) / (Σ_{S} eᵢⱼ + max(Σ_{R} pᵢⱼ − Σ_{S} pᵢⱼ, ε))`
    where S is token i's support (`pattern` over the `seq_len` rounded up to
    `block`, in blocks of `block` tokens) and R every token (`causal`: S and
    R keep j ≤ i). `stats` `[T, 3]` gets each row's scale M, its scaled
    denominator D·exp(−M) and 1 where the ε floor was taken (else 0).
    With `rows(%begin, %end)`, only the queries of block-rows `[begin, end)`
    are computed, so that threads can split one head.
    `pfc-decompose-attention` turns it into its parts.

    Example:

    ```mlir
    pfc.attention %q, %k, %v features(%wt : memref<64x32xf32>) into %o, %stats
        {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false,
                                  global = 0>, seq_len = 256 : i64,
         block = 32 : i64, scale = 0.125 : f64, causal}
        : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
        -> memref<?x64xf32>, memref<?x3xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$query, Pfc_In<Pfc_Matrix>:$key,
                       Pfc_In<Pfc_Matrix>:$value,
                       Pfc_In<Optional<Pfc_Matrix>>:$features,
                       Pfc_Out<Pfc_Matrix>:$output,
                       Pfc_Out<Pfc_GradMatrix>:$stats,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_BlockPatternAttrInterface:$pattern,
                       I64Attr:$seq_len, I64Attr:$block, F64Attr:$scale,
                       UnitAttr:$causal);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`features` `(` $features^ `:` type($features) `)`)?
    (`rows` `(` $rowBegin^ `,` $rowEnd `)`)? `into` $output `,`
    $stats attr-dict `:` type($query) `,` type($key) `,` type($value) `->`
    type($output) `,` type($stats)
  }];
  let hasVerifier = 1;
}

def Pfc_RandomFeaturesOp : Pfc_Op<"random_features", [Pfc_Dps]> {
  let summary = "Performer's positive random features of each token, scaled";
  let description = [{
    For each token x of `input` `[T, d]` and `features` `Wᵀ` `[d, m/2]`:
    `u = [W·x̃ ; −W·x̃] − ‖x̃‖²/2` with `x̃ = sqrt(scale)·x`, so that
    `φ(x) = m^(−1/2)·exp(u)`. Each group of `group` consecutive tokens
    shares one scale c, the largest u among them, written to `log_scale`
    (one per group); `output` gets `exp(u − c)` ≤ 1, as `[T, m]` or, with
    `transposed`, as `[m, P]` (P ≥ T) with zeros past T.

    Example:

    ```mlir
    pfc.random_features %k, %wt into %phi, %c
        {scale = 0.125 : f64, group = 32 : i64, transposed}
        : memref<?x64xf32>, memref<64x32xf32> -> memref<64x256xf32>, memref<8xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_Matrix>:$features,
                       Pfc_Out<Pfc_GradMatrix>:$output,
                       Pfc_Out<Pfc_Vector>:$logScale, F64Attr:$scale,
                       I64Attr:$group, UnitAttr:$transposed);
  let assemblyFormat = [{
    $input `,` $features `into` $output `,` $logScale attr-dict `:`
    type($input) `,` type($features) `->` type($output) `,` type($logScale)
  }];
  let hasVerifier = 1;
}

def Pfc_BlockAttentionOp : Pfc_Op<"block_attention", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
  let summary = "Attention on a block support, with the random features' rest";
  let description = [{
    The kernel of `pfc.attention`: `query` `[T, d]`, `keyT` (`Kᵀ`, `[d, P]`
    with P the padded `seq_len`, zeros past T) and `value` `[T, d]` give
    `output` and `stats` as `pfc.attention` defines them. `lowrank(...)`
    brings the random features that `pfc.random_features` made: the queries'
    `[T, m]` with one scale per token, the keys' transposed `[m, P]` with one
    scale per block of `block` tokens. It walks each block-row's support
    once (flash attention's running maxima); the random features' part of
    the tokens outside the support comes from a running sum of the keys'
    features times their values, so no T×T matrix is ever formed.
    `rows(%begin, %end)` restricts it to the queries of those block-rows.

    Example:

    ```mlir
    pfc.block_attention %q, %kt, %v
        lowrank(%phiq, %cq, %phikt, %ck : memref<?x64xf32>, memref<?xf32>,
                memref<64x256xf32>, memref<8xf32>) into %o, %stats
        {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64,
         scale = 0.125 : f64, causal}
        : memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>
        -> memref<?x64xf32>, memref<?x3xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$query, Pfc_In<Pfc_Matrix>:$keyT,
                       Pfc_In<Pfc_Matrix>:$value,
                       Pfc_In<Optional<Pfc_GradMatrix>>:$queryFeatures,
                       Pfc_In<Optional<Pfc_Vector>>:$queryLogScale,
                       Pfc_In<Optional<Pfc_GradMatrix>>:$keyFeaturesT,
                       Pfc_In<Optional<Pfc_Vector>>:$keyLogScale,
                       Pfc_Out<Pfc_Matrix>:$output,
                       Pfc_Out<Pfc_GradMatrix>:$stats,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_BlockPatternAttrInterface:$pattern, I64Attr:$block,
                       F64Attr:$scale, UnitAttr:$causal);
  let assemblyFormat = [{
    $query `,` $keyT `,` $value
    (`lowrank` `(` $queryFeatures^ `,` $queryLogScale `,` $keyFeaturesT `,`
       $keyLogScale `:` type($queryFeatures) `,` type($queryLogScale) `,`
       type($keyFeaturesT) `,` type($keyLogScale) `)`)?
    (`rows` `(` $rowBegin^ `,` $rowEnd `)`)?
    `into` $output `,` $stats attr-dict `:` type($query) `,` type($keyT) `,`
    type($value) `->` type($output) `,` type($stats)
  }];
  let hasVerifier = 1;
}

def Pfc_AttentionGradOp : Pfc_Op<"attention_grad", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
  let summary = "The gradients of Pixelfly attention of one head";
  let description = [{
    Given what `pfc.attention` read and wrote (`output`, `stats`) and
    `grad_output` = d(loss)/d(output), writes d(loss)/d of `query`, `key`
    and `value` into `grad_query`, `grad_key`, `grad_value` (the features W
    are fixed). The attributes are the forward's. With `rows(%begin,
    %end)`, only the queries of block-rows `[begin, end)` count: their rows
    of `grad_query` and their part of `grad_key` and `grad_value`, the
    other rows of `grad_query` zero, so that threads can split one head and
    add up what they wrote. `pfc-decompose-attention` turns it into its
    parts.

    Example:

    ```mlir
    pfc.attention_grad %q, %k, %v features(%wt : memref<64x32xf32>), %o, %stats,
        %do into %dq, %dk, %dv
        {pattern = #pfc.butterfly<size = 4, strides = [2], shuffle = false,
                                  global = 0>, seq_len = 256 : i64,
         block = 32 : i64, scale = 0.125 : f64}
        : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>,
          memref<?x64xf32>, memref<?x3xf32>, memref<?x64xf32>
        -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$query, Pfc_In<Pfc_Matrix>:$key,
                       Pfc_In<Pfc_Matrix>:$value,
                       Pfc_In<Optional<Pfc_Matrix>>:$features,
                       Pfc_In<Pfc_Matrix>:$output,
                       Pfc_In<Pfc_GradMatrix>:$stats,
                       Pfc_In<Pfc_Matrix>:$gradOutput,
                       Pfc_Out<Pfc_Matrix>:$gradQuery,
                       Pfc_Out<Pfc_Matrix>:$gradKey,
                       Pfc_Out<Pfc_Matrix>:$gradValue,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_BlockPatternAttrInterface:$pattern,
                       I64Attr:$seq_len, I64Attr:$block, F64Attr:$scale,
                       UnitAttr:$causal);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`features` `(` $features^ `:` type($features) `)`)? `,` $output `,`
    $stats `,` $gradOutput (`rows` `(` $rowBegin^ `,` $rowEnd `)`)?
    `into` $gradQuery `,` $gradKey `,` $gradValue
    attr-dict `:` type($query) `,` type($key) `,` type($value) `,`
    type($output) `,` type($stats) `,` type($gradOutput) `->`
    type($gradQuery) `,` type($gradKey) `,` type($gradValue)
  }];
  let hasVerifier = 1;
}

def Pfc_RandomFeaturesGradOp : Pfc_Op<"random_features_grad", [Pfc_Dps]> {
  let summary = "Adds the gradient through the random features to the input's";
  let description = [{
    For tokens x of `input` `[T, d]`, `features` `Wᵀ` `[d, m/2]`, the
    features `phi` = exp(u − c) of `pfc.random_features` (one row per token,
    at least T rows) and `grad_phi` = d(loss)/d(phi) of the same shape: with
    `du = grad_phi ⊙ phi` (the scale c is a constant of the result),
    `grad_input += sqrt(scale)·(Wᵀ·(du₊ − du₋) − x̃·Σ du)`.

    Example:

    ```mlir
    pfc.random_features_grad %k, %wt, %phik, %dphik into %dk {scale = 0.125 : f64}
        : memref<?x64xf32>, memref<64x32xf32>, memref<256x64xf32>,
          memref<256x64xf32> -> memref<?x64xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$input, Pfc_In<Pfc_Matrix>:$features,
                       Pfc_In<Pfc_GradMatrix>:$phi,
                       Pfc_In<Pfc_GradMatrix>:$gradPhi,
                       Pfc_InOut<Pfc_Matrix>:$gradInput, F64Attr:$scale);
  let assemblyFormat = [{
    $input `,` $features `,` $phi `,` $gradPhi `into` $gradInput attr-dict
    `:` type($input) `,` type($features) `,` type($phi) `,` type($gradPhi)
    `->` type($gradInput)
  }];
  let hasVerifier = 1;
}

def Pfc_BlockAttentionGradOp : Pfc_Op<"block_attention_grad", [AttrSizedOperandSegments, Pfc_Dps, Pfc_BlockSparse]> {
  let summary = "The gradients of the attention kernel";
  let description = [{
    The gradients of `pfc.block_attention`: from `query`, `key` `[T, d]`,
    their transposes `keyT` and `valueT` `[d, P]`, `value`, the forward's
    `output` and `stats`, and `grad_output`, it writes `grad_query`,
    `grad_key` and `grad_value` (the exact part and the values' whole
    gradient) and, with `lowrank(...)` (the forward's features plus the
    keys' in rows, `[P, m]`), the gradients of the features themselves
    `grad_query_features` `[T, m]` and `grad_key_features` `[P, m]`, which
    `pfc.random_features_grad` takes back to the queries and keys. It walks
    the support as the forward does, with each row's scale and denominator
    from `stats`, so no T×T matrix is formed. `rows(%begin, %end)` keeps
    the queries of those block-rows, as `pfc.attention_grad` defines it
    (`grad_query_features` zero in the other rows).

    Example:

    ```mlir
    pfc.block_attention_grad %q, %k, %kt, %v, %vt, %o, %stats, %do
        into %dq, %dk, %dv
        {pattern = #pfc.blocks<2x2: [0], [0, 1]>, block = 128 : i64,
         scale = 0.125 : f64, causal}
        : memref<?x64xf32>, memref<?x64xf32>, memref<64x256xf32>,
          memref<?x64xf32>, memref<64x256xf32>, memref<?x64xf32>,
          memref<?x3xf32>, memref<?x64xf32>
        -> memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
    ```
  }];
  let arguments = (ins Pfc_In<Pfc_Matrix>:$query, Pfc_In<Pfc_Matrix>:$key,
                       Pfc_In<Pfc_Matrix>:$keyT, Pfc_In<Pfc_Matrix>:$value,
                       Pfc_In<Pfc_Matrix>:$valueT, Pfc_In<Pfc_Matrix>:$output,
                       Pfc_In<Pfc_GradMatrix>:$stats,
                       Pfc_In<Pfc_Matrix>:$gradOutput,
                       Pfc_In<Optional<Pfc_GradMatrix>>:$queryFeatures,
                       Pfc_In<Optional<Pfc_Vector>>:$queryLogScale,
                       Pfc_In<Optional<Pfc_GradMatrix>>:$keyFeaturesT,
                       Pfc_In<Optional<Pfc_GradMatrix>>:$keyFeatures,
                       Pfc_In<Optional<Pfc_Vector>>:$keyLogScale,
                       Pfc_Out<Pfc_Matrix>:$gradQuery,
                       Pfc_Out<Pfc_Matrix>:$gradKey,
                       Pfc_Out<Pfc_Matrix>:$gradValue,
                       Pfc_Out<Optional<Pfc_GradMatrix>>:$gradQueryFeatures,
                       Pfc_Out<Optional<Pfc_GradMatrix>>:$gradKeyFeatures,
                       Optional<Index>:$rowBegin, Optional<Index>:$rowEnd,
                       Pfc_BlockPatternAttrInterface:$pattern, I64Attr:$block,
                       F64Attr:$scale, UnitAttr:$causal);
  let assemblyFormat = [{
    $query `,` $key `,` $keyT `,` $value `,` $valueT `,` $output `,` $stats
    `,` $gradOutput
    (`lowrank` `(` $queryFeatures^ `,` $queryLogScale `,` $keyFeaturesT `,`
       $keyFeatures `,` $keyLogScale `:` type($queryFeatures) `,`
       type($queryLogScale) `,` type($keyFeaturesT) `,` type($keyFeatures)
       `,` type($keyLogScale) `)`)?
    (`rows` `(` $rowBegin^ `,` $rowEnd `)`)?
    `into` $gradQuery `,` $gradKey `,` $gradValue
    (`features` `(` $gradQueryFeatures^ `,` $gradKeyFeatures `:`
       type($gradQueryFeatures) `,` type($gradKeyFeatures) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($keyT) `,`
    type($value) `,` type($valueT) `,` type($output) `,` type($stats) `,`
    type($gradOutput) `->` type($gradQuery) `,` type($gradKey) `,`
    type($gradValue)
  }];
  let hasVerifier = 1;
}

#endif // PFC_DIALECT_PFCATTENTIONOPS_TD

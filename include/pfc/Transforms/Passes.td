//===- Passes.td - pfc's passes ----------------------------*- tablegen -*-===//
#ifndef PFC_TRANSFORMS_PASSES_TD
#define PFC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MaterializePattern : Pass<"pfc-materialize-pattern", "::mlir::func::FuncOp"> {
  let summary = "Replaces butterfly patterns by their explicit block lists";
  let description = [{
    Every `#pfc.butterfly` pattern becomes the `#pfc.blocks` list of nonzero
    blocks it stands for over its op's padded weight, computed by the same
    mask rule as `pfc mask`. Later passes read only block lists. A pattern
    set (`populateMaterializePatternPatterns`) for any op with a block
    pattern (`BlockSparseOpInterface`).
  }];
}

def FuseLowRank : Pass<"pfc-fuse-lowrank", "::mlir::func::FuncOp"> {
  let summary = "Turns a layer into one block-sparse product with r extra columns";
  let description = [{
    Rewrites `pfc.layer` as the fused kernel of DESIGN.md: the per-token gate
    (gate mode), the projection `t = (1−γ)⊙(x·V)`, and a single `pfc.bsmm`
    that scales the block-sparse sum by γ, adds `t·Uᵀ` as `r` extra dense
    columns and the bias, all before its results leave registers. A pattern
    set (`populateFuseLowRankPatterns`).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def DecomposeLayer : Pass<"pfc-decompose-layer", "::mlir::func::FuncOp"> {
  let summary = "Splits a layer into its parts";
  let description = [{
    Rewrites `pfc.layer` as separate ops with temporaries: the gate (gate
    mode), the block-sparse product, the low-rank product and the γ
    combination with the bias. Slower than the fused form, but each part is
    a kernel of its own (the form training reuses). A pattern set
    (`populateDecomposeLayerPatterns`); a layer with a block-row range is
    left as it is, since its parts cannot honour the range.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def DecomposeGradients : Pass<"pfc-decompose-gradients", "::mlir::func::FuncOp"> {
  let summary = "Splits a layer's gradient into kernels";
  let description = [{
    Rewrites `pfc.layer_grad` as the ops that compute it: the projections
    `x·V` and `dY·U`, one `pfc.bsmm_t` for dX with γ, the low-rank term and
    the dots dγ needs fused in, `pfc.sddmm` for dB, `pfc.outer_sum` for dU
    and dV, `pfc.gamma_grad` and `pfc.sum_tokens` for γ's (or the gate's)
    and the bias's gradients. A pattern set
    (`populateDecomposeGradientsPatterns`).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def DecomposeAttention : Pass<"pfc-decompose-attention", "::mlir::func::FuncOp"> {
  let summary = "Splits Pixelfly attention into its kernels";
  let description = [{
    Rewrites `pfc.attention` as `pfc.transpose` of the keys into `Kᵀ`
    `[d, P]`, `pfc.random_features` of the queries (one scale per token) and
    of the keys (transposed, one scale per block of tokens) when it has
    features, and `pfc.block_attention`, with temporaries freed after it;
    `pfc.attention_grad` the same way (with `Vᵀ` and the keys' features in
    rows too) as `pfc.block_attention_grad` followed by
    `pfc.random_features_grad` for the queries and the keys. A pattern set
    (`populateDecomposeAttentionPatterns`).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def LowerKernels : Pass<"pfc-lower-kernels", "::mlir::ModuleOp"> {
  let summary = "Lowers pfc ops to loops and vectors";
  let description = [{
    Emits each pfc op as `scf` loops over `vector` and `memref` ops. A
    `pfc.bsmm` becomes the register-tiled micro-kernel its schedule
    describes: token tiles carry `tile × b/vector` accumulators across all
    nonzero blocks of a block-row, each block at constant offsets (or read
    from a constant table inside the kernel), then γ, the extra columns and
    the bias are applied before one store. Ops without a schedule get the
    default one for the pass's vector width. The pattern must be an explicit
    block list (run pfc-materialize-pattern first).

    A dialect conversion (`populateLowerKernelsPatterns`) on which the pfc
    dialect is illegal: a layer not yet fused or decomposed, or an op the
    CPU cannot lower (bf16 or f16 data, blocks that do not split into
    vectors), fails to legalize. It runs on the module because the kernels'
    constant tables are module-level globals.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes per vector when an op has no schedule (16: AVX-512)">,
    Option<"cacheBytes", "cache-bytes", "int64_t", "1048576",
           "Bytes of a core's L2 cache, for default chunks of tokens">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def EmitCInterface : Pass<"pfc-emit-c-interface", "::mlir::ModuleOp"> {
  let summary = "Gives kernel functions a plain C signature";
  let description = [{
    Every function marked `pfc.c_interface` is renamed `<name>_impl` and made
    private; a new public `<name>` takes one pointer per memref argument (a
    row-major array) and the index arguments unchanged, rebuilds the memrefs
    and calls it. The one dynamic size a memref may have is its first, taken
    from the index argument marked `pfc.tokens`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // PFC_TRANSFORMS_PASSES_TD

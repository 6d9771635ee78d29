//===- PfcAttrs.td - Patterns, schedules and γ modes -------*- tablegen -*-===//
//
// The attributes that describe what a pfc op computes (its sparsity pattern
// and γ mode) and how the CPU lowering computes it (its schedule).
//
//===----------------------------------------------------------------------===//
#ifndef PFC_DIALECT_PFCATTRS_TD
#define PFC_DIALECT_PFCATTRS_TD

include "pfc/Dialect/PfcDialect.td"
include "pfc/Dialect/PfcInterfaces.td"
include "mlir/IR/EnumAttr.td"

def Pfc_ButterflyAttr : Pfc_Attr<"Butterfly", "butterfly",
    [DeclareAttrInterfaceMethods<Pfc_BlockPatternAttrInterface>]> {
  let summary = "A flat block-butterfly pattern, by its parameters";
  let description = [{
    The pattern of a Pixelfly weight as the spec gives it: an `S×S` coarse
    grid whose cell (p, q) is nonzero when `p XOR q` is 0 or `k/2` for one of
    the factor sizes `k`, stretched over the padded weight and OR-reduced onto
    its `b×b` blocks (DESIGN.md, "The mask"). `shuffle` permutes the coarse
    columns as the reference does; the first `global` rows and columns are
    dense. `pfc-materialize-pattern` replaces it with the `#pfc.blocks` list
    it stands for.

    Example:

    ```mlir
    #pfc.butterfly<size = 16, strides = [2, 4], shuffle = false, global = 0>
    ```
  }];
  let parameters = (ins "int64_t":$size, ArrayRefParameter<"int64_t">:$strides,
                        "bool":$shuffle, "int64_t":$global);
  let assemblyFormat = [{
    `<` `size` `=` $size `,` `strides` `=` `[` $strides `]` `,`
        `shuffle` `=` $shuffle `,` `global` `=` $global `>`
  }];
  let genVerifyDecl = 1;
}

def Pfc_BlocksAttr : Pfc_Attr<"Blocks", "blocks",
    [DeclareAttrInterfaceMethods<Pfc_BlockPatternAttrInterface>]> {
  let summary = "An explicit list of nonzero blocks, row by row";
  let description = [{
    The nonzero `b×b` blocks of a weight on a `rows × cols` grid of blocks, in
    BSR order: for each block-row, its block-columns in ascending order. The
    `n`-th listed block is the `n`-th entry of the op's blocks operand. This is
    the form the lowering reads; `pfc-materialize-pattern` produces it from a
    `#pfc.butterfly` pattern.

    Example (a 4×4 grid with the stride-2 butterfly):

    ```mlir
    #pfc.blocks<4x4: [0, 1], [0, 1], [2, 3], [2, 3]>
    ```
  }];
  let parameters = (ins "int64_t":$blockRows, "int64_t":$blockCols,
                        ArrayRefParameter<"int64_t">:$rowStart,
                        ArrayRefParameter<"int64_t">:$colIndex);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getNumBlocks() const { return getColIndex().size(); }
  }];
}

def Pfc_ScheduleAttr : Pfc_Attr<"Schedule", "schedule"> {
  let summary = "How the CPU lowering computes a block-sparse product";
  let description = [{
    The knobs of the block-sparse micro-kernel: `tile` token rows share a
    register tile of `tile × b/vector` accumulators of `vector` f32 lanes
    (16 with AVX-512, 8 with AVX2); `chunk` tokens are processed against all
    block-rows before the next chunk, so that they stay in L2; the loop over a
    block's `b` inputs is unrolled `unroll` times. With `unrolled = true`
    every nonzero block is emitted with constant offsets; with `false` the
    block-columns come from a constant table inside the kernel, for patterns
    whose full unrolling would bloat the code. With `prefetch = n`, each row
    of a block being read also prefetches that row of the block n places
    ahead in the packed weights (0, the default, prefetches nothing): the
    weights stream in while the FMAs run, when they come from memory. How
    many threads split a call is the runtime's choice, not the kernel's: it
    is no part of the schedule (nor of the kernel cache's keys).

    Example:

    ```mlir
    #pfc.schedule<tile = 8, vector = 16, chunk = 256, unroll = 4, unrolled = true>
    ```
  }];
  let parameters = (ins "int64_t":$tile, "int64_t":$vector, "int64_t":$chunk,
                        "int64_t":$unroll, "bool":$unrolled,
                        DefaultValuedParameter<"int64_t", "0">:$prefetch);
  // The one conversion from the plain struct (include/pfc/Spec/Schedule.h)
  // that flags, tuning records and the JIT carry; getSchedule is the other
  // way, and the verifier is checkSchedule.
  let builders = [
    AttrBuilder<(ins "const ::pfc::Schedule &":$schedule), [{
      return $_get($_ctxt, schedule.tile, schedule.vector, schedule.chunk,
                   schedule.unroll, schedule.unrolled.value_or(false),
                   schedule.prefetch.value_or(0));
    }]>
  ];
  let extraClassDeclaration = [{
    /// The knobs as the plain struct, every one set.
    ::pfc::Schedule getSchedule() const;
  }];
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Pfc_GammaKind : I32EnumAttr<"GammaKind", "how γ weighs the two terms", [
    I32EnumAttrCase<"Scalar", 0, "scalar">,
    I32EnumAttrCase<"Gate", 1, "gate">,
    I32EnumAttrCase<"Fixed", 2, "fixed">]> {
  let cppNamespace = "::pfc";
  let genSpecializedAttr = 0;
}

def Pfc_GammaKindAttr : EnumAttr<Pfc_Dialect, Pfc_GammaKind, "gamma"> {
  let summary = "How γ weighs the block-sparse term against the low-rank term";
  let description = [{
    `scalar`: one learned γ, read from a one-element memref. `gate`: a learned
    per-token γ(x) = 1 − sigmoid(x·g + c), with g and c in an `in + 1`
    element memref. `fixed`: a constant γ in the op's `gamma_value`.
  }];
  let assemblyFormat = "`<` $value `>`";
}

#endif // PFC_DIALECT_PFCATTRS_TD

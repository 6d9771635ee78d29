//===- PfcInterfaces.td - Block patterns and their ops --*- tablegen -*-===//
//
// A block pattern (`#pfc.butterfly`, `#pfc.blocks`) is an attribute that
// stands for a block mask; the ops that multiply by a block-sparse weight
// carry one and say which weight it covers.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_DIALECT_PFCINTERFACES_TD
#define PFC_DIALECT_PFCINTERFACES_TD

include "mlir/IR/OpBase.td"

def Pfc_BlockPatternAttrInterface : AttrInterface<"BlockPatternAttrInterface"> {
  let cppNamespace = "::pfc";
  let description = [{
    The nonzero b×b blocks of a weight, given by parameters
    (`#pfc.butterfly`) or listed (`#pfc.blocks`).
  }];
  let methods = [
    InterfaceMethod<[{
        The block mask over an `out × in` weight with b×b blocks; reports
        through `emitError` when the pattern does not fit that shape.
      }], "::mlir::FailureOr<::pfc::BlockMask>", "getBlockMask",
      (ins "int64_t":$out, "int64_t":$in, "int64_t":$block,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>,
    InterfaceMethod<[{
        Whether the pattern lists its blocks, the form lowerings read
        (`pfc-materialize-pattern` produces it).
      }], "bool", "isMaterialized", (ins)>,
  ];
}

def Pfc_BlockSparseOpInterface : OpInterface<"BlockSparseOpInterface"> {
  let cppNamespace = "::pfc";
  let description = [{
    An op that multiplies by (or computes the gradient of) a block-sparse
    weight whose nonzero blocks follow its `pattern`.
  }];
  let methods = [
    InterfaceMethod<"The op's block pattern.",
      "::pfc::BlockPatternAttrInterface", "getPattern", (ins),
      [{ return $_op.getPattern(); }]>,
    InterfaceMethod<"Replaces the op's block pattern.",
      "void", "setPatternAttr",
      (ins "::pfc::BlockPatternAttrInterface":$pattern),
      [{ $_op.setPatternAttr(pattern); }]>,
    InterfaceMethod<"The weight the pattern covers: `out × in` in b×b blocks.",
      "::pfc::WeightShape", "getWeightShape", (ins)>,
  ];
}

#endif // PFC_DIALECT_PFCINTERFACES_TD

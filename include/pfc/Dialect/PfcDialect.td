//===- PfcDialect.td - The pfc dialect ---------------------*- tablegen -*-===//
//
// The dialect that carries Pixelfly layers from a spec down to kernels.
//
//===----------------------------------------------------------------------===//
#ifndef PFC_DIALECT_PFCDIALECT_TD
#define PFC_DIALECT_PFCDIALECT_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"

def Pfc_Dialect : Dialect {
  let name = "pfc";
  let summary = "Pixelated Butterfly (Pixelfly) layers and their parts";
  let description = [{
    The `pfc` dialect describes a Pixelfly layer,
    `y = γ·(x·Bᵀ) + (1−γ)·((x·V)·Uᵀ) + bias`, whose block-sparse weight B
    follows a flat block-butterfly pattern known when the kernel is built.
    Its passes decompose the layer into a block-sparse product, a low-rank
    product and the γ combination, and unroll every nonzero block with
    constant offsets before lowering through MLIR's own dialects.
  }];
  let cppNamespace = "::pfc";
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerOps();
  }];
}

class Pfc_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Pfc_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class Pfc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Pfc_Dialect, mnemonic, traits>;

#endif // PFC_DIALECT_PFCDIALECT_TD

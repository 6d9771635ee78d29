//===- CudaLayer.cpp - A layer spec as CUDA kernels and launch plans ------===//
#include "pfc/Dialect/PfcOps.h"
#include "pfc/Dialect/Registration.h"
#include "pfc/Import/LayerModule.h"
#include "pfc/Target/CudaTarget.h"
#include "pfc/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

using namespace mlir;

namespace pfc {

llvm::Expected<CudaModule> compileLayerToCuda(const LayerSpec &spec,
                                              const CudaOptions &options) {
  DialectRegistry registry;
  registerPfcDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadDialect<PfcDialect>();
  std::string messages;
  llvm::raw_string_ostream os(messages);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  auto error = [&] {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "CUDA translation failed: " + messages);
  };
  OwningOpRef<ModuleOp> module =
      buildLayerModule(context, spec, ScheduleAttr());
  PassManager pm(&context);
  buildPfcCudaPipeline(pm);
  if (failed(pm.run(*module)))
    return error();
  FailureOr<CudaModule> cuda = translateToCuda(*module, options);
  if (failed(cuda))
    return error();
  return std::move(*cuda);
}

} // namespace pfc

//===- CheckLibdevice.cpp - kernels needing libdevice without a toolkit ---===//

#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace mnemo {
#define GEN_PASS_DEF_CHECKLIBDEVICEPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

struct CheckLibdevicePass
    : public mnemo::impl::CheckLibdevicePassBase<CheckLibdevicePass> {
  using CheckLibdevicePassBase::CheckLibdevicePassBase;

  void runOnOperation() override {
    llvm::SmallString<256> path(toolkit);
    llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
    if (!toolkit.empty() && llvm::sys::fs::exists(path))
      return;
    bool failed = false;
    getOperation().walk([&](gpu::GPUModuleOp module) {
      module.walk([&](LLVM::CallOp call) {
        std::optional<StringRef> callee = call.getCallee();
        if (!callee || !callee->starts_with("__nv_"))
          return;
        auto fn = call->getParentOfType<LLVM::LLVMFuncOp>();
        InFlightDiagnostic diag = call.emitError()
                                  << "kernel '" << module.getName()
                                  << "::" << (fn ? fn.getName() : "?")
                                  << "' calls libdevice's " << *callee
                                  << ", and ";
        if (toolkit.empty())
          diag << "no CUDA toolkit was found when mnemo was built";
        else
          diag << "libdevice is not at " << path;
        diag << " (build mnemo where the CUDA toolkit is installed, e.g. "
                "/usr/local/cuda, so that CMake finds it)";
        failed = true;
      });
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace

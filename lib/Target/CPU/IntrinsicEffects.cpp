//===- IntrinsicEffects.cpp - memory effects of llvm.call_intrinsic -------===//

#include "mnemo/Target/CPU/IntrinsicEffects.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/IR/Attributes.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/LLVMContext.h"

#include <mutex>

using namespace mlir;

namespace {

/// Whether LLVM's intrinsic table marks `name` as not accessing memory
/// (IntrNoMem: the x86 dot products, math intrinsics). Unknown names do.
bool accessesNoMemory(StringRef name) {
  llvm::Intrinsic::ID id = llvm::Intrinsic::lookupIntrinsicID(name);
  if (id == llvm::Intrinsic::not_intrinsic)
    return false;
  static std::mutex lock;
  static llvm::LLVMContext context;
  std::lock_guard<std::mutex> guard(lock);
  return llvm::Intrinsic::getFnAttributes(context, id)
      .getMemoryEffects()
      .doesNotAccessMemory();
}

struct CallIntrinsicEffects
    : public MemoryEffectOpInterface::ExternalModel<CallIntrinsicEffects,
                                                     LLVM::CallIntrinsicOp> {
  void getEffects(Operation *op,
                  SmallVectorImpl<SideEffects::EffectInstance<
                      MemoryEffects::Effect>> &effects) const {
    if (accessesNoMemory(cast<LLVM::CallIntrinsicOp>(op).getIntrin()))
      return;
    effects.emplace_back(MemoryEffects::Read::get());
    effects.emplace_back(MemoryEffects::Write::get());
  }
};

} // namespace

void mnemo::registerIntrinsicEffects(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, LLVM::LLVMDialect *) {
    LLVM::CallIntrinsicOp::attachInterface<CallIntrinsicEffects>(*ctx);
  });
}

//===- FlattenConstantGlobals.cpp - weights as flat LLVM arrays -----------===//
//
// Rewrites `llvm.mlir.global` constants of nested array type to one flat
// array of the same elements, so translation makes one ConstantDataArray
// per weight instead of one constant per innermost row (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mnemo {
#define GEN_PASS_DEF_FLATTENCONSTANTGLOBALSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {
struct FlattenConstantGlobalsPass
    : public mnemo::impl::FlattenConstantGlobalsPassBase<
          FlattenConstantGlobalsPass> {
  void runOnOperation() override {
    for (auto global : getOperation().getOps<LLVM::GlobalOp>()) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      auto value = dyn_cast_or_null<ElementsAttr>(global.getValueOrNull());
      // Only nested arrays initialized by an elements attribute (inline or
      // a resource blob, not a region); the element type must be the
      // tensor's.
      if (!array || !isa<LLVM::LLVMArrayType>(array.getElementType()) ||
          !value || value.getShapedType().getRank() < 2)
        continue;
      Type elem = array;
      while (auto inner = dyn_cast<LLVM::LLVMArrayType>(elem))
        elem = inner.getElementType();
      if (elem != value.getElementType())
        continue;
      int64_t n = value.getNumElements();
      auto flat = RankedTensorType::get({n}, elem);
      if (auto dense = dyn_cast<DenseElementsAttr>(value))
        global.setValueAttr(dense.reshape(flat));
      else if (auto blob = dyn_cast<DenseResourceElementsAttr>(value))
        global.setValueAttr(
            DenseResourceElementsAttr::get(flat, blob.getRawHandle()));
      else
        continue;
      global.setGlobalTypeAttr(
          TypeAttr::get(LLVM::LLVMArrayType::get(elem, n)));
    }
  }
};
} // namespace

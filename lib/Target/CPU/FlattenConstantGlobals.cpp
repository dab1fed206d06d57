//===- FlattenConstantGlobals.cpp - weights as flat LLVM byte arrays ------===//
//
// Rewrites `llvm.mlir.global` constants of (nested) array type to one flat
// array of their bytes, so translation makes one ConstantDataArray per
// weight instead of one constant per innermost row, and code generation
// writes it as one block of bytes (see Passes.td).
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
      // Only arrays initialized by an elements attribute (inline or a
      // resource blob, not a region) of whole-byte integers or floats,
      // the tensor's own element type.
      if (!global.getConstant() || !array || !value ||
          value.getShapedType().getRank() < 1)
        continue;
      Type elem = array;
      while (auto inner = dyn_cast<LLVM::LLVMArrayType>(elem))
        elem = inner.getElementType();
      unsigned bits = elem.isIntOrFloat() ? elem.getIntOrFloatBitWidth() : 0;
      if (elem != value.getElementType() || bits <= 8 || bits % 8)
        continue;
      int64_t n = value.getNumElements() * (bits / 8);
      auto i8 = IntegerType::get(&getContext(), 8);
      auto bytes = RankedTensorType::get({n}, i8);
      if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
        if (dense.isSplat())
          continue;
        global.setValueAttr(
            DenseElementsAttr::getFromRawBuffer(bytes, dense.getRawData()));
      } else if (auto blob = dyn_cast<DenseResourceElementsAttr>(value)) {
        global.setValueAttr(
            DenseResourceElementsAttr::get(bytes, blob.getRawHandle()));
      } else {
        continue;
      }
      global.setGlobalTypeAttr(TypeAttr::get(LLVM::LLVMArrayType::get(i8, n)));
    }
  }
};
} // namespace

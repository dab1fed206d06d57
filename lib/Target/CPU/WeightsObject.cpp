//===- WeightsObject.cpp - the weights' object, before the lowering -------===//
//
// Writes the large constant globals as an ELF object of their own and
// leaves declarations behind (see Passes.td). The peak of a compile was
// the lowering to the LLVM dialect with the weights beside it; written
// here, they are gone before it.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/DataObject.h"
#include "mnemo/Target/CPU/Passes.h"
#include "mnemo/Support/ConstantData.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"

namespace mnemo {
#define GEN_PASS_DEF_WEIGHTSOBJECTPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo;

namespace {

struct WeightsObjectPass
    : public mnemo::impl::WeightsObjectPassBase<WeightsObjectPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (object.empty()) {
      module.emitError("mnemo-cpu-weights-object needs object=PATH");
      return signalPassFailure();
    }
    std::string target =
        triple.empty() ? llvm::sys::getDefaultTargetTriple() : triple;
    if (!canWriteDataObject(target)) {
      module.emitError() << "mnemo-cpu-weights-object: cannot write an ELF "
                            "data object for "
                         << target;
      return signalPassFailure();
    }

    // Splats expanded for the object live in their own buffers until it
    // is written.
    std::vector<std::vector<char>> scratch;
    SmallVector<DataSymbol> symbols;
    SmallVector<memref::GlobalOp> written;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      auto value = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
      MemRefType type = global.getType();
      // Rank 0 lowers to a scalar global and is small anyway.
      if (!global.getConstant() || !value || type.getRank() == 0 ||
          !type.hasStaticShape() || !type.getLayout().isIdentity())
        continue;
      std::vector<char> expanded;
      std::optional<ArrayRef<char>> bytes = storedElementBytes(value, expanded);
      if (!bytes || (int64_t)bytes->size() < minBytes)
        continue;
      if (!expanded.empty()) {
        scratch.push_back(std::move(expanded));
        bytes = ArrayRef<char>(scratch.back());
      }
      // At least the element's own alignment: the declaration promises it
      // to the code, the object keeps it.
      uint64_t align = std::max<uint64_t>(
          global.getAlignment().value_or(1),
          llvm::divideCeil(type.getElementTypeBitWidth(), 8));
      // Keyed by the data: globals of one blob (or one uniqued attribute)
      // share its copy in the object.
      symbols.push_back(
          {global.getSymName().str(), *bytes, align, bytes->data()});
      written.push_back(global);
    }
    if (symbols.empty())
      return;

    // The artifact's folder may not exist yet (the driver makes it after
    // the pipeline).
    if (StringRef dir = llvm::sys::path::parent_path(object); !dir.empty())
      if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
        module.emitError() << "cannot create " << dir << ": " << ec.message();
        return signalPassFailure();
      }
    if (llvm::Error e = writeDataObject(symbols, target, object)) {
      module.emitError() << llvm::toString(std::move(e));
      return signalPassFailure();
    }

    Builder b(&getContext());
    SmallVector<Attribute> names;
    for (auto [global, symbol] : llvm::zip(written, symbols)) {
      global.removeInitialValueAttr();
      // An external declaration: finalize-memref-to-llvm gives a private
      // global private linkage, which a declaration cannot have.
      global.setPublic();
      global.setAlignment(symbol.align);
      names.push_back(FlatSymbolRefAttr::get(global.getSymNameAttr()));
    }
    module->setAttr("mnemo.weights_object",
                    b.getDictionaryAttr(
                        {b.getNamedAttr("file", b.getStringAttr(object)),
                         b.getNamedAttr("symbols", b.getArrayAttr(names))}));
    if (release)
      releaseUnusedBlobs(module);
  }
};

} // namespace

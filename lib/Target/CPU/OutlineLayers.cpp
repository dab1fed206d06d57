//===- OutlineLayers.cpp - a function per large layer loop nest -----------===//
//
// Outlines large top-level loop nests of the model's body into noinline
// private functions, so the parallel code generator's pieces split the
// body by layer (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mnemo {
#define GEN_PASS_DEF_OUTLINELAYERSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Operations nested in `op`'s regions.
int64_t nestedOps(Operation *op) {
  int64_t n = -1; // not `op` itself
  op->walk([&](Operation *) { ++n; });
  return n;
}

/// A constant without operands, cloned into the outlined function
/// instead of passed (the code generator folds it into instructions).
bool clonable(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->hasTrait<OpTrait::ConstantLike>();
}

struct OutlineLayersPass
    : public mnemo::impl::OutlineLayersPassBase<OutlineLayersPass> {
  using OutlineLayersPassBase::OutlineLayersPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> bodies;
    for (auto f : module.getOps<func::FuncOp>())
      if (!f.isExternal() && f.getBody().hasOneBlock())
        bodies.push_back(f);
    for (func::FuncOp f : bodies) {
      SmallVector<Operation *> layers;
      for (Operation &op : f.getBody().front())
        if (op.getNumRegions() > 0 && op.getNumResults() == 0 &&
            nestedOps(&op) >= minOps)
          layers.push_back(&op);
      for (auto [i, op] : llvm::enumerate(layers))
        outline(f, op, symbols, i);
    }
  }

  void outline(func::FuncOp parent, Operation *op, SymbolTable &symbols,
               size_t index) {
    // The op's own operands (a loop's bounds) and what its regions use.
    llvm::SetVector<Value> above(op->operand_begin(), op->operand_end());
    getUsedValuesDefinedAbove(op->getRegions(), above);
    SmallVector<Value> args, constants;
    for (Value v : above)
      (clonable(v) ? constants : args).push_back(v);
    SmallVector<Type> types;
    for (Value v : args)
      types.push_back(v.getType());

    OpBuilder b(parent);
    b.setInsertionPointAfter(parent);
    Location loc = op->getLoc();
    auto callee = func::FuncOp::create(
        b, loc, (parent.getName() + "_layer" + Twine(index)).str(),
        b.getFunctionType(types, {}));
    symbols.insert(callee); // renames on a clash
    callee.setPrivate();
    // Internal like the body, and never inlined back (one call site).
    if (Attribute linkage = parent->getAttr("llvm.linkage"))
      callee->setAttr("llvm.linkage", linkage);
    callee->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));

    Block *entry = callee.addEntryBlock();
    OpBuilder inner = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    for (auto [v, arg] : llvm::zip(args, entry->getArguments()))
      map.map(v, arg);
    for (Value c : constants)
      map.map(c, inner.clone(*c.getDefiningOp())->getResult(
                     cast<OpResult>(c).getResultNumber()));
    inner.clone(*op, map);
    func::ReturnOp::create(inner, loc);

    OpBuilder at(op);
    func::CallOp::create(at, loc, callee, args);
    op->erase();
  }
};

} // namespace

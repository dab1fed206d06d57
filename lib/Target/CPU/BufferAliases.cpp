//===- BufferAliases.cpp - which ops touch a buffer -----------------------===//

#include "mnemo/Target/CPU/BufferAliases.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

llvm::SmallPtrSet<Value, 8> mnemo::viewsOf(Value buffer) {
  llvm::SmallPtrSet<Value, 8> views = {buffer};
  SmallVector<Value> work = {buffer};
  while (!work.empty())
    for (Operation *user : work.pop_back_val().getUsers())
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (views.insert(view->getResult(0)).second)
          work.push_back(view->getResult(0));
  return views;
}

bool mnemo::touchesAny(Operation *op,
                       const llvm::SmallPtrSetImpl<Value> &views) {
  return op
      ->walk([&](Operation *inner) {
        return llvm::any_of(inner->getOperands(),
                            [&](Value v) { return views.contains(v); })
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

std::optional<bool>
mnemo::nextAccessOverwrites(Operation *op,
                            const llvm::SmallPtrSetImpl<Value> &views,
                            Value target) {
  for (Operation *next = op->getNextNode(); next; next = next->getNextNode()) {
    if (isa<ViewLikeOpInterface>(next) || !touchesAny(next, views))
      continue;
    auto w = dyn_cast<linalg::LinalgOp>(next);
    return w && w.hasPureBufferSemantics() && w.getNumDpsInits() == 1 &&
           w.getDpsInits()[0] == target && w.getNumReductionLoops() == 0 &&
           w.getMatchingIndexingMap(w.getDpsInitOperand(0)).isIdentity() &&
           !w.payloadUsesValueFromOperand(w.getDpsInitOperand(0)) &&
           llvm::none_of(w.getDpsInputs(),
                         [&](Value v) { return views.contains(v); });
  }
  return std::nullopt;
}

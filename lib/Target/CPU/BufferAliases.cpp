//===- BufferAliases.cpp - which ops touch a buffer -----------------------===//

#include "mnemo/Target/CPU/BufferAliases.h"

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

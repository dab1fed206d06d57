//===- BufferLiveness.cpp - planning problem of a bufferized function -----===//

#include "mnemo/Memory/BufferLiveness.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;

namespace mnemo::memory {

FailureOr<MemoryPlan> planFunction(func::FuncOp fn,
                                   const BufferLiveness &live,
                                   StringRef planner, double ilpTimeLimit,
                                   int64_t sramBudget, StringRef model,
                                   ArrayRef<std::string> reports) {
  // With tiers the single-arena plan is only reported (bounds, greedy).
  llvm::Expected<MemoryPlan> plan =
      planMemory(live.problem, sramBudget > 0 ? StringRef("greedy") : planner,
                 ilpTimeLimit, model);
  if (!plan)
    return fn.emitError() << llvm::toString(plan.takeError());
  if (sramBudget > 0) {
    llvm::Expected<TierPlan> tiers =
        planTiers(live.problem, sramBudget, ilpTimeLimit);
    if (!tiers)
      return fn.emitError() << llvm::toString(tiers.takeError());
    plan->tiers = *tiers;
  }
  for (const std::string &path : reports)
    if (llvm::Error err = writeReport(*plan, path))
      return fn.emitError() << llvm::toString(std::move(err));
  return std::move(*plan);
}

func::FuncOp lookupEntry(ModuleOp module, StringRef name) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn)
    module.emitError() << "entry function '" << name << "' not found";
  return fn;
}

std::string nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (std::string n = nodeName(l); !n.empty())
        return n;
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return nodeName(site.getCallee());
  return "";
}

int64_t elementBytes(Type t) {
  if (t.isIndex())
    return 8;
  return std::max<int64_t>(1, (t.getIntOrFloatBitWidth() + 7) / 8);
}

FailureOr<int64_t> staticAllocBytes(memref::AllocOp alloc) {
  MemRefType t = alloc.getType();
  if (!t.hasStaticShape() || !t.getLayout().isIdentity())
    return alloc.emitError()
           << "cannot size " << t
           << " here (dynamic or strided); mnemoc plans dynamic shapes "
              "from their --dim bounds";
  return t.getNumElements() * elementBytes(t.getElementType());
}

namespace {

/// Ops that do work at run time: anything with a region (loop nests) or a
/// memory effect, and the return (outputs are read after it). Allocation
/// bookkeeping, views and index arithmetic are not steps.
bool isStep(Operation *op) {
  if (isa<func::ReturnOp>(op))
    return true;
  if (isa<memref::AllocOp, memref::DeallocOp>(op))
    return false;
  return op->getNumRegions() > 0 || !isMemoryEffectFree(op);
}

std::string stepName(Operation *op) {
  std::string name = nodeName(op->getLoc());
  return name.empty() ? op->getName().getStringRef().str() : name;
}

/// The steps that use `buffer` or a view of it (transitively).
llvm::SmallDenseSet<int64_t> useSteps(Value buffer, Block &block,
                                      const DenseMap<Operation *, int64_t> &stepAt) {
  llvm::SmallDenseSet<int64_t> steps;
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == v) {
        llvm::append_range(worklist, user->getResults());
        // A view taken inside a loop nest is itself a use there.
        if (user->getBlock() == &block)
          continue;
      }
      if (isa<memref::DeallocOp>(user))
        continue;
      Operation *top = block.findAncestorOpInBlock(*user);
      if (top && isStep(top))
        steps.insert(stepAt.lookup(top));
    }
  }
  return steps;
}

} // namespace

FailureOr<BufferLiveness> analyzeBufferLiveness(
    func::FuncOp fn, function_ref<FailureOr<int64_t>(memref::AllocOp)> bytesOf,
    int64_t alignment) {
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("memory planning needs a single-block function");
  Block &block = fn.front();
  BufferLiveness result;
  Problem &p = result.problem;
  p.alignment = alignment;

  // Step index of each top-level op; non-steps map to the next step.
  DenseMap<Operation *, int64_t> &stepAt = result.stepAt;
  SmallVector<Operation *> pending;
  for (Operation &op : block) {
    pending.push_back(&op);
    if (!isStep(&op))
      continue;
    for (Operation *q : pending)
      stepAt[q] = p.steps.size();
    pending.clear();
    p.steps.push_back(stepName(&op));
    result.stepOps.push_back(&op);
  }
  p.touched.resize(p.steps.size());

  llvm::StringMap<int> seenNames;
  WalkResult walk = fn.walk([&](memref::AllocOp alloc) {
    FailureOr<int64_t> bytes = bytesOf(alloc);
    if (failed(bytes))
      return WalkResult::interrupt();
    Operation *home = block.findAncestorOpInBlock(*alloc);
    llvm::SmallDenseSet<int64_t> steps =
        useSteps(alloc.getResult(), block, stepAt);
    int64_t first = INT64_MAX, last = -1;
    for (int64_t st : steps) {
      first = std::min(first, st);
      last = std::max(last, st);
      p.touched[st].push_back(p.buffers.size());
    }
    if (last < 0) // never used: live where it is allocated
      first = last = std::min<int64_t>(stepAt.lookup(home),
                                       (int64_t)p.steps.size() - 1);
    int index = p.buffers.size();
    std::string name = nodeName(alloc.getLoc());
    if (name.empty())
      name = "buffer" + std::to_string(index);
    if (int n = seenNames[name]++)
      name += "#" + std::to_string(n + 1);
    int64_t aligned = (*bytes + alignment - 1) / alignment * alignment;
    p.buffers.push_back({name, aligned, first, last});
    result.allocs.push_back(alloc);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  return result;
}

} // namespace mnemo::memory

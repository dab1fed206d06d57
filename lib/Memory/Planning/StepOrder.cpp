//===- StepOrder.cpp - reorder a bufferized function for peak memory ------===//

#include "mnemo/Memory/Planning/StepOrder.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"

#include <functional>
#include <set>

using namespace mlir;

namespace mnemo::memory {

namespace {

/// The top-level units of the entry block: ops that are steps, loops planned
/// per iteration, and the return.
struct Units {
  SmallVector<Operation *> ops;
  DenseMap<Operation *, int> index;
};

/// The op of the entry block that is or contains `op` (null for none).
Operation *topLevel(Operation *op, Block &entry) {
  return op ? entry.findAncestorOpInBlock(*op) : nullptr;
}

/// What a memory access refers to: the function argument, global or
/// allocation under any chain of views and loop-carried values; and
/// whether it is an argument of the function (a model input or output).
std::pair<const void *, bool> accessKey(Value v) {
  while (true) {
    v = rootBuffer(v);
    if (auto result = dyn_cast<OpResult>(v)) {
      if (auto loop = dyn_cast<LoopLikeOpInterface>(result.getOwner()))
        if (OpOperand *init = loop.getTiedLoopInit(result)) {
          v = init->get();
          continue;
        }
      if (auto global = dyn_cast<memref::GetGlobalOp>(result.getOwner()))
        return {global.getNameAttr().getAsOpaquePointer(), false};
    } else if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (auto loop = dyn_cast_or_null<LoopLikeOpInterface>(
              arg.getOwner()->getParentOp()))
        if (OpOperand *init = loop.getTiedLoopInit(arg)) {
          v = init->get();
          continue;
        }
    }
    auto arg = dyn_cast<BlockArgument>(v);
    bool input = arg && isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
    return {v.getAsOpaquePointer(), input};
  }
}

/// The buffers `unit` reads and writes, or `barrier` when some effect names
/// no buffer (or an op declares none): such a unit keeps its place.
struct Accesses {
  llvm::MapVector<const void *, bool> written; // key -> writes it
  bool barrier = false;
  bool readsInput = false; // touches an argument of the function
};

Accesses accessesOf(Operation *unit) {
  Accesses acc;
  unit->walk([&](Operation *op) {
    if (auto iface = dyn_cast<MemoryEffectOpInterface>(op)) {
      SmallVector<MemoryEffects::EffectInstance> effects;
      iface.getEffects(effects);
      for (const MemoryEffects::EffectInstance &e : effects) {
        if (isa<MemoryEffects::Allocate, MemoryEffects::Free>(e.getEffect()))
          continue;
        const void *key = nullptr;
        if (Value v = e.getValue()) {
          // Scratch allocated inside the unit is its own.
          if (Operation *def = rootBuffer(v).getDefiningOp();
              def && isa<memref::AllocOp, memref::AllocaOp>(def) &&
              unit->isAncestor(def))
            continue;
          bool input;
          std::tie(key, input) = accessKey(v);
          acc.readsInput |= input;
        } else if (SymbolRefAttr sym = e.getSymbolRef()) {
          key = sym.getRootReference().getAsOpaquePointer();
        } else {
          acc.barrier = true;
          continue;
        }
        acc.written[key] |= isa<MemoryEffects::Write>(e.getEffect());
      }
      return;
    }
    if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      acc.barrier = true;
  });
  return acc;
}

/// Units whose results `op` (a non-unit op of the entry block) depends on.
const llvm::SmallDenseSet<int> &
producersOf(Operation *op, Block &entry, const Units &units,
            DenseMap<Operation *, llvm::SmallDenseSet<int>> &memo) {
  if (auto it = memo.find(op); it != memo.end())
    return it->second;
  llvm::SmallDenseSet<int> result;
  for (Value v : op->getOperands())
    if (Operation *def = topLevel(v.getDefiningOp(), entry)) {
      if (auto u = units.index.find(def); u != units.index.end())
        result.insert(u->second);
      else
        for (int p : producersOf(def, entry, units, memo))
          result.insert(p);
    }
  return memo[op] = std::move(result);
}

/// Dependencies of the units, in program order, as edges.
std::vector<std::pair<int, int>> dependencies(Block &entry,
                                              const Units &units,
                                              std::vector<bool> &readsInput) {
  std::set<std::pair<int, int>> edges;
  DenseMap<Operation *, llvm::SmallDenseSet<int>> memo;
  const int n = units.ops.size();
  // Per buffer: the last writer and the readers since.
  DenseMap<const void *, std::pair<int, SmallVector<int>>> state;
  int lastBarrier = -1;
  for (int u = 0; u < n; ++u) {
    Operation *unit = units.ops[u];
    auto add = [&](int from) {
      if (from >= 0 && from != u)
        edges.insert({from, u});
    };
    // Values computed by other units (directly or through index ops).
    unit->walk([&](Operation *op) {
      for (Value v : op->getOperands()) {
        Operation *def = topLevel(v.getDefiningOp(), entry);
        if (!def || def == unit)
          continue;
        if (auto it = units.index.find(def); it != units.index.end())
          add(it->second);
        else
          for (int p : producersOf(def, entry, units, memo))
            add(p);
      }
    });
    Accesses acc = accessesOf(unit);
    readsInput[u] = acc.readsInput;
    // The return and units with unattributed effects keep their place.
    if (acc.barrier || isa<func::ReturnOp>(unit)) {
      for (int v = std::max(lastBarrier, 0); v < u; ++v)
        add(v);
      lastBarrier = u;
    } else {
      add(lastBarrier);
    }
    for (auto [key, writes] : acc.written) {
      auto &[writer, readers] = state.try_emplace(key, -1, SmallVector<int>())
                                    .first->second;
      add(writer);
      if (writes) {
        for (int r : readers)
          add(r);
        readers.clear();
        writer = u;
      } else {
        readers.push_back(u);
      }
    }
  }
  return {edges.begin(), edges.end()};
}

/// The ordering problem: units, their dependencies, and the buffers as
/// tensors of the units that touch them (a buffer only one unit touches is
/// that unit's own; a loop's own bytes are its iterations' peak).
OrderProblem orderProblem(Block &entry, const BufferLiveness &live,
                          const Units &units) {
  const Problem &p = live.problem;
  OrderProblem op;
  const int n = units.ops.size();
  op.ownBytes.assign(n, 0);
  std::vector<bool> readsInput(n, false);
  op.edges = dependencies(entry, units, readsInput);
  // Units that depend on no model input (fills, constant folding left to
  // run time) and units with no inputs from other units (a copy of a
  // model input) could run anywhere before their consumer, which would
  // make the whole program one part for the solver. Running them before
  // the consumer's other inputs only lengthens their outputs' lives, so
  // they wait for them.
  {
    std::vector<SmallVector<int>> preds(n), succs(n);
    for (auto [u, v] : op.edges) {
      preds[v].push_back(u);
      succs[u].push_back(v);
    }
    std::vector<bool> fromInput(n, false), floating(n, false), pinned(n);
    for (int u = 0; u < n; ++u) {
      fromInput[u] = readsInput[u] || llvm::any_of(preds[u], [&](int p) {
                       return (bool)fromInput[p];
                     });
      floating[u] = !fromInput[u] || preds[u].empty();
    }
    auto reaches = [&](int from, int to) {
      llvm::BitVector seen(n);
      SmallVector<int> work = {from};
      while (!work.empty()) {
        int u = work.pop_back_val();
        if (u == to)
          return true;
        if (seen.test(u))
          continue;
        seen.set(u);
        llvm::append_range(work, succs[u]);
      }
      return false;
    };
    for (int c = 0; c < n; ++c) {
      if (floating[c])
        continue;
      SmallVector<int> inputs, work;
      for (int p : preds[c])
        (floating[p] ? work : inputs).push_back(p);
      while (!work.empty()) {
        int f = work.pop_back_val();
        if (pinned[f])
          continue;
        pinned[f] = true;
        for (int p : inputs)
          if (!reaches(f, p)) { // no edge may close a cycle
            op.edges.push_back({p, f});
            succs[p].push_back(f);
          }
        for (int q : preds[f])
          if (floating[q])
            work.push_back(q);
      }
    }
  }
  std::vector<int> unitOfStep(p.steps.size());
  for (auto [s, stepOp] : llvm::enumerate(live.stepOps))
    unitOfStep[s] = units.index.lookup(topLevel(stepOp, entry));
  // The units touching each buffer.
  std::vector<std::vector<int>> touching(p.buffers.size());
  for (auto [s, buffers] : llvm::enumerate(p.touched))
    for (int b : buffers)
      touching[b].push_back(unitOfStep[s]);
  // Own bytes per step of a unit, then each unit's peak over its steps.
  std::vector<int64_t> ownAtStep(p.steps.size(), 0);
  for (auto [b, users] : llvm::enumerate(touching)) {
    llvm::sort(users);
    users.erase(std::unique(users.begin(), users.end()), users.end());
    const Buffer &buffer = p.buffers[b];
    if (users.size() > 1) {
      op.tensors.push_back({buffer.bytes, users});
      continue;
    }
    for (int64_t s = buffer.first; s <= buffer.last; ++s)
      ownAtStep[s] += buffer.bytes;
  }
  for (auto [s, own] : llvm::enumerate(ownAtStep))
    op.ownBytes[unitOfStep[s]] = std::max(op.ownBytes[unitOfStep[s]], own);
  return op;
}

/// Moves the entry block's ops into `order`: before each unit, the ops it
/// needs that are not yet placed (allocations, views, index arithmetic);
/// ops nothing needs go before the return, in their old order.
void applyOrder(Block &entry, const Units &units, ArrayRef<int> order) {
  SmallVector<Operation *> original;
  for (Operation &op : entry)
    original.push_back(&op);
  llvm::DenseSet<Operation *> placed;
  SmallVector<Operation *> sequence;
  std::function<void(Operation *)> place = [&](Operation *op) {
    if (!placed.insert(op).second)
      return;
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands())
        if (Operation *def = topLevel(v.getDefiningOp(), entry);
            def && def != op)
          place(def);
    });
    sequence.push_back(op);
  };
  Operation *ret = entry.getTerminator();
  for (int u : order)
    if (units.ops[u] != ret)
      place(units.ops[u]);
  for (Operation *op : original)
    if (op != ret)
      place(op);
  place(ret);
  for (Operation *op : sequence)
    op->moveBefore(&entry, entry.end());
}

Units unitsOf(Block &entry, const BufferLiveness &live) {
  Units units;
  for (Operation &op : entry) {
    bool isUnit = isScheduledLoop(&op) || isa<func::ReturnOp>(op);
    if (!isUnit)
      if (auto it = live.stepAt.find(&op); it != live.stepAt.end())
        isUnit = live.stepOps[it->second] == &op;
    if (isUnit) {
      units.index[&op] = units.ops.size();
      units.ops.push_back(&op);
    }
  }
  return units;
}

} // namespace

FailureOr<BufferLiveness> analyzeInBestOrder(
    func::FuncOp fn, function_ref<FailureOr<int64_t>(memref::AllocOp)> bytesOf,
    int64_t alignment, bool reorder, double timeLimitSeconds,
    std::optional<OrderReport> &report) {
  FailureOr<BufferLiveness> live =
      analyzeBufferLiveness(fn, bytesOf, alignment);
  if (failed(live) || !reorder)
    return live;
  Block &entry = fn.front();
  Units units = unitsOf(entry, *live);
  OrderProblem problem = orderProblem(entry, *live, units);
  OrderReport r;
  r.units = units.ops.size();
  r.fixedOrderBound = computeBounds(live->problem).fixedOrder;
  r.order = chooseOrder(problem, timeLimitSeconds);
  for (auto [t, u] : llvm::enumerate(r.order.units))
    r.moved += (int)t != u;
  if (r.moved == 0 || !checkOrder(problem, r.order.units).empty()) {
    report = std::move(r);
    return live;
  }
  SmallVector<Operation *> original;
  for (Operation &op : entry)
    original.push_back(&op);
  applyOrder(entry, units, r.order.units);
  FailureOr<BufferLiveness> reordered =
      analyzeBufferLiveness(fn, bytesOf, alignment);
  if (failed(reordered))
    return failure();
  int64_t bound = computeBounds(reordered->problem).fixedOrder;
  if (bound >= r.fixedOrderBound) {
    // The model missed something the buffers show: keep program order
    // (the same ops in the same places: the first analysis holds again).
    for (Operation *op : original)
      op->moveBefore(&entry, entry.end());
    r.moved = 0;
    r.order.method = "program";
    report = std::move(r);
    return live;
  }
  // The program order's problem, for its arena in the report.
  r.fixedProblem = std::move(live->problem);
  report = std::move(r);
  return reordered;
}

} // namespace mnemo::memory

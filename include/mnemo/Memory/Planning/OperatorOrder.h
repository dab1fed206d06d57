//===- OperatorOrder.h - execution order chosen for peak memory -*- C++ -*-===//
//
// The order in which independent ops run decides which tensors are live
// together. This chooses an order of a program's units (its top-level ops)
// that respects their dependencies and minimizes the peak of the bytes live
// at any position, as COSMA's and OLLA's scheduling ILPs do: one binary per
// unit and position, live-tensor indicators derived from the positions of a
// tensor's users, minimize the largest live sum. Graphs too large for one ILP
// are split where the order is forced (a unit every other unit precedes or
// follows) and, within a part still too large, solved window by window
// around the peak (COSMA's divide and conquer). Independent of MLIR, like
// Planner.h, so it is unit-tested on synthetic problems.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_OPERATORORDER_H
#define MNEMO_MEMORY_OPERATORORDER_H

#include "mnemo/Memory/Planning/Planner.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mnemo::memory {

struct OrderProblem {
  /// Per unit (in program order): the bytes it needs only while it runs
  /// (buffers no other unit touches; for a loop planned per iteration, its
  /// iterations' peak).
  std::vector<int64_t> ownBytes;
  /// `first` runs before `second`.
  std::vector<std::pair<int, int>> edges;
  /// Tensors used by more than one unit: live from the first to the last
  /// position of a user.
  struct Tensor {
    int64_t bytes = 0;
    std::vector<int> users;
  };
  std::vector<Tensor> tensors;
  int numUnits() const { return ownBytes.size(); }
};

struct Order {
  std::vector<int> units; ///< unit at each position
  int64_t peak = 0;       ///< max over positions of live bytes
  /// "program" (kept), "greedy" (list scheduling), "ilp" (exact or by
  /// windows).
  std::string method = "program";
  bool optimal = false;   ///< the peak is proven minimal
  double seconds = 0;
  int ilps = 0;           ///< ILPs solved (parts and windows)
};

/// Live bytes at each position of `order`.
std::vector<int64_t> liveBytesInOrder(const OrderProblem &p,
                                      const std::vector<int> &order);
/// Violations of `order`: not a permutation, or an edge it reverses.
std::vector<std::string> checkOrder(const OrderProblem &p,
                                    const std::vector<int> &order);

/// The order with the smallest peak found within `timeLimitSeconds`: the
/// program order, a memory-greedy list schedule and the ILP's. Never worse
/// than the program order; `method` says which one it is.
Order chooseOrder(const OrderProblem &p, double timeLimitSeconds);

/// What reordering did, for the reports.
/// (The chosen order's bound is the plan's own fixed-order bound.)
struct OrderReport {
  int units = 0, moved = 0;   ///< top-level units; units not at their place
  int64_t fixedOrderBound = 0; ///< live-bytes bound in program order
  int64_t fixedOrderArena = 0; ///< the planner's arena in program order
  Order order;                 ///< method, optimality, time, ILPs
  /// The planning problem in program order, when units moved (for the
  /// fixed-order arena).
  Problem fixedProblem;
};

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_OPERATORORDER_H

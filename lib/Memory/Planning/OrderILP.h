//===- OrderILP.h - one window of the operator-order ILP --------*- C++ -*-===//
//
// Internal to lib/Memory/Planning: the dependency closure OperatorOrder.cpp
// computes once, and the ILP that places the units of a window of
// positions anew while the others keep theirs (a whole part of the
// program, or one of COSMA's windows around the peak).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_MEMORY_PLANNING_ORDERILP_H
#define MNEMO_LIB_MEMORY_PLANNING_ORDERILP_H

#include "mnemo/Memory/Planning/OperatorOrder.h"

#include "llvm/ADT/BitVector.h"

#include <optional>

namespace mnemo::memory::detail {

/// Dependencies in closed form: who must run before and after whom.
struct Reach {
  std::vector<std::vector<int>> succ;
  std::vector<int> indegree; ///< number of direct predecessors
  std::vector<llvm::BitVector> ancestors, descendants;
};

/// Max of `live` over positions [a, b].
int64_t peakOf(const std::vector<int64_t> &live, int a, int b);

/// The units at positions [a, b] of an order and the positions each may
/// take (after its ancestors in the window, before its descendants); one
/// binary column x(i, t) per unit i and position t.
struct Window {
  int a = 0, b = 0;
  std::vector<int> units;
  std::vector<int> lo, hi, firstCol;
  int numX = 0;
  int xCol(int i, int t) const { return firstCol[i] + (t - lo[i]); }
};

/// The window [a, b] of `order`, or nullopt when it needs more than `maxX`
/// position columns.
std::optional<Window> makeWindow(const OrderProblem &p, const Reach &r,
                                 const std::vector<int> &order, int a, int b,
                                 int maxX);

struct WindowResult {
  std::vector<int> order; ///< the new order, when `improved`
  bool improved = false;  ///< the window's peak went down
  bool optimal = false;   ///< CBC proved the window's peak minimal
};

/// Places the window's units anew within `seconds`, warm-started from
/// `order`; the positions outside the window keep their live bytes.
WindowResult solveWindow(const OrderProblem &p, const Reach &r,
                         const std::vector<int> &order, const Window &w,
                         double seconds);

} // namespace mnemo::memory::detail

#endif // MNEMO_LIB_MEMORY_PLANNING_ORDERILP_H

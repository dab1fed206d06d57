//===- Planner.h - offsets for buffers with known lifetimes -----*- C++ -*-===//
//
// The memory planning problem: buffers with a size and a lifetime (an
// inclusive range of execution steps) get offsets in one arena so that no two
// buffers live at the same step overlap. Independent of MLIR so the planners
// and the checker can be unit-tested on synthetic problems.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_PLANNER_H
#define MNEMO_MEMORY_PLANNER_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mnemo::memory {

struct Buffer {
  std::string name;
  int64_t bytes = 0;           // a multiple of the problem's alignment
  int64_t first = 0, last = 0; // steps, inclusive
};

struct Problem {
  std::vector<Buffer> buffers;
  /// One name per execution step (the ONNX node it runs).
  std::vector<std::string> steps;
  /// Buffers each step reads or writes (for the order-free bound).
  std::vector<std::vector<int>> touched;
  int64_t alignment = 64;
  /// The step ranges [first, last] of the loops planned per iteration
  /// (patch and slice loops), for the reports.
  std::vector<std::pair<int64_t, int64_t>> loops;
  /// Steps that can leave the buffers they touch off chip and stream them
  /// through in tiles (a loop tiled for the budget, the return): the SRAM
  /// bytes one tile's operands take and the modelled off-chip bytes per
  /// byte of a streamed buffer. [first, last] are the steps of the
  /// outermost loop planned step by step around the step (a FlashAttention
  /// loop, a slice or patch loop), or the step alone: only buffers that
  /// outlive them stream, and they stream at all of them, since their
  /// transfers sit outside that loop. Empty or `staging` < 0: the step
  /// needs its buffers on chip, whole.
  struct Stream {
    int64_t staging = -1;
    double trafficRatio = 1;
    int64_t first = 0, last = -1;
  };
  std::vector<Stream> streams;
  bool streamable(int64_t step) const {
    return step < (int64_t)streams.size() && streams[step].staging >= 0;
  }
  bool streamable(int64_t step, int buffer) const {
    if (!streamable(step))
      return false;
    const Stream &s = streams[step];
    return buffers[buffer].first < s.first || buffers[buffer].last > s.last;
  }
  bool overlapInTime(int a, int b) const {
    return buffers[a].first <= buffers[b].last &&
           buffers[b].first <= buffers[a].last;
  }
};

/// Live bytes at every step (the sum over buffers whose lifetime covers it).
std::vector<int64_t> liveBytes(const Problem &p);

struct Bounds {
  int64_t naive = 0;      // no reuse: the sum of all buffers
  int64_t fixedOrder = 0; // max over steps of live bytes
  int64_t orderFree = 0;  // max over steps of the bytes the step touches
};
Bounds computeBounds(const Problem &p);

struct Plan {
  std::string planner;
  std::vector<int64_t> offsets; // one per buffer
  int64_t arenaBytes = 0;
  double solveSeconds = 0;
  /// ILP: (arena - best proven bound) / arena; 0 when proven optimal.
  double gap = 0;
  bool optimal = false;
  /// Why the ILP result is not used (time limit without a solution, ...).
  std::string note;
};

/// TF-Lite Micro: largest first, each at the lowest offset that fits among
/// the already placed buffers with overlapping lifetimes.
Plan planFirstFit(const Problem &p);
/// Greedy by size (Pisarchyk & Lee 2020): largest first, each in the
/// smallest gap that fits among overlapping placed buffers (best fit), else
/// on top of them.
Plan planGreedyBySize(const Problem &p);
/// OLLA-style address ILP solved with COIN-OR CBC: integer offsets (in units
/// of the alignment), one binary per pair of buffers with overlapping
/// lifetimes choosing which lies below, big-M non-overlap, minimize the
/// arena top. Warm-started from `start`; after `timeLimitSeconds` the best
/// plan found is used (never worse than `start`) and its gap is reported.
Plan planILP(const Problem &p, const Plan &start, double timeLimitSeconds);

/// Violations of `plan` (overlapping live buffers, misalignment, a buffer
/// outside the arena), one message each; empty when the plan is valid.
std::vector<std::string> checkPlan(const Problem &p, const Plan &plan);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_PLANNER_H

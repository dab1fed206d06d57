//===- Planner.cpp - first-fit, greedy-by-size and ILP placement ----------===//

#include "mnemo/Memory/Planning/Planner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "CbcLibrary.h"

namespace mnemo::memory {

std::vector<int64_t> liveBytes(const Problem &p) {
  std::vector<int64_t> live(p.steps.size(), 0);
  for (const Buffer &b : p.buffers)
    for (int64_t s = b.first; s <= b.last && s < (int64_t)live.size(); ++s)
      live[s] += b.bytes;
  return live;
}

Bounds computeBounds(const Problem &p) {
  Bounds r;
  for (const Buffer &b : p.buffers)
    r.naive += b.bytes;
  for (int64_t v : liveBytes(p))
    r.fixedOrder = std::max(r.fixedOrder, v);
  for (const std::vector<int> &t : p.touched) {
    int64_t sum = 0;
    for (int i : t)
      sum += p.buffers[i].bytes;
    r.orderFree = std::max(r.orderFree, sum);
  }
  return r;
}

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Largest first; ties by earlier start, then index (deterministic).
std::vector<int> bySizeDescending(const Problem &p) {
  std::vector<int> order(p.buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const Buffer &x = p.buffers[a], &y = p.buffers[b];
    if (x.bytes != y.bytes)
      return x.bytes > y.bytes;
    return x.first < y.first;
  });
  return order;
}

int64_t alignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

/// Places buffers one at a time in `order`; `choose` picks the offset for
/// buffer i given the placed buffers that overlap it in time, sorted by
/// offset.
template <typename Choose>
Plan placeInOrder(const Problem &p, const std::string &name, Choose choose) {
  auto t0 = Clock::now();
  Plan plan;
  plan.planner = name;
  plan.offsets.assign(p.buffers.size(), -1);
  std::vector<int> placed;
  for (int i : bySizeDescending(p)) {
    std::vector<int> conflicts;
    for (int j : placed)
      if (p.overlapInTime(i, j))
        conflicts.push_back(j);
    std::sort(conflicts.begin(), conflicts.end(), [&](int a, int b) {
      return plan.offsets[a] < plan.offsets[b];
    });
    plan.offsets[i] = choose(i, conflicts, plan.offsets);
    plan.arenaBytes =
        std::max(plan.arenaBytes, plan.offsets[i] + p.buffers[i].bytes);
    placed.push_back(i);
  }
  plan.solveSeconds = secondsSince(t0);
  return plan;
}

} // namespace

Plan planFirstFit(const Problem &p) {
  return placeInOrder(p, "first-fit", [&](int i, const std::vector<int> &conf,
                                          const std::vector<int64_t> &off) {
    int64_t candidate = 0;
    for (int j : conf) {
      if (candidate + p.buffers[i].bytes <= off[j])
        break;
      candidate = std::max(candidate,
                           alignUp(off[j] + p.buffers[j].bytes, p.alignment));
    }
    return candidate;
  });
}

Plan planGreedyBySize(const Problem &p) {
  return placeInOrder(p, "greedy", [&](int i, const std::vector<int> &conf,
                                       const std::vector<int64_t> &off) {
    int64_t size = p.buffers[i].bytes;
    int64_t best = -1, bestGap = INT64_MAX, top = 0;
    for (int j : conf) {
      int64_t gap = off[j] - top;
      if (gap >= size && gap < bestGap) {
        best = top;
        bestGap = gap;
      }
      top = std::max(top, alignUp(off[j] + p.buffers[j].bytes, p.alignment));
    }
    return best >= 0 ? best : top;
  });
}

Plan planILP(const Problem &p, const Plan &start, double timeLimitSeconds) {
  auto t0 = Clock::now();
  const int n = p.buffers.size();
  if (n == 0) {
    Plan empty = start;
    empty.planner = "ilp";
    empty.optimal = true;
    return empty;
  }
  const int64_t unit = p.alignment;
  // A start at the liveness bound is optimal: nothing to solve (and CBC
  // stays unloaded). First-fit gets there on every real model so far.
  // The start as this planner's answer, without a solve.
  auto keepStart = [&](bool optimal, std::string note) {
    Plan plan = start;
    plan.planner = "ilp";
    plan.optimal = optimal;
    plan.note = std::move(note);
    plan.solveSeconds = secondsSince(t0);
    return plan;
  };
  Bounds bounds = computeBounds(p);
  if (start.arenaBytes <= alignUp(bounds.fixedOrder, unit))
    return keepStart(true, "the warm start meets the liveness bound");
  std::string why;
  const detail::CbcLibrary *cbc = detail::loadCbc(why);
  if (!cbc)
    return keepStart(start.optimal, why + "; warm start kept");
  // Offsets in units of the alignment; any plan at least as good as the
  // start lies below its top, which makes it a valid big-M.
  const double bigM = std::ceil((double)start.arenaBytes / unit);
  std::vector<double> size(n);
  for (int i = 0; i < n; ++i)
    size[i] = (double)alignUp(p.buffers[i].bytes, unit) / unit;

  // Columns: k_0..k_{n-1}, top, then one binary per overlapping pair. They
  // are named: CBC 2.10's index-based MIP start (Cbc_setMIPStartI) is
  // silently ignored, the name-based one is used.
  const int top = n;
  auto colName = [&](int c) {
    return c < n ? "k" + std::to_string(c)
                 : c == top ? std::string("top")
                            : "z" + std::to_string(c - top - 1);
  };
  Cbc_Model *m = cbc->newModel();
  cbc->setLogLevel(m, 0);
  for (int i = 0; i < n; ++i)
    cbc->addCol(m, colName(i).c_str(), 0, std::max(0.0, bigM - size[i]), 0, 1,
               0, nullptr, nullptr);
  cbc->addCol(m, colName(top).c_str(),
             std::ceil((double)bounds.fixedOrder / unit), bigM, 1, 0, 0,
             nullptr, nullptr);
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (p.overlapInTime(i, j) && size[i] > 0 && size[j] > 0)
        pairs.push_back({i, j});
  for (size_t k = 0; k < pairs.size(); ++k)
    cbc->addCol(m, colName(top + 1 + k).c_str(), 0, 1, 0, 1, 0, nullptr,
               nullptr);
  for (int i = 0; i < n; ++i) {
    int cols[2] = {i, top};
    double coefs[2] = {1, -1};
    cbc->addRow(m, "", 2, cols, coefs, 'L', -size[i]);
  }
  for (size_t k = 0; k < pairs.size(); ++k) {
    auto [i, j] = pairs[k];
    int z = top + 1 + (int)k;
    // z = 1: i below j (k_i + s_i <= k_j); z = 0: j below i.
    int cols[3] = {i, j, z};
    double below[3] = {1, -1, bigM};
    cbc->addRow(m, "", 3, cols, below, 'L', bigM - size[i]);
    double above[3] = {-1, 1, -bigM};
    cbc->addRow(m, "", 3, cols, above, 'L', -size[j]);
  }
  cbc->setObjSense(m, 1);

  // Warm start from the given plan.
  std::vector<int> idx;
  std::vector<double> val;
  for (int i = 0; i < n; ++i) {
    idx.push_back(i);
    val.push_back((double)start.offsets[i] / unit);
  }
  idx.push_back(top);
  val.push_back(std::ceil((double)start.arenaBytes / unit));
  for (size_t k = 0; k < pairs.size(); ++k) {
    idx.push_back(top + 1 + (int)k);
    val.push_back(start.offsets[pairs[k].first] <
                          start.offsets[pairs[k].second]
                      ? 1
                      : 0);
  }
  std::vector<std::string> names;
  std::vector<const char *> cnames;
  for (int c : idx)
    names.push_back(colName(c));
  for (const std::string &name : names)
    cnames.push_back(name.c_str());
  cbc->setMIPStart(m, idx.size(), cnames.data(), val.data());
  cbc->setMaximumSeconds(m, timeLimitSeconds);
  cbc->setAllowableGap(m, 0.5); // objective is integral in units
  // Within 0.1% of the bound is done: fragmentation can keep the best
  // arena a few units above the liveness bound, which the solver cannot
  // prove optimal and would otherwise chase to the time limit (ResNet-18
  // with Winograd: 4,189,184 bytes against a bound of 4,188,160, 13 s).
  cbc->setAllowableFractionGap(m, 1e-3);
  cbc->solve(m);

  Plan plan = start;
  plan.planner = "ilp";
  const double *x = cbc->bestSolution(m);
  if (x) {
    Plan found;
    found.planner = "ilp";
    found.offsets.resize(n);
    for (int i = 0; i < n; ++i) {
      found.offsets[i] = (int64_t)std::llround(x[i]) * unit;
      found.arenaBytes =
          std::max(found.arenaBytes, found.offsets[i] + p.buffers[i].bytes);
    }
    if (found.arenaBytes <= start.arenaBytes && checkPlan(p, found).empty())
      plan = found;
    else
      plan.note = "solver plan not better than the warm start";
  } else {
    plan.note = "no solution within the time limit; warm start kept";
  }
  double boundUnits =
      std::max(cbc->getBestPossibleObjValue(m),
               std::ceil((double)bounds.fixedOrder / unit));
  double bestBound = std::ceil(boundUnits - 1e-6) * unit;
  // Not Cbc_isProvenOptimal: it also holds when the fraction gap stopped
  // the search above the bound.
  plan.optimal = plan.arenaBytes <= bestBound;
  plan.gap = plan.optimal || plan.arenaBytes == 0
                 ? 0
                 : std::max(0.0, (plan.arenaBytes - bestBound) /
                                     (double)plan.arenaBytes);
  cbc->deleteModel(m);
  plan.solveSeconds = secondsSince(t0);
  return plan;
}

std::vector<std::string> checkPlan(const Problem &p, const Plan &plan) {
  std::vector<std::string> errors;
  const int n = p.buffers.size();
  if ((int)plan.offsets.size() != n) {
    errors.push_back("plan has " + std::to_string(plan.offsets.size()) +
                     " offsets for " + std::to_string(n) + " buffers");
    return errors;
  }
  for (int i = 0; i < n; ++i) {
    const Buffer &b = p.buffers[i];
    int64_t o = plan.offsets[i];
    if (o < 0 || o % p.alignment != 0)
      errors.push_back("'" + b.name + "' at offset " + std::to_string(o) +
                       " is not a non-negative multiple of " +
                       std::to_string(p.alignment));
    if (o + b.bytes > plan.arenaBytes)
      errors.push_back("'" + b.name + "' [" + std::to_string(o) + ", " +
                       std::to_string(o + b.bytes) + ") exceeds the arena of " +
                       std::to_string(plan.arenaBytes) + " bytes");
  }
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const Buffer &a = p.buffers[i], &b = p.buffers[j];
      if (!p.overlapInTime(i, j) || a.bytes == 0 || b.bytes == 0)
        continue;
      int64_t oa = plan.offsets[i], ob = plan.offsets[j];
      if (oa < ob + b.bytes && ob < oa + a.bytes)
        errors.push_back("'" + a.name + "' and '" + b.name +
                         "' are both live at step " +
                         std::to_string(std::max(a.first, b.first)) +
                         " and overlap in memory");
    }
  return errors;
}

} // namespace mnemo::memory

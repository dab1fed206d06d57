//===- Tiers.cpp - on-chip / off-chip placement with spills ---------------===//

#include "mnemo/Memory/Planning/Tiers.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "CbcLibrary.h"

namespace mnemo::memory {

int64_t minimumOnChipBytes(const Problem &p, int64_t *step) {
  int64_t best = 0;
  for (size_t s = 0; s < p.touched.size(); ++s) {
    int64_t sum = 0, fixed = 0;
    for (int i : p.touched[s]) {
      sum += p.buffers[i].bytes;
      if (!p.streamable(s, i))
        fixed += p.buffers[i].bytes;
    }
    if (fixed < sum)
      sum = std::min(sum, fixed + p.streams[s].staging);
    if (sum > best) {
      best = sum;
      if (step)
        *step = s;
    }
  }
  return best;
}

namespace {

/// on[i][s - first_i]: buffer i on chip at step s.
using Residencies = std::vector<std::vector<char>>;

std::vector<std::set<int64_t>> touchSteps(const Problem &p) {
  std::vector<std::set<int64_t>> t(p.buffers.size());
  for (size_t s = 0; s < p.touched.size(); ++s)
    for (int i : p.touched[s])
      t[i].insert(s);
  return t;
}

/// Belady's rule: keep what is touched now, evict the buffer whose next use
/// is farthest away until the step fits in `capacity`; then, at a step that
/// can stream, stream the largest touched buffers (their tiles staged on
/// chip). Fails when the step still does not fit.
std::optional<Residencies> belady(const Problem &p, int64_t capacity) {
  const int n = p.buffers.size();
  std::vector<std::set<int64_t>> uses = touchSteps(p);
  Residencies on(n);
  for (int i = 0; i < n; ++i)
    on[i].assign(p.buffers[i].last - p.buffers[i].first + 1, 0);
  std::set<int> resident;
  for (int64_t s = 0; s < (int64_t)p.steps.size(); ++s) {
    for (auto it = resident.begin(); it != resident.end();)
      it = p.buffers[*it].last < s ? resident.erase(it) : std::next(it);
    std::set<int> now(p.touched[s].begin(), p.touched[s].end());
    resident.insert(now.begin(), now.end());
    int64_t bytes = 0;
    for (int i : resident)
      bytes += p.buffers[i].bytes;
    bool staged = false;
    while (bytes > capacity) {
      int victim = -1;
      int64_t farthest = -1;
      for (int i : resident) {
        if (now.count(i))
          continue;
        auto next = uses[i].upper_bound(s);
        int64_t at = next == uses[i].end() ? INT64_MAX : *next;
        if (at > farthest) {
          farthest = at;
          victim = i;
        }
      }
      if (victim < 0) {
        for (int i : resident)
          if (now.count(i) && p.streamable(s, i) &&
              (victim < 0 || p.buffers[i].bytes > p.buffers[victim].bytes))
            victim = i;
        if (victim >= 0 && !staged) {
          staged = true;
          bytes += p.streams[s].staging;
        }
      }
      if (victim < 0)
        return std::nullopt;
      resident.erase(victim);
      bytes -= p.buffers[victim].bytes;
    }
    for (int i : resident)
      on[i][s - p.buffers[i].first] = 1;
  }
  return on;
}

/// The residency ILP; returns the warm start when CBC finds nothing better.
Residencies residencyILP(const Problem &p, int64_t capacity,
                         const Residencies &start, double timeLimit,
                         bool &optimal) {
  const int n = p.buffers.size();
  const double unit = p.alignment;
  std::string why;
  const detail::CbcLibrary *cbc = detail::loadCbc(why);
  if (!cbc) {
    optimal = false; // the start stays (loadCbc warned)
    return start;
  }
  std::vector<std::set<int64_t>> uses = touchSteps(p);
  Cbc_Model *m = cbc->newModel();
  cbc->setLogLevel(m, 0);
  // r[i][k] column of buffer i at step first_i + k.
  std::vector<std::vector<int>> r(n);
  std::vector<std::string> names;
  int cols = 0;
  auto addCol = [&](const std::string &name, double lb, double ub, double obj,
                    bool integer) {
    cbc->addCol(m, name.c_str(), lb, ub, obj, integer, 0, nullptr, nullptr);
    names.push_back(name);
    return cols++;
  };
  for (int i = 0; i < n; ++i) {
    const Buffer &b = p.buffers[i];
    double w = b.bytes / unit;
    // Per tiled loop: the column of the buffer's first streamable use.
    std::map<int64_t, int> loopCol;
    for (int64_t s = b.first; s <= b.last; ++s) {
      // A streamed buffer costs its modelled traffic, w * ratio * (1 - r),
      // once per loop; the constant term does not change the optimum.
      bool streams = uses[i].count(s) && p.streamable(s, i);
      bool again = streams && loopCol.count(p.streams[s].first);
      double lb = uses[i].count(s) && !streams ? 1 : 0;
      double obj = streams && !again ? -w * p.streams[s].trafficRatio : 0;
      std::string tag = std::to_string(i) + "_" + std::to_string(s);
      r[i].push_back(addCol("r" + tag, lb, 1, obj, true));
      // Streamed at one step of a loop body, streamed at all of them (see
      // streamWholeLoops).
      if (again) {
        int rc[2] = {r[i].back(), loopCol[p.streams[s].first]};
        double rv[2] = {1, -1};
        cbc->addRow(m, "", 2, rc, rv, 'E', 0);
      } else if (streams) {
        loopCol[p.streams[s].first] = r[i].back();
      }
      if (s == b.first)
        continue;
      int cur = r[i].back(), prev = r[i][r[i].size() - 2];
      // reload >= r_s - r_{s-1}; spill >= r_{s-1} - r_s.
      int reload = addCol("l" + tag, 0, 1, w, false);
      int spill = addCol("e" + tag, 0, 1, w, false);
      int rc[3] = {reload, cur, prev};
      double rv[3] = {1, -1, 1};
      cbc->addRow(m, "", 3, rc, rv, 'G', 0);
      int sc[3] = {spill, prev, cur};
      cbc->addRow(m, "", 3, sc, rv, 'G', 0);
    }
  }
  // z[s]: step s streams something, so its staging area is on chip:
  // z[s] + r[i][s] >= 1 for every buffer it touches.
  std::vector<int> z(p.steps.size(), -1);
  for (int64_t s = 0; s < (int64_t)p.steps.size(); ++s) {
    for (int i : p.touched[s]) {
      if (!p.streamable(s, i))
        continue;
      if (z[s] < 0)
        z[s] = addCol("z" + std::to_string(s), 0, 1, 0, false);
      int rc[2] = {z[s], r[i][s - p.buffers[i].first]};
      double rv[2] = {1, 1};
      cbc->addRow(m, "", 2, rc, rv, 'G', 1);
    }
  }
  for (int64_t s = 0; s < (int64_t)p.steps.size(); ++s) {
    std::vector<int> c;
    std::vector<double> v;
    for (int i = 0; i < n; ++i)
      if (p.buffers[i].first <= s && s <= p.buffers[i].last) {
        c.push_back(r[i][s - p.buffers[i].first]);
        v.push_back(p.buffers[i].bytes / unit);
      }
    if (z[s] >= 0) {
      c.push_back(z[s]);
      v.push_back(p.streams[s].staging / unit);
    }
    if (!c.empty())
      cbc->addRow(m, "", c.size(), c.data(), v.data(), 'L', capacity / unit);
  }
  cbc->setObjSense(m, 1);
  std::vector<const char *> startNames;
  std::vector<double> startValues;
  for (int i = 0; i < n; ++i)
    for (size_t k = 0; k < r[i].size(); ++k) {
      startNames.push_back(names[r[i][k]].c_str());
      startValues.push_back(start[i][k]);
    }
  for (int64_t s = 0; s < (int64_t)z.size(); ++s)
    if (z[s] >= 0) {
      bool streams = llvm::any_of(p.touched[s], [&](int i) {
        return !start[i][s - p.buffers[i].first];
      });
      startNames.push_back(names[z[s]].c_str());
      startValues.push_back(streams);
    }
  cbc->setMIPStart(m, startNames.size(), startNames.data(), startValues.data());
  cbc->setMaximumSeconds(m, timeLimit);
  cbc->solve(m);
  Residencies on = start;
  optimal = cbc->isProvenOptimal(m);
  if (const double *x = cbc->bestSolution(m))
    for (int i = 0; i < n; ++i)
      for (size_t k = 0; k < r[i].size(); ++k)
        on[i][k] = x[r[i][k]] > 0.5;
  cbc->deleteModel(m);
  return on;
}

/// Turns residency flags into runs, places the runs in SRAM and the spilled
/// buffers in DRAM, and counts the traffic.
/// A buffer a tiled loop streams at one of its body's steps stays off chip
/// for the whole loop: its transfers sit outside the loop, so an on-chip
/// copy inside would go stale (or overwrite the streamed writes when
/// spilled after the loop).
Residencies streamWholeLoops(const Problem &p, Residencies on) {
  for (int64_t s = 0; s < (int64_t)p.steps.size(); ++s)
    for (int i : p.touched[s]) {
      if (!p.streamable(s, i) || on[i][s - p.buffers[i].first])
        continue;
      const Problem::Stream &loop = p.streams[s];
      for (int64_t u = std::max(loop.first, p.buffers[i].first);
           u <= std::min(loop.last, p.buffers[i].last); ++u)
        on[i][u - p.buffers[i].first] = 0;
    }
  return on;
}

TierPlan place(const Problem &p, const Residencies &onIn, int64_t budget) {
  const Residencies on = streamWholeLoops(p, onIn);
  const int n = p.buffers.size();
  TierPlan t;
  t.budget = budget;
  t.residencies.resize(n);
  t.dramOffset.assign(n, -1);
  Problem runs;
  runs.alignment = p.alignment;
  runs.steps = p.steps;
  // run -> (buffer, residency), or (-1, step) for a staging area.
  std::vector<std::pair<int, int>> owner;
  std::vector<char> streamed(n, 0);
  std::set<std::pair<int, int64_t>> counted; // (buffer, loop) streamed
  t.stagingOffset.assign(p.steps.size(), -1);
  for (int64_t s = 0; s < (int64_t)p.steps.size(); ++s) {
    bool any = false;
    for (int i : p.touched[s]) {
      if (on[i][s - p.buffers[i].first] || !p.streamable(s, i))
        continue;
      any = streamed[i] = true;
      if (counted.insert({i, p.streams[s].first}).second)
        t.streamedTrafficBytes += std::llround(p.buffers[i].bytes *
                                               p.streams[s].trafficRatio);
    }
    if (!any)
      continue;
    int64_t staging = (p.streams[s].staging + p.alignment - 1) /
                      p.alignment * p.alignment;
    if (staging > 0) {
      owner.push_back({-1, (int)s});
      runs.buffers.push_back({"staging of " + p.steps[s], staging, s, s});
    }
  }
  t.trafficBytes = t.streamedTrafficBytes;
  for (int i = 0; i < n; ++i) {
    const Buffer &b = p.buffers[i];
    for (int64_t s = b.first; s <= b.last; ++s) {
      if (!on[i][s - b.first])
        continue;
      if (s > b.first && on[i][s - 1 - b.first]) {
        t.residencies[i].back().last = s;
        continue;
      }
      t.residencies[i].push_back({s, s, 0, s > b.first, false});
    }
    for (Residency &r : t.residencies[i]) {
      r.spillAfter = r.last < b.last;
      t.trafficBytes += b.bytes * (r.reloadBefore + r.spillAfter);
      owner.push_back({i, (int)(&r - t.residencies[i].data())});
      runs.buffers.push_back({b.name, b.bytes, r.first, r.last});
    }
  }
  Plan sram = planGreedyBySize(runs);
  Plan ff = planFirstFit(runs);
  if (ff.arenaBytes < sram.arenaBytes)
    sram = ff;
  for (size_t k = 0; k < owner.size(); ++k) {
    auto [i, at] = owner[k];
    (i < 0 ? t.stagingOffset[at] : t.residencies[i][at].offset) =
        sram.offsets[k];
  }
  t.sramBytes = sram.arenaBytes;

  Problem spilled;
  spilled.alignment = p.alignment;
  spilled.steps = p.steps;
  std::vector<int> who;
  for (int i = 0; i < n; ++i)
    if (streamed[i] || t.residencies[i].size() > 1 ||
        (!t.residencies[i].empty() && t.residencies[i].front().spillAfter)) {
      spilled.buffers.push_back(p.buffers[i]);
      who.push_back(i);
    }
  Plan dram = planGreedyBySize(spilled);
  for (size_t k = 0; k < who.size(); ++k)
    t.dramOffset[who[k]] = dram.offsets[k];
  t.dramBytes = dram.arenaBytes;
  return t;
}

/// Belady residencies placed, lowering the capacity while fragmentation
/// pushes the arena past the budget.
std::optional<TierPlan> fitBelady(const Problem &p, int64_t budget) {
  for (int64_t capacity = budget; capacity > 0;) {
    std::optional<Residencies> on = belady(p, capacity);
    if (!on)
      return std::nullopt;
    TierPlan t = place(p, *on, budget);
    if (t.sramBytes <= budget) {
      t.method = "belady";
      return t;
    }
    capacity -= std::max(p.alignment, t.sramBytes - budget);
  }
  return std::nullopt;
}

} // namespace

llvm::Expected<TierPlan> planTiers(const Problem &p, int64_t budget,
                                   double timeLimitSeconds) {
  auto t0 = std::chrono::steady_clock::now();
  int64_t step = 0;
  int64_t need = minimumOnChipBytes(p, &step);
  std::optional<TierPlan> best = need <= budget ? fitBelady(p, budget)
                                                : std::nullopt;
  if (!best) {
    // The smallest budget the planner meets (binary search over Belady
    // plans; the whole-lifetime greedy plan always fits its own arena).
    int64_t lo = std::max(need, p.alignment), hi = planGreedyBySize(p).arenaBytes;
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2 / p.alignment * p.alignment;
      if (mid <= lo)
        mid = lo;
      if (fitBelady(p, mid))
        hi = mid;
      else
        lo = mid + p.alignment;
    }
    std::string at = step < (int64_t)p.steps.size() ? p.steps[step] : "?";
    return llvm::createStringError(
        "SRAM budget of " + std::to_string(budget) +
        " bytes is infeasible: the smallest budget this planner meets is " +
        std::to_string(hi) + " bytes (any plan needs at least " +
        std::to_string(need) + " bytes on chip at step " +
        std::to_string(step) + ", '" + at + "')");
  }
  // The ILP, at the capacity Belady's plan fit with, then lower while its
  // placement does not fit.
  int64_t capacity = budget;
  for (int attempt = 0; attempt < 6 && capacity >= need; ++attempt) {
    std::optional<Residencies> start = belady(p, capacity);
    if (!start)
      break;
    bool optimal = false;
    Residencies on = residencyILP(p, capacity, *start, timeLimitSeconds,
                                  optimal);
    TierPlan t = place(p, on, budget);
    if (t.sramBytes <= budget) {
      t.method = "ilp";
      t.ilpOptimal = optimal && capacity == budget;
      if (t.trafficBytes <= best->trafficBytes)
        best = t;
      break;
    }
    capacity -= std::max(p.alignment, t.sramBytes - budget);
  }
  best->solveSeconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - t0)
                           .count();
  std::vector<std::string> errors = checkTierPlan(p, *best);
  if (!errors.empty()) {
    std::string all;
    for (const std::string &e : errors)
      all += (all.empty() ? "" : "; ") + e;
    return llvm::createStringError("tier plan fails the checker: " + all);
  }
  return *best;
}

std::vector<std::string> checkTierPlan(const Problem &p, const TierPlan &t) {
  std::vector<std::string> errors;
  const int n = p.buffers.size();
  std::vector<std::set<int64_t>> uses = touchSteps(p);
  struct Slot {
    std::string name;
    int64_t first, last, offset, bytes;
  };
  std::vector<Slot> sram;
  auto staged = [&](int64_t s) {
    return s < (int64_t)t.stagingOffset.size() &&
           (t.stagingOffset[s] >= 0 ||
            (p.streamable(s) && p.streams[s].staging == 0));
  };
  for (int64_t s = 0; s < (int64_t)t.stagingOffset.size(); ++s)
    if (t.stagingOffset[s] >= 0)
      sram.push_back({"staging of " + p.steps[s], s, s, t.stagingOffset[s],
                      p.streams[s].staging});
  for (int i = 0; i < n; ++i) {
    for (int64_t s : uses[i]) {
      if (t.onChip(i, s))
        continue;
      if (!p.streamable(s, i))
        errors.push_back("'" + p.buffers[i].name + "' is used at step " +
                         std::to_string(s) + " but not on chip");
      else if (t.dramOffset[i] < 0 || !staged(s))
        errors.push_back("'" + p.buffers[i].name + "' is streamed at step " +
                         std::to_string(s) +
                         " without a DRAM copy or a staging area");
    }
    for (const Residency &r : t.residencies[i]) {
      sram.push_back({p.buffers[i].name, r.first, r.last, r.offset,
                      p.buffers[i].bytes});
      if ((r.reloadBefore || r.spillAfter) && t.dramOffset[i] < 0)
        errors.push_back("'" + p.buffers[i].name +
                         "' moves between tiers without a DRAM copy");
    }
  }
  for (const Slot &x : sram)
    if (x.offset % p.alignment || x.offset < 0 || x.offset + x.bytes > t.budget)
      errors.push_back("'" + x.name +
                       "' is misaligned or outside the SRAM budget");
  for (size_t a = 0; a < sram.size(); ++a)
    for (size_t b = a + 1; b < sram.size(); ++b) {
      const Slot &x = sram[a], &y = sram[b];
      if (x.first <= y.last && y.first <= x.last &&
          x.offset < y.offset + y.bytes && y.offset < x.offset + x.bytes)
        errors.push_back("'" + x.name + "' and '" + y.name +
                         "' overlap on chip");
    }
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (t.dramOffset[i] >= 0 && t.dramOffset[j] >= 0 &&
          p.overlapInTime(i, j) &&
          t.dramOffset[i] < t.dramOffset[j] + p.buffers[j].bytes &&
          t.dramOffset[j] < t.dramOffset[i] + p.buffers[i].bytes)
        errors.push_back("'" + p.buffers[i].name + "' and '" +
                         p.buffers[j].name + "' overlap off chip");
  return errors;
}

} // namespace mnemo::memory

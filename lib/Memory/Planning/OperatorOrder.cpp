//===- OperatorOrder.cpp - execution order chosen for peak memory ---------===//

#include "mnemo/Memory/Planning/OperatorOrder.h"

#include "OrderILP.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>
#include <set>

namespace mnemo::memory {

namespace {

using namespace detail;
using Clock = std::chrono::steady_clock;

/// Fails (nullopt) when the edges have a cycle.
std::optional<Reach> reachability(const OrderProblem &p) {
  const int n = p.numUnits();
  Reach r;
  r.succ.resize(n);
  r.indegree.assign(n, 0);
  for (auto [u, v] : p.edges) {
    r.succ[u].push_back(v);
    ++r.indegree[v];
  }
  std::vector<int> indegree = r.indegree;
  std::vector<int> topo;
  for (int u = 0; u < n; ++u)
    if (indegree[u] == 0)
      topo.push_back(u);
  for (size_t i = 0; i < topo.size(); ++i)
    for (int v : r.succ[topo[i]])
      if (--indegree[v] == 0)
        topo.push_back(v);
  if ((int)topo.size() != n)
    return std::nullopt;
  r.ancestors.assign(n, llvm::BitVector(n));
  r.descendants.assign(n, llvm::BitVector(n));
  for (int u : topo)
    for (int v : r.succ[u]) {
      r.ancestors[v] |= r.ancestors[u];
      r.ancestors[v].set(u);
    }
  for (auto it = topo.rbegin(); it != topo.rend(); ++it)
    for (int v : r.succ[*it]) {
      r.descendants[*it] |= r.descendants[v];
      r.descendants[*it].set(v);
    }
  return r;
}

/// The topological order that runs the lowest-numbered ready unit first.
std::vector<int> stableTopologicalOrder(const OrderProblem &p, const Reach &r) {
  const int n = p.numUnits();
  std::vector<int> predsLeft = r.indegree, order;
  std::set<int> ready;
  for (int u = 0; u < n; ++u)
    if (predsLeft[u] == 0)
      ready.insert(u);
  while (!ready.empty()) {
    int u = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(u);
    for (int v : r.succ[u])
      if (--predsLeft[v] == 0)
        ready.insert(v);
  }
  return order;
}

/// List scheduling: at each position the ready unit that needs the fewest
/// live bytes while it runs, then the one that frees the most.
std::vector<int> greedyOrder(const OrderProblem &p, const Reach &r) {
  const int n = p.numUnits();
  std::vector<std::vector<int>> tensorsOf(n);
  std::vector<int> usersLeft(p.tensors.size());
  for (auto [i, t] : llvm::enumerate(p.tensors)) {
    for (int u : t.users)
      tensorsOf[u].push_back(i);
    usersLeft[i] = t.users.size();
  }
  std::vector<int> predsLeft = r.indegree;
  std::vector<bool> started(p.tensors.size(), false), done(n, false);
  std::vector<int> order;
  int64_t live = 0;
  for (int step = 0; step < n; ++step) {
    int best = -1;
    int64_t bestNeed = 0, bestAfter = 0;
    for (int u = 0; u < n; ++u) {
      if (done[u] || predsLeft[u] > 0)
        continue;
      int64_t need = live + p.ownBytes[u], freed = 0;
      for (int i : tensorsOf[u]) {
        if (!started[i])
          need += p.tensors[i].bytes;
        if (usersLeft[i] == 1)
          freed += p.tensors[i].bytes;
      }
      int64_t after = need - p.ownBytes[u] - freed;
      if (best < 0 || need < bestNeed ||
          (need == bestNeed && after < bestAfter)) {
        best = u;
        bestNeed = need;
        bestAfter = after;
      }
    }
    done[best] = true;
    order.push_back(best);
    for (int v : r.succ[best])
      --predsLeft[v];
    for (int i : tensorsOf[best]) {
      if (!started[i])
        live += p.tensors[i].bytes;
      started[i] = true;
      if (--usersLeft[i] == 0)
        live -= p.tensors[i].bytes;
    }
  }
  return order;
}

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

std::vector<int64_t> liveBytesInOrder(const OrderProblem &p,
                                      const std::vector<int> &order) {
  const int n = order.size();
  std::vector<int> pos(p.numUnits(), 0);
  for (int t = 0; t < n; ++t)
    pos[order[t]] = t;
  std::vector<int64_t> delta(n + 1, 0);
  for (const auto &t : p.tensors) {
    if (t.users.empty())
      continue;
    int first = n, last = -1;
    for (int u : t.users) {
      first = std::min(first, pos[u]);
      last = std::max(last, pos[u]);
    }
    delta[first] += t.bytes;
    delta[last + 1] -= t.bytes;
  }
  std::vector<int64_t> live(n);
  int64_t run = 0;
  for (int t = 0; t < n; ++t) {
    run += delta[t];
    live[t] = run + p.ownBytes[order[t]];
  }
  return live;
}

std::vector<std::string> checkOrder(const OrderProblem &p,
                                    const std::vector<int> &order) {
  std::vector<std::string> errors;
  const int n = p.numUnits();
  std::vector<int> pos(n, -1);
  if ((int)order.size() != n)
    errors.push_back("order has " + std::to_string(order.size()) +
                     " positions for " + std::to_string(n) + " units");
  for (auto [t, u] : llvm::enumerate(order)) {
    if (u < 0 || u >= n || pos[u] >= 0) {
      errors.push_back("unit " + std::to_string(u) + " at position " +
                       std::to_string(t) + " is out of range or repeated");
      continue;
    }
    pos[u] = t;
  }
  for (auto [u, v] : p.edges)
    if (u >= 0 && u < n && v >= 0 && v < n && pos[u] >= pos[v])
      errors.push_back("unit " + std::to_string(u) + " must run before unit " +
                       std::to_string(v));
  return errors;
}

Order chooseOrder(const OrderProblem &p, double timeLimitSeconds) {
  auto t0 = Clock::now();
  const int n = p.numUnits();
  Order best;
  best.units.resize(n);
  std::iota(best.units.begin(), best.units.end(), 0);
  std::vector<int64_t> live = liveBytesInOrder(p, best.units);
  best.peak = n ? peakOf(live, 0, n - 1) : 0;
  std::optional<Reach> reach = reachability(p);
  if (n < 3 || !reach) {
    best.seconds = secondsSince(t0);
    return best;
  }
  const Reach &r = *reach;
  // Edges that go against the program order (added by the caller): start
  // from the topological order closest to the program's.
  if (!checkOrder(p, best.units).empty()) {
    best.units = stableTopologicalOrder(p, r);
    best.method = "topological";
    live = liveBytesInOrder(p, best.units);
    best.peak = peakOf(live, 0, n - 1);
  }

  // No order needs less than what one unit touches while it runs.
  int64_t bound = 0;
  {
    std::vector<int64_t> touched(p.ownBytes);
    for (const auto &t : p.tensors)
      for (int u : t.users)
        touched[u] += t.bytes;
    bound = *std::max_element(touched.begin(), touched.end());
  }
  std::vector<int> greedy = greedyOrder(p, r);
  if (checkOrder(p, greedy).empty()) {
    std::vector<int64_t> g = liveBytesInOrder(p, greedy);
    if (int64_t peak = peakOf(g, 0, n - 1); peak < best.peak) {
      best.units = greedy;
      best.peak = peak;
      best.method = "greedy";
      live = std::move(g);
    }
  }

  // Parts: positions between units whose place every order shares (all
  // others are their ancestors or descendants). Parts are independent: a
  // tensor live across a part is live at all of it in any order.
  std::vector<std::pair<int, int>> parts;
  for (int t = 0, start = 0; t < n; ++t) {
    int u = best.units[t];
    bool fixed = (int)(r.ancestors[u].count() + r.descendants[u].count()) ==
                 n - 1;
    if (fixed) {
      if (t - start >= 2)
        parts.push_back({start, t - 1});
      start = t + 1;
    } else if (t == n - 1 && t - start >= 1) {
      parts.push_back({start, t});
    }
  }
  // Worst parts first: only the peak part can lower the peak.
  auto partPeak = [&](std::pair<int, int> part) {
    return peakOf(live, part.first, part.second);
  };
  llvm::stable_sort(parts,
                    [&](auto x, auto y) { return partPeak(x) > partPeak(y); });

  // A small part gets one exact ILP. A larger one is first improved by
  // windows around its peak (COSMA's divide and conquer; quick, no proof),
  // then, while it has few enough position variables, given to the exact
  // ILP warm-started from there. Above 2000 position variables CBC runs
  // far past its time limit at the root (the vocabulary-parallel GPT-2's
  // 83-unit part: 6-8 s against 2.5) and rarely proves anything: windows
  // only.
  const int kSmallX = 600, kMaxExactX = 2000, kWindow = 24;
  auto adopt = [&](WindowResult &res) {
    ++best.ilps;
    if (!res.improved)
      return false;
    best.units = std::move(res.order);
    best.method = "ilp";
    live = liveBytesInOrder(p, best.units);
    return true;
  };
  auto improveByWindows = [&](int a, int b) {
    for (int round = 0; round < 4 * (b - a + 1) / kWindow + 4; ++round) {
      int peakAt = a;
      for (int t = a; t <= b; ++t)
        if (live[t] > live[peakAt])
          peakAt = t;
      bool improved = false;
      for (int shift : {kWindow / 2, kWindow / 4, 3 * kWindow / 4}) {
        double rest = timeLimitSeconds - secondsSince(t0);
        if (rest <= 0)
          return;
        int wa = std::max(a, peakAt - shift);
        int wb = std::min(b, wa + kWindow - 1);
        wa = std::max(a, std::min(wa, wb - kWindow + 1));
        auto w = makeWindow(p, r, best.units, wa, wb, kMaxExactX);
        if (!w)
          continue;
        WindowResult res = solveWindow(
            p, r, best.units, *w,
            std::min(rest, std::max(0.25, timeLimitSeconds / 20)));
        if ((improved = adopt(res)))
          break;
      }
      if (!improved)
        return;
    }
  };
  bool allOptimal = true;
  for (auto [a, b] : parts) {
    if (partPeak({a, b}) <= bound)
      continue; // already at the bound
    // Below the peak another part holds: no order of this one changes
    // the result (parts come worst first, so every later one is too).
    if (partPeak({a, b}) < peakOf(live, 0, n - 1))
      break;
    std::optional<Window> w = makeWindow(p, r, best.units, a, b, kMaxExactX);
    if (!w || w->numX > kSmallX) {
      improveByWindows(a, b);
      if (partPeak({a, b}) <= bound)
        continue;
      w = makeWindow(p, r, best.units, a, b, kMaxExactX);
    }
    // A part's exact ILP proves its order quickly or not at all in the
    // time there is (the GPT-2 step: 0.2 s; the vocabulary-parallel GPT-2,
    // 319 units: no proof in 10 s, for 256 bytes of 182144), so each gets
    // a quarter of the limit.
    double left = std::min(timeLimitSeconds - secondsSince(t0),
                           timeLimitSeconds / 4);
    if (!w || left <= 0) {
      allOptimal = false;
      continue;
    }
    WindowResult res = solveWindow(p, r, best.units, *w, left);
    adopt(res);
    allOptimal &= res.optimal;
  }
  best.peak = peakOf(live, 0, n - 1);
  best.optimal = best.peak <= bound || allOptimal;
  best.seconds = secondsSince(t0);
  return best;
}

} // namespace mnemo::memory

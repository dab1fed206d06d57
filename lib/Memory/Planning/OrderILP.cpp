//===- OrderILP.cpp - one window of the operator-order ILP ----------------===//
//
// Columns: x(i, t) binary (unit i at position t), M (the peak), and per
// tensor and position a live indicator L with, where needed, auxiliary
// "started" S and "not yet ended" E indicators. With F(i, t) = sum over
// s <= t of x(i, s) (unit i has run by t):
//   sum_t x(i, t) = 1, sum_i x(i, t) = 1,
//   F(v, t) <= F(u, t - 1) for each dependency u -> v,
//   L >= started + notEnded - 1, started = max_i F(i, t),
//   notEnded = max_i (1 - F(i, t - 1)) over the tensor's users,
//   M >= constant + sum own(i) x(i, t) + sum bytes L  at every t.
// Minimizing M pushes L, S and E down to their bounds, so only x needs to
// be integral.
//
//===----------------------------------------------------------------------===//

#include "OrderILP.h"
#include "CbcLibrary.h"

#include <algorithm>
#include <numeric>
#include <string>



namespace mnemo::memory::detail {

int64_t peakOf(const std::vector<int64_t> &live, int a, int b) {
  int64_t peak = 0;
  for (int t = a; t <= b; ++t)
    peak = std::max(peak, live[t]);
  return peak;
}

std::optional<Window> makeWindow(const OrderProblem &p, const Reach &r,
                                 const std::vector<int> &order, int a, int b,
                                 int maxX) {
  Window w;
  w.a = a;
  w.b = b;
  llvm::BitVector in(p.numUnits());
  for (int t = a; t <= b; ++t) {
    w.units.push_back(order[t]);
    in.set(order[t]);
  }
  for (int u : w.units) {
    llvm::BitVector before = r.ancestors[u], after = r.descendants[u];
    int lo = a + (int)before.operator&=(in).count();
    int hi = b - (int)after.operator&=(in).count();
    w.lo.push_back(lo);
    w.hi.push_back(hi);
    w.firstCol.push_back(w.numX);
    w.numX += hi - lo + 1;
    if (w.numX > maxX)
      return std::nullopt;
  }
  return w;
}

namespace {

struct Row {
  std::vector<int> cols;
  std::vector<double> coefs;
  void add(int col, double coef) {
    cols.push_back(col);
    coefs.push_back(coef);
  }
};

/// The model of one window, built row by row into CBC.
class WindowILP {
public:
  WindowILP(const CbcLibrary &cbc, const OrderProblem &p, const Reach &r,
            const std::vector<int> &order, const Window &w)
      : cbc(cbc), p(p), r(r), order(order), w(w), pos(p.numUnits()),
        slot(p.numUnits(), -1), memory(w.b - w.a + 1),
        constant(w.b - w.a + 1, 0), touched(w.units.size(), 0) {
    for (int t = 0; t < (int)order.size(); ++t)
      pos[order[t]] = t;
    for (int i = 0; i < (int)w.units.size(); ++i)
      slot[w.units[i]] = i;
    // Byte values in units of their common divisor keep coefficients small.
    for (int64_t v : p.ownBytes)
      unit = std::gcd(unit, v);
    for (const auto &t : p.tensors)
      unit = std::gcd(unit, t.bytes);
    unit = std::max<int64_t>(unit, 1);
    model = cbc.newModel();
    cbc.setLogLevel(model, 0);
    // CBC 2.10's preprocessing crashes (CglPreProcess::postProcess) when
    // the time limit stops a window ILP mid-search, which a loaded machine
    // makes common; these small ILPs solve as fast without it.
    cbc.setParameter(model, "preprocess", "off");
  }
  ~WindowILP() { cbc.deleteModel(model); }

  WindowResult solve(double seconds);

private:
  int addCol(const std::string &name, double lb, double ub, double obj,
             bool integer) {
    cbc.addCol(model, name.c_str(), lb, ub, obj, integer, 0, nullptr, nullptr);
    return numCols++;
  }
  void emit(Row &row, char sense, double rhs) {
    cbc.addRow(model, "", row.cols.size(), row.cols.data(), row.coefs.data(),
               sense, rhs);
  }
  static std::string xName(int i, int t) {
    return "x" + std::to_string(i) + "_" + std::to_string(t);
  }
  /// Adds coef * F(i, t): unit i has run by position t.
  void addF(Row &row, int i, int t, double coef) const {
    for (int s = w.lo[i]; s <= std::min(t, w.hi[i]); ++s)
      row.add(w.xCol(i, s), coef);
  }
  double bytes(int64_t v) const { return (double)(v / unit); }
  void addOrderRows();
  void addTensor(int index, const OrderProblem::Tensor &tensor);

  const CbcLibrary &cbc;
  const OrderProblem &p;
  const Reach &r;
  const std::vector<int> &order;
  const Window &w;
  std::vector<int> pos, slot;
  /// Per window position: the live-bytes row and its constant part.
  std::vector<Row> memory;
  std::vector<double> constant;
  /// Per window unit: the bytes of the tensors it touches.
  std::vector<double> touched;
  int64_t unit = 0;
  Cbc_Model *model;
  int numCols = 0;
};

void WindowILP::addOrderRows() {
  const int k = w.units.size();
  for (int i = 0; i < k; ++i) { // each unit runs once
    Row row;
    addF(row, i, w.b, 1);
    emit(row, 'E', 1);
  }
  for (int t = w.a; t <= w.b; ++t) { // one unit per position
    Row row;
    for (int i = 0; i < k; ++i)
      if (w.lo[i] <= t && t <= w.hi[i])
        row.add(w.xCol(i, t), 1);
    emit(row, 'E', 1);
  }
  for (auto [u, v] : p.edges) { // F(v, t) <= F(u, t - 1)
    int iu = slot[u], iv = slot[v];
    if (iu < 0 || iv < 0)
      continue;
    for (int t = w.lo[iv]; t <= w.hi[iu]; ++t) {
      Row row;
      addF(row, iv, t, 1);
      addF(row, iu, t - 1, -1);
      emit(row, 'L', 0);
    }
  }
  for (int i = 0; i < k; ++i)
    for (int t = w.lo[i]; t <= w.hi[i]; ++t)
      memory[t - w.a].add(w.xCol(i, t), bytes(p.ownBytes[w.units[i]]));
}

void WindowILP::addTensor(int index, const OrderProblem::Tensor &tensor) {
  const double size = bytes(tensor.bytes);
  // Users outside the window sit before or after it.
  bool before = false, after = false;
  std::vector<int> inside;
  for (int u : tensor.users) {
    if (slot[u] >= 0)
      inside.push_back(slot[u]);
    else
      (pos[u] < w.a ? before : after) = true;
  }
  if (before && after) { // live over the whole window in any order
    for (double &c : constant)
      c += size;
    return;
  }
  if (inside.empty())
    return;
  for (int i : inside)
    touched[i] += size;
  // A user every other user follows opens the tensor; one that follows
  // all others closes it. Otherwise auxiliary indicators take the max.
  auto dominates = [&](int i, bool first) {
    const llvm::BitVector &side =
        first ? r.descendants[w.units[i]] : r.ancestors[w.units[i]];
    return llvm::all_of(inside,
                        [&](int j) { return j == i || side.test(w.units[j]); });
  };
  int opener = -1, closer = -1;
  for (int i : inside) {
    if (opener < 0 && dominates(i, true))
      opener = i;
    if (closer < 0 && dominates(i, false))
      closer = i;
  }
  int lo = w.b, hi = w.a;
  for (int i : inside) {
    lo = std::min(lo, w.lo[i]);
    hi = std::max(hi, w.hi[i]);
  }
  if (before)
    lo = w.a;
  if (after)
    hi = w.b;
  const std::string tag = std::to_string(index) + "_";
  for (int t = lo; t <= hi; ++t) {
    int live = addCol("L" + tag + std::to_string(t), 0, 1, 0, false);
    memory[t - w.a].add(live, size);
    // live >= started + notEnded - 1
    Row row;
    row.add(live, 1);
    double rhs = -1;
    if (before) {
      rhs += 1;
    } else if (opener >= 0) {
      addF(row, opener, t, -1);
    } else {
      int s = addCol("S" + tag + std::to_string(t), 0, 1, 0, false);
      row.add(s, -1);
      for (int i : inside) { // s >= F(i, t)
        Row bound;
        bound.add(s, 1);
        addF(bound, i, t, -1);
        emit(bound, 'G', 0);
      }
    }
    if (after) {
      rhs += 1;
    } else if (closer >= 0) { // notEnded = 1 - F(closer, t - 1)
      rhs += 1;
      addF(row, closer, t - 1, 1);
    } else {
      int e = addCol("E" + tag + std::to_string(t), 0, 1, 0, false);
      row.add(e, -1);
      for (int i : inside) { // e >= 1 - F(i, t - 1)
        if (t - 1 >= w.hi[i])
          continue; // i has run by then in any order
        Row bound;
        bound.add(e, 1);
        addF(bound, i, t - 1, 1);
        emit(bound, 'G', 1);
      }
    }
    emit(row, 'G', rhs);
  }
}

WindowResult WindowILP::solve(double seconds) {
  const int k = w.units.size();
  for (int i = 0; i < k; ++i)
    for (int t = w.lo[i]; t <= w.hi[i]; ++t)
      addCol(xName(i, t), 0, 1, 0, true);
  // No better order lies above the current one's peak.
  std::vector<int64_t> was = liveBytesInOrder(p, order);
  const int64_t wasPeak = peakOf(was, w.a, w.b);
  const int top = addCol("M", 0, bytes(wasPeak) + 1, 1, false);
  addOrderRows();
  for (auto [index, tensor] : llvm::enumerate(p.tensors))
    addTensor(index, tensor);
  // Nothing needs less than a unit's own and touched bytes.
  double lowerBound = 0;
  for (int i = 0; i < k; ++i)
    lowerBound =
        std::max(lowerBound, bytes(p.ownBytes[w.units[i]]) + touched[i]);
  for (int t = w.a; t <= w.b; ++t) {
    Row &row = memory[t - w.a];
    row.add(top, -1);
    emit(row, 'L', -constant[t - w.a]);
  }
  cbc.setColLower(model, top, lowerBound + constant[0]);
  cbc.setObjSense(model, 1);

  // Warm start: the current order (CBC completes the continuous columns).
  std::vector<std::string> names;
  std::vector<double> values;
  for (int i = 0; i < k; ++i)
    for (int t = w.lo[i]; t <= w.hi[i]; ++t) {
      names.push_back(xName(i, t));
      values.push_back(pos[w.units[i]] == t ? 1 : 0);
    }
  std::vector<const char *> cnames;
  for (const std::string &s : names)
    cnames.push_back(s.c_str());
  cbc.setMIPStart(model, cnames.size(), cnames.data(), values.data());
  cbc.setMaximumSeconds(model, std::max(0.05, seconds));
  cbc.setAllowableGap(model, 0.5); // the objective is integral
  cbc.solve(model);

  WindowResult result;
  const double *x = cbc.bestSolution(model);
  if (!x)
    return result;
  std::vector<int> next = order;
  std::vector<bool> placed(w.b - w.a + 1, false);
  for (int i = 0; i < k; ++i) {
    int at = -1;
    for (int t = w.lo[i]; t <= w.hi[i]; ++t)
      if (x[w.xCol(i, t)] > 0.5)
        at = t;
    if (at < 0 || placed[at - w.a])
      return result; // not a permutation: keep the order
    placed[at - w.a] = true;
    next[at] = w.units[i];
  }
  result.optimal = cbc.isProvenOptimal(model);
  if (checkOrder(p, next).empty() &&
      peakOf(liveBytesInOrder(p, next), w.a, w.b) < wasPeak) {
    result.order = std::move(next);
    result.improved = true;
  }
  return result;
}

} // namespace

WindowResult solveWindow(const OrderProblem &p, const Reach &r,
                         const std::vector<int> &order, const Window &w,
                         double seconds) {
  std::string why;
  const CbcLibrary *cbc = loadCbc(why);
  if (!cbc)
    return {}; // the order stays (loadCbc warned)
  return WindowILP(*cbc, p, r, order, w).solve(seconds);
}

} // namespace mnemo::memory::detail

//===- MemoryPlan.cpp - run the planners, check, report -------------------===//

#include "mnemo/Memory/Planning/MemoryPlan.h"

#include <set>

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

namespace mnemo::memory {

bool isPlannerName(llvm::StringRef name) {
  return name == "first-fit" || name == "greedy" || name == "ilp";
}

llvm::Expected<MemoryPlan> planMemory(Problem problem, llvm::StringRef planner,
                                      double ilpTimeLimit,
                                      llvm::StringRef model) {
  if (!isPlannerName(planner))
    return llvm::createStringError("unknown planner '" + planner.str() +
                                   "' (first-fit, greedy or ilp)");
  MemoryPlan mp;
  mp.model = model.str();
  mp.problem = std::move(problem);
  mp.bounds = computeBounds(mp.problem);
  mp.firstFit = planFirstFit(mp.problem);
  mp.greedy = planGreedyBySize(mp.problem);
  if (planner == "first-fit") {
    mp.chosen = mp.firstFit;
  } else if (planner == "greedy") {
    mp.chosen = mp.greedy;
  } else {
    const Plan &start = mp.firstFit.arenaBytes < mp.greedy.arenaBytes
                            ? mp.firstFit
                            : mp.greedy;
    mp.ilp = planILP(mp.problem, start, ilpTimeLimit);
    mp.chosen = *mp.ilp;
  }
  std::vector<std::string> errors = checkPlan(mp.problem, mp.chosen);
  if (!errors.empty())
    return llvm::createStringError("memory plan (" + mp.chosen.planner +
                                   ") fails the checker: " +
                                   llvm::join(errors, "; "));
  return mp;
}

namespace {

/// One placed tensor (or on-chip residency) for the reports.
struct Placed {
  std::string name, space;
  int64_t bytes, offset, first, last;
};

/// Every placement of the plan: one per buffer, or with tiers one per
/// on-chip residency plus one per DRAM copy.
std::vector<Placed> placements(const MemoryPlan &mp) {
  std::vector<Placed> out;
  for (auto [i, b] : llvm::enumerate(mp.problem.buffers)) {
    if (!mp.tiers) {
      out.push_back({b.name, "dram", b.bytes, mp.chosen.offsets[i], b.first,
                     b.last});
      continue;
    }
    for (const Residency &r : mp.tiers->residencies[i])
      out.push_back({b.name, "sram", b.bytes, r.offset, r.first, r.last});
    if (mp.tiers->dramOffset[i] >= 0)
      out.push_back({b.name, "dram", b.bytes, mp.tiers->dramOffset[i], b.first,
                     b.last});
  }
  return out;
}

/// The arena the layout plot shows: SRAM with tiers, else the workspace.
int64_t shownArena(const MemoryPlan &mp) {
  return mp.tiers ? mp.tiers->sramBytes : mp.chosen.arenaBytes;
}

/// Where the shown arena's occupied memory tops out at each step.
std::vector<int64_t> planTop(const MemoryPlan &mp) {
  std::vector<int64_t> top(mp.problem.steps.size(), 0);
  std::string space = mp.tiers ? "sram" : "dram";
  for (const Placed &p : placements(mp))
    if (p.space == space)
      for (int64_t s = p.first; s <= p.last && s < (int64_t)top.size(); ++s)
        top[s] = std::max(top[s], p.offset + p.bytes);
  return top;
}

std::string humanBytes(int64_t v) {
  if (v >= (1 << 20))
    return llvm::formatv("{0:F2} MiB", v / 1048576.0).str();
  if (v >= (1 << 10))
    return llvm::formatv("{0:F1} KiB", v / 1024.0).str();
  return std::to_string(v) + " B";
}

std::string escape(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

} // namespace

void writeJSON(const MemoryPlan &mp, llvm::raw_ostream &os) {
  const Problem &p = mp.problem;
  llvm::json::Array tensors, timeline;
  for (const Placed &t : placements(mp))
    tensors.push_back(llvm::json::Object{{"name", t.name},
                                         {"bytes", t.bytes},
                                         {"offset", t.offset},
                                         {"first_step", t.first},
                                         {"last_step", t.last},
                                         {"space", t.space}});
  std::vector<int64_t> live = liveBytes(p);
  for (auto [s, name] : llvm::enumerate(p.steps))
    timeline.push_back(llvm::json::Object{
        {"step", (int64_t)s}, {"op", name}, {"live_bytes", live[s]}});
  // The same marks as the HTML report: the peak step and the loops
  // planned per iteration (patch and slice loops).
  int64_t peak = 0;
  for (int64_t st = 0; st < (int64_t)live.size(); ++st)
    if (live[st] > live[peak])
      peak = st;
  llvm::json::Array loops;
  for (auto [a, b] : p.loops)
    loops.push_back(llvm::json::Object{{"first_step", a}, {"last_step", b}});
  llvm::json::Object root{
      {"model", mp.model},
      {"source", mp.source},
      {"planner", mp.chosen.planner},
      {"arena_bytes", mp.chosen.arenaBytes},
      {"naive_bytes", mp.bounds.naive},
      {"lower_bound_bytes", mp.bounds.fixedOrder},
      {"order_free_bound_bytes", mp.bounds.orderFree},
      {"first_fit_bytes", mp.firstFit.arenaBytes},
      {"greedy_bytes", mp.greedy.arenaBytes},
      {"ilp_bytes", mp.ilp ? llvm::json::Value(mp.ilp->arenaBytes) : nullptr},
      {"ilp_gap", mp.ilp ? llvm::json::Value(mp.ilp->gap) : nullptr},
      {"ilp_optimal", mp.ilp ? llvm::json::Value(mp.ilp->optimal) : nullptr},
      {"solve_seconds", mp.chosen.solveSeconds},
      // Off-chip traffic is modelled only with an on-chip tier.
      {"offchip_traffic_bytes", nullptr},
      {"alignment", p.alignment},
      {"tensors", std::move(tensors)},
      {"timeline", std::move(timeline)},
      {"peak_step", live.empty() ? llvm::json::Value(nullptr)
                                 : llvm::json::Value(peak)},
      {"loops", std::move(loops)}};
  if (!mp.chosen.note.empty())
    root["note"] = mp.chosen.note;
  if (const std::optional<OrderReport> &o = mp.order)
    root["operator_order"] = llvm::json::Object{
        {"method", o->order.method},
        {"units", o->units},
        {"moved", o->moved},
        {"fixed_order_bound_bytes", o->fixedOrderBound},
        {"fixed_order_arena_bytes", o->fixedOrderArena},
        {"reordered_bound_bytes", mp.bounds.fixedOrder},
        {"optimal", o->order.optimal},
        {"ilps", o->order.ilps},
        {"solve_seconds", o->order.seconds}};
  if (const std::optional<TierPlan> &t = mp.tiers) {
    // The workspace holds both arenas.
    root["planner"] = "tiers-" + t->method;
    root["arena_bytes"] = t->sramBytes + t->dramBytes;
    root["sram_budget_bytes"] = t->budget;
    root["sram_bytes"] = t->sramBytes;
    root["dram_bytes"] = t->dramBytes;
    root["offchip_traffic_bytes"] = t->trafficBytes;
    root["offchip_streamed_bytes"] = t->streamedTrafficBytes;
    root["tier_ilp_optimal"] = t->ilpOptimal;
    root["solve_seconds"] = t->solveSeconds;
  }
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

void writeHTML(const MemoryPlan &mp, llvm::raw_ostream &os) {
  const Problem &p = mp.problem;
  const int64_t steps = std::max<size_t>(1, p.steps.size());
  const double W = 960, H = 280, L = 70, B = 24;
  std::vector<int64_t> live = liveBytes(p), top = planTop(mp);
  auto f = [](double v) { return llvm::formatv("{0:F1}", v).str(); };
  // The peak: the step whose live bytes are the lower bound.
  int64_t peak = 0;
  for (int64_t s = 0; s < (int64_t)live.size(); ++s)
    if (live[s] > live[peak])
      peak = s;
  // The timeline's y range follows the plan (the arena, the bound, the
  // plan's top) with a margin; a naive total far above it is a number,
  // not the axis (MobileNetV2 patched: 1.4 MiB under a 12 MiB naive).
  int64_t planMax = std::max<int64_t>(1, shownArena(mp));
  for (size_t s = 0; s < live.size(); ++s)
    planMax = std::max({planMax, live[s], top[s]});
  int64_t ymax = planMax + planMax / 8;
  bool naiveShown = mp.bounds.naive <= ymax;
  auto x = [&](double s) { return L + s * (W - L - 10) / steps; };
  auto y = [&](double v, double h, int64_t max) {
    return 18 + (h - B - 18) * (1 - v / (double)max);
  };
  std::string title = mp.source.empty() ? mp.model : mp.source;

  os << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
     << escape(title)
     << ": mnemo memory plan</title><style>body{font-family:sans-serif;"
        "margin:20px}td,th{padding:2px 10px;text-align:right}"
        "text{font-size:11px}</style></head><body>\n";
  os << "<h2>Memory plan: " << escape(title) << "</h2>\n<table>"
     << "<tr><th>entry</th><td>" << escape(mp.model) << "</td></tr>"
     << "<tr><th>planner</th><td>"
     // With a budget the tier planner places the tensors (as in the JSON).
     << escape(mp.tiers ? "tiers-" + mp.tiers->method : mp.chosen.planner)
     << "</td></tr>";
  auto row = [&](llvm::StringRef k, int64_t v) {
    os << "<tr><th>" << k << "</th><td>" << v << "</td><td>" << humanBytes(v)
       << "</td></tr>";
  };
  row("arena (plan)", mp.chosen.arenaBytes);
  row("naive (no reuse)", mp.bounds.naive);
  row("lower bound (fixed order)", mp.bounds.fixedOrder);
  row("order-free bound", mp.bounds.orderFree);
  row("first-fit", mp.firstFit.arenaBytes);
  row("greedy", mp.greedy.arenaBytes);
  if (mp.tiers) {
    row("SRAM budget", mp.tiers->budget);
    row("SRAM arena", mp.tiers->sramBytes);
    row("DRAM arena", mp.tiers->dramBytes);
    row("off-chip traffic", mp.tiers->trafficBytes);
    row("of it streamed by tiled steps", mp.tiers->streamedTrafficBytes);
  }
  if (const std::optional<OrderReport> &o = mp.order) {
    row("lower bound, program order", o->fixedOrderBound);
    row("arena, program order", o->fixedOrderArena);
    os << "<tr><th>operator order</th><td>" << escape(o->order.method)
       << "</td><td>" << o->moved << " of " << o->units
       << " units moved</td></tr>";
  }
  if (mp.ilp)
    os << "<tr><th>ILP gap</th><td>" << llvm::formatv("{0:P}", mp.ilp->gap)
       << "</td></tr>";
  os << "<tr><th>solve seconds</th><td>"
     << llvm::formatv("{0:F3}", mp.chosen.solveSeconds) << "</td></tr></table>\n";

  // Live bytes over the steps: the plan's occupied top, the bound (live
  // bytes), the arena; loops planned step by step shaded; the peak marked.
  os << "<h3>Live bytes per step</h3>\n<svg width=\"" << f(W) << "\" height=\""
     << f(H) << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  for (auto [a, b] : p.loops)
    os << "<rect class=\"loop\" x=\"" << f(x(a)) << "\" y=\"18\" width=\""
       << f(x(b + 1) - x(a)) << "\" height=\"" << f(H - B - 18)
       << "\" fill=\"#f3ecd9\"><title>loop: steps " << a << ".." << b
       << " (planned per iteration)</title></rect>\n";
  auto polyline = [&](const std::vector<int64_t> &v, llvm::StringRef color,
                      llvm::StringRef label) {
    os << "<polyline fill=\"none\" stroke=\"" << color
       << "\" stroke-width=\"1.5\" points=\"";
    for (int64_t s = 0; s < (int64_t)v.size(); ++s)
      os << f(x(s)) << "," << f(y(v[s], H, ymax)) << " " << f(x(s + 1)) << ","
         << f(y(v[s], H, ymax)) << " ";
    os << "\"><title>" << label << "</title></polyline>\n";
  };
  auto hline = [&](int64_t v, llvm::StringRef color, llvm::StringRef label) {
    os << "<line x1=\"" << f(x(0)) << "\" x2=\"" << f(x(steps)) << "\" y1=\""
       << f(y(v, H, ymax)) << "\" y2=\"" << f(y(v, H, ymax)) << "\" stroke=\""
       << color << "\" stroke-dasharray=\"4 3\"/><text x=\"" << f(x(0) + 4)
       << "\" y=\"" << f(y(v, H, ymax) - 3) << "\" fill=\"" << color << "\">"
       << label << " " << humanBytes(v) << "</text>\n";
  };
  if (naiveShown)
    hline(mp.bounds.naive, "#999", "naive");
  else
    os << "<text class=\"naive\" x=\"" << f(W - 10) << "\" y=\"12\" "
       << "text-anchor=\"end\" fill=\"#999\">naive (no reuse) "
       << humanBytes(mp.bounds.naive) << ": above the scale</text>\n";
  hline(shownArena(mp), "#c33", mp.tiers ? "SRAM arena" : "arena");
  polyline(top, "#c33", "plan: highest occupied byte");
  polyline(live, "#36c", "bound: live bytes");
  if (!p.steps.empty()) {
    double px = (x(peak) + x(peak + 1)) / 2;
    os << "<line class=\"peak\" x1=\"" << f(px) << "\" x2=\"" << f(px)
       << "\" y1=\"18\" y2=\"" << f(H - B) << "\" stroke=\"#333\" "
       << "stroke-dasharray=\"2 2\"/><text x=\"" << f(std::min(px + 4, W - 260))
       << "\" y=\"" << f(y(live[peak], H, ymax) - 6) << "\">peak: step " << peak
       << " (" << escape(p.steps[peak]) << "), " << humanBytes(live[peak])
       << " live</text>\n";
  }
  os << "<text x=\"" << f(L) << "\" y=\"" << f(H - 6) << "\">step 0 .. "
     << steps - 1 << " (blue: live bytes = bound, red: plan, shaded: loops)"
     << "</text><text x=\"4\" y=\"22\">" << humanBytes(ymax)
     << "</text>\n</svg>\n";

  // The tensors live at the peak.
  if (!p.steps.empty()) {
    os << "<h3>Live at the peak (step " << peak << ", "
       << escape(p.steps[peak]) << ")</h3>\n<table class=\"peak\"><tr>"
       << "<th>tensor</th><th>bytes</th><th>space</th><th>offset</th>"
       << "<th>steps</th></tr>\n";
    std::vector<Placed> at;
    for (const Placed &t : placements(mp))
      if (t.first <= peak && peak <= t.last)
        at.push_back(t);
    llvm::stable_sort(at, [](const Placed &a, const Placed &b) {
      return a.bytes > b.bytes;
    });
    for (const Placed &t : at)
      os << "<tr><td>" << escape(t.name) << "</td><td>" << humanBytes(t.bytes)
         << "</td><td>" << t.space << "</td><td>" << t.offset << "</td><td>"
         << t.first << ".." << t.last << "</td></tr>\n";
    os << "</table>\n";
  }

  // Address-time layouts: one rectangle per placement (tensor, size,
  // offset and lifetime on hover), SRAM and DRAM apart with tiers.
  const double H2 = 420;
  const char *colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                          "#59a14f", "#edc948", "#b07aa1", "#ff9da7"};
  auto layout = [&](llvm::StringRef space, int64_t arena, llvm::StringRef head) {
    int64_t amax = std::max<int64_t>(1, arena);
    os << "<h3>" << head << "</h3>\n<svg class=\"layout-" << space
       << "\" width=\"" << f(W) << "\" height=\"" << f(H2)
       << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
    int color = 0;
    for (const Placed &b : placements(mp)) {
      if (b.space != space)
        continue;
      double y0 = y(b.offset + b.bytes, H2, amax), y1 = y(b.offset, H2, amax);
      os << "<rect x=\"" << f(x(b.first)) << "\" y=\"" << f(y0)
         << "\" width=\"" << f(std::max(1.0, x(b.last + 1) - x(b.first)))
         << "\" height=\"" << f(std::max(0.5, y1 - y0)) << "\" fill=\""
         << (space == "dram" && mp.tiers ? "#9aa" : colors[color++ % 8])
         << "\" fill-opacity=\"0.8\" stroke=\"#333\" stroke-width=\"0.3\"><title>"
         << escape(b.name) << ": " << humanBytes(b.bytes) << " at " << b.offset
         << ", steps " << b.first << ".." << b.last << "</title></rect>\n";
    }
    os << "<text x=\"4\" y=\"14\">" << humanBytes(amax)
       << "</text><text x=\"4\" y=\"" << f(H2 - B) << "\">0</text>\n</svg>\n";
  };
  if (mp.tiers) {
    layout("sram", mp.tiers->sramBytes, "Address-time layout: SRAM (on chip)");
    layout("dram", mp.tiers->dramBytes, "Address-time layout: DRAM (off chip)");
  } else {
    layout("dram", mp.chosen.arenaBytes, "Address-time layout");
  }
  os << "</body></html>\n";
}

void printSummary(const MemoryPlan &mp, llvm::raw_ostream &os) {
  os << "memory plan: " << mp.model << "\n";
  os << "  planner: " << mp.chosen.planner << "\n";
  os << "  buffers: " << mp.problem.buffers.size() << "\n";
  os << "  steps: " << mp.problem.steps.size() << "\n";
  os << "  arena_bytes: " << mp.chosen.arenaBytes << "\n";
  os << "  naive_bytes: " << mp.bounds.naive << "\n";
  os << "  lower_bound_bytes: " << mp.bounds.fixedOrder << "\n";
  os << "  order_free_bound_bytes: " << mp.bounds.orderFree << "\n";
  os << "  first_fit_bytes: " << mp.firstFit.arenaBytes << "\n";
  os << "  greedy_bytes: " << mp.greedy.arenaBytes << "\n";
  if (mp.ilp)
    os << "  ilp_bytes: " << mp.ilp->arenaBytes << "\n"
       << "  ilp_optimal: " << (mp.ilp->optimal ? "true" : "false") << "\n"
       << "  ilp_gap: " << llvm::formatv("{0:F4}", mp.ilp->gap) << "\n";
  if (const std::optional<OrderReport> &o = mp.order)
    os << "  operator_order: " << o->order.method << "\n"
       << "  units_moved: " << o->moved << " of " << o->units << "\n"
       << "  fixed_order_bound_bytes: " << o->fixedOrderBound << "\n"
       << "  fixed_order_arena_bytes: " << o->fixedOrderArena << "\n";
  if (mp.tiers)
    os << "  sram_budget_bytes: " << mp.tiers->budget << "\n"
       << "  sram_bytes: " << mp.tiers->sramBytes << "\n"
       << "  dram_bytes: " << mp.tiers->dramBytes << "\n"
       << "  offchip_traffic_bytes: " << mp.tiers->trafficBytes << "\n"
       << "  offchip_streamed_bytes: " << mp.tiers->streamedTrafficBytes
       << "\n";
}

llvm::Error writeReport(const MemoryPlan &mp, llvm::StringRef path) {
  std::error_code ec;
  if (llvm::StringRef dir = llvm::sys::path::parent_path(path); !dir.empty())
    ec = llvm::sys::fs::create_directories(dir);
  if (ec)
    return llvm::createStringError("cannot create the directory of report '" +
                                   path.str() + "': " + ec.message());
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return llvm::createStringError("cannot write report '" + path.str() +
                                   "': " + ec.message());
  if (path.ends_with(".html"))
    writeHTML(mp, os);
  else if (path.ends_with(".json"))
    writeJSON(mp, os);
  else
    return llvm::createStringError("report '" + path.str() +
                                   "' must end in .json or .html");
  return llvm::Error::success();
}

} // namespace mnemo::memory

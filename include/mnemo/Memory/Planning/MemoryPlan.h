//===- MemoryPlan.h - run the planners, check, report ------------*- C++ -*-===//
//
// One planning run: bounds, the first-fit and greedy plans (always, they
// are cheap and reported), the ILP when it is the chosen planner, the chosen
// plan after the independent checker, and the reports (JSON, HTML/SVG, a
// text summary for lit tests).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_MEMORYPLAN_H
#define MNEMO_MEMORY_MEMORYPLAN_H

#include "mnemo/Memory/Planning/OperatorOrder.h"
#include "mnemo/Memory/Planning/Planner.h"
#include "mnemo/Memory/Planning/Tiers.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace mnemo::memory {

struct MemoryPlan {
  std::string model;  ///< the entry's name (the C symbol prefix)
  std::string source; ///< the model's file name, when known
  Problem problem;
  Bounds bounds;
  Plan firstFit, greedy;
  std::optional<Plan> ilp;
  /// The plan used: one of the above.
  Plan chosen;
  /// With an SRAM budget: the tier plan that replaces `chosen`'s offsets.
  std::optional<TierPlan> tiers;
  /// When the execution order was chosen for memory: the program order's
  /// figures beside the chosen order's.
  std::optional<OrderReport> order;
};

/// Whether `name` is a planner: first-fit, greedy or ilp.
bool isPlannerName(llvm::StringRef name);

/// Plans `problem` with `planner` (the ILP starts from the better of
/// first-fit and greedy and is limited to `ilpTimeLimit` seconds). Fails
/// when the chosen plan does not pass checkPlan (a planner bug), listing
/// the violations.
llvm::Expected<MemoryPlan> planMemory(Problem problem, llvm::StringRef planner,
                                      double ilpTimeLimit,
                                      llvm::StringRef model = "");

/// The report: JSON when `path` ends in .json, a self-contained HTML page
/// with SVG plots when it ends in .html.
llvm::Error writeReport(const MemoryPlan &plan, llvm::StringRef path);
void writeJSON(const MemoryPlan &plan, llvm::raw_ostream &os);
void writeHTML(const MemoryPlan &plan, llvm::raw_ostream &os);
/// Key: value lines (lit-testable summary).
void printSummary(const MemoryPlan &plan, llvm::raw_ostream &os);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_MEMORYPLAN_H

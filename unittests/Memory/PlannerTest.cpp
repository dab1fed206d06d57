//===- PlannerTest.cpp - planners, bounds and checker ---------------------===//

#include "mnemo/Memory/MemoryPlan.h"
#include "mnemo/Memory/Planner.h"

#include "gtest/gtest.h"

#include <random>

using namespace mnemo::memory;

namespace {

Problem makeProblem(std::vector<Buffer> buffers, int64_t alignment) {
  Problem p;
  p.alignment = alignment;
  int64_t steps = 0;
  for (const Buffer &b : buffers)
    steps = std::max(steps, b.last + 1);
  p.steps.resize(steps, "op");
  p.touched.resize(steps);
  for (int i = 0; i < (int)buffers.size(); ++i)
    for (int64_t s = buffers[i].first; s <= buffers[i].last; ++s)
      if (s == buffers[i].first || s == buffers[i].last)
        p.touched[s].push_back(i);
  p.buffers = std::move(buffers);
  return p;
}

// A chain: tensor i is produced by step i and consumed by step i + 1, so two
// neighbours are live at once and every planner needs exactly 2S.
TEST(MemoryPlanner, ChainOfEqualTensorsNeedsTwo) {
  const int64_t S = 4096;
  std::vector<Buffer> chain;
  for (int i = 0; i < 8; ++i)
    chain.push_back({"t" + std::to_string(i), S, i, i + 1});
  Problem p = makeProblem(chain, 64);
  Bounds b = computeBounds(p);
  EXPECT_EQ(b.naive, 8 * S);
  EXPECT_EQ(b.fixedOrder, 2 * S);
  EXPECT_EQ(b.orderFree, 2 * S);
  for (const Plan &plan : {planFirstFit(p), planGreedyBySize(p)}) {
    EXPECT_EQ(plan.arenaBytes, 2 * S) << plan.planner;
    EXPECT_TRUE(checkPlan(p, plan).empty()) << plan.planner;
  }
  Plan ilp = planILP(p, planGreedyBySize(p), 5);
  EXPECT_EQ(ilp.arenaBytes, 2 * S);
  EXPECT_TRUE(ilp.optimal);
  EXPECT_EQ(ilp.gap, 0);
}

// An interval instance where largest-first placement (first fit and best
// fit) needs 10 units but 9, the max live load, is achievable: the ILP must
// find 9 and prove it optimal.
TEST(MemoryPlanner, IlpFindsKnownOptimumGreedyMisses) {
  Problem p = makeProblem({{"a", 3, 3, 3},
                           {"b", 4, 0, 2},
                           {"c", 5, 0, 0},
                           {"d", 1, 1, 3},
                           {"e", 3, 3, 5},
                           {"f", 2, 4, 5}},
                          1);
  EXPECT_EQ(computeBounds(p).fixedOrder, 9);
  Plan greedy = planGreedyBySize(p);
  EXPECT_EQ(greedy.arenaBytes, 10);
  EXPECT_EQ(planFirstFit(p).arenaBytes, 10);
  Plan ilp = planILP(p, greedy, 10);
  EXPECT_EQ(ilp.arenaBytes, 9);
  EXPECT_TRUE(ilp.optimal);
  EXPECT_TRUE(checkPlan(p, ilp).empty());
}

TEST(MemoryPlanner, CheckerRejectsOverlapMisalignmentAndOverflow) {
  Problem p = makeProblem({{"x", 128, 0, 1}, {"y", 128, 1, 2}}, 64);
  Plan bad;
  bad.planner = "test";
  bad.offsets = {0, 64};
  bad.arenaBytes = 192;
  std::vector<std::string> errors = checkPlan(p, bad);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("'x' and 'y' are both live at step 1"),
            std::string::npos);
  bad.offsets = {0, 130};
  bad.arenaBytes = 258;
  errors = checkPlan(p, bad);
  EXPECT_EQ(errors.size(), 1u); // misaligned
  bad.offsets = {0, 128};
  bad.arenaBytes = 200;
  errors = checkPlan(p, bad);
  EXPECT_EQ(errors.size(), 1u); // y ends past the arena
}

TEST(MemoryPlanner, UnknownPlannerIsAnError) {
  Problem p = makeProblem({{"x", 64, 0, 0}}, 64);
  llvm::Expected<MemoryPlan> plan = planMemory(p, "best", 1);
  ASSERT_FALSE((bool)plan);
  EXPECT_NE(llvm::toString(plan.takeError()).find("unknown planner 'best'"),
            std::string::npos);
}

// Random problems: every plan passes the checker and lies between the
// bound and the naive total, and ILP <= greedy.
TEST(MemoryPlanner, RandomProblemsProperties) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    int n = 3 + rng() % 14, steps = 2 + rng() % 12;
    std::vector<Buffer> bufs;
    for (int i = 0; i < n; ++i) {
      int64_t first = rng() % steps;
      int64_t last = std::min<int64_t>(steps - 1, first + rng() % 4);
      bufs.push_back({"b" + std::to_string(i), 64 * (1 + (int64_t)(rng() % 32)),
                      first, last});
    }
    Problem p = makeProblem(bufs, 64);
    Bounds b = computeBounds(p);
    EXPECT_LE(b.orderFree, b.fixedOrder);
    llvm::Expected<MemoryPlan> mp = planMemory(p, "ilp", 5);
    ASSERT_TRUE((bool)mp) << llvm::toString(mp.takeError());
    for (const Plan *plan : {&mp->firstFit, &mp->greedy, &*mp->ilp}) {
      EXPECT_TRUE(checkPlan(p, *plan).empty()) << plan->planner;
      EXPECT_GE(plan->arenaBytes, b.fixedOrder) << plan->planner;
      EXPECT_LE(plan->arenaBytes, b.naive) << plan->planner;
    }
    EXPECT_LE(mp->ilp->arenaBytes, mp->greedy.arenaBytes);
    EXPECT_LE(mp->ilp->arenaBytes, mp->firstFit.arenaBytes);
  }
}

} // namespace

//===- PlannerTest.cpp - planners, bounds and checker ---------------------===//

#include "mnemo/Memory/Planning/MemoryPlan.h"
#include "mnemo/Memory/Planning/Planner.h"
#include "mnemo/Memory/Planning/Tiers.h"
#include "mnemo/Memory/Planning/PatchGeometry.h"

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

// A residual: "a" is made at step 0 and read at step 3, while steps 1-2
// need the whole 16 KiB for "b" and "c". With 16 KiB on chip "a" must leave
// and come back: 4 KiB spilled plus 4 KiB reloaded.
TEST(MemoryTiers, ResidualIsSpilledAndReloaded) {
  Problem p = makeProblem({{"a", 4096, 0, 3},
                           {"b", 8192, 1, 2},
                           {"c", 8192, 2, 3},
                           {"d", 4096, 3, 3}},
                          64);
  p.touched = {{0}, {1}, {1, 2}, {0, 2, 3}};
  EXPECT_EQ(minimumOnChipBytes(p), 16384);
  llvm::Expected<TierPlan> t = planTiers(p, 16384, 5);
  ASSERT_TRUE((bool)t) << llvm::toString(t.takeError());
  EXPECT_EQ(t->trafficBytes, 8192);
  EXPECT_LE(t->sramBytes, 16384);
  EXPECT_EQ(t->residencies[0].size(), 2u);
  EXPECT_TRUE(t->residencies[0][0].spillAfter);
  EXPECT_TRUE(t->residencies[0][1].reloadBefore);
  EXPECT_GE(t->dramOffset[0], 0);
  EXPECT_TRUE(checkTierPlan(p, *t).empty());

  // Enough for everything: no traffic, no DRAM.
  llvm::Expected<TierPlan> roomy = planTiers(p, 20480, 5);
  ASSERT_TRUE((bool)roomy);
  EXPECT_EQ(roomy->trafficBytes, 0);
  EXPECT_EQ(roomy->dramBytes, 0);

  // Below what step 3 touches: an error with the smallest budget.
  llvm::Expected<TierPlan> tight = planTiers(p, 12000, 5);
  ASSERT_FALSE((bool)tight);
  std::string msg = llvm::toString(tight.takeError());
  EXPECT_NE(msg.find("smallest budget this planner meets is 16384"),
            std::string::npos)
      << msg;
}

// A tiled step streams: "a" (16 KiB) is made at step 0 and read at step 1,
// both loops tiled with 2 KiB tiles. In 4 KiB neither step can hold "a",
// so both stream it through their staging areas: 16 KiB written and read,
// at the loops' traffic ratio. Without the streams no plan fits.
TEST(MemoryTiers, TiledStepsStreamThroughStaging) {
  Problem p = makeProblem({{"a", 16384, 0, 1}, {"b", 1024, 1, 2}}, 64);
  p.touched = {{0}, {0, 1}, {1}};
  p.streams.resize(3);
  p.streams[0] = {2048, 1.0, 0, 0};
  p.streams[1] = {2048, 1.5, 1, 1};
  EXPECT_EQ(minimumOnChipBytes(p), 2048); // one staging area
  llvm::Expected<TierPlan> t = planTiers(p, 4096, 5);
  ASSERT_TRUE((bool)t) << llvm::toString(t.takeError());
  EXPECT_TRUE(checkTierPlan(p, *t).empty());
  EXPECT_TRUE(t->residencies[0].empty());
  EXPECT_GE(t->dramOffset[0], 0);
  EXPECT_GE(t->stagingOffset[0], 0);
  EXPECT_GE(t->stagingOffset[1], 0);
  EXPECT_EQ(t->streamedTrafficBytes, 16384 + 24576);
  EXPECT_EQ(t->trafficBytes, t->streamedTrafficBytes);
  EXPECT_LE(t->sramBytes, 4096);

  // Buffers that live only inside a loop planned step by step (steps
  // 0-2) do not stream: their transfers would sit inside the loop.
  Problem q = p;
  q.streams[1] = {2048, 1.0, 0, 2};
  EXPECT_FALSE(q.streamable(1, 0));
  EXPECT_FALSE(q.streamable(1, 1));
  EXPECT_TRUE(p.streamable(1, 0));

  Problem whole = p;
  whole.streams.clear();
  llvm::Expected<TierPlan> none = planTiers(whole, 4096, 5);
  ASSERT_FALSE((bool)none);
  llvm::consumeError(none.takeError());
}

// Random problems with random budgets between the order-free and the
// fixed-order bound: every tier plan passes the checker and fits.
TEST(MemoryTiers, RandomBudgetsPassTheChecker) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    int n = 3 + rng() % 10, steps = 3 + rng() % 10;
    std::vector<Buffer> bufs;
    for (int i = 0; i < n; ++i) {
      int64_t first = rng() % steps;
      int64_t last = std::min<int64_t>(steps - 1, first + rng() % 5);
      bufs.push_back({"b" + std::to_string(i), 64 * (1 + (int64_t)(rng() % 16)),
                      first, last});
    }
    Problem p = makeProblem(bufs, 64);
    int64_t lo = minimumOnChipBytes(p), hi = planGreedyBySize(p).arenaBytes;
    int64_t budget = lo + (int64_t)(rng() % (hi - lo + 1));
    llvm::Expected<TierPlan> t = planTiers(p, budget, 2);
    if (!t) {
      // Only fragmentation can make a budget above the touched bytes fail.
      llvm::consumeError(t.takeError());
      continue;
    }
    EXPECT_TRUE(checkTierPlan(p, *t).empty());
    EXPECT_LE(t->sramBytes, budget);
    if (budget >= hi)
      EXPECT_EQ(t->trafficBytes, 0);
  }
}

// MobileNetV2 1.0 @224, first five blocks (stem conv and inverted
// residual blocks 1-4) up to the 28x28x32 output, split 4 x 4: the
// published geometry is 7x7 tiles, 75x75 input patches, patch stride 56
// and 41.9% extra MACs in the stage.
TEST(PatchGeometry, MobileNetV2FirstStageMatchesMCUNetV2) {
  auto layer = [](std::string name, int64_t k, int64_t s, int64_t out,
                  int64_t macs, int input) {
    SpatialLayer l;
    l.name = std::move(name);
    l.kernel = {k, k};
    l.stride = {s, s};
    l.out = {out, out};
    l.macsPerPixel = macs;
    l.inputs = {input};
    return l;
  };
  std::vector<SpatialLayer> stage = {
      layer("stem", 3, 2, 112, 3 * 9 * 32, -1),
      layer("b1.dw", 3, 1, 112, 9 * 32, 0),
      layer("b1.pw", 1, 1, 112, 32 * 16, 1),
      layer("b2.expand", 1, 1, 112, 16 * 96, 2),
      layer("b2.dw", 3, 2, 56, 9 * 96, 3),
      layer("b2.project", 1, 1, 56, 96 * 24, 4),
      layer("b3.expand", 1, 1, 56, 24 * 144, 5),
      layer("b3.dw", 3, 1, 56, 9 * 144, 6),
      layer("b3.project", 1, 1, 56, 144 * 24, 7),
      layer("b3.add", 1, 1, 56, 0, 8),
      layer("b4.expand", 1, 1, 56, 24 * 144, 9),
      layer("b4.dw", 3, 2, 28, 9 * 144, 10),
      layer("b4.project", 1, 1, 28, 144 * 32, 11)};
  stage[9].inputs = {8, 5}; // the residual add reads the block input too
  PatchGeometry g = computePatchGeometry(stage, 4);
  EXPECT_EQ(g.tile[0], 7);
  EXPECT_EQ(g.patch[0], 75);
  EXPECT_EQ(g.patch[1], 75);
  EXPECT_EQ(g.patchStride[0], 56);
  EXPECT_NEAR(g.macOverhead, 0.419, 0.005);
  EXPECT_EQ(g.region[0][0], 37); // the stem computes 37x37 per patch
  // No split, no overhead; more patches, more overlap.
  EXPECT_NEAR(computePatchGeometry(stage, 1).macOverhead, 0, 1e-9);
  EXPECT_GT(computePatchGeometry(stage, 7).macOverhead, g.macOverhead);
}

} // namespace

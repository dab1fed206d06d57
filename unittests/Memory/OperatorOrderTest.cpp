//===- OperatorOrderTest.cpp - execution order chosen for peak memory -----===//

#include "mnemo/Memory/Planning/OperatorOrder.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <numeric>
#include <random>

using namespace mnemo::memory;

namespace {

// Two branches read one input; each makes a large intermediate and a small
// result. Program order runs both large producers before either consumer,
// so both intermediates are live together; finishing one branch first
// keeps one.
TEST(OperatorOrder, FinishesOneBranchBeforeTheOther) {
  OrderProblem p;
  p.ownBytes.assign(6, 0);
  // 0 source, 1 a1, 2 b1, 3 a2, 4 b2, 5 sink
  p.edges = {{0, 1}, {0, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 5}};
  p.tensors = {{64, {0, 1, 2}},    // x
               {1024, {1, 3}},     // large a
               {1024, {2, 4}},     // large b
               {64, {3, 5}},       // small a
               {64, {4, 5}}};      // small b
  EXPECT_EQ(liveBytesInOrder(p, {0, 1, 2, 3, 4, 5})[2], 64 + 2048);
  Order o = chooseOrder(p, 5);
  EXPECT_TRUE(checkOrder(p, o.units).empty());
  EXPECT_EQ(o.peak, 64 + 64 + 1024);
  EXPECT_TRUE(o.optimal);
  EXPECT_NE(o.method, "program");
}

// A chain has one order: kept, nothing solved.
TEST(OperatorOrder, ChainKeepsProgramOrder) {
  OrderProblem p;
  p.ownBytes.assign(5, 128);
  for (int i = 0; i + 1 < 5; ++i) {
    p.edges.push_back({i, i + 1});
    p.tensors.push_back({256, {i, i + 1}});
  }
  Order o = chooseOrder(p, 5);
  EXPECT_EQ(o.units, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(o.method, "program");
  EXPECT_EQ(o.ilps, 0);
  EXPECT_EQ(o.peak, 128 + 512);
}

TEST(OperatorOrder, CheckerRejectsReversedEdgeAndRepeats) {
  OrderProblem p;
  p.ownBytes.assign(3, 0);
  p.edges = {{0, 1}};
  EXPECT_FALSE(checkOrder(p, {1, 0, 2}).empty());
  EXPECT_FALSE(checkOrder(p, {0, 0, 2}).empty());
  EXPECT_FALSE(checkOrder(p, {0, 1}).empty());
  EXPECT_TRUE(checkOrder(p, {0, 2, 1}).empty());
}

// Random DAGs small enough to enumerate: the chosen order is valid and its
// peak is the minimum over every topological order.
TEST(OperatorOrder, MatchesBruteForceOnRandomDags) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 5 + trial % 4;
    OrderProblem p;
    p.ownBytes.resize(n);
    for (int u = 0; u < n; ++u)
      p.ownBytes[u] = 64 * (rng() % 4);
    for (int u = 0; u < n; ++u) {
      // Each unit but the last makes one tensor read by 1-3 later units.
      if (u == n - 1)
        break;
      OrderProblem::Tensor t{64 * (1 + (int64_t)(rng() % 16)), {u}};
      int readers = 1 + rng() % 3;
      for (int k = 0; k < readers; ++k) {
        int v = u + 1 + rng() % (n - u - 1);
        if (std::find(t.users.begin(), t.users.end(), v) == t.users.end()) {
          t.users.push_back(v);
          p.edges.push_back({u, v});
        }
      }
      p.tensors.push_back(t);
    }
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    int64_t best = INT64_MAX;
    do {
      if (!checkOrder(p, perm).empty())
        continue;
      std::vector<int64_t> live = liveBytesInOrder(p, perm);
      best = std::min(best, *std::max_element(live.begin(), live.end()));
    } while (std::next_permutation(perm.begin(), perm.end()));
    Order o = chooseOrder(p, 5);
    ASSERT_TRUE(checkOrder(p, o.units).empty()) << "trial " << trial;
    std::vector<int64_t> live = liveBytesInOrder(p, o.units);
    EXPECT_EQ(o.peak, *std::max_element(live.begin(), live.end()));
    EXPECT_EQ(o.peak, best) << "trial " << trial;
    EXPECT_TRUE(o.optimal) << "trial " << trial;
  }
}

// Too many independent branches for one ILP: windows around the peak still
// give a valid order no worse than the program's or the greedy one.
TEST(OperatorOrder, LargeGraphSolvedByWindows) {
  const int branches = 60;
  OrderProblem p;
  p.ownBytes.assign(2 + 2 * branches, 0);
  const int sink = 1 + 2 * branches;
  std::vector<int> heads, tails;
  OrderProblem::Tensor x{64, {0}};
  for (int b = 0; b < branches; ++b) {
    int head = 1 + b, tail = 1 + branches + b; // all heads, then all tails
    x.users.push_back(head);
    p.edges.push_back({0, head});
    p.edges.push_back({head, tail});
    p.edges.push_back({tail, sink});
    p.tensors.push_back({64 * (1 + b % 7), {head, tail}});
    p.tensors.push_back({64, {tail, sink}});
  }
  p.tensors.push_back(x);
  std::vector<int> program(p.numUnits());
  std::iota(program.begin(), program.end(), 0);
  std::vector<int64_t> live = liveBytesInOrder(p, program);
  int64_t programPeak = *std::max_element(live.begin(), live.end());
  Order o = chooseOrder(p, 4);
  ASSERT_TRUE(checkOrder(p, o.units).empty());
  EXPECT_LT(o.peak, programPeak / 2);
  EXPECT_EQ(o.units.back(), sink);
}

} // namespace

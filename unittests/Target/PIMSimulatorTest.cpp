//===- PIMSimulatorTest.cpp - the AiM timing rules on hand-computed cases -===//
//
// Each timing rule of REFERENCES.md section 8 on a program small enough to
// count by hand (defaults: tRCDMAC 56, tCCD 2, tRTP 12, tRP 32, tRAS 54,
// tRC 89, mode change 32, read latency 32), the functional model against
// a reference GEMV, and the checks on programs that do not fit.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/PIM/Simulator.h"

#include "gtest/gtest.h"

#include <random>

using namespace mnemo::pim;

namespace {

Device oneChannel() {
  llvm::Expected<Device> d = parseDevice("channels=1");
  EXPECT_TRUE(bool(d));
  return *d;
}

std::vector<Command> parse(llvm::StringRef text, const Device &d) {
  llvm::Expected<std::vector<Command>> p = parseTrace(text, d);
  if (!p) {
    ADD_FAILURE() << llvm::toString(p.takeError());
    return {};
  }
  return *p;
}

Stats timeOf(llvm::StringRef text, const Device &d) {
  Simulator sim(d);
  llvm::Expected<Stats> s = sim.run(parse(text, d), /*functional=*/false);
  if (!s) {
    ADD_FAILURE() << llvm::toString(s.takeError());
    return {};
  }
  return *s;
}

// One MAC_ABK of 4 columns over a closed row: ACT at 0, the first column
// at tRCDMAC = 56, 4 columns of tCCD = 2: done at 64. 16 banks open.
TEST(PIMTiming, OneMacOverClosedRow) {
  Stats s = timeOf("AiM MAC_ABK 4 0x80000000 0\nAiM EOC\n", oneChannel());
  EXPECT_EQ(s.cycles, 64);
  EXPECT_EQ(s.activations, 16);
  EXPECT_EQ(s.macColumns, 64);
}

// Rows in sequence: the first costs 56 + 2c, each next one 2c + 98 (last
// column + tRTP 12, + tRP 32, + tRCDMAC 56, less the 2 of the last column).
TEST(PIMTiming, RowsInSequence) {
  Stats s = timeOf("AiM MAC_ABK 64 0x80000000 0\n"
                   "AiM MAC_ABK 64 0x80000000 1\n"
                   "AiM MAC_ABK 64 0x80000000 2\nAiM EOC\n",
                   oneChannel());
  EXPECT_EQ(s.cycles, 56 + 128 + 2 * (128 + 98));
  EXPECT_EQ(s.activations, 48);
}

// tRC binds when rows are short: c = 1 gives ACT-to-ACT of 2 + 10 + 32 +
// 56 = 100 >= 89, so 2c + 98 still holds; tRAS binds nothing here either.
TEST(PIMTiming, ShortRowsStillPayTheRowCycle) {
  Stats s = timeOf("AiM MAC_ABK 1 0x80000000 0\n"
                   "AiM MAC_ABK 1 0x80000000 1\nAiM EOC\n",
                   oneChannel());
  EXPECT_EQ(s.cycles, 56 + 2 + (2 + 98));
}

// A MAC_ABK on the open row is a row hit: columns right after the last.
TEST(PIMTiming, SameRowHit) {
  Stats s = timeOf("AiM MAC_ABK 8 0x80000000 5\n"
                   "AiM MAC_ABK 8 0x80000000 5\nAiM EOC\n",
                   oneChannel());
  EXPECT_EQ(s.cycles, 56 + 16 + 16);
  EXPECT_EQ(s.activations, 16);
  EXPECT_EQ(s.rowHits, 16);
}

// WR_GB (register) -> MAC_ABK (bank) -> RD_MAC (register): two mode
// changes of 32; RD_MAC blocks for the read latency (32) + one column.
TEST(PIMTiming, ModeChangesAndBlockingRead) {
  Stats s = timeOf("AiM WR_GB 4 0 0x80000000\n"
                   "AiM MAC_ABK 4 0x80000000 0\n"
                   "AiM RD_MAC 0 0x80000000\nAiM EOC\n",
                   oneChannel());
  int64_t wr = 4 * 2;                   // 8
  int64_t mac = wr + 32 + 56 + 4 * 2;   // 104
  int64_t rd = mac + 32 + 32 + 2;       // 170
  EXPECT_EQ(s.cycles, rd);
  EXPECT_EQ(s.modeChanges, 2);
}

// A register written by RD_MAC is read by WR_GB only once it has returned;
// EWADD runs on the host at one register per cycle after its operands.
TEST(PIMTiming, RegisterDependencies) {
  Stats s = timeOf("AiM RD_MAC 0 0x80000000\n"
                   "AiM EWADD 1 0 1\n"
                   "AiM WR_GB 1 0 0x40000000\nAiM EOC\n",
                   *parseDevice("channels=2"));
  // RD_MAC on channel 0 returns at 34; EWADD ends at 35; channel 1 waits
  // for register 0 and writes one column: 37.
  EXPECT_EQ(s.cycles, 37);
}

// Channels run in parallel: the same row on 2 channels costs one channel's
// time; in sequence on one channel it is a row switch.
TEST(PIMTiming, ChannelsInParallel) {
  Device two = *parseDevice("channels=2");
  EXPECT_EQ(timeOf("AiM MAC_ABK 64 0xC0000000 0\nAiM EOC\n", two).cycles, 56 + 128);
  EXPECT_EQ(timeOf("AiM MAC_ABK 64 0x80000000 0\nAiM MAC_ABK 64 0x40000000 0\nAiM EOC\n",
                   two)
                .cycles,
            56 + 128);
}

// A single-bank MAC opens only its bank; a following all-bank MAC on the
// same row waits for the 15 others' ACT (the open bank is a hit).
TEST(PIMTiming, SingleBankThenAllBanks) {
  Stats s = timeOf("AiM MAC_SBK 4 0x80000000 3 7\n"
                   "AiM MAC_ABK 4 0x80000000 7\nAiM EOC\n",
                   oneChannel());
  EXPECT_EQ(s.activations, 16);
  EXPECT_EQ(s.rowHits, 1);
  // SBK: 56 + 8 = 64. ABK issued at 64: others ACT at 64, columns at 120.
  EXPECT_EQ(s.cycles, 120 + 8);
}

// With refresh on, a command issued past tREFI waits for the open row's
// precharge and tRFC, then reopens its row.
TEST(PIMTiming, RefreshStallsAndClosesRows) {
  Device d = *parseDevice("channels=1,refresh=1,tREFI=400,tRFC=100");
  std::string text;
  for (int i = 0; i < 4; ++i)
    text += "AiM MAC_ABK 64 0x80000000 0\n";
  text += "AiM EOC\n";
  Stats s = timeOf(text, d);
  // 184 (ACT + 64 columns), 312 and 440 (hits). The 4th comes at 440 >=
  // 400: precharge at 438 + 12 = 450, refresh 450 + 32 .. 582, ACT 582,
  // columns 638 .. 766.
  EXPECT_EQ(s.refreshes, 1);
  EXPECT_EQ(s.activations, 32);
  EXPECT_EQ(s.cycles, 766);
}

// A long MAC stream on open rows reaches the device's peak; a full-device
// GEMV pays the row cycle (2c + 98 per row of c columns).
TEST(PIMTiming, PeakAndGemvEfficiency) {
  Device d; // 32 channels, 1 TFLOPS per chip (2 channels)
  EXPECT_NEAR(d.peakFlops() / 16, 1.024e12, 1e9);
  std::string hits, rows;
  for (int i = 0; i < 200; ++i) {
    hits += "AiM MAC_ABK 64 0xFFFFFFFF 0\n";
    rows += "AiM MAC_ABK 64 0xFFFFFFFF " + std::to_string(i) + "\n";
  }
  Stats peak = timeOf(hits + "AiM EOC\n", d);
  double util = peak.flops() / (d.peakFlops() * peak.seconds);
  EXPECT_GT(util, 0.95);
  Stats gemv = timeOf(rows + "AiM EOC\n", d);
  double rowUtil = gemv.flops() / (d.peakFlops() * gemv.seconds);
  EXPECT_NEAR(rowUtil, 128.0 / 226.0, 0.01);
}

// Functionally: y = W x for W [16, 96] in bank rows (output row b in bank
// b, 96 = 6 columns), x through the global buffer, read back by RD_MAC;
// against the products of the same bf16 values summed in double.
TEST(PIMFunctional, GemvMatchesReference) {
  Device d = oneChannel();
  Simulator sim(d);
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 1);
  int64_t k = 96;
  std::vector<uint16_t> x(k);
  for (int64_t i = 0; i < k; ++i) {
    x[i] = toBF16(n(rng));
    sim.gpr(i / kLanes)[i % kLanes] = fromBF16(x[i]);
  }
  std::vector<double> want(kLanes, 0.25);
  for (int64_t b = 0; b < kLanes; ++b) {
    std::vector<uint16_t> w(d.rowValues(), 0);
    for (int64_t i = 0; i < k; ++i) {
      w[i] = toBF16(n(rng));
      want[b] += double(fromBF16(w[i])) * fromBF16(x[i]);
    }
    sim.writeRow(0, b, 3, w);
  }
  for (float &v : sim.gpr(100))
    v = 0.25f; // the bias
  auto stats = sim.run(parse("AiM WR_BIAS 100 0x80000000\n"
                             "AiM WR_GB 6 0 0x80000000\n"
                             "AiM MAC_ABK 6 0x80000000 3\n"
                             "AiM RD_MAC 200 0x80000000\nAiM EOC\n",
                             d));
  ASSERT_TRUE(bool(stats)) << llvm::toString(stats.takeError());
  for (int64_t b = 0; b < kLanes; ++b)
    EXPECT_NEAR(sim.gpr(200)[b], want[b], 1e-4 * (1 + std::abs(want[b])));
}

TEST(PIMProgram, BinaryRoundTrip) {
  Device d;
  std::vector<Command> p = parse("AiM WR_GB 64 12 0xFFFFFFFF\n"
                                 "AiM MAC_SBK 3 0x1 15 16383\n"
                                 "AiM EWADD 4 8 200\nAiM WR_SBK 1 7 0x2 9 12345 63\n"
                                 "AiM MAC_ABK 4 0x1 77 60\n"
                                 "AiM SYNC\nAiM EOC\n",
                                 d);
  llvm::Expected<std::vector<Command>> q = decodeBinary(encodeBinary(p), d);
  ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
  ASSERT_EQ(q->size(), p.size());
  for (size_t i = 0; i < p.size(); ++i)
    EXPECT_EQ(printCommand((*q)[i]), printCommand(p[i]));
}

// Programs that do not fit the device: the reader names the line, the
// simulator the command.
TEST(PIMProgram, OutOfRangeIsRejected) {
  Device d = oneChannel();
  auto expectError = [&](llvm::StringRef text, llvm::StringRef what) {
    llvm::Expected<std::vector<Command>> p = parseTrace(text, d);
    ASSERT_FALSE(bool(p)) << text.str();
    std::string msg = llvm::toString(p.takeError());
    EXPECT_NE(msg.find(what.str()), std::string::npos) << msg;
  };
  expectError("AiM MAC_ABK 65 0x80000000 0\nAiM EOC\n", "opsize 65 is outside 1..64");
  expectError("AiM MAC_SBK 4 0x80000000 16 0\nAiM EOC\n", "bank 16 is outside 0..15");
  expectError("AiM MAC_ABK 4 0x80000000 16384\nAiM EOC\n", "row 16384 is outside");
  expectError("AiM MAC_ABK 4 0x40000000 0\nAiM EOC\n", "past the device's 1");
  expectError("AiM MAC_ABK 4 0x80000000\nAiM EOC\n", "MAC_ABK takes 3 or 4 fields, got 2");
  expectError("AiM MAC_ABK 4 0x80000000 0\n", "does not end with `AiM EOC`");
  expectError("AiM FOO 1\nAiM EOC\n", "line 1 (`AiM FOO 1`): unknown opcode");
  Command bad;
  bad.op = Opcode::MAC_ABK;
  bad.opsize = 4;
  bad.mask = channelBit(0);
  bad.row = 99999;
  Simulator sim(d);
  llvm::Expected<Stats> s = sim.run({bad});
  ASSERT_FALSE(bool(s));
  EXPECT_NE(llvm::toString(s.takeError()).find("command 0 (`AiM MAC_ABK 4 0x80000000 99999`)"),
            std::string::npos);
}

} // namespace

//===----------------------------------------------------------------------===//
// GEMV mapping
//===----------------------------------------------------------------------===//

#include "mnemo/Target/PIM/GemvMapping.h"

namespace {

// Command counts by hand: K = 32 (2 columns), N = 40 on 2 channels is 2
// slots of 32 outputs: WR_GB, then per slot WR_BIAS, MAC_ABK, RD_MAC.
// K = 1500 is 2 passes (1024 + 476 inputs): twice that, and one EWADD
// adding the second pass's partial sums.
TEST(PIMGemv, CommandCounts) {
  Device d = *parseDevice("channels=2");
  GemvPlan small = *planGemv(d, 32, 40, 0);
  EXPECT_EQ(small.slots, 2);
  EXPECT_EQ(small.passes, 1);
  std::vector<Command> p = emitGemv(d, small, {0, 100, -1, 200, 300}, 1);
  ASSERT_EQ(p.size(), 7u);
  EXPECT_EQ(printCommand(p[0]), "AiM WR_GB 2 0 0xC0000000");
  EXPECT_EQ(printCommand(p[1]), "AiM WR_BIAS 200 0xC0000000");
  EXPECT_EQ(printCommand(p[2]), "AiM MAC_ABK 2 0xC0000000 0");
  EXPECT_EQ(printCommand(p[3]), "AiM RD_MAC 100 0xC0000000");
  EXPECT_EQ(printCommand(p[6]), "AiM RD_MAC 102 0xC0000000");
  GemvPlan big = *planGemv(d, 1500, 40, 10);
  EXPECT_EQ(big.passes, 2);
  std::vector<Command> q = emitGemv(d, big, {0, 100, -1, 200, 300}, 1);
  ASSERT_EQ(q.size(), 15u);
  EXPECT_EQ(printCommand(q[7]), "AiM WR_GB 30 64 0xC0000000");
  EXPECT_EQ(printCommand(q[9]), "AiM MAC_ABK 30 0xC0000000 11");
  EXPECT_EQ(printCommand(q[10]), "AiM RD_MAC 300 0xC0000000");
  EXPECT_EQ(printCommand(q[14]), "AiM EWADD 4 100 300");
  EXPECT_FALSE(bool(planGemv(d, 1500, 40, 16383))) << "past the last row";
}

// The smallest GEMV timed by hand on one channel: WR_GB of 2 columns (4),
// WR_BIAS (2), mode change (32), MAC over a closed row (56 + 4), mode
// change (32), RD_MAC (32 + 2).
TEST(PIMGemv, SmallestTimedByHand) {
  Device d = oneChannel();
  GemvPlan p = *planGemv(d, 32, 16, 0);
  std::vector<Command> prog = emitGemv(d, p, {0, 10, -1, 20, 30}, 1);
  prog.push_back(Command());
  Simulator sim(d);
  llvm::Expected<Stats> s = sim.run(prog, false);
  ASSERT_TRUE(bool(s));
  EXPECT_EQ(s->cycles, 4 + 2 + 32 + 56 + 4 + 32 + 32 + 2);
}

// Functionally: 2 rows of x [2, 2500] (3 passes) times W [2500, 600] plus
// a bias on 4 channels (10 slots), against the same bf16 values in double.
TEST(PIMGemv, MatchesReference) {
  Device d = *parseDevice("channels=4");
  int64_t k = 2500, n = 600, rows = 2;
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0, 1);
  std::vector<float> w(k * n), x(rows * k), bias(n);
  for (float &v : w)
    v = dist(rng);
  for (float &v : x)
    v = dist(rng);
  for (float &v : bias)
    v = dist(rng);
  GemvPlan p = *planGemv(d, k, n, 5);
  EXPECT_EQ(p.passes, 3);
  EXPECT_EQ(p.slots, 10);
  Image image;
  packGemvWeights(d, p, w, image);
  Simulator sim(d);
  sim.load(image);
  GemvRegisters regs;
  regs.x = 0;
  regs.y = 1000;
  regs.bias = 2000;
  regs.zero = 2100;
  regs.partial = 3000;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      sim.gpr(regs.x + r * p.inputRegisters() + i / kLanes)[i % kLanes] = x[r * k + i];
  for (int64_t i = 0; i < n; ++i)
    sim.gpr(regs.bias + i / kLanes)[i % kLanes] = bias[i];
  std::vector<Command> prog = emitGemv(d, p, regs, rows);
  prog.push_back(Command());
  llvm::Expected<Stats> s = sim.run(prog);
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  double worst = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double want = bias[j];
      for (int64_t i = 0; i < k; ++i)
        want += double(fromBF16(toBF16(x[r * k + i]))) * fromBF16(toBF16(w[i * n + j]));
      int64_t at = r * p.outputRegisters(d) * kLanes + j;
      double got = sim.gpr(regs.y + at / kLanes)[at % kLanes];
      worst = std::max(worst, std::abs(got - want) / (1 + std::abs(want)));
    }
  // fp32 sums of 2500 products of about 1: ~1e-5 of the sum of |terms|.
  EXPECT_LT(worst, 1e-4);
}

} // namespace

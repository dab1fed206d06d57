//===- PIMKVMappingTest.cpp - a KV cache held in the banks ----------------===//
//
// The placement of keys and values (counted by hand on small devices), the
// commands an append and an attention take, and the device's scores and
// weighted sums against a float64 reference after a prompt upload and
// token-by-token appends, including values over several rows (passes).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/PIM/KVMapping.h"

#include "gtest/gtest.h"

#include <random>

using namespace mnemo::pim;

namespace {

Device deviceOf(llvm::StringRef spec) {
  llvm::Expected<Device> d = parseDevice(spec);
  EXPECT_TRUE(bool(d)) << (d ? "" : llvm::toString(d.takeError()));
  return d ? *d : Device();
}

KVPlan planOf(const Device &d, KVKind kind, int64_t h, int64_t dim, int64_t t,
              int64_t base = 0) {
  llvm::Expected<KVPlan> p = planKV(d, kind, h, dim, t, base);
  EXPECT_TRUE(bool(p)) << (p ? "" : llvm::toString(p.takeError()));
  return p ? *p : KVPlan();
}

// 4 channels, 2 heads: each head 2 channels (32 banks). Keys of 40 tokens
// take 2 slots per head, and a row holds 32 keys of 20 values (2 columns
// each): both slots in row 10; token 5 of head 1: channel 2 + 5 mod 2 =
// 3, bank (5 / 2) mod 16 = 2; token 33 (slot 1) from column 2. Values
// (dim 20 over 32 banks: 1 slot) of 40 tokens: one row per dim.
TEST(PIMKV, PlacementByHand) {
  Device d = deviceOf("channels=4");
  KVPlan k = planOf(d, KVKind::Key, 2, 20, 40, 10);
  EXPECT_EQ(k.group, 2);
  EXPECT_EQ(k.slots, 2);
  EXPECT_EQ(k.keysPerRow, 32);
  EXPECT_EQ(k.rows(d), 1);
  KVPlace at = keyPlace(d, k, 1, 5);
  EXPECT_EQ(at.channel, 3);
  EXPECT_EQ(at.bank, 2);
  EXPECT_EQ(at.row, 10);
  EXPECT_EQ(at.col, 0);
  EXPECT_EQ(keyPlace(d, k, 0, 33).row, 10); // slot 1
  EXPECT_EQ(keyPlace(d, k, 0, 33).col, 2);
  EXPECT_EQ(k.outputRegister(33), 1 * 2 + 1);
  EXPECT_EQ(k.outputLane(33), 0);

  KVPlan v = planOf(d, KVKind::Value, 2, 20, 40, 12);
  EXPECT_EQ(v.slots, 1);
  EXPECT_EQ(v.passes, 1);
  KVPlace e = valuePlace(d, v, 1, 37, 19); // token 37, dim 19
  EXPECT_EQ(e.channel, 2 + 1);
  EXPECT_EQ(e.bank, 9);
  EXPECT_EQ(e.row, 12);
  EXPECT_EQ(e.col, 2);
  EXPECT_EQ(e.lane, 5);

  // 3 heads on 2 channels: one channel each, the third head in a second
  // round of rows on channel 0.
  Device two = deviceOf("channels=2");
  KVPlan r = planOf(two, KVKind::Key, 3, 16, 16);
  EXPECT_EQ(r.group, 1);
  EXPECT_EQ(r.firstChannel(two, 2), 0);
  EXPECT_EQ(r.headRowBase(two, 2), 1);
  EXPECT_EQ(r.rows(two), 2);
}

// One token appended: a key is one WR_SBK per head; a value one column
// per head dim, read first unless the token starts a column.
TEST(PIMKV, AppendCommands) {
  Device d = deviceOf("channels=4");
  KVPlan k = planOf(d, KVKind::Key, 2, 20, 40);
  KVRegisters rk = kvRegisters(d, k);
  KVWrite wk = emitKVWrite(d, k, rk, 5, 7);
  EXPECT_TRUE(wk.reads.empty());
  ASSERT_EQ(wk.writes.size(), 4u); // 2 tokens x 2 heads
  EXPECT_EQ(wk.writes[0].opsize, 2); // 20 values: 2 columns
  EXPECT_EQ(wk.writes[0].col, 0);

  KVPlan v = planOf(d, KVKind::Value, 2, 20, 40);
  KVRegisters rv = kvRegisters(d, v);
  KVWrite mid = emitKVWrite(d, v, rv, 21, 22);
  EXPECT_EQ(mid.reads.size(), 40u);  // 2 heads x 20 dims
  EXPECT_EQ(mid.writes.size(), 40u);
  EXPECT_EQ(mid.writes[0].opsize, 1);
  EXPECT_EQ(mid.writes[0].col, 1);
  KVWrite start = emitKVWrite(d, v, rv, 32, 33);
  EXPECT_TRUE(start.reads.empty());
  // A prompt of 20 tokens: columns 0 and 1 of every head dim.
  EXPECT_EQ(emitKVWrite(d, v, rv, 0, 20).writes.size(), 80u);
}

// The scores of 1 head over 17 tokens on 1 channel: one WR_GB of q, and
// per slot of 16 tokens a WR_BIAS, MAC_ABK and RD_MAC (2 slots, both in
// row 0: keys of 64 values from columns 0 and 4).
TEST(PIMKV, AttendCommands) {
  Device d = deviceOf("channels=1");
  KVPlan k = planOf(d, KVKind::Key, 1, 64, 100);
  std::vector<Command> c = emitKVAttend(d, k, kvRegisters(d, k), 17);
  ASSERT_EQ(c.size(), 7u);
  EXPECT_EQ(c[0].op, Opcode::WR_GB);
  EXPECT_EQ(c[0].opsize, 4);
  EXPECT_EQ(c[2].op, Opcode::MAC_ABK);
  EXPECT_EQ(c[5].row, 0);
  EXPECT_EQ(c[5].col, 4);
  // Values over 100 tokens in rows of 1024: one pass, 7 columns.
  KVPlan v = planOf(d, KVKind::Value, 1, 64, 100);
  std::vector<Command> cv = emitKVAttend(d, v, kvRegisters(d, v), 100);
  EXPECT_EQ(cv[0].opsize, 7);
  EXPECT_EQ(llvm::count_if(cv, [](const Command &x) { return x.op == Opcode::MAC_ABK; }),
            4); // 64 dims over 16 banks: 4 slots
}

float bf16(float v) { return fromBF16(toBF16(v)); }

// Keys and values of 2 heads written as a prompt of 70 tokens and then 1
// token at a time up to 150, on rows of 64 values (2 keys to a row over 3
// rows; values take 3 passes with partial sums), against float64 over
// the bf16-rounded operands.
TEST(PIMKV, MatchesReference) {
  Device d = deviceOf("channels=4,row_bytes=128,gb_bytes=128");
  const int64_t H = 2, D = 20, T = 160, prompt = 70, len = 150;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  std::vector<float> K(H * T * D), V(H * T * D), q(H * D), pr(H * len);
  for (float &v : K) v = nd(rng);
  for (float &v : V) v = nd(rng);
  for (float &v : q) v = nd(rng);
  for (float &v : pr) v = std::abs(nd(rng));
  auto at = [&](std::vector<float> &m, int64_t t, int64_t h, int64_t i) {
    return m[(h * T + t) * D + i];
  };
  for (KVKind kind : {KVKind::Key, KVKind::Value}) {
    KVPlan p = planOf(d, kind, H, D, T, 3);
    if (kind == KVKind::Value)
      EXPECT_EQ(p.passes, 3);
    else
      EXPECT_EQ(p.rows(d), 3); // 5 slots of 32 tokens, 2 to a row
    KVRegisters r = kvRegisters(d, p);
    Simulator sim(d);
    std::vector<float> &M = kind == KVKind::Key ? K : V;
    auto write = [&](int64_t a, int64_t b) {
      KVWrite w = emitKVWrite(d, p, r, a, b);
      std::vector<Command> reads = w.reads, writes = w.writes;
      reads.push_back(Command());
      writes.push_back(Command());
      if (!w.reads.empty())
        ASSERT_TRUE(bool(sim.run(reads)));
      stageKVWrite(sim, p, r, w, a, b, [&](int64_t t, int64_t h, int64_t i) {
        return at(M, t, h, i);
      });
      llvm::Expected<Stats> s = sim.run(writes);
      ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
    };
    write(0, prompt);
    for (int64_t t = prompt; t < len; ++t)
      write(t, t + 1);
    bool key = kind == KVKind::Key;
    setKVInput(sim, p, r, len, [&](int64_t h, int64_t i) {
      return key ? q[h * D + i] : pr[h * len + i];
    });
    std::vector<Command> prog = emitKVAttend(d, p, r, len);
    prog.push_back(Command());
    llvm::Expected<Stats> s = sim.run(prog);
    ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
    for (int64_t h = 0; h < H; ++h)
      for (int64_t j = 0; j < (key ? len : D); ++j) {
        double want = 0;
        if (key)
          for (int64_t i = 0; i < D; ++i)
            want += double(bf16(q[h * D + i])) * bf16(at(K, j, h, i));
        else
          for (int64_t t = 0; t < len; ++t)
            want += double(bf16(pr[h * len + t])) * bf16(at(V, t, h, j));
        EXPECT_NEAR(kvOutput(sim, p, r, h, j), want, 1e-4 * (1 + std::abs(want)))
            << (key ? "key" : "value") << " head " << h << " output " << j;
      }
  }
}

// Caches that do not fit: too many rows, a key longer than a pass.
TEST(PIMKV, TooLargeIsRejected) {
  // 1000 tokens: 63 slots of 16, 2 keys of 512 values to a row: 32 rows.
  Device d = deviceOf("channels=1,rows=8");
  llvm::Expected<KVPlan> p = planKV(d, KVKind::Key, 1, 512, 1000, 0);
  ASSERT_FALSE(bool(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("needs 32 rows per bank"),
            std::string::npos);
  llvm::Expected<KVPlan> wide = planKV(Device(), KVKind::Key, 1, 2048, 16, 0);
  ASSERT_FALSE(bool(wide));
  EXPECT_NE(llvm::toString(wide.takeError()).find("does not fit one pass"),
            std::string::npos);
}

} // namespace

//===- KVMapping.h - a KV cache held in the banks ---------------*- C++ -*-===//
//
// Attention over a decode step's KV cache as GEMVs over the cache rows
// (PIM-GPT, AttAcc): the keys give scores = q K^T with the cached tokens
// as outputs, the values give out = p V with the head dims as outputs, so
// V is held transposed (one head dim per bank row, tokens along it).
// Each head gets its own group of channels, so the heads' GEMVs run side
// by side:
//
// - keys of head h, token t: slot s = t / (g x 16), channel first(h) + t
//   mod g, bank (t / g) mod 16; a row holds the keys of columns / ceil(D
//   / 16) consecutive slots (16 for D = 64), so row headBase(h) + s / that,
//   from column (s mod that) x ceil(D / 16): the scores' MACs of
//   consecutive slots hit the open row (one WR_SBK per token and head
//   appends a key);
// - values of head h, dim d: slot d / (g x 16), channel first(h) + d mod
//   g, bank (d / g) mod 16, rows headBase(h) + slot x passes + t / chunk;
//   token t at column (t mod chunk) / 16, lane t mod 16 (a token appends
//   one column per head dim: RD_SBK of that column, the host sets its
//   lane, WR_SBK; the first token of a column needs no read).
// Consecutive tokens (keys) and dims (values) go to different channels
// first, so a token's appends spread over the head's channels.
//
// A cache is one layer's keys or values for batch 1, [H, T, D] head-major,
// with T = the compiled --max-seq.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_PIM_KVMAPPING_H
#define MNEMO_TARGET_PIM_KVMAPPING_H

#include "mnemo/Target/PIM/Simulator.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace mnemo::pim {

enum class KVKind { Key, Value };

struct KVPlan {
  KVKind kind = KVKind::Key;
  int64_t heads = 0, dim = 0, maxSeq = 0;
  int64_t rowBase = 0;
  int64_t group = 1;       ///< channels per head (g)
  int64_t chunk = 0;       ///< tokens per value row (one pass)
  int64_t slots = 0;       ///< output groups of g x 16 per head
  int64_t passes = 1;      ///< value rows per output (tokens / chunk)
  int64_t keysPerRow = 1;  ///< keys of a bank's consecutive slots in a row
  int64_t rowsPerHead() const {
    return kind == KVKind::Key ? (slots + keysPerRow - 1) / keysPerRow
                               : slots * passes;
  }
  /// Heads side by side before they share channels.
  int64_t headsPerRound(const Device &d) const { return d.channels / group; }
  /// Rows per bank the cache takes.
  int64_t rows(const Device &d) const;
  int64_t firstChannel(const Device &d, int64_t h) const;
  int64_t headRowBase(const Device &d, int64_t h) const;
  /// The mask of head h's channels.
  uint32_t mask(const Device &d, int64_t h) const;
  /// Columns of one key (D values).
  int64_t keyColumns() const;
  /// Output i's register (token i of the scores, dim i of the values)
  /// after a head's first output register; its lane is (i / g) mod 16.
  int64_t outputRegister(int64_t i) const;
  int64_t outputLane(int64_t i) const { return (i / group) % kLanes; }
};

/// Where one value (key dim or value token) lies.
struct KVPlace {
  int64_t channel, bank, row, col, lane;
};

llvm::Expected<KVPlan> planKV(const Device &d, KVKind kind, int64_t heads,
                              int64_t dim, int64_t maxSeq, int64_t rowBase);

/// Head h's key of token t (its first element; the rest follow in the row).
KVPlace keyPlace(const Device &d, const KVPlan &p, int64_t h, int64_t t);
/// Element d of head h's value of token t.
KVPlace valuePlace(const Device &d, const KVPlan &p, int64_t h, int64_t t,
                   int64_t dim);

/// The registers the programs below use, from `base`.
struct KVRegisters {
  int64_t in = 0;      ///< per head: q (key columns) or p (tokens / 16)
  int64_t out = 0;     ///< per head: scores (slots x g) or out (slots x g)
  int64_t partial = 0; ///< value passes beyond the first
  int64_t zero = 0;    ///< channels registers of zeros
  int64_t stage = 0;   ///< rows being written
  int64_t end = 0;
  int64_t inPerHead = 0, outPerHead = 0;
};
KVRegisters kvRegisters(const Device &d, const KVPlan &p, int64_t base = 0);

/// Writes tokens [first, last) (at most kMaxWriteTokens). Keys: one
/// WR_SBK per token and head from `stage`, register stage + ((t - first)
/// x H + h) x keyColumns(). Values: per head and dim, one WR_SBK per
/// column the tokens touch, from stage + (h x D + d) x columns + i;
/// `reads` are the RD_SBKs that must run first (and the host then sets
/// the new lanes) for a first column that already holds earlier tokens.
struct KVWrite {
  std::vector<Command> reads, writes;
  int64_t columnsPerRow = 0; ///< values: columns per head dim
};
constexpr int64_t kMaxWriteTokens = 256;
KVWrite emitKVWrite(const Device &d, const KVPlan &p, const KVRegisters &r,
                    int64_t first, int64_t last);

/// The host's side of `w` (from emitKVWrite(first, last)), between its
/// reads and its writes: element i of head h's key or value of token t,
/// `value(t, h, i)`, into the staging registers (the lanes a read brought
/// in stay; the rest of a row is zero).
void stageKVWrite(Simulator &sim, const KVPlan &p, const KVRegisters &r,
                  const KVWrite &w, int64_t first, int64_t last,
                  llvm::function_ref<float(int64_t, int64_t, int64_t)> value);

/// The GEMVs' input: element i of head h's query (keys) or probabilities
/// over [0, len) (values), `x(h, i)`, zero-padded.
void setKVInput(Simulator &sim, const KVPlan &p, const KVRegisters &r,
                int64_t len, llvm::function_ref<float(int64_t, int64_t)> x);

/// Output i (token or dim) of head h after emitKVAttend.
float kvOutput(Simulator &sim, const KVPlan &p, const KVRegisters &r,
               int64_t h, int64_t i);

/// Scores of every head over tokens [0, len) (keys), or the heads'
/// weighted sums of the values of tokens [0, len) (values); the inputs
/// are in `in` (zero-padded to whole registers), the results in `out`:
/// output i (token or dim) of head h in register out + h x outPerHead +
/// outputRegister(i), lane outputLane(i).
std::vector<Command> emitKVAttend(const Device &d, const KVPlan &p,
                                  const KVRegisters &r, int64_t len);

/// One decode step's device program in its steady state, as the runtime
/// runs it: the append of token len - 1 (a value rewrites its column from
/// the host's copy, no read back), the GEMVs over len tokens, and EOC.
/// The partition's cost model and `mnemo-pim-sim --kv-step` time it.
std::vector<Command> emitKVStep(const Device &d, const KVPlan &p,
                                const KVRegisters &r, int64_t len);

} // namespace mnemo::pim

#endif // MNEMO_TARGET_PIM_KVMAPPING_H

//===- Simulator.h - functional and command-level PIM model -----*- C++ -*-===//
//
// Runs an AiM program on a device: functionally (bank rows and the global
// buffer in bf16, products of two bf16 values exact in fp32, accumulators
// and registers in fp32) and in time (a command-level model per channel:
// per-bank row state under ACT/precharge/tRAS/tRC, column timing, mode
// changes between register and bank commands, blocking reads, optional
// refresh; channels in parallel, each strictly in order). docs/pim.md
// states each rule; unittests/Target/PIMSimulatorTest.cpp checks them on
// hand-computed programs.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_PIM_SIMULATOR_H
#define MNEMO_TARGET_PIM_SIMULATOR_H

#include "mnemo/Target/PIM/Program.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace mnemo::pim {

uint16_t toBF16(float v);
float fromBF16(uint16_t v);

/// A GPR: 256 bits, held as 16 fp32 values (written to the device as bf16).
using Register = std::array<float, kLanes>;

/// Bank rows by (channel, bank, row), each rowValues() bf16 values.
struct Image {
  std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<uint16_t>> rows;
};

/// "MNPIMIMG", u32 version (1), u32 row bytes, u32 count, then per row u16
/// channel, u16 bank, u32 row and the row's bytes (little-endian bf16).
std::string encodeImage(const Image &image, const Device &device);
llvm::Expected<Image> decodeImage(llvm::StringRef bytes, const Device &device);

struct Stats {
  int64_t cycles = 0;
  double seconds = 0;
  std::array<int64_t, kNumOpcodes> commands{};
  int64_t activations = 0;      ///< row opens (each with its precharge)
  int64_t rowHits = 0;          ///< bank column commands on the open row
  int64_t macColumns = 0;       ///< bank-columns multiplied (16 MACs each)
  int64_t bankColumnReads = 0;  ///< including MAC operands
  int64_t bankColumnWrites = 0;
  int64_t transferColumns = 0;  ///< 32-byte moves between GPRs, GB and banks
  int64_t modeChanges = 0;
  int64_t refreshes = 0;
  int64_t hostRegisterOps = 0;  ///< EWADD registers

  double flops() const { return 2.0 * kLanes * macColumns; }
  double bankBytes() const { return double(kColumnBytes) * bankColumnReads; }
  // Energy in picojoules, by where it is spent.
  double actPJ = 0, columnPJ = 0, macPJ = 0, movePJ = 0;
  double totalPJ() const { return actPJ + columnPJ + macPJ + movePJ; }

  /// The table mnemo-pim-sim prints (and --json's fields).
  void print(llvm::raw_ostream &os, const Device &device) const;
  void printJSON(llvm::raw_ostream &os, const Device &device) const;
};

class Simulator {
public:
  explicit Simulator(const Device &device);

  const Device &device() const { return dev; }
  /// Functional state: the weight image, the registers.
  void load(const Image &image);
  void writeRow(int64_t channel, int64_t bank, int64_t row,
                llvm::ArrayRef<uint16_t> values);
  llvm::ArrayRef<uint16_t> readRow(int64_t channel, int64_t bank, int64_t row);
  Register &gpr(int64_t i) { return gprs[i]; }

  /// The cycle the device is busy until (runs continue from it: a
  /// program's Stats::cycles is its end on this clock).
  int64_t elapsedCycles() const;

  /// Runs `program` (checked again: a foreign one may not fit the device;
  /// the error names the command). `functional` off times only.
  llvm::Expected<Stats> run(llvm::ArrayRef<Command> program,
                            bool functional = true);

private:
  struct Bank {
    int64_t open = -1;
    int64_t act = 0;
    int64_t pre = INT64_MIN / 4;
    int64_t lastColumn = INT64_MIN / 4;
    bool lastWrite = false;
  };
  struct Channel {
    int64_t free = 0;
    int mode = -1; // -1 none, 0 bank commands, 1 register commands
    int64_t nextRefresh = 0;
    std::vector<Bank> banks;
    std::vector<uint16_t> gb;
    Register acc{}, af{};
  };

  std::vector<uint16_t> &row(int64_t ch, int64_t bank, int64_t r);
  /// The banks a bank command works on: its `bank`, or all of them for
  /// the all-bank commands (MAC_ABK, EWMUL, WR_ABK).
  llvm::SmallVector<int64_t, 16> banksOf(const Command &cmd) const;
  /// The first column and the column count a row write or read moves:
  /// WR_SBK's and RD_SBK's col and opsize, a whole row for WR_ABK.
  std::pair<int64_t, int64_t> rowColumns(const Command &cmd) const;
  int64_t issue(Channel &c, const Command &cmd, int64_t earliest);
  int64_t openRow(Channel &c, int64_t bank, int64_t r, int64_t t, bool write);
  int64_t bankColumns(Channel &c, llvm::ArrayRef<int64_t> banks, int64_t r,
                      int64_t n, int64_t t, bool write);
  int64_t gprsReady(int64_t first, int64_t n) const;
  void execute(int64_t ch, const Command &cmd, int64_t rank);

  Device dev;
  std::vector<Channel> channels;
  std::vector<Register> gprs;
  std::vector<int64_t> gprReady;
  Image image;
  int64_t hostFree = 0;
  Stats stats;
};

} // namespace mnemo::pim

#endif // MNEMO_TARGET_PIM_SIMULATOR_H

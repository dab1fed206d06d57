//===- Program.h - AiM command programs: text, binary, checks ---*- C++ -*-===//
//
// A PIM program is a list of AiM commands. Its text form is the trace
// grammar of the public AiM simulator (`AiM <opcode> <fields>`, fields in
// the order opsize, GPR0, GPR1, channel_mask, bank, row, each opcode
// keeping its own), so mnemo's programs run there too and foreign ones run
// in mnemo-pim-sim. The binary form is 16 bytes per command (docs/pim.md).
// `check` is the one place a command is held against a device: the pim
// dialect's verifiers, the trace reader and the simulator all use it.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_PIM_PROGRAM_H
#define MNEMO_TARGET_PIM_PROGRAM_H

#include "mnemo/Target/PIM/Device.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mnemo::pim {

enum class Opcode : uint8_t {
  WR_GB, WR_BIAS, MAC_ABK, MAC_SBK, RD_MAC, RD_AF, AF, EWMUL, EWADD,
  COPY_BKGB, COPY_GBBK, WR_SBK, WR_ABK, RD_SBK, SYNC, EOC,
};
constexpr unsigned kNumOpcodes = 16;

/// The fields an opcode's trace line carries (always in this order).
enum Field : unsigned {
  kOpsize = 1, kGPR0 = 2, kGPR1 = 4, kMask = 8, kBank = 16, kRow = 32,
  /// The first column a row access starts at (WR_SBK and RD_SBK move,
  /// MAC_ABK and MAC_SBK multiply, `opsize` columns from `col`: the public
  /// AiM simulator's col_addr field; a KV cache's appends write one
  /// column, its keys lie 1024 / D to a row).
  kCol = 64,
};

llvm::StringRef opcodeName(Opcode op);
std::optional<Opcode> parseOpcode(llvm::StringRef name);
/// The Field bits `op` carries.
unsigned opcodeFields(Opcode op);
/// MAC_ABK and MAC_SBK, whose col is optional in the trace (0).
bool isMac(Opcode op);
/// Register-mode commands (the host's register path; switching between
/// them and bank commands costs a mode change).
bool isRegisterCommand(Opcode op);

struct Command {
  Opcode op = Opcode::EOC;
  int64_t opsize = 0, gpr0 = 0, gpr1 = 0;
  uint32_t mask = 0;
  int64_t bank = 0, row = 0, col = 0;
};

/// Channel mask bit i selects channel 31 - i.
inline uint32_t channelBit(int64_t channel) { return 1u << (31 - channel); }
/// The channels a mask selects, in increasing order.
std::vector<int64_t> maskChannels(uint32_t mask);

/// The command's trace line (`AiM MAC_ABK 64 0x80000000 12`; masks in hex).
std::string printCommand(const Command &c);
void printTrace(llvm::raw_ostream &os, llvm::ArrayRef<Command> program);

/// Null when `c` fits `device`, else why not (naming the field and its
/// limit); the caller adds which command it was.
std::optional<std::string> check(const Command &c, const Device &device);

/// Reads trace text; an error names the line and the command. Each command
/// is checked against `device`. A missing final EOC is an error.
llvm::Expected<std::vector<Command>> parseTrace(llvm::StringRef text,
                                                const Device &device);

/// The binary form: "MNPIMBIN", u32 version (1), u32 count, then per
/// command two little-endian u64 words (docs/pim.md has the bit layout).
std::string encodeBinary(llvm::ArrayRef<Command> program);
llvm::Expected<std::vector<Command>> decodeBinary(llvm::StringRef bytes,
                                                  const Device &device);

} // namespace mnemo::pim

#endif // MNEMO_TARGET_PIM_PROGRAM_H

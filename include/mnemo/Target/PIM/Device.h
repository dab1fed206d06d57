//===- Device.h - a GDDR6-AiM-style PIM device ------------------*- C++ -*-===//
//
// The organisation, timing and energy figures of the PIM device mnemo
// compiles for and simulates. Defaults are SK hynix GDDR6-AiM's as given in
// REFERENCES.md section 8 (32 channels of 4 bank groups x 4 banks, 16K rows
// of 2 KB, a 2 KB global buffer per channel, bf16 data, the AiM
// simulator's command timing); the few figures it does not give are marked
// "assumed" and are options like every other.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_PIM_DEVICE_H
#define MNEMO_TARGET_PIM_DEVICE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mnemo::pim {

/// Bytes of one column (one MAC step): 16 bf16 values.
constexpr int64_t kColumnBytes = 32;
/// Values per column (and per 256-bit GPR, and banks per channel's RD_MAC).
constexpr int64_t kLanes = 16;

struct Device {
  // Organisation.
  int64_t channels = 32;
  int64_t bankGroups = 4;
  int64_t banksPerGroup = 4;
  int64_t rows = 16384;
  int64_t rowBytes = 2048;
  int64_t globalBufferBytes = 2048;
  /// Host-side staging registers of 256 bits (16 values) the register
  /// commands read and write (WR_GB, WR_BIAS, RD_MAC, RD_AF, EWADD, ...).
  int64_t gprs = 65536;
  /// Element type of bank rows and the global buffer: "bf16" (only).
  std::string dataType = "bf16";

  // Timing, in command-clock cycles of tCK picoseconds.
  int64_t tCKps = 500;   ///< 2 GHz: 16 MACs per bank per 1 ns column = 1 TFLOPS/chip
  int64_t tRCDMAC = 56;  ///< ACT to the first MAC/read column
  int64_t tCCD = 2;      ///< one column (MAC, read or write) after another
  int64_t tRTP = 12;     ///< last read/MAC column to precharge
  int64_t tRP = 32;      ///< precharge to ACT
  int64_t tRAS = 54;     ///< ACT to precharge
  int64_t tRC = 89;      ///< ACT to ACT, same bank
  int64_t tModeChange = 32; ///< between register and bank commands
  int64_t tRCDWR = 28;   ///< ACT to the first write column (assumed)
  int64_t tWR = 24;      ///< last write column to precharge (assumed)
  int64_t tReadLatency = 32; ///< RD_MAC/RD_AF/RD_SBK until data returns (assumed)
  int64_t tAF = 16;      ///< the activation function over the accumulators (assumed)
  int64_t tREFI = 3800;  ///< refresh interval (1.9 us), when refresh is on
  int64_t tRFC = 210;    ///< all-bank refresh duration
  bool refresh = false;  ///< AiM's simulator does not refresh; an option here

  // Energy (AttAcc's table, FGDRAM figures; REFERENCES.md section 8).
  double actPJPerBit = 0.11;   ///< ACT + PRE, per bit of the opened row
  double cellPJPerBit = 0.44;  ///< cell read or write, per bit of a column
  double movePJPerBit = 2.2;   ///< on-die data movement (GB, GPR transfers)
  double aluPJPerByte = 0.32;  ///< MAC unit, per byte of weights consumed

  int64_t banks() const { return bankGroups * banksPerGroup; }
  int64_t columns() const { return rowBytes / kColumnBytes; }
  int64_t globalBufferColumns() const { return globalBufferBytes / kColumnBytes; }
  int64_t rowValues() const { return rowBytes / 2; }
  /// Every bank's MAC unit busy: 2 * 16 flops per bank per tCCD.
  double peakFlops() const {
    return 2.0 * kLanes * banks() * channels / (tCCD * tCKps * 1e-12);
  }
  /// Rows of all banks read at one column per tCCD.
  double peakBankBytesPerSecond() const {
    return double(kColumnBytes) * banks() * channels / (tCCD * tCKps * 1e-12);
  }

  /// Checks the figures are usable (powers where the encoding needs them,
  /// sizes that hold whole columns).
  llvm::Error validate() const;
};

/// `key=value[,key=value...]` over the defaults (the names of
/// `mnemo-pim-sim --help` and the #pim.device attribute: channels, rows,
/// row_bytes, tRCDMAC, refresh=1, ...).
llvm::Expected<Device> parseDevice(llvm::StringRef spec);

/// The spec that parseDevice reads back into the same device (every field).
std::string printDevice(const Device &device);

} // namespace mnemo::pim

#endif // MNEMO_TARGET_PIM_DEVICE_H

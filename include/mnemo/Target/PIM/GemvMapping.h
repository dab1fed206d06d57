//===- GemvMapping.h - a GEMV over every channel and bank -------*- C++ -*-===//
//
// y[r, n] = bias[n] + sum_k x[r, k] W[k, n] on the device, as CENT maps it
// (REFERENCES.md section 8): output n = slot * (channels * 16) + channel *
// 16 + bank, so one all-bank MAC per channel makes 16 x channels outputs
// and one RD_MAC over all channels returns them in order; column n of W is
// contiguous in its bank, one 2 KB DRAM row per pass of 1024 inputs (the
// global buffer). Passes beyond the first are partial sums the host adds
// (EWADD), since a bank has one accumulator.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_PIM_GEMVMAPPING_H
#define MNEMO_TARGET_PIM_GEMVMAPPING_H

#include "mnemo/Target/PIM/Simulator.h"

namespace mnemo::pim {

/// Inputs per pass: what one DRAM row and the global buffer both hold.
int64_t passInputs(const Device &d);

struct GemvPlan {
  int64_t k = 0, n = 0;
  int64_t rowBase = 0; ///< first DRAM row of every bank it uses
  int64_t slots = 0;   ///< output groups of channels x 16
  int64_t passes = 0;  ///< input chunks of one global buffer
  int64_t rows() const { return slots * passes; }
  /// Registers of one activation row's input (16 values each, zero-padded).
  int64_t inputRegisters() const;
  /// Registers of one row's output (slots x channels; the tail is padding).
  int64_t outputRegisters(const Device &d) const;
};

/// The plan for a K x N weight from DRAM row `rowBase`; fails when the
/// device has too few rows.
llvm::Expected<GemvPlan> planGemv(const Device &d, int64_t k, int64_t n,
                                  int64_t rowBase);

/// Where a GEMV's operands live in the registers. For activation row r:
/// x at x + r * inputRegisters(), y at y + r * outputRegisters(); bias
/// (outputRegisters() registers, or none when bias < 0) and `zero`
/// (channels registers of zeros, for the later passes' accumulators);
/// `partial` (outputRegisters() per later pass) holds the partial sums.
struct GemvRegisters {
  int64_t x = 0, y = 0, bias = -1, zero = 0, partial = 0;
};

/// The registers of a program that holds one GEMV: x from 0, then y, the
/// zeros, the partial sums and (with `bias`) the bias.
GemvRegisters gemvRegisters(const Device &d, const GemvPlan &plan, bool bias);

/// The commands for `rows` activation rows (no EOC: a program may hold
/// several GEMVs).
std::vector<Command> emitGemv(const Device &d, const GemvPlan &plan,
                              const GemvRegisters &regs, int64_t rows);

/// The one-row program (registers as mnemo-pim-emit-programs places
/// them) timed by the simulator.
llvm::Expected<Stats> timeGemv(const Device &d, const GemvPlan &plan);

/// The bank rows holding W (row-major K x N floats), rounded to bf16.
void packGemvWeights(const Device &d, const GemvPlan &plan,
                     llvm::ArrayRef<float> w, Image &image);

} // namespace mnemo::pim

#endif // MNEMO_TARGET_PIM_GEMVMAPPING_H

//===- GemvMapping.cpp - a GEMV over every channel and bank ---------------===//

#include "mnemo/Target/PIM/GemvMapping.h"

#include "llvm/Support/MathExtras.h"

using namespace mnemo::pim;

int64_t mnemo::pim::passInputs(const Device &d) {
  return std::min(d.rowValues(), d.globalBufferBytes / 2);
}

int64_t GemvPlan::inputRegisters() const { return llvm::divideCeil(k, kLanes); }

int64_t GemvPlan::outputRegisters(const Device &d) const {
  return slots * d.channels;
}

llvm::Expected<GemvPlan> mnemo::pim::planGemv(const Device &d, int64_t k,
                                              int64_t n, int64_t rowBase) {
  GemvPlan p;
  p.k = k;
  p.n = n;
  p.rowBase = rowBase;
  p.slots = llvm::divideCeil(n, d.channels * d.banks());
  p.passes = llvm::divideCeil(k, passInputs(d));
  if (k < 1 || n < 1)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "a GEMV needs K, N >= 1");
  if (rowBase + p.rows() > d.rows)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "a " + llvm::Twine(k) + " x " + llvm::Twine(n) + " weight needs " +
            llvm::Twine(p.rows()) + " rows per bank from row " +
            llvm::Twine(rowBase) + ", the device has " + llvm::Twine(d.rows));
  return p;
}

std::vector<Command> mnemo::pim::emitGemv(const Device &d, const GemvPlan &p,
                                          const GemvRegisters &regs,
                                          int64_t rows) {
  uint32_t all = 0;
  for (int64_t ch = 0; ch < d.channels; ++ch)
    all |= channelBit(ch);
  int64_t chunkRegs = passInputs(d) / kLanes;
  int64_t outRegs = p.outputRegisters(d);
  std::vector<Command> out;
  auto cmd = [&](Opcode op) -> Command & {
    out.push_back(Command());
    out.back().op = op;
    return out.back();
  };
  for (int64_t r = 0; r < rows; ++r) {
    int64_t x = regs.x + r * p.inputRegisters(), y = regs.y + r * outRegs;
    for (int64_t pass = 0; pass < p.passes; ++pass) {
      // The pass's input chunk goes to every channel's global buffer.
      int64_t cols = std::min(chunkRegs, p.inputRegisters() - pass * chunkRegs);
      Command &gb = cmd(Opcode::WR_GB);
      gb.opsize = cols;
      gb.gpr0 = x + pass * chunkRegs;
      gb.mask = all;
      int64_t dst = pass == 0 ? y : regs.partial + (pass - 1) * outRegs;
      for (int64_t s = 0; s < p.slots; ++s) {
        // Accumulators start at the bias (first pass) or zero.
        Command &bias = cmd(Opcode::WR_BIAS);
        bias.gpr0 = pass == 0 && regs.bias >= 0 ? regs.bias + s * d.channels
                                                : regs.zero;
        bias.mask = all;
        Command &mac = cmd(Opcode::MAC_ABK);
        mac.opsize = cols;
        mac.mask = all;
        mac.row = p.rowBase + s * p.passes + pass;
        Command &rd = cmd(Opcode::RD_MAC);
        rd.gpr0 = dst + s * d.channels;
        rd.mask = all;
      }
    }
    for (int64_t pass = 1; pass < p.passes; ++pass) {
      Command &add = cmd(Opcode::EWADD);
      add.opsize = outRegs;
      add.gpr0 = y;
      add.gpr1 = regs.partial + (pass - 1) * outRegs;
    }
  }
  return out;
}

void mnemo::pim::packGemvWeights(const Device &d, const GemvPlan &p,
                                 llvm::ArrayRef<float> w, Image &image) {
  int64_t chunk = passInputs(d);
  int64_t perSlot = d.channels * d.banks();
  for (int64_t s = 0; s < p.slots; ++s)
    for (int64_t ch = 0; ch < d.channels; ++ch)
      for (int64_t b = 0; b < d.banks(); ++b) {
        int64_t n = s * perSlot + ch * d.banks() + b;
        if (n >= p.n)
          continue; // padding outputs read rows of zeros
        for (int64_t pass = 0; pass < p.passes; ++pass) {
          std::vector<uint16_t> &row =
              image.rows[{ch, b, p.rowBase + s * p.passes + pass}];
          row.assign(d.rowValues(), 0);
          for (int64_t i = 0; i < chunk && pass * chunk + i < p.k; ++i)
            row[i] = toBF16(w[(pass * chunk + i) * p.n + n]);
        }
      }
}

llvm::Expected<Stats> mnemo::pim::timeGemv(const Device &d, const GemvPlan &p) {
  std::vector<Command> prog = emitGemv(d, p, gemvRegisters(d, p, false), 1);
  prog.push_back(Command()); // EOC
  Simulator sim(d);
  return sim.run(prog, /*functional=*/false);
}

GemvRegisters mnemo::pim::gemvRegisters(const Device &d, const GemvPlan &p,
                                        bool bias) {
  GemvRegisters r;
  r.x = 0;
  r.y = p.inputRegisters();
  r.zero = r.y + p.outputRegisters(d);
  r.partial = r.zero + d.channels;
  r.bias = bias ? r.partial + (p.passes - 1) * p.outputRegisters(d) : -1;
  return r;
}

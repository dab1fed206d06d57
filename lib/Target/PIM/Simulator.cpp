//===- Simulator.cpp - functional and command-level PIM model -------------===//

#include "mnemo/Target/PIM/Simulator.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mnemo::pim;

uint16_t mnemo::pim::toBF16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  if (std::isnan(v))
    return uint16_t((bits >> 16) | 0x40); // quiet NaN, sign kept
  // Round to nearest even on the dropped 16 bits.
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

float mnemo::pim::fromBF16(uint16_t v) {
  uint32_t bits = uint32_t(v) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

namespace {

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// The AF unit's table: GELU (tanh form) sampled at 512 points over
/// [-10, 10], linearly interpolated; 0 below, identity above.
float activation(float x) {
  static const std::vector<float> table = [] {
    std::vector<float> t(512);
    for (int i = 0; i < 512; ++i) {
      double v = -10.0 + 20.0 * i / 511;
      t[i] = float(0.5 * v *
                   (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
    }
    return t;
  }();
  if (x <= -10)
    return 0;
  if (x >= 10)
    return x;
  double pos = (x + 10.0) / 20.0 * 511;
  int i = std::min(int(pos), 510);
  double f = pos - i;
  return float(table[i] * (1 - f) + table[i + 1] * f);
}

} // namespace

//===----------------------------------------------------------------------===//
// Weight images
//===----------------------------------------------------------------------===//

std::string mnemo::pim::encodeImage(const Image &image, const Device &d) {
  using namespace llvm::support::endian;
  std::string out = "MNPIMIMG";
  char b[8];
  write32le(b, 1);
  out.append(b, 4);
  write32le(b, d.rowBytes);
  out.append(b, 4);
  write32le(b, image.rows.size());
  out.append(b, 4);
  for (const auto &[key, values] : image.rows) {
    auto [ch, bank, row] = key;
    write16le(b, ch);
    write16le(b + 2, bank);
    write32le(b + 4, row);
    out.append(b, 8);
    for (uint16_t v : values) {
      write16le(b, v);
      out.append(b, 2);
    }
  }
  return out;
}

llvm::Expected<Image> mnemo::pim::decodeImage(llvm::StringRef bytes,
                                              const Device &d) {
  using namespace llvm::support::endian;
  if (bytes.size() < 20 || !bytes.starts_with("MNPIMIMG"))
    return fail("not a mnemo PIM weight image (no MNPIMIMG header)");
  if (read32le(bytes.data() + 8) != 1)
    return fail("unknown PIM image version");
  if (read32le(bytes.data() + 12) != uint32_t(d.rowBytes))
    return fail("the image's rows are " + llvm::Twine(read32le(bytes.data() + 12)) +
                " bytes, the device's " + llvm::Twine(d.rowBytes));
  uint64_t n = read32le(bytes.data() + 16);
  uint64_t entry = 8 + d.rowBytes;
  if (bytes.size() != 20 + n * entry)
    return fail("PIM image of " + llvm::Twine(n) + " rows has the wrong size");
  Image image;
  const char *p = bytes.data() + 20;
  for (uint64_t i = 0; i < n; ++i, p += entry) {
    int64_t ch = read16le(p), bank = read16le(p + 2), row = read32le(p + 4);
    if (ch >= d.channels || bank >= d.banks() || row >= d.rows)
      return fail("image row " + llvm::Twine(i) + " (channel " + llvm::Twine(ch) +
                  ", bank " + llvm::Twine(bank) + ", row " + llvm::Twine(row) +
                  ") is outside the device");
    std::vector<uint16_t> values(d.rowValues());
    for (int64_t v = 0; v < d.rowValues(); ++v)
      values[v] = read16le(p + 8 + 2 * v);
    image.rows[{ch, bank, row}] = std::move(values);
  }
  return image;
}

//===----------------------------------------------------------------------===//
// Simulator
//===----------------------------------------------------------------------===//

Simulator::Simulator(const Device &device) : dev(device) {
  channels.resize(dev.channels);
  for (Channel &c : channels) {
    c.banks.resize(dev.banks());
    c.gb.assign(dev.globalBufferBytes / 2, 0);
    c.nextRefresh = dev.tREFI;
  }
  gprs.assign(dev.gprs, Register{});
  gprReady.assign(dev.gprs, 0);
}

void Simulator::load(const Image &img) {
  for (const auto &[key, values] : img.rows)
    image.rows[key] = values;
}

std::vector<uint16_t> &Simulator::row(int64_t ch, int64_t bank, int64_t r) {
  std::vector<uint16_t> &v = image.rows[{ch, bank, r}];
  if (v.empty())
    v.assign(dev.rowValues(), 0);
  return v;
}

void Simulator::writeRow(int64_t ch, int64_t bank, int64_t r,
                         llvm::ArrayRef<uint16_t> values) {
  std::vector<uint16_t> &v = row(ch, bank, r);
  std::copy(values.begin(), values.begin() + std::min<size_t>(values.size(), v.size()),
            v.begin());
}

llvm::ArrayRef<uint16_t> Simulator::readRow(int64_t ch, int64_t bank, int64_t r) {
  return row(ch, bank, r);
}

llvm::SmallVector<int64_t, 16> Simulator::banksOf(const Command &cmd) const {
  if (cmd.op != Opcode::MAC_ABK && cmd.op != Opcode::EWMUL && cmd.op != Opcode::WR_ABK)
    return {cmd.bank};
  llvm::SmallVector<int64_t, 16> all;
  for (int64_t b = 0; b < dev.banks(); ++b)
    all.push_back(b);
  return all;
}

std::pair<int64_t, int64_t> Simulator::rowColumns(const Command &cmd) const {
  if ((opcodeFields(cmd.op) & kCol) && !isMac(cmd.op))
    return {cmd.col, cmd.opsize};
  return {0, dev.columns()};
}

int64_t Simulator::gprsReady(int64_t first, int64_t n) const {
  int64_t t = 0;
  for (int64_t i = first; i < first + n && i < dev.gprs; ++i)
    t = std::max(t, gprReady[i]);
  return t;
}

/// The cycle `cmd` may start on channel `c`: after the channel's previous
/// command, a refresh that falls due, and a switch of command mode.
int64_t Simulator::issue(Channel &c, const Command &cmd, int64_t earliest) {
  int64_t t = std::max(c.free, earliest);
  if (dev.refresh) {
    while (t >= c.nextRefresh) {
      // Due refreshes go before the next command (a postponed one as
      // soon as the channel is free): all banks close, then the refresh
      // holds the channel for tRFC.
      int64_t start = std::max(c.nextRefresh, t);
      for (Bank &b : c.banks)
        if (b.open >= 0)
          start = std::max({start, b.lastColumn + (b.lastWrite ? dev.tWR : dev.tRTP),
                            b.act + dev.tRAS});
      int64_t end = start + dev.tRP + dev.tRFC;
      for (Bank &b : c.banks) {
        b.open = -1;
        b.pre = end - dev.tRP; // an ACT may follow at `end`
      }
      t = std::max(t, end);
      c.nextRefresh += dev.tREFI;
      ++stats.refreshes;
    }
  }
  int mode = isRegisterCommand(cmd.op) ? 1 : 0;
  if (c.mode != -1 && c.mode != mode) {
    t += dev.tModeChange;
    ++stats.modeChanges;
  }
  c.mode = mode;
  return t;
}

/// Opens row `r` of a bank for a column command arriving at `t`; returns
/// when its first column may go. A different open row is closed first
/// (precharge after tRTP/tWR and tRAS, ACT after tRP and tRC).
int64_t Simulator::openRow(Channel &c, int64_t bank, int64_t r, int64_t t,
                           bool write) {
  Bank &b = c.banks[bank];
  int64_t rcd = write ? dev.tRCDWR : dev.tRCDMAC;
  if (b.open == r) {
    ++stats.rowHits;
    // The row may still be opening for an earlier command.
    return std::max(t, b.act + rcd);
  }
  int64_t act;
  if (b.open >= 0) {
    int64_t pre = std::max({t, b.lastColumn + (b.lastWrite ? dev.tWR : dev.tRTP),
                            b.act + dev.tRAS});
    act = std::max(pre + dev.tRP, b.act + dev.tRC);
  } else {
    act = std::max(t, b.pre + dev.tRP);
  }
  b.act = act;
  b.open = r;
  ++stats.activations;
  stats.actPJ += dev.actPJPerBit * 8.0 * dev.rowBytes;
  return act + rcd;
}

/// n columns of row `r` in `banks` together (all-bank commands run in
/// lockstep): the columns start when the last bank is ready, one per tCCD.
/// Returns when the channel may take its next command.
int64_t Simulator::bankColumns(Channel &c, llvm::ArrayRef<int64_t> banks,
                               int64_t r, int64_t n, int64_t t, bool write) {
  int64_t s = t;
  for (int64_t b : banks)
    s = std::max(s, openRow(c, b, r, t, write));
  for (int64_t b : banks) {
    c.banks[b].lastColumn = s + dev.tCCD * (n - 1);
    c.banks[b].lastWrite = write;
  }
  int64_t cols = n * int64_t(banks.size());
  (write ? stats.bankColumnWrites : stats.bankColumnReads) += cols;
  stats.columnPJ += dev.cellPJPerBit * 8.0 * kColumnBytes * cols;
  return s + dev.tCCD * n;
}

/// The functional effect of `cmd` on channel `ch` (the `rank`-th channel
/// of its mask, for register placement).
void Simulator::execute(int64_t ch, const Command &cmd, int64_t rank) {
  Channel &c = channels[ch];
  int64_t lanes = kLanes;
  switch (cmd.op) {
  case Opcode::WR_GB:
    for (int64_t col = 0; col < cmd.opsize; ++col)
      for (int64_t l = 0; l < lanes; ++l)
        c.gb[col * lanes + l] = toBF16(gprs[cmd.gpr0 + col][l]);
    break;
  case Opcode::WR_BIAS:
    c.acc = gprs[cmd.gpr0 + rank];
    break;
  case Opcode::MAC_ABK:
  case Opcode::MAC_SBK: {
    for (int64_t b : banksOf(cmd)) {
      const std::vector<uint16_t> &w = row(ch, b, cmd.row);
      float acc = c.acc[b];
      int64_t first = cmd.col * lanes;
      for (int64_t i = 0; i < cmd.opsize * lanes; ++i)
        acc += fromBF16(w[first + i]) * fromBF16(c.gb[i]); // exact product, fp32 sum
      c.acc[b] = acc;
    }
    break;
  }
  case Opcode::RD_MAC:
    gprs[cmd.gpr0 + rank] = c.acc;
    break;
  case Opcode::RD_AF:
    gprs[cmd.gpr0 + rank] = c.af;
    break;
  case Opcode::AF:
    for (int64_t b = 0; b < lanes; ++b)
      c.af[b] = activation(c.acc[b]);
    break;
  case Opcode::EWMUL:
    for (int64_t b : banksOf(cmd)) {
      std::vector<uint16_t> &w = row(ch, b, cmd.row);
      for (int64_t i = 0; i < cmd.opsize * lanes; ++i)
        w[i] = toBF16(fromBF16(w[i]) * fromBF16(c.gb[i]));
    }
    break;
  case Opcode::COPY_BKGB: {
    const std::vector<uint16_t> &w = row(ch, cmd.bank, cmd.row);
    std::copy(w.begin(), w.begin() + cmd.opsize * lanes, c.gb.begin());
    break;
  }
  case Opcode::COPY_GBBK: {
    std::vector<uint16_t> &w = row(ch, cmd.bank, cmd.row);
    std::copy(c.gb.begin(), c.gb.begin() + cmd.opsize * lanes, w.begin());
    break;
  }
  case Opcode::WR_SBK:
  case Opcode::WR_ABK: {
    auto [first, count] = rowColumns(cmd);
    for (int64_t b : banksOf(cmd)) {
      std::vector<uint16_t> &w = row(ch, b, cmd.row);
      for (int64_t i = 0; i < count; ++i)
        for (int64_t l = 0; l < lanes; ++l)
          w[(first + i) * lanes + l] = toBF16(gprs[cmd.gpr0 + i][l]);
    }
    break;
  }
  case Opcode::RD_SBK: {
    auto [first, count] = rowColumns(cmd);
    const std::vector<uint16_t> &w = row(ch, cmd.bank, cmd.row);
    for (int64_t i = 0; i < count; ++i)
      for (int64_t l = 0; l < lanes; ++l)
        gprs[cmd.gpr0 + i][l] = fromBF16(w[(first + i) * lanes + l]);
    break;
  }
  default:
    break;
  }
}

int64_t Simulator::elapsedCycles() const {
  int64_t end = hostFree;
  for (const Channel &c : channels)
    end = std::max(end, c.free);
  for (int64_t r : gprReady)
    end = std::max(end, r);
  return end;
}

llvm::Expected<Stats> Simulator::run(llvm::ArrayRef<Command> program,
                                     bool functional) {
  stats = Stats();
  double moveColumnPJ = dev.movePJPerBit * 8.0 * kColumnBytes;
  for (auto [i, cmd] : llvm::enumerate(program)) {
    if (std::optional<std::string> bad = check(cmd, dev))
      return fail("command " + llvm::Twine(i) + " (`" + printCommand(cmd) +
                  "`): " + *bad);
    ++stats.commands[unsigned(cmd.op)];
    if (cmd.op == Opcode::SYNC || cmd.op == Opcode::EOC) {
      // Every channel and the host wait for the slowest.
      int64_t t = hostFree;
      for (Channel &c : channels)
        t = std::max(t, c.free);
      for (int64_t r : gprReady)
        t = std::max(t, r);
      for (Channel &c : channels)
        c.free = t;
      hostFree = t;
      if (cmd.op == Opcode::EOC)
        break;
      continue;
    }
    if (cmd.op == Opcode::EWADD) {
      // On the host, one register per cycle once both operands are in.
      int64_t t = std::max({hostFree, gprsReady(cmd.gpr0, cmd.opsize),
                            gprsReady(cmd.gpr1, cmd.opsize)});
      hostFree = t + cmd.opsize;
      for (int64_t r = 0; r < cmd.opsize; ++r) {
        gprReady[cmd.gpr0 + r] = hostFree;
        if (functional)
          for (int64_t l = 0; l < kLanes; ++l)
            gprs[cmd.gpr0 + r][l] += gprs[cmd.gpr1 + r][l];
      }
      stats.hostRegisterOps += cmd.opsize;
      continue;
    }
    std::vector<int64_t> chans = maskChannels(cmd.mask);
    for (auto [rank, ch] : llvm::enumerate(chans)) {
      Channel &c = channels[ch];
      int64_t t;
      switch (cmd.op) {
      case Opcode::WR_GB:
        t = issue(c, cmd, gprsReady(cmd.gpr0, cmd.opsize));
        c.free = t + dev.tCCD * cmd.opsize;
        stats.transferColumns += cmd.opsize;
        stats.movePJ += moveColumnPJ * cmd.opsize;
        break;
      case Opcode::WR_BIAS:
        t = issue(c, cmd, gprsReady(cmd.gpr0 + rank, 1));
        c.free = t + dev.tCCD;
        stats.transferColumns += 1;
        stats.movePJ += moveColumnPJ;
        break;
      case Opcode::RD_MAC:
      case Opcode::RD_AF:
        t = issue(c, cmd, 0);
        c.free = t + dev.tReadLatency + dev.tCCD; // blocks until data returns
        gprReady[cmd.gpr0 + rank] = c.free;
        stats.transferColumns += 1;
        stats.movePJ += moveColumnPJ;
        break;
      case Opcode::MAC_ABK:
      case Opcode::MAC_SBK: {
        t = issue(c, cmd, 0);
        llvm::SmallVector<int64_t, 16> banks = banksOf(cmd);
        c.free = bankColumns(c, banks, cmd.row, cmd.opsize, t, false);
        stats.macColumns += cmd.opsize * int64_t(banks.size());
        stats.macPJ += dev.aluPJPerByte * kColumnBytes * cmd.opsize * banks.size();
        break;
      }
      case Opcode::AF:
        t = issue(c, cmd, 0);
        c.free = t + dev.tAF;
        break;
      case Opcode::EWMUL:
        t = issue(c, cmd, 0);
        c.free = bankColumns(c, banksOf(cmd), cmd.row, cmd.opsize, t, false);
        // The products are written back into the same row.
        for (Bank &b : c.banks)
          b.lastWrite = true;
        stats.bankColumnWrites += cmd.opsize * dev.banks();
        stats.columnPJ += dev.cellPJPerBit * 8.0 * kColumnBytes * cmd.opsize * dev.banks();
        break;
      case Opcode::COPY_BKGB:
      case Opcode::COPY_GBBK:
        t = issue(c, cmd, 0);
        c.free = bankColumns(c, banksOf(cmd), cmd.row, cmd.opsize, t,
                             cmd.op == Opcode::COPY_GBBK);
        stats.transferColumns += cmd.opsize;
        stats.movePJ += moveColumnPJ * cmd.opsize;
        break;
      case Opcode::WR_SBK:
      case Opcode::WR_ABK: {
        int64_t count = rowColumns(cmd).second;
        t = issue(c, cmd, gprsReady(cmd.gpr0, count));
        c.free = bankColumns(c, banksOf(cmd), cmd.row, count, t, true);
        stats.transferColumns += count;
        stats.movePJ += moveColumnPJ * count;
        break;
      }
      case Opcode::RD_SBK: {
        int64_t count = rowColumns(cmd).second;
        t = issue(c, cmd, 0);
        c.free = bankColumns(c, banksOf(cmd), cmd.row, count, t, false) +
                 dev.tReadLatency;
        for (int64_t i = 0; i < count; ++i)
          gprReady[cmd.gpr0 + i] = c.free;
        stats.transferColumns += count;
        stats.movePJ += moveColumnPJ * count;
        break;
      }
      default:
        break;
      }
      if (functional)
        execute(ch, cmd, rank);
    }
  }
  int64_t end = elapsedCycles();
  stats.cycles = end;
  stats.seconds = end * dev.tCKps * 1e-12;
  return stats;
}

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

void Stats::print(llvm::raw_ostream &os, const Device &d) const {
  double gflops = seconds > 0 ? flops() / seconds * 1e-9 : 0;
  double gbps = seconds > 0 ? bankBytes() / seconds * 1e-9 : 0;
  double util = seconds > 0 ? flops() / (d.peakFlops() * seconds) : 0;
  os << llvm::format("cycles            %lld (%.3f us at tCK %lld ps)\n",
                     (long long)cycles, seconds * 1e6, (long long)d.tCKps);
  os << "commands         ";
  for (unsigned i = 0; i < kNumOpcodes; ++i)
    if (commands[i])
      os << " " << opcodeName(Opcode(i)) << "=" << commands[i];
  os << "\n";
  os << llvm::format("activations       %lld (row hits %lld), mode changes %lld, refreshes %lld\n",
                     (long long)activations, (long long)rowHits,
                     (long long)modeChanges, (long long)refreshes);
  os << llvm::format("MAC columns       %lld (%.3g flop)\n", (long long)macColumns,
                     flops());
  os << llvm::format("achieved          %.2f GFLOPS of %.2f peak (utilization %.1f%%)\n",
                     gflops, d.peakFlops() * 1e-9, 100 * util);
  os << llvm::format("bank bandwidth    %.2f GB/s of %.2f peak\n", gbps,
                     d.peakBankBytesPerSecond() * 1e-9);
  os << llvm::format("energy            %.3f nJ: activation %.3f, column %.3f, "
                     "MAC %.3f, data movement %.3f\n",
                     totalPJ() * 1e-3, actPJ * 1e-3, columnPJ * 1e-3, macPJ * 1e-3,
                     movePJ * 1e-3);
}

void Stats::printJSON(llvm::raw_ostream &os, const Device &d) const {
  double util = seconds > 0 ? flops() / (d.peakFlops() * seconds) : 0;
  os << "{\n  \"cycles\": " << cycles << ",\n  \"seconds\": "
     << llvm::format("%.9g", seconds) << ",\n  \"commands\": {";
  bool first = true;
  for (unsigned i = 0; i < kNumOpcodes; ++i) {
    if (!commands[i])
      continue;
    os << (first ? "" : ", ") << "\"" << opcodeName(Opcode(i)) << "\": " << commands[i];
    first = false;
  }
  os << "},\n  \"activations\": " << activations << ",\n  \"row_hits\": " << rowHits
     << ",\n  \"mode_changes\": " << modeChanges << ",\n  \"refreshes\": " << refreshes
     << ",\n  \"mac_columns\": " << macColumns
     << ",\n  \"flops\": " << llvm::format("%.9g", flops())
     << ",\n  \"gflops\": " << llvm::format("%.6g", seconds > 0 ? flops() / seconds * 1e-9 : 0)
     << ",\n  \"peak_gflops\": " << llvm::format("%.6g", d.peakFlops() * 1e-9)
     << ",\n  \"utilization\": " << llvm::format("%.6g", util)
     << ",\n  \"bank_bytes\": " << llvm::format("%.9g", bankBytes())
     << ",\n  \"energy_pj\": {\"activation\": " << llvm::format("%.6g", actPJ)
     << ", \"column\": " << llvm::format("%.6g", columnPJ)
     << ", \"mac\": " << llvm::format("%.6g", macPJ)
     << ", \"data_movement\": " << llvm::format("%.6g", movePJ)
     << ", \"total\": " << llvm::format("%.6g", totalPJ()) << "}\n}\n";
}

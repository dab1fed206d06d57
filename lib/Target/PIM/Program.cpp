//===- Program.cpp - AiM command programs: text, binary, checks -----------===//

#include "mnemo/Target/PIM/Program.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

using namespace mnemo::pim;

namespace {

struct OpInfo {
  const char *name;
  unsigned fields;
  bool registerMode;
};

// Indexed by Opcode. Fields per REFERENCES.md section 8's table.
const OpInfo kOps[kNumOpcodes] = {
    {"WR_GB", kOpsize | kGPR0 | kMask, true},
    {"WR_BIAS", kGPR0 | kMask, true},
    {"MAC_ABK", kOpsize | kMask | kRow | kCol, false},
    {"MAC_SBK", kOpsize | kMask | kBank | kRow | kCol, false},
    {"RD_MAC", kGPR0 | kMask, true},
    {"RD_AF", kGPR0 | kMask, true},
    {"AF", kMask, false},
    {"EWMUL", kOpsize | kMask | kRow, false},
    {"EWADD", kOpsize | kGPR0 | kGPR1, false},
    {"COPY_BKGB", kOpsize | kMask | kBank | kRow, false},
    {"COPY_GBBK", kOpsize | kMask | kBank | kRow, false},
    {"WR_SBK", kOpsize | kGPR0 | kMask | kBank | kRow | kCol, false},
    {"WR_ABK", kGPR0 | kMask | kRow, false},
    {"RD_SBK", kOpsize | kGPR0 | kMask | kBank | kRow | kCol, false},
    {"SYNC", 0, false},
    {"EOC", 0, false},
};

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

std::string str(const llvm::Twine &t) { return t.str(); }

} // namespace

llvm::StringRef mnemo::pim::opcodeName(Opcode op) {
  return kOps[unsigned(op)].name;
}

std::optional<Opcode> mnemo::pim::parseOpcode(llvm::StringRef name) {
  for (unsigned i = 0; i < kNumOpcodes; ++i)
    if (name == kOps[i].name)
      return Opcode(i);
  return std::nullopt;
}

unsigned mnemo::pim::opcodeFields(Opcode op) { return kOps[unsigned(op)].fields; }

bool mnemo::pim::isMac(Opcode op) {
  return op == Opcode::MAC_ABK || op == Opcode::MAC_SBK;
}

bool mnemo::pim::isRegisterCommand(Opcode op) {
  return kOps[unsigned(op)].registerMode;
}

std::vector<int64_t> mnemo::pim::maskChannels(uint32_t mask) {
  std::vector<int64_t> out;
  for (int64_t ch = 0; ch < 32; ++ch)
    if (mask & channelBit(ch))
      out.push_back(ch);
  return out;
}

std::string mnemo::pim::printCommand(const Command &c) {
  std::string s = "AiM ";
  s += opcodeName(c.op);
  unsigned f = opcodeFields(c.op);
  if (f & kOpsize)
    s += " " + std::to_string(c.opsize);
  if (f & kGPR0)
    s += " " + std::to_string(c.gpr0);
  if (f & kGPR1)
    s += " " + std::to_string(c.gpr1);
  if (f & kMask)
    s += " 0x" + llvm::utohexstr(c.mask);
  if (f & kBank)
    s += " " + std::to_string(c.bank);
  if (f & kRow)
    s += " " + std::to_string(c.row);
  if ((f & kCol) && (c.col || !isMac(c.op)))
    s += " " + std::to_string(c.col);
  return s;
}

void mnemo::pim::printTrace(llvm::raw_ostream &os,
                            llvm::ArrayRef<Command> program) {
  for (const Command &c : program)
    os << printCommand(c) << "\n";
}

std::optional<std::string> mnemo::pim::check(const Command &c,
                                             const Device &d) {
  unsigned f = opcodeFields(c.op);
  if (f & kMask) {
    if (c.mask == 0)
      return std::string("channel mask selects no channel");
    uint32_t valid = 0;
    for (int64_t ch = 0; ch < d.channels; ++ch)
      valid |= channelBit(ch);
    if (c.mask & ~valid)
      return str("channel mask 0x" + llvm::utohexstr(c.mask) +
                 " selects a channel past the device's " +
                 llvm::Twine(d.channels) + " (bit i is channel 31 - i)");
    if (c.op == Opcode::WR_ABK && llvm::popcount(c.mask) != 1)
      return std::string("WR_ABK's channel mask must name exactly one channel");
  }
  if ((f & kBank) && (c.bank < 0 || c.bank >= d.banks()))
    return str("bank " + llvm::Twine(c.bank) + " is outside 0.." +
               llvm::Twine(d.banks() - 1));
  if ((f & kRow) && (c.row < 0 || c.row >= d.rows))
    return str("row " + llvm::Twine(c.row) + " is outside 0.." +
               llvm::Twine(d.rows - 1));
  if (f & kOpsize) {
    int64_t limit = c.op == Opcode::EWADD ? d.gprs
                    : c.op == Opcode::WR_GB
                        ? d.globalBufferColumns()
                        : std::min(d.columns(), d.globalBufferColumns());
    const char *what = c.op == Opcode::EWADD    ? " registers"
                       : c.op == Opcode::WR_GB ? " global-buffer columns"
                                                : " columns of a row";
    if (f & kCol)
      limit = d.columns(); // a bank row's columns, not the global buffer's
    if (c.opsize < 1 || c.opsize > limit)
      return str("opsize " + llvm::Twine(c.opsize) + " is outside 1.." +
                 llvm::Twine(limit) + " (" + llvm::Twine(limit) + what + ")");
  }
  if ((f & kCol) && (c.col < 0 || c.col + c.opsize > d.columns()))
    return str("columns " + llvm::Twine(c.col) + ".." +
               llvm::Twine(c.col + c.opsize - 1) + " are outside the row's 0.." +
               llvm::Twine(d.columns() - 1));
  // The registers the command reads or writes must exist.
  int64_t span0 = 0, span1 = 0;
  switch (c.op) {
  case Opcode::WR_GB:
  case Opcode::EWADD:
    span0 = c.opsize;
    span1 = c.op == Opcode::EWADD ? c.opsize : 0;
    break;
  case Opcode::WR_BIAS:
  case Opcode::RD_MAC:
  case Opcode::RD_AF:
    span0 = llvm::popcount(c.mask);
    break;
  case Opcode::WR_SBK:
  case Opcode::RD_SBK:
    span0 = c.opsize;
    break;
  case Opcode::WR_ABK:
    span0 = d.columns();
    break;
  default:
    break;
  }
  if (span0 && (c.gpr0 < 0 || c.gpr0 + span0 > d.gprs))
    return str("registers GPR0 " + llvm::Twine(c.gpr0) + ".." +
               llvm::Twine(c.gpr0 + span0 - 1) + " are outside the " +
               llvm::Twine(d.gprs) + " registers");
  if (span1 && (c.gpr1 < 0 || c.gpr1 + span1 > d.gprs))
    return str("registers GPR1 " + llvm::Twine(c.gpr1) + ".." +
               llvm::Twine(c.gpr1 + span1 - 1) + " are outside the " +
               llvm::Twine(d.gprs) + " registers");
  return std::nullopt;
}

llvm::Expected<std::vector<Command>>
mnemo::pim::parseTrace(llvm::StringRef text, const Device &device) {
  std::vector<Command> program;
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (auto [i, raw] : llvm::enumerate(lines)) {
    llvm::StringRef line = raw.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    auto where = [&, i = i](const llvm::Twine &msg) {
      return fail("line " + llvm::Twine(i + 1) + " (`" + line + "`): " + msg);
    };
    llvm::SmallVector<llvm::StringRef> tok;
    line.split(tok, ' ', -1, /*KeepEmpty=*/false);
    if (tok[0] != "AiM")
      return where("a command starts with `AiM`");
    if (tok.size() < 2)
      return where("no opcode");
    std::optional<Opcode> op = parseOpcode(tok[1]);
    if (!op)
      return where("unknown opcode '" + tok[1] + "'");
    Command c;
    c.op = *op;
    unsigned fields = opcodeFields(*op);
    unsigned want = llvm::popcount(fields);
    // WR_SBK and RD_SBK without opsize and col (the form before column
    // addressing) move the whole row; a MAC's col may be left out (0).
    if ((fields & kCol) && isMac(*op) && tok.size() - 2 == want - 1) {
      fields &= ~kCol;
      want -= 1;
    } else if ((fields & kCol) && !isMac(*op) && tok.size() - 2 == want - 2) {
      fields &= ~(kOpsize | kCol);
      c.opsize = device.columns();
      want -= 2;
    }
    if (tok.size() - 2 != want) {
      // The short forms, for the message.
      unsigned shorter = !(fields & kCol) ? 0 : isMac(*op) ? want - 1 : want - 2;
      return where(llvm::Twine(tok[1]) + " takes " +
                   (shorter ? llvm::Twine(shorter) + " or " : llvm::Twine()) +
                   llvm::Twine(want) + " fields, got " + llvm::Twine(tok.size() - 2));
    }
    unsigned next = 2;
    for (unsigned bit : {kOpsize, kGPR0, kGPR1, kMask, kBank, kRow, kCol}) {
      if (!(fields & bit))
        continue;
      int64_t v;
      if (tok[next].getAsInteger(0, v) || v < 0)
        return where("'" + tok[next] + "' is not a non-negative number");
      ++next;
      switch (bit) {
      case kOpsize: c.opsize = v; break;
      case kGPR0: c.gpr0 = v; break;
      case kGPR1: c.gpr1 = v; break;
      case kMask:
        if (v > 0xffffffffll)
          return where("the channel mask has 32 bits");
        c.mask = uint32_t(v);
        break;
      case kBank: c.bank = v; break;
      case kRow: c.row = v; break;
      case kCol: c.col = v; break;
      }
    }
    if (std::optional<std::string> bad = check(c, device))
      return where(*bad);
    if (!program.empty() && program.back().op == Opcode::EOC)
      return where("a command after EOC");
    program.push_back(c);
  }
  if (program.empty() || program.back().op != Opcode::EOC)
    return fail("the program does not end with `AiM EOC`");
  return program;
}

// Word 0: opcode [0,8), opsize [8,24), bank [24,32), row [32,56), col
// [56,64). Word 1: channel mask [0,32), GPR0 [32,48), GPR1 [48,64).
// Version 1 (before col) had row [32,64); it still reads, with col 0.
std::string mnemo::pim::encodeBinary(llvm::ArrayRef<Command> program) {
  std::string out = "MNPIMBIN";
  auto put32 = [&](uint32_t v) {
    char b[4];
    llvm::support::endian::write32le(b, v);
    out.append(b, 4);
  };
  auto put64 = [&](uint64_t v) {
    char b[8];
    llvm::support::endian::write64le(b, v);
    out.append(b, 8);
  };
  put32(2);
  put32(program.size());
  for (const Command &c : program) {
    put64(uint64_t(c.op) | uint64_t(c.opsize & 0xffff) << 8 |
          uint64_t(c.bank & 0xff) << 24 | uint64_t(c.row & 0xffffff) << 32 |
          uint64_t(c.col & 0xff) << 56);
    put64(uint64_t(c.mask) | uint64_t(c.gpr0 & 0xffff) << 32 |
          uint64_t(c.gpr1 & 0xffff) << 48);
  }
  return out;
}

llvm::Expected<std::vector<Command>>
mnemo::pim::decodeBinary(llvm::StringRef bytes, const Device &device) {
  using llvm::support::endian::read32le;
  using llvm::support::endian::read64le;
  if (bytes.size() < 16 || !bytes.starts_with("MNPIMBIN"))
    return fail("not a mnemo PIM binary (no MNPIMBIN header)");
  uint32_t version = read32le(bytes.data() + 8);
  if (version != 1 && version != 2)
    return fail("unknown PIM binary version " + llvm::Twine(version));
  uint64_t n = read32le(bytes.data() + 12);
  if (bytes.size() != 16 + 16 * n)
    return fail("PIM binary of " + llvm::Twine(n) + " commands has " +
                llvm::Twine(bytes.size()) + " bytes, not " +
                llvm::Twine(16 + 16 * n));
  std::vector<Command> program;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t w0 = read64le(bytes.data() + 16 + 16 * i);
    uint64_t w1 = read64le(bytes.data() + 24 + 16 * i);
    if ((w0 & 0xff) >= kNumOpcodes)
      return fail("command " + llvm::Twine(i) + ": opcode " +
                  llvm::Twine(w0 & 0xff) + " is unknown");
    Command c;
    c.op = Opcode(w0 & 0xff);
    c.opsize = (w0 >> 8) & 0xffff;
    c.bank = (w0 >> 24) & 0xff;
    c.row = version == 1 ? w0 >> 32 : (w0 >> 32) & 0xffffff;
    c.col = version == 1 ? 0 : w0 >> 56;
    if (version == 1 && (opcodeFields(c.op) & kCol))
      c.opsize = device.columns(); // whole rows before column addressing
    c.mask = uint32_t(w1);
    c.gpr0 = (w1 >> 32) & 0xffff;
    c.gpr1 = w1 >> 48;
    if (std::optional<std::string> bad = check(c, device))
      return fail("command " + llvm::Twine(i) + " (`" + printCommand(c) +
                  "`): " + *bad);
    program.push_back(c);
  }
  if (program.empty() || program.back().op != Opcode::EOC)
    return fail("the program does not end with EOC");
  return program;
}

//===- KVMapping.cpp - a KV cache held in the banks -----------------------===//

#include "mnemo/Target/PIM/KVMapping.h"

#include "mnemo/Target/PIM/GemvMapping.h"

#include "llvm/Support/MathExtras.h"

using namespace mnemo::pim;

static llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

int64_t KVPlan::rows(const Device &d) const {
  return llvm::divideCeil(heads, headsPerRound(d)) * rowsPerHead();
}

int64_t KVPlan::firstChannel(const Device &d, int64_t h) const {
  return (h % headsPerRound(d)) * group;
}

int64_t KVPlan::headRowBase(const Device &d, int64_t h) const {
  return rowBase + (h / headsPerRound(d)) * rowsPerHead();
}

uint32_t KVPlan::mask(const Device &d, int64_t h) const {
  uint32_t m = 0;
  for (int64_t c = 0; c < group; ++c)
    m |= channelBit(firstChannel(d, h) + c);
  return m;
}

int64_t KVPlan::keyColumns() const { return llvm::divideCeil(dim, kLanes); }

llvm::Expected<KVPlan> mnemo::pim::planKV(const Device &d, KVKind kind,
                                          int64_t heads, int64_t dim,
                                          int64_t maxSeq, int64_t rowBase) {
  if (heads < 1 || dim < 1 || maxSeq < 1)
    return fail("a KV cache needs heads, head dim and length >= 1");
  KVPlan p;
  p.kind = kind;
  p.heads = heads;
  p.dim = dim;
  p.maxSeq = maxSeq;
  p.rowBase = rowBase;
  // Every head its own channels while there are enough; more heads than
  // channels take turns (rounds of rows).
  p.group = std::max<int64_t>(1, d.channels / heads);
  p.chunk = passInputs(d);
  int64_t perSlot = p.group * d.banks();
  if (kind == KVKind::Key) {
    if (dim > p.chunk)
      return fail("a key of " + llvm::Twine(dim) + " values does not fit one " +
                  "pass of " + llvm::Twine(p.chunk));
    p.slots = llvm::divideCeil(maxSeq, perSlot);
    p.passes = 1;
    p.keysPerRow = d.columns() / p.keyColumns();
  } else {
    p.slots = llvm::divideCeil(dim, perSlot);
    p.passes = llvm::divideCeil(maxSeq, p.chunk);
  }
  if (rowBase + p.rows(d) > d.rows)
    return fail("a " + llvm::Twine(kind == KVKind::Key ? "key" : "value") +
                " cache of " + llvm::Twine(heads) + " heads x " +
                llvm::Twine(maxSeq) + " tokens x " + llvm::Twine(dim) +
                " needs " + llvm::Twine(p.rows(d)) +
                (p.rows(d) == 1 ? " row" : " rows") + " per bank from row " +
                llvm::Twine(rowBase) + ", the device has " + llvm::Twine(d.rows));
  if (kvRegisters(d, p).end > d.gprs)
    return fail("a KV cache of " + llvm::Twine(heads) + " heads x " +
                llvm::Twine(maxSeq) + " tokens needs " +
                llvm::Twine(kvRegisters(d, p).end) + " registers, the device has " +
                llvm::Twine(d.gprs));
  return p;
}

int64_t KVPlan::outputRegister(int64_t i) const {
  return (i / (group * kLanes)) * group + i % group;
}

KVPlace mnemo::pim::keyPlace(const Device &d, const KVPlan &p, int64_t h,
                             int64_t t) {
  int64_t slot = t / (p.group * d.banks());
  return {p.firstChannel(d, h) + t % p.group, (t / p.group) % d.banks(),
          p.headRowBase(d, h) + slot / p.keysPerRow,
          (slot % p.keysPerRow) * p.keyColumns(), 0};
}

KVPlace mnemo::pim::valuePlace(const Device &d, const KVPlan &p, int64_t h,
                               int64_t t, int64_t dim) {
  int64_t perSlot = p.group * d.banks();
  int64_t slot = dim / perSlot;
  return {p.firstChannel(d, h) + dim % p.group, (dim / p.group) % d.banks(),
          p.headRowBase(d, h) + slot * p.passes + t / p.chunk,
          (t % p.chunk) / kLanes, t % kLanes};
}

KVRegisters mnemo::pim::kvRegisters(const Device &d, const KVPlan &p,
                                    int64_t base) {
  KVRegisters r;
  bool key = p.kind == KVKind::Key;
  r.inPerHead = key ? p.keyColumns() : p.passes * (p.chunk / kLanes);
  r.outPerHead = p.slots * p.group;
  r.in = base;
  r.out = r.in + p.heads * r.inPerHead;
  r.partial = r.out + p.heads * r.outPerHead;
  r.zero = r.partial + (p.passes - 1) * p.heads * r.outPerHead;
  r.stage = r.zero + d.channels;
  int64_t stage = key ? kMaxWriteTokens * p.heads * p.keyColumns()
                      : p.heads * p.dim * (kMaxWriteTokens / kLanes + 1);
  r.end = r.stage + stage;
  return r;
}

KVWrite mnemo::pim::emitKVWrite(const Device &d, const KVPlan &p,
                                const KVRegisters &r, int64_t first,
                                int64_t last) {
  KVWrite w;
  auto cmd = [](std::vector<Command> &to, Opcode op, const KVPlace &at,
                int64_t opsize, int64_t gpr) {
    Command c;
    c.op = op;
    c.opsize = opsize;
    c.gpr0 = gpr;
    c.mask = channelBit(at.channel);
    c.bank = at.bank;
    c.row = at.row;
    c.col = at.col;
    to.push_back(c);
  };
  if (first >= last)
    return w;
  if (p.kind == KVKind::Key) {
    for (int64_t t = first; t < last; ++t)
      for (int64_t h = 0; h < p.heads; ++h)
        cmd(w.writes, Opcode::WR_SBK, keyPlace(d, p, h, t), p.keyColumns(),
            r.stage + ((t - first) * p.heads + h) * p.keyColumns());
    return w;
  }
  // Values: the columns of 16 tokens the range touches, per head dim.
  int64_t firstCol = first / kLanes, lastCol = (last - 1) / kLanes;
  w.columnsPerRow = lastCol - firstCol + 1;
  for (int64_t h = 0; h < p.heads; ++h)
    for (int64_t dim = 0; dim < p.dim; ++dim) {
      int64_t regs = r.stage + (h * p.dim + dim) * w.columnsPerRow;
      if (first % kLanes)
        cmd(w.reads, Opcode::RD_SBK, valuePlace(d, p, h, first, dim), 1, regs);
      for (int64_t c = firstCol; c <= lastCol; ++c)
        cmd(w.writes, Opcode::WR_SBK, valuePlace(d, p, h, c * kLanes, dim), 1,
            regs + c - firstCol);
    }
  return w;
}

std::vector<Command> mnemo::pim::emitKVAttend(const Device &d, const KVPlan &p,
                                              const KVRegisters &r, int64_t len) {
  std::vector<Command> out;
  auto cmd = [&](Opcode op, uint32_t mask) -> Command & {
    out.push_back(Command());
    out.back().op = op;
    out.back().mask = mask;
    return out.back();
  };
  bool key = p.kind == KVKind::Key;
  int64_t perSlot = p.group * d.banks();
  int64_t slots = key ? llvm::divideCeil(len, perSlot) : p.slots;
  int64_t passes = key ? 1 : llvm::divideCeil(len, p.chunk);
  for (int64_t h = 0; h < p.heads; ++h) {
    uint32_t mask = p.mask(d, h);
    int64_t y = r.out + h * r.outPerHead;
    for (int64_t pass = 0; pass < passes; ++pass) {
      int64_t cols = key ? p.keyColumns()
                         : llvm::divideCeil(std::min(p.chunk, len - pass * p.chunk),
                                            kLanes);
      Command &gb = cmd(Opcode::WR_GB, mask);
      gb.opsize = cols;
      gb.gpr0 = r.in + h * r.inPerHead + pass * (p.chunk / kLanes);
      int64_t dst = pass == 0 ? y
                              : r.partial + ((pass - 1) * p.heads + h) * r.outPerHead;
      for (int64_t s = 0; s < slots; ++s) {
        cmd(Opcode::WR_BIAS, mask).gpr0 = r.zero;
        Command &mac = cmd(Opcode::MAC_ABK, mask);
        mac.opsize = cols;
        if (key) {
          mac.row = p.headRowBase(d, h) + s / p.keysPerRow;
          mac.col = (s % p.keysPerRow) * cols;
        } else {
          mac.row = p.headRowBase(d, h) + s * p.passes + pass;
        }
        cmd(Opcode::RD_MAC, mask).gpr0 = dst + s * p.group;
      }
    }
    for (int64_t pass = 1; pass < passes; ++pass) {
      Command &add = cmd(Opcode::EWADD, 0);
      add.opsize = r.outPerHead;
      add.gpr0 = y;
      add.gpr1 = r.partial + ((pass - 1) * p.heads + h) * r.outPerHead;
    }
  }
  return out;
}

void mnemo::pim::stageKVWrite(
    Simulator &sim, const KVPlan &p, const KVRegisters &r, const KVWrite &w,
    int64_t first, int64_t last,
    llvm::function_ref<float(int64_t, int64_t, int64_t)> value) {
  if (p.kind == KVKind::Key) {
    int64_t cols = p.keyColumns();
    for (int64_t t = first; t < last; ++t)
      for (int64_t h = 0; h < p.heads; ++h)
        for (int64_t i = 0; i < cols * kLanes; ++i)
          sim.gpr(r.stage + ((t - first) * p.heads + h) * cols + i / kLanes)
              [i % kLanes] = i < p.dim ? value(t, h, i) : 0.0f;
    return;
  }
  int64_t firstCol = first / kLanes;
  for (int64_t h = 0; h < p.heads; ++h)
    for (int64_t d = 0; d < p.dim; ++d)
      for (int64_t col = 0; col < w.columnsPerRow; ++col) {
        Register &reg = sim.gpr(r.stage + (h * p.dim + d) * w.columnsPerRow + col);
        for (int64_t l = 0; l < kLanes; ++l) {
          int64_t t = (firstCol + col) * kLanes + l;
          if (t >= first && t < last)
            reg[l] = value(t, h, d);
          else if (t >= last || w.reads.empty())
            reg[l] = 0.0f; // (tokens before `first` came with the read)
        }
      }
}

void mnemo::pim::setKVInput(Simulator &sim, const KVPlan &p,
                            const KVRegisters &r, int64_t len,
                            llvm::function_ref<float(int64_t, int64_t)> x) {
  int64_t n = p.kind == KVKind::Key ? p.dim : len;
  for (int64_t c = 0; c < sim.device().channels; ++c)
    sim.gpr(r.zero + c).fill(0.0f);
  for (int64_t h = 0; h < p.heads; ++h)
    for (int64_t i = 0; i < llvm::divideCeil(n, kLanes) * kLanes; ++i)
      sim.gpr(r.in + h * r.inPerHead + i / kLanes)[i % kLanes] =
          i < n ? x(h, i) : 0.0f;
}

float mnemo::pim::kvOutput(Simulator &sim, const KVPlan &p,
                           const KVRegisters &r, int64_t h, int64_t i) {
  return sim.gpr(r.out + h * r.outPerHead + p.outputRegister(i))[p.outputLane(i)];
}

std::vector<Command> mnemo::pim::emitKVStep(const Device &d, const KVPlan &p,
                                            const KVRegisters &r, int64_t len) {
  int64_t from = p.kind == KVKind::Key ? len - 1 : (len - 1) / kLanes * kLanes;
  KVWrite w = emitKVWrite(d, p, r, from, len);
  std::vector<Command> prog = std::move(w.reads);
  llvm::append_range(prog, w.writes);
  llvm::append_range(prog, emitKVAttend(d, p, r, len));
  prog.push_back(Command()); // EOC
  return prog;
}

//===- PIMDialect.cpp - mnemo pim dialect ---------------------------------===//

#include "mnemo/Dialect/PIM/IR/PIM.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mnemo::pim;

#include "mnemo/Dialect/PIM/IR/PIMDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "mnemo/Dialect/PIM/IR/PIMAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "mnemo/Dialect/PIM/IR/PIMOps.cpp.inc"

void PIMDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "mnemo/Dialect/PIM/IR/PIMAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "mnemo/Dialect/PIM/IR/PIMOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

/// The device of an attribute's fields (the figures it does not carry
/// keep their defaults). One place for getDevice() and verify().
static Device deviceOf(int64_t channels, int64_t bankGroups,
                       int64_t banksPerGroup, int64_t rows, int64_t rowBytes,
                       int64_t gbBytes, StringRef dtype, int64_t tCK,
                       int64_t tRCDMAC, int64_t tCCD, int64_t tRTP, int64_t tRP,
                       int64_t tRAS, int64_t tRC, int64_t tREFI, int64_t tRFC,
                       int64_t refresh) {
  Device d;
  d.channels = channels;
  d.bankGroups = bankGroups;
  d.banksPerGroup = banksPerGroup;
  d.rows = rows;
  d.rowBytes = rowBytes;
  d.globalBufferBytes = gbBytes;
  d.dataType = dtype.str();
  d.tCKps = tCK;
  d.tRCDMAC = tRCDMAC;
  d.tCCD = tCCD;
  d.tRTP = tRTP;
  d.tRP = tRP;
  d.tRAS = tRAS;
  d.tRC = tRC;
  d.tREFI = tREFI;
  d.tRFC = tRFC;
  d.refresh = refresh != 0;
  return d;
}

Device DeviceAttr::getDevice() const {
  return deviceOf(getChannels(), getBankGroups(), getBanksPerGroup(), getRows(),
                  getRowBytes(), getGbBytes(), getDtype(), getTCKPs(),
                  getTRCDMAC(), getTCCD(), getTRTP(), getTRP(), getTRAS(),
                  getTRC(), getTREFI(), getTRFC(), getRefresh());
}

LogicalResult DeviceAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t channels, int64_t bankGroups,
                                 int64_t banksPerGroup, int64_t rows,
                                 int64_t rowBytes, int64_t gbBytes,
                                 StringRef dtype, int64_t tCK, int64_t tRCDMAC,
                                 int64_t tCCD, int64_t tRTP, int64_t tRP,
                                 int64_t tRAS, int64_t tRC, int64_t tREFI,
                                 int64_t tRFC, int64_t refresh) {
  if (refresh != 0 && refresh != 1)
    return emitError() << "refresh must be 0 or 1";
  Device d = deviceOf(channels, bankGroups, banksPerGroup, rows, rowBytes,
                      gbBytes, dtype, tCK, tRCDMAC, tCCD, tRTP, tRP, tRAS, tRC,
                      tREFI, tRFC, refresh);
  if (llvm::Error e = d.validate())
    return emitError() << llvm::toString(std::move(e));
  return success();
}

DeviceAttr mnemo::pim::getDeviceAttr(MLIRContext *ctx, const Device &d) {
  return DeviceAttr::get(ctx, d.channels, d.bankGroups, d.banksPerGroup, d.rows,
                         d.rowBytes, d.globalBufferBytes, d.dataType, d.tCKps,
                         d.tRCDMAC, d.tCCD, d.tRTP, d.tRP, d.tRAS, d.tRC, d.tREFI,
                         d.tRFC, d.refresh ? 1 : 0);
}

//===----------------------------------------------------------------------===//
// Mapping level
//===----------------------------------------------------------------------===//

LogicalResult GemvOp::verify() {
  auto x = cast<RankedTensorType>(getX().getType());
  auto w = cast<RankedTensorType>(getW().getType());
  auto y = cast<RankedTensorType>(getY().getType());
  if (x.getRank() != 2 || w.getRank() != 2 || y.getRank() != 2)
    return emitOpError("takes x [R, K], w [K, N] and gives y [R, N]");
  if (x.getElementType() != w.getElementType() ||
      x.getElementType() != y.getElementType() ||
      !isa<FloatType>(x.getElementType()))
    return emitOpError("x, w and y must share one float element type");
  if (!w.hasStaticShape())
    return emitOpError("the weight must have a static shape (it is laid out "
                       "in the banks at compile time)");
  int64_t k = w.getDimSize(0), n = w.getDimSize(1);
  if (!ShapedType::isDynamic(x.getDimSize(1)) && x.getDimSize(1) != k)
    return emitOpError() << "x has " << x.getDimSize(1)
                         << " columns but the weight " << k << " rows";
  if (y.getDimSize(1) != n || (!ShapedType::isDynamic(x.getDimSize(0)) &&
                               !ShapedType::isDynamic(y.getDimSize(0)) &&
                               y.getDimSize(0) != x.getDimSize(0)))
    return emitOpError("y must be [R, N] for x [R, K] and w [K, N]");
  if (getBias()) {
    auto b = cast<RankedTensorType>(getBias().getType());
    if (b.getRank() != 1 || b.getDimSize(0) != n)
      return emitOpError() << "bias must be [" << n << "]";
  }
  if (GemvLayoutAttr l = getLayoutAttr()) {
    if (l.getK() != k || l.getN() != n)
      return emitOpError() << "layout is for a " << l.getK() << " x "
                           << l.getN() << " weight, not " << k << " x " << n;
    if (l.getSlots() < 1 || l.getPasses() < 1 || l.getRowBase() < 0)
      return emitOpError("layout needs slots and passes >= 1 and row_base >= 0");
  }
  return success();
}

LogicalResult KVAttendOp::verify() {
  auto x = cast<RankedTensorType>(getX().getType());
  auto row = cast<RankedTensorType>(getNewRow().getType());
  auto pos = cast<RankedTensorType>(getPosition().getType());
  auto cache = cast<RankedTensorType>(getCache().getType());
  auto y = cast<RankedTensorType>(getY().getType());
  if (getKind() != "key" && getKind() != "value")
    return emitOpError("kind must be \"key\" or \"value\"");
  if (cache.getRank() != 4 || !cache.hasStaticShape() || cache.getDimSize(0) != 1)
    return emitOpError("cache must be a static [1, H, max_seq, D] (head-major, batch 1)");
  int64_t h = cache.getDimSize(1), d = cache.getDimSize(3);
  auto is = [](RankedTensorType t, ArrayRef<int64_t> shape) {
    if (t.getRank() != int64_t(shape.size()))
      return false;
    for (auto [a, b] : llvm::zip(t.getShape(), shape))
      if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
        return false;
    return true;
  };
  if (!is(row, {1, h, 1, d}))
    return emitOpError() << "new_row must be [1, " << h << ", 1, " << d << "]";
  if (pos.getRank() != 1 || pos.getDimSize(0) != 1 ||
      !pos.getElementType().isInteger(64))
    return emitOpError("position must be tensor<1xi64>");
  for (RankedTensorType t : {x, row, cache, y})
    if (!t.getElementType().isF32())
      return emitOpError("x, new_row, cache and y must be f32");
  int64_t dyn = ShapedType::kDynamic;
  bool key = getKind() == "key";
  if (!is(x, {1, h, 1, key ? d : dyn}) || !is(y, {1, h, 1, key ? dyn : d}))
    return emitOpError() << (key ? "keys take x [1, H, 1, D] and give y [1, H, 1, L]"
                                 : "values take x [1, H, 1, L] and give y [1, H, 1, D]")
                         << " (H = " << h << ", D = " << d << ")";
  if (getRowBase() && *getRowBase() < 0)
    return emitOpError("row_base must be >= 0");
  return success();
}

//===----------------------------------------------------------------------===//
// Command level
//===----------------------------------------------------------------------===//

Device ProgramOp::getDeviceOrDefault() {
  if (std::optional<DeviceAttr> d = getDevice())
    return d->getDevice();
  return Device();
}

LogicalResult ProgramOp::verify() {
  Block &body = getBody().front();
  for (Operation &op : body)
    if (!commandOf(&op))
      return op.emitOpError("is not an AiM command (a pim.program holds only "
                            "command ops)");
  if (body.empty() || !isa<EocOp>(body.back()))
    return emitOpError("must end with pim.eoc");
  for (Operation &op : body)
    if (isa<EocOp>(op) && &op != &body.back())
      return op.emitOpError("must be the program's last command");
  return success();
}

namespace {

struct FieldName {
  unsigned bit;
  const char *name;
};
const FieldName kFieldNames[] = {{kOpsize, "opsize"}, {kGPR0, "gpr0"},
                                 {kGPR1, "gpr1"},     {kMask, "mask"},
                                 {kBank, "bank"},     {kRow, "row"},
                                 {kCol, "col"}};

/// The verifier every command op shares: the command against the device
/// of its program, with the check the trace reader and simulator run.
LogicalResult verifyCommand(Operation *op) {
  std::optional<Command> c = commandOf(op);
  if (!c)
    return op->emitOpError("has a field out of its integer range");
  auto program = op->getParentOfType<ProgramOp>();
  Device d = program ? program.getDeviceOrDefault() : Device();
  if (std::optional<std::string> bad = check(*c, d))
    return op->emitOpError() << *bad;
  return success();
}

} // namespace

std::optional<Command> mnemo::pim::commandOf(Operation *op) {
  if (op->getDialect() == nullptr ||
      op->getDialect()->getNamespace() != PIMDialect::getDialectNamespace())
    return std::nullopt;
  std::optional<Opcode> opcode =
      parseOpcode(llvm::StringRef(op->getName().stripDialect()).upper());
  if (!opcode)
    return std::nullopt;
  Command c;
  c.op = *opcode;
  for (const FieldName &f : kFieldNames) {
    if (!(opcodeFields(*opcode) & f.bit))
      continue;
    auto attr = op->getAttrOfType<IntegerAttr>(f.name);
    if (!attr && f.bit == kCol && isMac(*opcode))
      continue; // a MAC's col is optional (0)
    if (!attr)
      return std::nullopt;
    int64_t v = attr.getInt();
    switch (f.bit) {
    case kOpsize: c.opsize = v; break;
    case kGPR0: c.gpr0 = v; break;
    case kGPR1: c.gpr1 = v; break;
    case kMask:
      if (v < 0 || v > 0xffffffffll)
        return std::nullopt;
      c.mask = uint32_t(v);
      break;
    case kBank: c.bank = v; break;
    case kRow: c.row = v; break;
    case kCol: c.col = v; break;
    }
  }
  return c;
}

Operation *mnemo::pim::buildCommand(OpBuilder &b, Location loc,
                                    const Command &c) {
  OperationState state(loc, "pim." + llvm::StringRef(opcodeName(c.op)).lower());
  for (const FieldName &f : kFieldNames) {
    if (!(opcodeFields(c.op) & f.bit))
      continue;
    int64_t v = f.bit == kOpsize ? c.opsize
                : f.bit == kGPR0 ? c.gpr0
                : f.bit == kGPR1 ? c.gpr1
                : f.bit == kMask ? int64_t(c.mask)
                : f.bit == kBank ? c.bank
                : f.bit == kRow  ? c.row
                                 : c.col;
    if (f.bit == kCol && isMac(c.op) && v == 0)
      continue;
    state.addAttribute(f.name, b.getI64IntegerAttr(v));
  }
  return b.create(state);
}

#define COMMAND_VERIFIER(Op)                                                   \
  LogicalResult Op::verify() { return verifyCommand(*this); }
COMMAND_VERIFIER(WrGbOp)
COMMAND_VERIFIER(WrBiasOp)
COMMAND_VERIFIER(MacAbkOp)
COMMAND_VERIFIER(MacSbkOp)
COMMAND_VERIFIER(RdMacOp)
COMMAND_VERIFIER(RdAfOp)
COMMAND_VERIFIER(AfOp)
COMMAND_VERIFIER(EwMulOp)
COMMAND_VERIFIER(EwAddOp)
COMMAND_VERIFIER(CopyBkGbOp)
COMMAND_VERIFIER(CopyGbBkOp)
COMMAND_VERIFIER(WrSbkOp)
COMMAND_VERIFIER(WrAbkOp)
COMMAND_VERIFIER(RdSbkOp)
COMMAND_VERIFIER(SyncOp)
COMMAND_VERIFIER(EocOp)
#undef COMMAND_VERIFIER

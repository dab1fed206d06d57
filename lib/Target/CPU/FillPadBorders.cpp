//===- FillPadBorders.cpp - fill only the border of a padded buffer -------===//
//
// Bufferized tensor.pad is a constant fill of the whole padded buffer
// followed by a copy of the source into its interior. The interior is
// written twice; for MobileNetV2's depthwise pads that is megabytes of
// memset per layer. When nothing reads the buffer between the fill and the
// copy, the fill is narrowed to the border: one slab per padded side. Pads
// decomposed before bufferization (mnemo-cpu-decompose-pads) have no copy:
// the source's producer writes the interior in place, and only the border
// is filled.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/BufferAliases.h"
#include "mnemo/Target/CPU/Passes.h"
#include "mnemo/Memory/Planning/BufferLiveness.h"

#include "mnemo/Support/MathExtras.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mnemo {
#define GEN_PASS_DEF_FILLPADBORDERSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The value a linalg op writes to every element of its only output, when it
/// has no inputs and yields one value defined outside its body (linalg.fill,
/// or the linalg.map / linalg.generic form bufferized pads take).
Value constantFillValue(linalg::LinalgOp op) {
  if (auto fill = dyn_cast<linalg::FillOp>(op.getOperation()))
    return fill.value();
  if (op.getNumDpsInputs() != 0 || op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
    return {};
  // The body is only the yield of a value from outside (bufferized pads
  // and canonicalized fills have that form).
  Block *body = op.getBlock();
  if (!body->without_terminator().empty())
    return {};
  Value v = body->getTerminator()->getOperand(0);
  if (v.getParentBlock() == body)
    return {};
  return v;
}

/// The copy (memref.copy or linalg.copy) that writes `view`, if any.
Operation *copyInto(memref::SubViewOp view) {
  for (Operation *user : view->getUsers()) {
    if (auto c = dyn_cast<memref::CopyOp>(user); c && c.getTarget() == view)
      return user;
    if (auto c = dyn_cast<linalg::CopyOp>(user);
        c && c.getDpsInitOperand(0)->get() == view.getResult())
      return user;
  }
  return nullptr;
}

/// Whether any op strictly between `from` and `to` (same block) touches
/// `buffer` or a view of it (creating a view aside): a read of the interior
/// there would see the fill, which the rewrite moves after the copy.
bool touchedBetween(Operation *from, Operation *to, Value buffer) {
  llvm::SmallPtrSet<Value, 8> views = mnemo::viewsOf(buffer);
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode())
    if (!isa<ViewLikeOpInterface>(op) && mnemo::touchesAny(op, views))
      return true;
  return false;
}

/// Whether the first op after `fill` that touches `buffer` (or a view of
/// it) writes all of the interior `view` without reading the buffer: the
/// producer of a decomposed pad's source, which bufferization placed in the
/// interior.
bool writesInteriorFirst(Operation *fill, Value buffer,
                         memref::SubViewOp view) {
  return mnemo::nextAccessOverwrites(fill, mnemo::viewsOf(buffer),
                                     view.getResult())
      .value_or(false);
}

/// A constant fill of a whole buffer and the copy that then writes its
/// interior (or no copy: the interior's producer writes it in place). Offsets are static; dims with a border (padded) are static,
/// unpadded ones may be dynamic (a symbolic batch).
struct PadCopy {
  Operation *fill, *copy, *view;
  Value value, buffer, source;
  SmallVector<int64_t> off;
  SmallVector<OpFoldResult> size, whole;

  bool padded(unsigned d) const {
    return off[d] != 0 || !isEqualConstantIntOrValue(size[d], whole[d]);
  }
};

/// Buffer dim sizes: static ones as attributes, dynamic ones as the
/// allocation's size operands.
std::optional<SmallVector<OpFoldResult>> wholeSizes(Value buffer,
                                                    MemRefType type) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  if (!type.hasStaticShape() && !alloc)
    return std::nullopt;
  Builder b(type.getContext());
  SmallVector<OpFoldResult> whole;
  unsigned dyn = 0;
  for (int64_t n : type.getShape())
    whole.push_back(ShapedType::isDynamic(n)
                        ? OpFoldResult(alloc.getDynamicSizes()[dyn++])
                        : OpFoldResult(b.getIndexAttr(n)));
  return whole;
}

std::optional<PadCopy> matchPadCopy(linalg::LinalgOp fill) {
  Value value = constantFillValue(fill);
  if (!value)
    return std::nullopt;
  Value buffer = fill.getDpsInitOperand(0)->get();
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.getLayout().isIdentity())
    return std::nullopt;
  std::optional<SmallVector<OpFoldResult>> whole = wholeSizes(buffer, type);
  if (!whole)
    return std::nullopt;
  for (Operation *user : buffer.getUsers()) {
    auto view = dyn_cast<memref::SubViewOp>(user);
    if (!view || view->getBlock() != fill->getBlock() ||
        !view.hasUnitStride() ||
        llvm::any_of(view.getStaticOffsets(), ShapedType::isDynamic) ||
        view.getSourceType().getRank() != view.getType().getRank())
      continue;
    PadCopy pc{fill, copyInto(view), view, value, buffer, Value(),
               SmallVector<int64_t>(view.getStaticOffsets()),
               view.getMixedSizes(), *whole};
    bool shapesOk = true;
    for (unsigned d = 0; d < pc.off.size(); ++d)
      if (pc.padded(d) && (!getConstantIntValue(pc.size[d]) ||
                           !getConstantIntValue(pc.whole[d])))
        shapesOk = false;
    if (!shapesOk)
      continue;
    // Decomposed pads: the producer of the source writes the interior
    // itself; only the border is left to fill.
    if (!pc.copy) {
      if (writesInteriorFirst(fill, buffer, view))
        return pc;
      continue;
    }
    if (pc.copy->getBlock() != fill->getBlock() ||
        !fill->isBeforeInBlock(pc.copy) ||
        touchedBetween(fill, pc.copy, buffer))
      continue;
    // A copy source aliasing the buffer would read the fill.
    pc.source = pc.copy->getOperand(0);
    if (mnemo::memory::rootBuffer(pc.source) == buffer)
      continue;
    return pc;
  }
  return std::nullopt;
}

/// Writes the chunk [c0, c0 + len) of the unpadded dim `p` (everything when
/// `c0` is null): the interior copy first, then the border slabs, so the
/// border of each row is written while that row is in cache. Slab d covers
/// the ranges before and after the interior along d, with dims before d
/// restricted to the interior and dims after d whole.
void emitChunk(OpBuilder &b, Location loc, const PadCopy &pc, unsigned p,
               Value c0, int64_t len) {
  unsigned rank = pc.off.size();
  SmallVector<OpFoldResult> ones(rank, b.getIndexAttr(1));
  auto slice = [&](Value base, ArrayRef<int64_t> o,
                   SmallVector<OpFoldResult> s) {
    SmallVector<OpFoldResult> mo;
    for (int64_t v : o)
      mo.push_back(b.getIndexAttr(v));
    if (c0) {
      mo[p] = c0;
      s[p] = b.getIndexAttr(len);
    }
    return memref::SubViewOp::create(b, loc, base, mo, s, ones).getResult();
  };
  // p is unpadded: the chunk has the same offset in the source.
  SmallVector<int64_t> zero(rank, 0);
  if (pc.copy)
    linalg::CopyOp::create(b, loc, c0 ? slice(pc.source, zero, pc.size)
                                      : pc.source,
                           slice(pc.buffer, pc.off, pc.size));
  for (unsigned d = rank; d-- > 0;) {
    if (!pc.padded(d))
      continue;
    int64_t off = pc.off[d], size = *getConstantIntValue(pc.size[d]);
    int64_t whole = *getConstantIntValue(pc.whole[d]);
    int64_t ranges[2][2] = {{0, off}, {off + size, whole - off - size}};
    for (auto [start, n] : ranges) {
      if (n <= 0)
        continue;
      SmallVector<int64_t> o(rank, 0);
      SmallVector<OpFoldResult> s(pc.whole);
      for (unsigned e = 0; e < d; ++e) {
        o[e] = pc.off[e];
        s[e] = pc.size[e];
      }
      o[d] = start;
      s[d] = b.getIndexAttr(n);
      linalg::FillOp::create(b, loc, pc.value, slice(pc.buffer, o, s));
    }
  }
}

/// Rewrites `pc`; the fill and copy it erases go into `erased`.
void fillBorders(const PadCopy &pc, bool parallel, int64_t chunks,
                 int64_t minWork, llvm::SmallPtrSetImpl<Operation *> &erased) {
  // Without a copy the border goes where the whole fill was, before the
  // producer of the interior.
  Operation *at = pc.copy ? pc.copy : pc.fill;
  OpBuilder b(at);
  Location loc = at->getLoc();
  // Chunks along the outermost static unpadded dim of two or more.
  std::optional<unsigned> p;
  int64_t elements = 1;
  for (unsigned d = 0; d < pc.off.size(); ++d) {
    std::optional<int64_t> n = getConstantIntValue(pc.whole[d]);
    if (!n)
      continue;
    elements *= *n;
    if (!p && !pc.padded(d) && *n >= 2)
      p = d;
  }
  int64_t n = p ? mnemo::largestDivisorAtMost(
                      *getConstantIntValue(pc.whole[*p]), chunks)
                : 1;
  if (elements < minWork || n == 1) {
    emitChunk(b, loc, pc, 0, Value(), 0);
  } else {
    int64_t len = *getConstantIntValue(pc.whole[*p]) / n;
    Value lb = arith::ConstantIndexOp::create(b, loc, 0);
    Value ub = arith::ConstantIndexOp::create(b, loc, n * len);
    Value step = arith::ConstantIndexOp::create(b, loc, len);
    if (parallel)
      scf::ParallelOp::create(b, loc, ValueRange{lb}, ValueRange{ub},
                              ValueRange{step},
                              [&](OpBuilder &b, Location loc, ValueRange iv) {
                                emitChunk(b, loc, pc, *p, iv[0], len);
                              });
    else
      scf::ForOp::create(b, loc, lb, ub, step, ValueRange{},
                         [&](OpBuilder &b, Location loc, Value iv, ValueRange) {
                           emitChunk(b, loc, pc, *p, iv, len);
                           scf::YieldOp::create(b, loc);
                         });
  }
  if (pc.copy) {
    erased.insert(pc.copy);
    pc.copy->erase();
  }
  erased.insert(pc.fill);
  pc.fill->erase();
  // The chunks take their own views of the interior.
  if (pc.view->use_empty())
    pc.view->erase();
}

struct FillPadBordersPass
    : public mnemo::impl::FillPadBordersPassBase<FillPadBordersPass> {
  using Base::Base;

  void runOnOperation() override {
    if (chunks < 1) {
      getOperation().emitError("fill-pad-borders chunks must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> fills;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && op.getNumDpsInits() == 1)
        fills.push_back(op);
    });
    // A linalg.copy is itself on the list; one a rewrite erased is skipped.
    llvm::SmallPtrSet<Operation *, 8> erased;
    for (linalg::LinalgOp op : fills)
      if (!erased.contains(op))
        if (std::optional<PadCopy> pc = matchPadCopy(op))
          fillBorders(*pc, parallel, chunks, minWork, erased);
  }
};

} // namespace

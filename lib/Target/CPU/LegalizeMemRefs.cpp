//===- LegalizeMemRefs.cpp - memref ops the CPU lowering cannot take ------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mnemo {
#define GEN_PASS_DEF_LEGALIZEMEMREFSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

void lowerStridedCopy(memref::CopyOp copy) {
  // Bufferization leaves copies of a concat slice onto itself (the slice
  // was written in place); as loops they would re-read and re-write it.
  if (copy.getSource() == copy.getTarget()) {
    copy.erase();
    return;
  }
  auto src = cast<MemRefType>(copy.getSource().getType());
  auto dst = cast<MemRefType>(copy.getTarget().getType());
  if (src.getLayout().isIdentity() && dst.getLayout().isIdentity())
    return;
  OpBuilder b(copy);
  linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
  copy.erase();
}

void expandToReinterpretCast(memref::ExpandShapeOp expand) {
  MemRefType src = expand.getSrcType(), dst = expand.getResultType();
  if (!src.getLayout().isIdentity() || !dst.getLayout().isIdentity())
    return;
  bool needed = llvm::any_of(expand.getReassociationIndices(), [&](auto &g) {
    return llvm::count_if(g, [&](int64_t d) { return dst.isDynamicDim(d); }) > 1;
  });
  if (!needed)
    return;
  OpBuilder b(expand);
  Location loc = expand.getLoc();
  SmallVector<OpFoldResult> sizes = expand.getMixedOutputShape();
  SmallVector<OpFoldResult> strides(sizes.size());
  OpFoldResult stride = b.getIndexAttr(1);
  for (int64_t d = sizes.size() - 1; d >= 0; --d) {
    strides[d] = stride;
    // Static strides stay attributes: the identity layout of the result
    // type has them static.
    auto cs = getConstantIntValue(stride), cn = getConstantIntValue(sizes[d]);
    if (cs && cn) {
      stride = b.getIndexAttr(*cs * *cn);
      continue;
    }
    if (cn && *cn == 1)
      continue;
    Value s = getValueOrCreateConstantIndexOp(b, loc, stride);
    Value n = getValueOrCreateConstantIndexOp(b, loc, sizes[d]);
    stride = arith::MulIOp::create(b, loc, s, n).getResult();
  }
  auto cast = memref::ReinterpretCastOp::create(
      b, loc, dst, expand.getSrc(), b.getIndexAttr(0), sizes, strides);
  expand.replaceAllUsesWith(cast.getResult());
  expand.erase();
}

struct LegalizeMemRefsPass
    : public mnemo::impl::LegalizeMemRefsPassBase<LegalizeMemRefsPass> {
  void runOnOperation() override {
    getOperation().walk(lowerStridedCopy);
    getOperation().walk(expandToReinterpretCast);
  }
};

} // namespace

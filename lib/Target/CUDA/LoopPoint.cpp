//===- LoopPoint.cpp - a linalg op's loops as a kernel addresses them -----===//

#include "mnemo/Target/CUDA/LoopPoint.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mnemo::cuda;

LoopPoints::LoopPoints(linalg::LinalgOp op, ImplicitLocOpBuilder &b)
    : op(op), b(b) {
  for (Range &r : op.createLoopRanges(b, b.getLoc()))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, b.getLoc(), r.size));
}

Value LoopPoints::product(ArrayRef<unsigned> loops) {
  if (loops.empty())
    return arith::ConstantIndexOp::create(b, 1);
  Value p = sizes[loops.front()];
  for (unsigned d : loops.drop_front())
    p = arith::MulIOp::create(b, p, sizes[d]);
  return p;
}

void LoopPoints::delinearize(Value flat, ArrayRef<unsigned> loops,
                             SmallVectorImpl<Value> &point) {
  for (unsigned d : llvm::reverse(loops)) {
    if (d == loops.front()) {
      point[d] = flat;
      break;
    }
    point[d] = arith::RemUIOp::create(b, flat, sizes[d]);
    flat = arith::DivUIOp::create(b, flat, sizes[d]);
  }
}

SmallVector<Value> LoopPoints::indices(OpOperand &o, ArrayRef<Value> point) {
  SmallVector<Value> idx;
  Value zero;
  for (AffineExpr e : op.getMatchingIndexingMap(&o).getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      idx.push_back(point[dim.getPosition()]);
      continue;
    }
    SmallVector<Value> operands;
    for (unsigned d = 0; d < point.size(); ++d) {
      if (point[d] || !e.isFunctionOfDim(d)) {
        if (!point[d] && !zero)
          zero = arith::ConstantIndexOp::create(b, 0);
        operands.push_back(point[d] ? point[d] : zero);
      }
    }
    idx.push_back(affine::AffineApplyOp::create(
        b, AffineMap::get(point.size(), 0, e), operands));
  }
  return idx;
}

LogicalResult mnemo::cuda::checkBlockSize(Operation *where, int64_t threads) {
  if (threads >= 32 && threads <= 1024 && threads % 32 == 0)
    return success();
  return where->emitError()
         << "block-size must be a multiple of 32 in [32, 1024], got "
         << threads;
}

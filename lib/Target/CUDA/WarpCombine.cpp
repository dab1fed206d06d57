//===- WarpCombine.cpp - values combined across lanes, warps and rows ----===//

#include "mnemo/Target/CUDA/WarpCombine.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

Value mnemo::cuda::combineLanes(ImplicitLocOpBuilder &b, Value v,
                                int64_t lanes, Combiner combine) {
  for (int64_t offset = lanes / 2; offset >= 1; offset /= 2) {
    Value other =
        gpu::ShuffleOp::create(b, v, offset, 32, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    v = combine(other, v);
  }
  return v;
}

Value mnemo::cuda::combineBlock(ImplicitLocOpBuilder &b, Value v, Value tid,
                                int64_t warps, Value smem, Value identity,
                                Combiner combine) {
  v = combineLanes(b, v, 32, combine);
  if (warps <= 1)
    return v;
  Value c32 = arith::ConstantIndexOp::create(b, 32);
  Value lane = arith::RemUIOp::create(b, tid, c32);
  Value warp = arith::DivUIOp::create(b, tid, c32);
  Value first = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane,
                                      arith::ConstantIndexOp::create(b, 0));
  auto write = scf::IfOp::create(b, first, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(write.thenBlock());
    memref::StoreOp::create(b, v, smem, ValueRange{warp});
  }
  gpu::BarrierOp::create(b);
  Value has = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, lane,
                                    arith::ConstantIndexOp::create(b, warps));
  auto read = scf::IfOp::create(b, TypeRange{v.getType()}, has,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(read.thenBlock());
    scf::YieldOp::create(
        b, ValueRange{memref::LoadOp::create(b, smem, ValueRange{lane})});
    b.setInsertionPointToStart(read.elseBlock());
    scf::YieldOp::create(b, identity);
  }
  return combineLanes(b, read.getResult(0), 32, combine);
}

mnemo::cuda::RowLayout::RowLayout(int64_t length, int64_t blockSize,
                                  int64_t warpBelow)
    : threads(blockSize), rowsPerBlock(1) {
  if (length >= 0 && length < warpBelow)
    rowsPerBlock = blockSize / 32;
  else if (length > 0)
    threads = std::clamp<int64_t>(llvm::alignTo(length, 32), 32, blockSize);
}

Value mnemo::cuda::RowLayout::grid(ImplicitLocOpBuilder &b, Value rows) const {
  if (rowsPerBlock == 1)
    return rows;
  return arith::CeilDivUIOp::create(
      b, rows, arith::ConstantIndexOp::create(b, rowsPerBlock));
}

mnemo::cuda::RowLayout::Place
mnemo::cuda::RowLayout::place(ImplicitLocOpBuilder &b, Value bid, Value tid,
                              Value rows) const {
  if (rowsPerBlock == 1)
    return {bid, tid, Value()};
  auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, v); };
  Value warp = arith::DivUIOp::create(b, tid, cst(32));
  Value rowThread = arith::RemUIOp::create(b, tid, cst(32));
  Value row = arith::AddIOp::create(
      b, arith::MulIOp::create(b, bid, cst(rowsPerBlock)), warp);
  Value exists = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
  row = arith::SelectOp::create(b, exists, row,
                                arith::SubIOp::create(b, rows, cst(1)));
  return {row, rowThread, exists};
}

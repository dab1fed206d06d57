//===- Collectives.cpp - shard collectives to MPI calls -------------------===//
//
// A vocab-parallel rank's module merges its results with shard.all_reduce
// on a 1-D grid of all ranks. Each becomes an mpi.allreduce on
// MPI_COMM_WORLD between buffers, and upstream mpi-to-llvm turns those
// into calls into libmpi with the ABI the module's DLTI names.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MPIToLLVM/MPIToLLVM.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mnemo {
#define GEN_PASS_DEF_COLLECTIVESTOMPIPASS
#define GEN_PASS_DEF_MPITOLLVMPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

mpi::MPI_ReductionOpEnum mpiOp(shard::ReductionKind k) {
  switch (k) {
  case shard::ReductionKind::Max:
    return mpi::MPI_ReductionOpEnum::MPI_MAX;
  case shard::ReductionKind::Min:
    return mpi::MPI_ReductionOpEnum::MPI_MIN;
  case shard::ReductionKind::Product:
    return mpi::MPI_ReductionOpEnum::MPI_PROD;
  default:
    return mpi::MPI_ReductionOpEnum::MPI_SUM;
  }
}

/// The buffer viewed as 1-D (MPI counts elements).
Value flat(OpBuilder &b, Location loc, Value m) {
  auto t = cast<MemRefType>(m.getType());
  if (t.getRank() == 1)
    return m;
  ReassociationIndices all;
  for (int64_t i = 0; i < t.getRank(); ++i)
    all.push_back(i);
  return memref::CollapseShapeOp::create(b, loc, m,
                                         ArrayRef<ReassociationIndices>{all});
}

struct CollectivesToMPIPass
    : public mnemo::impl::CollectivesToMPIPassBase<CollectivesToMPIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<shard::GridOp> grids(module.getOps<shard::GridOp>());
    for (shard::GridOp g : grids)
      if (g.getShape().size() != 1) {
        g.emitError("only 1-D shard grids (one axis of MPI ranks) lower to "
                    "MPI here");
        return signalPassFailure();
      }
    MLIRContext *ctx = &getContext();
    bool failedOne = false;
    // Upstream shard-to-mpi takes static shapes only and splits a new
    // communicator per collective (a collective call itself, never freed:
    // one per decode step). Exported decoders keep a symbolic batch, and a
    // 1-D grid of all ranks is MPI_COMM_WORLD, so the all-reduce is built
    // here: the input's buffer is sent as is into a fresh result buffer
    // (MPI forbids the two to alias without MPI_IN_PLACE).
    module.walk([&](shard::AllReduceOp op) {
      auto tt = dyn_cast<RankedTensorType>(op.getInput().getType());
      if (!tt || tt.getRank() == 0 || op.getType() != op.getInput().getType()) {
        op.emitError("expected an all-reduce of a ranked tensor (rank >= 1) "
                     "to the same type");
        failedOne = true;
        return;
      }
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto mt = MemRefType::get(tt.getShape(), tt.getElementType());
      Value send = bufferization::ToBufferOp::create(b, loc, mt, op.getInput(),
                                                     /*readOnly=*/true);
      SmallVector<Value> dyn;
      for (int64_t i = 0; i < tt.getRank(); ++i)
        if (tt.isDynamicDim(i))
          dyn.push_back(tensor::DimOp::create(b, loc, op.getInput(), i));
      Value recv = memref::AllocOp::create(b, loc, mt, dyn);
      Value world = mpi::CommWorldOp::create(b, loc, mpi::CommType::get(ctx));
      mpi::AllReduceOp::create(
          b, loc, TypeRange{}, flat(b, loc, send), flat(b, loc, recv),
          mpi::MPI_ReductionOpEnumAttr::get(ctx, mpiOp(op.getReduction())),
          world);
      Value result = bufferization::ToTensorOp::create(
          b, loc, tt, recv, /*restrict=*/true, /*writable=*/true);
      op.replaceAllUsesWith(result);
      op.erase();
    });
    if (failedOne)
      return signalPassFailure();
    for (shard::GridOp g : grids)
      g.erase();
    if (grids.empty())
      return;
    // OpenMPI (Debian's) handles are globals; mpi-to-llvm reads the ABI
    // from the module's DLTI.
    SmallVector<DataLayoutEntryInterface> entries;
    if (auto map = module->getAttrOfType<MapAttr>("dlti.map"))
      for (DataLayoutEntryInterface e : map.getEntries())
        entries.push_back(e);
    entries.push_back(DataLayoutEntryAttr::get(
        StringAttr::get(ctx, "MPI:Implementation"),
        StringAttr::get(ctx, "OpenMPI")));
    module->setAttr("dlti.map", MapAttr::get(ctx, entries));
  }
};

struct MPIToLLVMPass : public mnemo::impl::MPIToLLVMPassBase<MPIToLLVMPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool any = false;
    module.walk([&](Operation *op) {
      if (isa<mpi::MPIDialect>(op->getDialect()))
        any = true;
      return any ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (!any)
      return;
    LLVMTypeConverter converter(&getContext());
    RewritePatternSet patterns(&getContext());
    mpi::populateMPIToLLVMConversionPatterns(converter, patterns);
    ConversionTarget target(getContext());
    target.addLegalDialect<LLVM::LLVMDialect>();
    target.addIllegalDialect<mpi::MPIDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    // MLIR 22's OpenMPI traits name the predefined reduction ops
    // `ompi_mpi_sum` etc.; libmpi exports them as `ompi_mpi_op_sum`
    // (MPI_SUM is &ompi_mpi_op_sum in OpenMPI's mpi.h).
    static const StringRef ops[] = {"sum",  "max",  "min",    "prod",
                                    "land", "band", "lor",    "bor",
                                    "lxor", "bxor", "maxloc", "minloc",
                                    "replace", "no_op"};
    for (auto g : llvm::make_early_inc_range(module.getOps<LLVM::GlobalOp>())) {
      StringRef name = g.getSymName();
      if (!name.consume_front("ompi_mpi_") || !llvm::is_contained(ops, name))
        continue;
      auto fixed = StringAttr::get(&getContext(), "ompi_mpi_op_" + name);
      if (failed(SymbolTable::replaceAllSymbolUses(g, fixed, module)))
        return signalPassFailure();
      SymbolTable::setSymbolName(g, fixed);
    }
  }
};

} // namespace

//===- LowerBF16Mma.cpp - bf16 mma.sync straight to NVVM ------------------===//
//
// MLIR 22's convert-nvgpu-to-nvvm lowers f16 and tf32 nvgpu.mma.sync but
// not bf16 ("failed to deduce operand PTX types"): NVVM's bf16 mma takes
// each register of two bf16 as an i32 and names the type in attributes.
// This pass, run on the outlined kernels before that conversion, rewrites
// the bf16 products into that form, so mnemo-cuda-tile-contractions (and
// the emulator, which reads nvgpu.mma.sync) stay on the nvgpu op.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mnemo {
#define GEN_PASS_DEF_LOWERBF16MMAPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The registers of a fragment vector<R x 2 x bf16>: each row as an i32.
SmallVector<Value> registers(ImplicitLocOpBuilder &b, Value frag) {
  auto type = cast<VectorType>(frag.getType());
  auto i32x1 = VectorType::get({1}, b.getI32Type());
  SmallVector<Value> regs;
  for (int64_t r = 0; r < type.getDimSize(0); ++r) {
    Value row = vector::ExtractOp::create(b, frag, ArrayRef<int64_t>{r});
    Value bits = vector::BitCastOp::create(b, i32x1, row);
    regs.push_back(vector::ExtractOp::create(b, bits, ArrayRef<int64_t>{0}));
  }
  return regs;
}

void lower(nvgpu::MmaSyncOp mma) {
  ImplicitLocOpBuilder b(mma.getLoc(), mma);
  auto cType = cast<VectorType>(mma.getMatrixC().getType());
  SmallVector<Value> acc;
  for (int64_t i = 0; i < cType.getDimSize(0); ++i)
    for (int64_t j = 0; j < cType.getDimSize(1); ++j)
      acc.push_back(vector::ExtractOp::create(b, mma.getMatrixC(),
                                              ArrayRef<int64_t>{i, j}));
  Type f32 = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(
      b.getContext(), SmallVector<Type>(acc.size(), f32));
  std::array<NVVM::MMATypes, 2> types = {NVVM::MMATypes::bf16,
                                         NVVM::MMATypes::bf16};
  std::array<NVVM::MMALayout, 2> layouts = {NVVM::MMALayout::row,
                                            NVVM::MMALayout::col};
  Value d = NVVM::MmaOp::create(
      b, resultType, registers(b, mma.getMatrixA()),
      registers(b, mma.getMatrixB()), acc, mma.getMmaShapeAsArray(),
      std::nullopt, std::nullopt, types, layouts);
  SmallVector<Value> out;
  for (int64_t i = 0; i < int64_t(acc.size()); ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, d, ArrayRef<int64_t>{i}));
  mma.replaceAllUsesWith(
      vector::FromElementsOp::create(b, mma.getType(), out).getResult());
  mma.erase();
}

struct LowerBF16MmaPass
    : public mnemo::impl::LowerBF16MmaPassBase<LowerBF16MmaPass> {
  void runOnOperation() override {
    SmallVector<nvgpu::MmaSyncOp> found;
    getOperation().walk([&](nvgpu::MmaSyncOp mma) {
      if (mma.getMatrixA().getType().getElementType().isBF16())
        found.push_back(mma);
    });
    for (nvgpu::MmaSyncOp mma : found) {
      auto c = cast<VectorType>(mma.getMatrixC().getType());
      if (mma.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16} ||
          !c.getElementType().isF32() ||
          c.getShape() != ArrayRef<int64_t>{2, 2}) {
        mma.emitOpError("bf16 products are lowered only as m16n8k16 with "
                        "f32 accumulators");
        return signalPassFailure();
      }
      lower(mma);
    }
  }
};

} // namespace

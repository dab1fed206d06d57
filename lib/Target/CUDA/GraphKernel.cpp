//===- GraphKernel.cpp - kernels built on the graph, before bufferizing ---===//

#include "mnemo/Target/CUDA/GraphKernel.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

Value mnemo::cuda::readOnlyBuffer(ImplicitLocOpBuilder &b, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  auto layout = StridedLayoutAttr::get(
      b.getContext(), ShapedType::kDynamic,
      SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic));
  return bufferization::ToBufferOp::create(
      b, MemRefType::get(type.getShape(), type.getElementType(), layout),
      tensor, /*read_only=*/true);
}

Value mnemo::cuda::resultBuffer(ImplicitLocOpBuilder &b, RankedTensorType type,
                                ValueRange dynamicSizes) {
  return memref::AllocOp::create(
      b, MemRefType::get(type.getShape(), type.getElementType()),
      dynamicSizes, b.getI64IntegerAttr(64));
}

Value mnemo::cuda::resultTensor(ImplicitLocOpBuilder &b, RankedTensorType type,
                                Value buffer) {
  return bufferization::ToTensorOp::create(b, type, buffer, /*restrict=*/true,
                                           /*writable=*/true);
}

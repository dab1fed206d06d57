//===- TensorPeak.h - activation peak of tensor-level IR ---------*- C++ -*-===//
//
// Schedule-choosing passes (the patch schedule) compare many candidate
// rewrites; bufferizing and planning each would take seconds. This models
// what one-shot bufferization and the fixed-order bound will make of a
// block of tensor IR: every value needs a buffer unless it is a view
// (extract_slice, casts, reshapes) or a destination-style result written
// into an operand that dies there; a buffer is live from its definition to
// the last use of any alias. A loop adds its body's own peak to what is
// live around it (per-iteration buffers are reused by every iteration).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_TENSORPEAK_H
#define MNEMO_MEMORY_TENSORPEAK_H

#include "mlir/IR/Block.h"

namespace mnemo::memory {

/// Peak bytes of the buffers the ops of `block` allocate (values defined
/// outside it, function arguments and constants are not counted; values the
/// block returns stay live to its end).
int64_t estimateTensorPeak(mlir::Block &block);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_TENSORPEAK_H

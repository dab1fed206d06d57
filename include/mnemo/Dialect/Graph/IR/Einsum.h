//===- Einsum.h - Einsum equations as loop nests ----------------*- C++ -*-===//
//
// An Einsum equation read as one loop nest: every distinct label (and each
// dim the ellipsis stands for) is a loop; each operand reads its dims at
// those loops; loops the output does not name are summed. Shared by the
// op's shape function and its lowering to one linalg.generic.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DIALECT_GRAPH_IR_EINSUM_H
#define MNEMO_DIALECT_GRAPH_IR_EINSUM_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace mnemo::graph {

struct EinsumSpec {
  /// Loops: the ellipsis' dims first, then the labels in order of first
  /// appearance.
  int64_t numLoops = 0;
  /// For each input, the loop each of its dims runs along (a label given
  /// twice in one input, `ii`, reads a diagonal).
  llvm::SmallVector<llvm::SmallVector<int64_t>> inputs;
  /// The loop each output dim runs along.
  llvm::SmallVector<int64_t> output;
};

/// Parses `equation` (numpy's rules: `->` optional, the implicit output
/// being the ellipsis then the labels used once, alphabetically; `...`
/// broadcast right-aligned) for inputs of ranks `ranks`.
mlir::FailureOr<EinsumSpec> parseEinsum(std::optional<mlir::Location> loc,
                                        llvm::StringRef equation,
                                        llvm::ArrayRef<int64_t> ranks);

/// Each loop's size from the inputs' `shapes` (ShapedType::kDynamic where
/// unknown; a size-1 ellipsis dim broadcasts), or failure when two inputs
/// disagree.
mlir::FailureOr<llvm::SmallVector<int64_t>>
einsumLoopSizes(std::optional<mlir::Location> loc, const EinsumSpec &spec,
                llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

} // namespace mnemo::graph

#endif // MNEMO_DIALECT_GRAPH_IR_EINSUM_H

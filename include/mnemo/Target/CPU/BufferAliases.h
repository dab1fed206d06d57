//===- BufferAliases.h - which ops touch a buffer ---------------*- C++ -*-===//
//
// The CPU rewrites on bufferized IR (fill-pad-borders, register-tile) move
// or drop whole-buffer writes; they need to know every op that may read or
// write a buffer through any chain of views.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_BUFFERALIASES_H
#define MNEMO_TARGET_CPU_BUFFERALIASES_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>

namespace mnemo {

/// `buffer` and every view of it, transitively (subviews, collapse and
/// expand shapes, casts).
llvm::SmallPtrSet<mlir::Value, 8> viewsOf(mlir::Value buffer);

/// Whether `op` or an op nested in it has an operand in `views`.
bool touchesAny(mlir::Operation *op,
                const llvm::SmallPtrSetImpl<mlir::Value> &views);

/// The first op after `op` in its block that touches `views` (views
/// themselves aside): whether it writes all of `target` without reading
/// anything of them (a linalg op on buffers whose only init is `target`,
/// with an identity init map, no reductions, a body that ignores the old
/// value, and no input in `views`). std::nullopt when no later op touches
/// them.
std::optional<bool>
nextAccessOverwrites(mlir::Operation *op,
                     const llvm::SmallPtrSetImpl<mlir::Value> &views,
                     mlir::Value target);

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_BUFFERALIASES_H

//===- SizeBounds.h - interval bounds of index values -----------*- C++ -*-===//
//
// Sound [lo, hi] bounds of index/integer SSA values (allocation sizes) given
// bounds on the entry function's dynamic argument dims. Used to size the
// workspace for the worst case of every symbolic dim.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_SIZEBOUNDS_H
#define MNEMO_TARGET_CPU_SIZEBOUNDS_H

#include "mlir/IR/Block.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/StringMap.h"
#include <string>
#include "llvm/ADT/DenseMap.h"
#include <functional>
#include <optional>

namespace mnemo {

struct Interval {
  int64_t lo, hi;
};

class SizeBounds {
public:
  /// `argDim(arg, dim)` gives the bound of a dynamic dim of a block argument.
  explicit SizeBounds(
      std::function<std::optional<Interval>(mlir::BlockArgument, int64_t)>
          argDim)
      : argDim(std::move(argDim)) {}

  /// The bound of an index or integer value; nullopt when it depends on
  /// data (a load) or an op the analysis does not know.
  std::optional<Interval> bound(mlir::Value v);
  /// The bound of dim `d` of a memref or tensor value.
  std::optional<Interval> dimBound(mlir::Value shaped, int64_t d);

private:
  std::optional<Interval> compute(mlir::Value v);
  std::function<std::optional<Interval>(mlir::BlockArgument, int64_t)> argDim;
  llvm::DenseMap<mlir::Value, std::optional<Interval>> memo;
  int depth = 0;
};

/// The bounds `specs` (name=lo..hi, as --dim) give the dynamic dims of
/// `fn`'s arguments, named by their graph.dim_params; dims without a spec
/// (or a spec that does not parse) are unbounded.
SizeBounds boundsFromDimSpecs(mlir::Block &entry,
                              mlir::ArrayRef<mlir::DictionaryAttr> argAttrs,
                              llvm::ArrayRef<std::string> specs);

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_SIZEBOUNDS_H

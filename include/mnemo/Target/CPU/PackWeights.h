//===- PackWeights.h - constant weights packed for channel vectors -*- C++ -*-===//
//
// The channel-vector kernel (RegisterTile.cpp) loads, for each reduction
// step, R consecutive output channels of a weight as vectors. A weight
// stored [M][K...] has those R values K elements apart; packed as
// [M/R][K...][R] they are one contiguous run. Constant weights are packed
// here once, at compile time, into a new global.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_PACKWEIGHTS_H
#define MNEMO_TARGET_CPU_PACKWEIGHTS_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"

#include <tuple>

namespace mnemo {

/// Packed globals already made: (source global, block, view or packed
/// type) -> packed.
using PackedGlobals =
    llvm::DenseMap<std::tuple<mlir::Operation *, int64_t, mlir::Type>,
                   mlir::Operation *>;

struct PackedOperand {
  mlir::Value value;   // a memref.get_global of the packed constant
  mlir::AffineMap map; // (m floordiv block, r1, ..., m mod block)
};

/// The constant f32 memref.global `a` reads, directly or through reshapes
/// of identity-layout memrefs (which keep the row-major order), or null.
mlir::memref::GlobalOp constantGlobal(mlir::SymbolTable &symbols,
                                      mlir::Value a);

/// A new private constant global `name` of `type` holding `values`, right
/// after `source` (aligned for vector loads), recorded in `packed` under
/// `key` so that eraseUnpackedSources can drop `source` once unread.
mlir::memref::GlobalOp
createPackedGlobal(mlir::RewriterBase &rewriter, mlir::SymbolTable &symbols,
                   mlir::memref::GlobalOp source, llvm::StringRef name,
                   mlir::MemRefType type, llvm::ArrayRef<float> values,
                   PackedGlobals::key_type key, PackedGlobals &packed);

/// Whether packRowBlocks would succeed for `a` read through `map` (no IR
/// is changed).
bool canPackRowBlocks(mlir::SymbolTable &symbols, mlir::Value a,
                      mlir::AffineMap map, unsigned mDim);

/// Packs `a`, read by `user` through `map` = (m, r1, r2, ...) with m =
/// loop `mDim` and the r's other loops, when `a` is a constant f32
/// memref.global seen through reshapes (collapse/expand_shape) with a
/// static identity layout: a new constant global [ceil(M/block), R1, R2,
/// ..., block] holds a[m][r...] at [m floordiv block][r...][m mod block],
/// rows past M zero. Failure (nothing changed) otherwise.
mlir::FailureOr<PackedOperand>
packRowBlocks(mlir::RewriterBase &rewriter, mlir::SymbolTable &symbols,
              mlir::Operation *user, mlir::Value a, mlir::AffineMap map,
              unsigned mDim, int64_t block, PackedGlobals &packed);

/// Packs `columns` columns of `b` from column `start`, `b` a constant f32
/// [K, N] memref (a memref.global seen through reshapes, static identity
/// layout), into column panels: a new constant global
/// [columns / panel, K, panel] with p[j][k][l] = b[k][start + j * panel + l],
/// so that a kernel reading `panel` columns of every row of b reads one
/// contiguous run instead of K pieces N elements apart. `columns` must be a
/// multiple of `panel`. Returns a memref.get_global of it before `user`, or
/// failure (nothing changed).
mlir::FailureOr<mlir::Value>
packColumnPanels(mlir::RewriterBase &rewriter, mlir::SymbolTable &symbols,
                 mlir::Operation *user, mlir::Value b, int64_t panel,
                 int64_t start, int64_t columns, PackedGlobals &packed);

/// Moves dim `dim` of `a` innermost, `a` a constant memref.global of any
/// element type with a static identity layout, read directly or through
/// rank-preserving memref.subviews: a new constant global whose dims are
/// a's without `dim`, then `dim`, and the subviews' offsets, sizes and
/// strides permuted alike. The 8-bit dot product (IntegerContractions.cpp)
/// needs four steps of one reduction loop side by side: a convolution
/// weight [F][C][KH][KW] becomes [F][KH][KW][C]. Returns the new view,
/// created where `a` was, or failure (nothing changed).
mlir::FailureOr<mlir::Value>
moveDimInnermost(mlir::RewriterBase &rewriter, mlir::SymbolTable &symbols,
                 mlir::Value a, unsigned dim, PackedGlobals &packed);

/// Erases the memref.get_globals of the globals packed, with the chains
/// of reshapes over them, where nothing uses them any more; then those
/// source globals nothing refers to.
void eraseUnpackedSources(mlir::Operation *module, PackedGlobals &packed);

/// Erases a packed source inside the pass that replaced it, once its last
/// reader is rewritten, instead of at the pass's end (eraseUnpackedSources)
/// and its blob after the pass (mnemoc's ReleaseReplacedWeights): a pass
/// that rewrites every weight held them all twice at its end. Counts,
/// once, each global's memref.get_globals and each resource blob's
/// references in `module`.
class PackedSourceEraser {
public:
  /// `freeBlobs`: a blob nothing refers to any more is freed (only for a
  /// context whose blobs are this module's alone).
  PackedSourceEraser(mlir::Operation *module, bool freeBlobs);

  /// After a rewrite dropped its use of `weight`, a value read from
  /// `source` (a get_global of it, or reshapes of one): erases the chain
  /// down to the get_global where unused, then `source` when nothing reads
  /// it and it was packed (its entries leave `packed`), and frees its blob.
  void dropped(mlir::Value weight, mlir::memref::GlobalOp source,
               PackedGlobals &packed);

private:
  mlir::Operation *module;
  llvm::DenseMap<mlir::StringAttr, int64_t> reads;
  llvm::DenseMap<const void *, int64_t> blobRefs;
  bool freeBlobs;
};

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_PACKWEIGHTS_H

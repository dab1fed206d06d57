//===- TileAttrs.h - attributes of loops tiled for the budget ---*- C++ -*-===//
//
// A loop nest tiled for the on-chip budget (mnemo-tile-for-budget, the
// FlashAttention lowering) says so on its outermost loop. The tier planner
// reads them: such a step may leave its operands off chip and stream them
// through a staging area of one tile's working set.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_TILEATTRS_H
#define MNEMO_MEMORY_TILEATTRS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mnemo::memory {

/// Tile sizes (dense i64 array), one per loop.
inline constexpr llvm::StringLiteral kTiledAttr = "mnemo.tiled";
/// Bytes one tile's operands take on chip (i64). Buffers the loop
/// allocates per tile (FlashAttention's scores and running sums) are not
/// included: they are planned like any other buffer.
inline constexpr llvm::StringLiteral kTileStagingAttr =
    "mnemo.tile_staging_bytes";
/// Modelled off-chip bytes of the tiled op over its operands' bytes (f64):
/// 1 when every operand is moved once, more when tiles are reloaded.
inline constexpr llvm::StringLiteral kTileTrafficRatioAttr =
    "mnemo.tile_traffic_ratio";

/// Bytes of i32 accumulators one tile of an integer layer holds: the
/// default of mnemo-fuse-accumulators (enough output channels per tile
/// for the register-blocked kernels; ResNet-18 int8 runs 27% slower with
/// 16 KiB tiles)...
inline constexpr int64_t kAccumulatorTileBytes = 65536;
/// ... and in memory-first builds (patches, slices, an SRAM budget,
/// --low-memory), whose peak estimates (the only ones made) assume it.
inline constexpr int64_t kLowMemoryAccumulatorTileBytes = 16384;

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_TILEATTRS_H

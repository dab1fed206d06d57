//===- RegisterTileKernels.h - mnemo-cpu-register-tile internals -*- C++ -*-===//
//
// The pieces of mnemo-cpu-register-tile (RegisterTile.cpp, the pass: which
// form each contraction takes): RegisterTilePlanning.cpp plans an op (its
// register block, the init and epilogue folded into it, the pitched,
// channel-vector and im2col forms) and RegisterTileEmitters.cpp writes its
// vector loops. Internal to lib/Target/CPU.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_TARGET_CPU_REGISTERTILEKERNELS_H
#define MNEMO_LIB_TARGET_CPU_REGISTERTILEKERNELS_H

#include "mnemo/Support/MulAdd.h"
#include "mnemo/Target/CPU/PackWeights.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

#include <optional>

namespace mnemo::register_tile {
using namespace mlir;

/// How one contraction maps onto the register block.
struct Plan {
  unsigned n;                       // vectorized dim (C's and B's last)
  std::optional<unsigned> m;        // the dim blocked by MR rows
  SmallVector<unsigned> outer;      // other parallel dims, looped outside
  SmallVector<unsigned> reductions; // in loop order
  unsigned aIdx, bIdx;              // input operand numbers of A and B
  bool aPerRow, bPerRow;            // whether A / B depend on m
  /// A is indexed by n too (unit stride): a vector per reduction step
  /// (and per row if aPerRow), multiplied lane by lane, not broadcast.
  bool aVector = false;
  /// When n is exactly one vector (channel blocks of B lanes), the block's
  /// vectors run along this loop instead (the channel-block dim, one
  /// vector per index): rows x vectors accumulators where n alone would
  /// give rows x 1. Only B and C depend on it.
  std::optional<unsigned> v;
  int64_t bStride;                  // B's step along n (a strided conv)
  /// Pooling: the body's combining op (max, min, add of the window's
  /// element into the output), applied to B vectors; no A.
  Operation *combiner = nullptr;
};

/// The dot-product form, for contractions whose only reduction dim k is
/// the unit-stride dim of both inputs while the output's last dim is not
/// (Gemm with transB, x @ W^T): vectors run along k, each output element
/// of a block of rows keeps one vector accumulator, reduced horizontally at
/// the end.
struct DotPlan {
  unsigned k;
  std::optional<unsigned> r;   // the dim blocked by rows
  SmallVector<unsigned> outer; // other parallel dims
  bool aPerRow, bPerRow;
};

/// The contraction output's initial value, written by the op right before
/// it over the whole output: a fill with one scalar (a zero or constant
/// init), or a broadcast copy of a smaller buffer (a convolution's or
/// Gemm's bias). The kernels start their accumulators from it and the op
/// is erased, which saves a pass that writes the output and the kernel's
/// read of it.
struct Init {
  Operation *op = nullptr;
  Value scalar;        // a fill's value
  Value source;        // or the broadcast buffer,
  AffineMap sourceMap; // indexed by the contraction's loops
};

/// An elementwise op right after the contraction on its whole output (the
/// ReLU6 clip after a convolution): identity maps, the output as its only
/// input, and a body of elementwise arith/math ops on that input and
/// outside scalars. The block kernel applies the body to its accumulators
/// before the store, saving one pass over the output. Its init is the
/// output itself, or another buffer of the same shape (a concat slice) when
/// nothing reads the output afterwards and the contraction reads none of
/// its inputs from that buffer: then the kernel stores there and the
/// output is never written.
struct Epilogue {
  linalg::GenericOp op;
  Value dst;        // where the kernel stores; null: C
  AffineMap dstMap; // the contraction's loops -> dst's indices (null: C's)
  /// Split rows: dst is the 1-D buffer under the destination, dstMap the
  /// flat position of the vector's first element; the vector dim runs over
  /// rows of `computePitch` positions (0: `width`), the first `width` of
  /// each stored, a row `pitch` elements after the one before. A vector
  /// covers up to `segments` rows.
  int64_t width = 0, pitch = 0, segments = 0, computePitch = 0;
  /// The body's argument the accumulator stands for (the contraction's
  /// output among its inputs).
  unsigned accArg = 0;
  /// A second input read at the same element (a residual add): the body's
  /// argument `residualArg`, loaded as a vector from `residual` through
  /// `residualMap` (over the contraction's loops).
  Value residual = {};
  AffineMap residualMap = {};
  unsigned residualArg = 0;
};

/// A stride-1 convolution computed on its input's row pitch P: the output
/// map flattened as p = oh*P + ow over [0, (OH-1)*P + OW), so
/// out'[n, f, p] += w[f, c, kh, kw] * in[n, c, p + kh*dh*P + kw*dw] reads
/// the (padded) input as one contiguous vector dim, and short rows (28,
/// 14, 7 wide) fill blocks of full vectors without im2col's copy. Columns
/// ow >= OW of that map are junk the split stores leave out; the last
/// position read is the input's last element.
struct Pitched {
  unsigned oh = 2, ow = 3; // the loops the map runs over
  /// A depthwise convolution's channel loop: the rows of its blocks once
  /// oh runs once (the direct kernel's rows are output rows).
  std::optional<unsigned> channel;
  int64_t pitch = 0, flatSize = 0, width = 0;
  AffineMap bMap; // the input's map over the loops, on in as [N, C, H*W]
};

/// The channel-vector form of a contraction whose output rows are short
/// for the vector width (a 1x1 convolution on a 7x7 map: 49 columns fill
/// 49 of 64 lanes): vectors run along the output channels m instead,
/// loaded from the constant A packed at compile time as [M/R][K...][R] (R
/// = vectors x lanes, see PackWeights.h); each column's B element is
/// broadcast, and each accumulator (vw channels of one column) is
/// scattered into the output, where those channels lie `mStride` apart.
struct ChannelPlan {
  mnemo::PackedOperand a;
  Value flat;      // the 1-D buffer under the output (or the epilogue's)
  AffineExpr pos;  // an element's position in it, over the op's loops
  int64_t mStride; // pos(m + 1) - pos(m)
  Value bias;      // the init as a 1-D buffer indexed by m, or null
  int64_t rows;    // columns per block (broadcasts per reduction step)
  int64_t vectors; // channel vectors per block (R = vectors x lanes)
  /// An outer dim (a convolution's output rows) whose iterations the
  /// columns run across: blocks over the flattened oh * OW + ow, so a 7x7
  /// map is 49 columns in blocks of 6 and 5, not rows of 7 in blocks of 4
  /// and 3 (too few accumulators for the FMA latency on 16 registers).
  std::optional<unsigned> across;
  /// The epilogue's accumulator argument, and its residual input (a
  /// residual add): a 1-D buffer read at `residualPos`, its channels
  /// `residualStride` apart, gathered like the output is scattered.
  unsigned accArg = 0, residualArg = 0;
  Value residual = {};
  AffineExpr residualPos = {};
  int64_t residualStride = 0;
};


/// Strided B rows (stride-2 convolutions) are read as `stride` contiguous
/// vectors and deinterleaved with one shuffle.
constexpr int64_t kMaxStride = 2;

/// Multiply-accumulates below which an op is not split across threads.
constexpr int64_t kParallelWork = 1 << 15;

/// Outer iterations that make a parallel loop over them worth it.
constexpr int64_t kMinParallelTrips = 8;

/// Cache bytes assumed when the target does not say (sysfs unreadable).
constexpr int64_t kDefaultL2Bytes = 1 << 20;

constexpr int64_t kDefaultL1Bytes = 32 << 10;

constexpr int64_t kMaxRowSegments = 3;

/// Lanes a pitched depthwise convolution must gain over its rows.
constexpr double kDepthwisePitchGain = 0.1;

/// Output rows filling fewer lanes than this run in the channel-vector
/// form when it applies (7x7 maps with 16 lanes: 49 of 64).
constexpr double kMinLaneUse = 0.8;

/// Independent accumulators that keep both FMA pipes busy across the FMA
/// latency (4 cycles x 2 pipes on current x86 cores); a block with no
/// more than this stalls on its own dependency chains.
constexpr int64_t kMinAccumulators = 8;

/// Lanes of a pitched map's vectors (width / pitch) below which the
/// channel form is taken instead where it applies.
constexpr double kMinPitchedLaneUse = 0.9;

/// A strided KxK convolution takes the channel form (which reads its
/// input in place, one broadcast per column and tap, whatever the stride)
/// when its reduction has at least this many steps per lane: each
/// accumulator ends in a scatter of `vw` stores a map apart, which a short
/// reduction does not pay for. ResNet-18's 3x3 stride-2 layer (576
/// steps): 1.40 against the deinterleaving row kernel's 1.86 ms on AVX2,
/// 0.86 against im2col's 1.05 on AVX-512; its 7x7 stem (147 steps) and
/// 1x1 downsamples (64) lose 25-140% in that form.
constexpr int64_t kStridedChannelSteps = 32;

inline bool stridedChannelForm(int64_t steps, int64_t taps, int64_t vw) {
  return taps > 1 && steps >= kStridedChannelSteps * vw;
}

inline bool usesDim(AffineMap map, unsigned d) {
  return llvm::any_of(map.getResults(),
                      [&](AffineExpr e) { return e.isFunctionOfDim(d); });
}

/// Rows a vector of `vw` elements starting anywhere in a row of `w` can
/// touch.
inline int64_t rowsTouched(int64_t vw, int64_t w) { return (vw - 1 + w - 1) / w + 1; }

/// Fraction of vector lanes doing useful work when `n` elements are
/// covered by `vw`-lane vectors (the last one masked).
inline double laneUse(int64_t n, int64_t vw) {
  return double(n) / double((n + vw - 1) / vw * vw);
}

/// The register block and the target's code choices for one op.
struct KernelShape {
  int64_t vw, mr, nv; // lanes, rows, vectors per row
  bool parallel, fma;
  int64_t l1Bytes; // for column tiles (0: none)
  int64_t l2Bytes = 0; // for reduction chunks of the channel form (0: none)
  bool splitStores = true; // epilogues into rows the vectors cross
};

/// Sets plan.v where the op's n is one vector of `vw` lanes and another
/// parallel loop can carry the block's vectors.
void planVectorDim(linalg::LinalgOp op, Plan &plan, int64_t vw);

/// The register block of a row-kernel op with a static row count: at most
/// `shape.mr` rows, dividing the count where such a block does (49 = 7 x
/// 7 rather than 4 x 12 + 1, whose last row alone reloads every B vector;
/// 64 channels = 5 x 11 + 9 rather than 5 x 12 + 4), with `shape.nv`
/// vectors along n (`nSize` columns; 0: its static size) or, along
/// plan.v, as many as the target's accumulator count leaves.
/// `maxRanges` (optional): the loop ranges with dynamic ones at their
/// upper bound, so a symbolic row count bounded by a few rows still gets
/// the few-row block.
KernelShape registerBlock(linalg::LinalgOp op, const Plan &plan,
                          KernelShape shape, int64_t regs, int64_t nSize = 0,
                          ArrayRef<int64_t> maxRanges = {});

//===----------------------------------------------------------------------===//
// Planning (RegisterTilePlanning.cpp)
//===----------------------------------------------------------------------===//

/// The row-block plan of a multiply-accumulate (or pooling) linalg op on
/// memrefs whose output's last dim is unit-stride.
std::optional<Plan> planContraction(linalg::LinalgOp op);
/// The dot-product plan (x @ W^T: the reduction is both inputs' last dim).
std::optional<DotPlan> planDot(linalg::LinalgOp op);
/// The fill or bias broadcast right before `op` that can start its
/// accumulators (see Init).
Init precedingInit(linalg::LinalgOp op, std::optional<unsigned> vectorDim);
/// The elementwise op after `op` that can run on its accumulators (see
/// Epilogue); may move allocations and views before `op`. `residuals`:
/// whether an add of a second buffer (a residual) may fold in too;
/// `splitStores`: whether into a destination whose rows the vectors cross
/// (masked stores per row).
Epilogue followingEpilogue(RewriterBase &rewriter, linalg::LinalgOp op,
                           int64_t vw, bool residuals = true,
                           bool splitStores = true);
/// A contraction with few rows (m * 2 <= `mr`: a GEMV) whose B is a
/// constant [K, N] larger than `l2Bytes`, rewritten to read B from column
/// panels packed at compile time (GemvPanels.cpp); the columns after the
/// last whole panel stay in a copy of the op on subviews.
/// `maxRanges`: the op's loop ranges with dynamic ones at their upper
/// bound where known.
FailureOr<linalg::GenericOp>
packGemvPanels(RewriterBase &rewriter, SymbolTable &symbols,
               linalg::LinalgOp op, ArrayRef<int64_t> maxRanges, int64_t vw,
               int64_t mr, int64_t regs, int64_t l2Bytes,
               mnemo::PackedGlobals &packed);
/// A 1x1 stride-1 convolution as a contraction over its flattened map.
FailureOr<linalg::GenericOp> flattenPointwiseConv(RewriterBase &rewriter,
                                                  linalg::Conv2DNchwFchwOp op);
bool wantsIm2Col(linalg::Conv2DNchwFchwOp op, int64_t vw, int64_t l2Bytes);
FailureOr<linalg::GenericOp> im2colConv(RewriterBase &rewriter,
                                        linalg::Conv2DNchwFchwOp op);
std::optional<Pitched> planPitched(linalg::LinalgOp op, int64_t vw,
                                   const Init &init);
bool pitchedStore(RewriterBase &rewriter, linalg::LinalgOp op,
                  const Pitched &p, int64_t vw, Epilogue &e);
std::optional<ChannelPlan>
planChannels(RewriterBase &rewriter, SymbolTable &symbols, linalg::LinalgOp op,
             const Plan &plan, const Init &init, const Epilogue &e, int64_t vw,
             int64_t mr, int64_t nvRows, int64_t regs,
             mnemo::PackedGlobals &packed, bool force = false);

//===----------------------------------------------------------------------===//
// Emission (RegisterTileEmitters.cpp), before `op`, which the caller erases
//===----------------------------------------------------------------------===//

/// Row blocks x vectors along n (pitched when `pitch` is set).
void emitRows(RewriterBase &rewriter, linalg::LinalgOp op, const Plan &plan,
              const KernelShape &shape, const Init &init,
              const Epilogue &epilogue, const std::optional<Pitched> &pitch);
/// Vectors along the output channels, results scattered.
void emitChannels(RewriterBase &rewriter, linalg::LinalgOp op,
                  const Plan &plan, const ChannelPlan &cp,
                  const KernelShape &shape, const Init &init,
                  linalg::GenericOp epilogue);
/// Dot products along the reduction, reduced horizontally.
void emitDot(RewriterBase &rewriter, linalg::LinalgOp op, const DotPlan &plan,
             const KernelShape &shape, const Init &init);

} // namespace mnemo::register_tile

#endif // MNEMO_LIB_TARGET_CPU_REGISTERTILEKERNELS_H

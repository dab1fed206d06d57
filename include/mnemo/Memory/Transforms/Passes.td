//===- Passes.td - memory-aware rewrites --------------------*- tablegen -*-===//
//
// Rewrites that lower peak memory or traffic: patch schedules, feature
// slices, tiles for the on-chip budget, fused attention, KV caches,
// vocabulary parallelism. They read the planning analyses
// (mnemo/Memory/Planning) and leave the plan to them.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_TRANSFORMS_PASSES_TD
#define MNEMO_MEMORY_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DepthwiseChannelTilesPass
    : Pass<"mnemo-depthwise-channel-tiles", "::mlir::func::FuncOp"> {
  let summary = "Pads depthwise convolution inputs one channel tile at a time.";
  let description = [{
    A depthwise convolution whose input is a `tensor.pad` of the spatial
    dims would otherwise materialize the whole padded input next to the
    unpadded one: in MobileNetV2 that pair is the activation peak. The
    convolution is tiled along its channels into `tiles` equal tiles (a
    divisor of the channel count) with upstream tile-and-fuse
    (`scf::tileConsumerAndFuseProducersUsingSCF`), fusing only the pad and
    the output's fill into the loop. Each iteration pads one channel tile
    into a scratch buffer of 1/`tiles` of the padded size, reused by the
    next iteration.
  }];
  let options = [
    Option<"tiles", "tiles", "int64_t", "16",
           "Channel tiles (the largest divisor of the channel count up to this)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def InPlaceChannelTilesPass
    : Pass<"mnemo-in-place-channel-tiles", "::mlir::func::FuncOp"> {
  let summary = "Channel-tiled loops write their result over their input.";
  let description = [{
    TinyEngine's in-place depthwise convolution, on tensors. A loop over
    the channel tiles of its result (an `scf.for` from 0 by S to C whose
    one iter_arg starts as a `tensor.empty` and receives tile `[iv, iv+S)`
    along one dim per iteration) that reads one input X only at that same
    tile, directly or through a `tensor.pad` of the other dims, computes
    tile c of its result from tile c of X alone. When X has the result's
    type and nothing else reads it, the loop starts from X instead of the
    empty tensor and reads each tile of X from its iter_arg before
    overwriting it; a pad becomes a pad of that one tile. Bufferization
    then writes the result into X's buffer: a stride-1 depthwise
    convolution needs its input, one padded tile of scratch and an
    accumulator tile instead of its input, the whole padded input and its
    output.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PatchSchedulePass : Pass<"mnemo-patch-schedule", "::mlir::ModuleOp"> {
  let summary = "MCUNetV2 patch-based inference of a CNN's first stage.";
  let description = [{
    Runs on linalg-on-tensors (after `mnemo-graph-to-linalg`). The stage
    ending at a cut op is the backward slice of its result through NCHW map
    ops (spatial pads, convolutions, pools, elementwise generics and their
    inits); a cut is valid when no other value of the stage is used after
    it. The cut's result is split into p x p tiles and the stage becomes an
    `scf.for` nest over patches: each iteration computes one tile through
    the whole stage from its receptive field (the halo spans of
    lib/Memory/PatchSchedule.cpp), so only one patch's intermediates are
    live; the rest of the model runs layer by layer.

    The cut and p are chosen by rewriting a copy of the function for every
    valid cut and every p in 2..`max-patches` that divides the cut's map,
    and estimating its activation peak (lib/Memory/TensorPeak.cpp):
    - with `sram-budget`: the fewest multiply-accumulates whose estimated
      peak fits, else the smallest peak;
    - without: the smallest peak whose extra multiply-accumulates stay within
      `max-recompute` (a fraction of the stage's), or, when
      `max-network-recompute` is set, within that fraction of the whole
      network's (MCUNetV2's figure).
    With `slice-after` (feature slicing runs next), candidates whose peak
    lies in later layers are compared by what slicing leaves of it: the
    best by the rule above and, for the six cuts with the lowest peak up
    to the stage's end, each one's p with the lowest such peak are sliced
    on copies (mnemo/Memory/Transforms/FeatureSlice.h, `slice-max-slices`
    slices at most) and the lowest final peak is taken.
    `cut` (an ONNX node name) and `patches` restrict the choice. The loop
    carries `mnemo.patch_schedule` (cut, p, tile, input patch, MACs, peak
    before and after); `print` also prints it.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "The entry function">,
    Option<"cut", "cut", "std::string", "\"\"",
           "ONNX node name of the stage's last op (empty: choose)">,
    Option<"patches", "patches", "int64_t", "0",
           "p: the stage output is split into p x p tiles (0: choose)">,
    Option<"maxPatches", "max-patches", "int64_t", "8",
           "Largest p tried">,
    Option<"maxRecompute", "max-recompute", "double", "0.2",
           "Extra multiply-accumulates allowed, as a fraction of the stage's">,
    Option<"maxNetworkRecompute", "max-network-recompute", "double", "0",
           "Extra multiply-accumulates allowed, as a fraction of the whole "
           "network's (0: use max-recompute)">,
    Option<"sramBudget", "sram-budget", "int64_t", "0",
           "On-chip bytes the peak should fit (0: none)">,
    Option<"print", "print", "bool", "false",
           "Print the chosen schedule to stdout">,
    Option<"listCandidates", "list-candidates", "bool", "false",
           "Print every candidate's estimated peak and extra MACs">,
    Option<"sliceAfter", "slice-after", "bool", "false",
           "Feature slicing follows: compare candidates after slicing copies">,
    Option<"sliceMaxSlices", "slice-max-slices", "int64_t", "16",
           "max-slices of the slicing that follows">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def FeatureSlicePass : Pass<"mnemo-feature-slice", "::mlir::ModuleOp"> {
  let summary = "Feature slicing with operator grouping.";
  let description = [{
    Runs on linalg-on-tensors (after `mnemo-graph-to-linalg`, and after
    `mnemo-patch-schedule` when both run). A group is a consumer op and
    the producers it alone reads (linalg ops and pads of the entry block
    whose every user is in the group); it is sliced along one loop of the
    consumer into `slices` equal parts with upstream tile-and-fuse
    (`scf::tileConsumerAndFuseProducersUsingSCF`), so each slice flows
    through the whole group before the next starts and only one slice's
    intermediates are live. A slice loop may be any parallel loop (batch,
    tokens, heads, channels, rows with halos) or a reduction loop that is
    the consumer's only non-trivial one (the hidden channels of a 1x1
    projection, a matmul's K), accumulated in order, so outputs are
    bit-identical to the unsliced model.

    The pass works greedily on the estimated peak (lib/Memory/TensorPeak.cpp):
    each round tries every consumer from the op at the peak to `window`
    ops after it and the peak op's producers (a residual add's
    projection), every loop and slice count up to `max-slices` that
    divides it, on a copy of the function, and applies the group that
    lowers the peak most (with `sram-budget`: the fewest slices that fit),
    within `max-recompute` extra multiply-accumulates of the group's. It
    stops when the budget is met or no group lowers the peak. `op`, `loop`
    and `slices` name one group instead. Each loop carries
    `mnemo.feature_slice`; `print` prints it.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "The entry function">,
    Option<"op", "op", "std::string", "\"\"",
           "ONNX node name of the group's consumer (empty: choose)">,
    Option<"loop", "loop", "int64_t", "-1",
           "Loop of the consumer to slice (-1: choose)">,
    Option<"slices", "slices", "int64_t", "0",
           "Number of slices (0: choose)">,
    Option<"maxSlices", "max-slices", "int64_t", "16",
           "Most slices tried">,
    Option<"window", "window", "int64_t", "16",
           "Consumers tried after the op at the peak (besides its producers)">,
    Option<"maxRounds", "max-rounds", "int64_t", "32",
           "Most groups sliced">,
    Option<"maxRecompute", "max-recompute", "double", "0.2",
           "Extra multiply-accumulates allowed, as a fraction of the group's">,
    Option<"sramBudget", "sram-budget", "int64_t", "0",
           "On-chip bytes the peak should fit (0: none)">,
    Option<"print", "print", "bool", "false",
           "Print each sliced group to stdout">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def TileForBudgetPass : Pass<"mnemo-tile-for-budget", "::mlir::ModuleOp"> {
  let summary = "Tiles ops whose working set exceeds the on-chip budget.";
  let description = [{
    For every linalg op on tensors (fills aside) of the entry function,
    including those inside patch and slice loops, the working set of one
    tile is the bytes of the operand and init footprints its indexing maps
    read (convolution windows included). An op whose whole working set is
    over `sram-budget` is tiled with upstream TilingInterface
    (`scf::tileUsingSCF`, one scf.for per tiled loop). Tile sizes are
    divisors of their loops; of those that fit, the one with the least
    modelled off-chip traffic wins (exhaustive search; greedy halving when
    a nest has over 200000 shapes). Traffic model: each operand tile is
    loaded once per iteration of the loops up to the innermost one its map
    uses, and reused across the loops inside that. Reduction tiles run in
    order, but the CPU codegen vectorizes each tile's reduction on its own,
    so sums round differently (measured 1.4e-4 relative on MobileNetV2).
    The outer tile loop carries `mnemo.tiled`; `print` reports the tiles,
    working sets and traffic, and a warning names ops whose smallest tile
    still does not fit.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "The entry function">,
    Option<"sramBudget", "sram-budget", "int64_t", "0",
           "On-chip bytes one tile's working set must fit">,
    Option<"print", "print", "bool", "false",
           "Print each tiled op, its tiles, working set and traffic">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def FuseAttentionPass : Pass<"mnemo-fuse-attention", "::mlir::func::FuncOp"> {
  let summary = "Fuses exported attention into graph.attention with tiles.";
  let description = [{
    Matches the chain exporters emit for scaled dot-product attention,
    MatMul(Q, K) -> [Mul/Div by a scalar constant] -> [Where(mask, s,
    fill) | Add(s, mask)] -> Softmax(last axis) -> [Where(IsNaN(p), 0, p)]
    -> MatMul(p, V), every intermediate used once, and replaces it with one
    `graph.attention` whose lowering never materializes the M x N scores
    (FlashAttention's online softmax). Leading (batch, head) dims and the
    mask's leading dims must be static.

    Tiles: `q-tile` / `kv-tile` when given; else, with `sram-budget`, the
    largest query tile (fewest passes over K and V, the off-chip traffic)
    and then the largest key tile whose working set (Q, K, V tiles, two
    score tiles, accumulator, output tile, running max/sum, mask tile)
    fits; else all query rows and 64 keys. `print` writes, per attention,
    the tiles, the working set and the modelled off-chip traffic against
    the unfused chain (every op reading its operands and writing its
    result off chip).
  }];
  let options = [
    Option<"qTile", "q-tile", "int64_t", "0",
           "Query rows per tile (0: chosen)">,
    Option<"kvTile", "kv-tile", "int64_t", "0",
           "Keys per tile (0: chosen)">,
    Option<"sramBudget", "sram-budget", "int64_t", "0",
           "On-chip bytes one tile's working set must fit">,
    Option<"print", "print", "bool", "false",
           "Print the tiles and modelled traffic">,
  ];
  let dependentDialects = ["::mnemo::graph::GraphDialect"];
}

def KVCachePass : Pass<"mnemo-kv-cache", "::mlir::func::FuncOp"> {
  let summary = "Rewrites an exported KV cache to a preallocated one updated in place.";
  let description = [{
    Matches the decoder step exporters emit: a graph input `past` [B, H, P,
    D] whose only uses are Shape and one Concat(past, new) along axis 2,
    the Concat returned as the `present` output and read by attention. Each
    such pair becomes a cache input of `max-seq` positions in `layout`
    (head-major, token-major, paged, int8, kivi2), written at `cache_position`
    (a new i64 [1] input: the number of tokens already cached) by
    `graph.kv_cache_write` and read as [B, H, position + S, D] by
    `graph.kv_cache_read`. The present outputs are dropped: the caller's
    cache buffers are updated in place, so a step writes S tokens instead
    of copying P + S. `paged` adds a `kv_block_table` input (i64
    [max-seq / kv-block]) naming the pool block of each run of `kv-block`
    positions. `int8` keeps keys quantized per channel over `int8-group`
    tokens (the group being filled stays f32 beside them) and values per
    token, each with f32 scales. `kivi2` is KIVI's 2-bit cache: keys per
    channel over `int8-group` tokens, values per token, asymmetric (scale
    and minimum), four codes per byte; the group being filled is kept in
    full precision and read from there, so the most recent 1..group tokens
    are exact.
  }];
  let options = [
    Option<"layout", "layout", "std::string", "\"head-major\"",
           "head-major | token-major | paged | int8 | kivi2">,
    Option<"maxSeq", "max-seq", "int64_t", "0",
           "Positions each cache holds (required)">,
    Option<"blockSize", "kv-block", "int64_t", "16",
           "Positions per block of the paged layout">,
    Option<"group", "int8-group", "int64_t", "16",
           "Tokens per key scale group (and full-precision window) of the "
           "int8 and kivi2 layouts">,
  ];
  let dependentDialects = ["::mnemo::graph::GraphDialect"];
}

def VocabParallelPass : Pass<"mnemo-vocab-parallel", "::mlir::ModuleOp"> {
  let summary = "Shards the LM head and token embedding along the vocabulary.";
  let description = [{
    Finds the LM head of @main_graph: a MatMul (or Gemm) with a constant
    [D, V] weight ([V, D] for Gemm transB) whose result, or a Softmax /
    LogSoftmax / ArgMax of it along the last axis, is a graph output; and
    the token embedding, a Gather along axis 0 of a constant [V, D].

    `output` asks for less than the exporter returned: "logits" keeps it,
    "last-logits" computes the head for the last position only, "argmax"
    returns the i64 index of the largest logit per position (the logits
    never exist), "last-argmax" both.

    With `rank` = -1 the `shards` parts run one after the other on one
    device: each computes a [tokens, V / shards] slice of logits and is
    merged by the online-softmax reduction (running max, sum rescaled by
    exp(m_old - m_new), argmax by the larger value, lower index on ties),
    so only one slice is alive at a time. Logits that are themselves the
    output are left whole (chunking cannot save them).

    With `rank` = r >= 0 the module becomes rank r's of `shards`: it keeps
    only rows [r V / shards, (r + 1) V / shards) of the embedding and head
    weights, declares `shard.grid @vocab(shape = shards)` and merges with
    `shard.all_reduce` on it: the embedding by a masked local lookup and a
    sum, argmax by max then min over candidate indices, softmax by max and
    sum, logits by a sum of zero-padded slices (an all-gather).
  }];
  let options = [
    Option<"shards", "shards", "int64_t", "2",
           "Vocabulary parts (chunks on one device, or ranks)">,
    Option<"rank", "rank", "int64_t", "-1",
           "Build rank r's module of `shards` (-1: all chunks in sequence)">,
    Option<"output", "output", "std::string", "\"logits\"",
           "logits | last-logits | argmax | last-argmax">,
  ];
  let dependentDialects = ["::mnemo::graph::GraphDialect",
                           "::mlir::shard::ShardDialect"];
}

#endif // MNEMO_MEMORY_TRANSFORMS_PASSES_TD

//===- Passes.td - memory planning passes ------------------*- tablegen -*-===//

#ifndef MNEMO_MEMORY_PASSES_TD
#define MNEMO_MEMORY_PASSES_TD

include "mlir/Pass/PassBase.td"

def MemoryReportPass : Pass<"mnemo-memory-report", "::mlir::ModuleOp"> {
  let summary = "Plans the entry function's buffers and prints the summary.";
  let description = [{
    Builds the planning problem of the bufferized entry function (steps: the
    top-level ops that do work; buffers: its `memref.alloc` ops, static
    shapes), computes the bounds (naive, fixed-order, order-free), runs the
    first-fit and greedy planners and, with `planner=ilp`, the CBC ILP,
    checks the chosen plan, prints a summary to stdout and records each
    buffer's offset as `mnemo.offset` on its allocation and the arena size
    as `mnemo.arena_bytes` on the function. The same planning runs inside
    `mnemo-cpu-abi`, which also handles dynamic shapes through their bounds.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "The bufferized entry function">,
    Option<"planner", "planner", "std::string", "\"greedy\"",
           "first-fit, greedy or ilp">,
    Option<"ilpTimeLimit", "ilp-time-limit", "double", "10.0",
           "Seconds the ILP may run">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Offset alignment in bytes">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def MemoryTiersPass : Pass<"mnemo-memory-tiers", "::mlir::ModuleOp"> {
  let summary = "Places buffers in an SRAM budget and DRAM, with spills.";
  let description = [{
    Plans the bufferized entry function's allocations (static shapes) for
    an on-chip budget of `sram-budget` bytes (lib/Memory/Tiers.cpp):
    - every buffer is on chip at the steps that use it;
    - in between it may be spilled and reloaded;
    - residencies minimize off-chip traffic (a CBC ILP warm-started from
      Belady's rule).
    The plan becomes `mem` IR:
    - `mem.arena #mem.space<sram>` of at most the budget and
      `mem.arena #mem.space<dram>`;
    - a `mem.view` per residency, with every use rewired to the view of its
      step;
    - `mem.reload` before and `mem.spill` after residency boundaries.
    An infeasible budget is an error that names the smallest budget the
    planner meets. `reports` are written as by mnemo-cpu-abi, with spaces
    and `offchip_traffic_bytes`.
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "The bufferized entry function">,
    Option<"sramBudget", "sram-budget", "int64_t", "0",
           "On-chip bytes">,
    Option<"ilpTimeLimit", "ilp-time-limit", "double", "10.0",
           "Seconds the residency ILP may run">,
    Option<"alignment", "alignment", "int64_t", "64",
           "Offset alignment in bytes">,
    Option<"modelName", "name", "std::string", "\"\"",
           "Model name in reports">,
    ListOption<"reports", "reports", "std::string",
               "Reports to write (.json or .html)">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mnemo::mem::MemDialect"];
}

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

def PatchGeometryPass : Pass<"mnemo-patch-geometry", "::mlir::ModuleOp"> {
  let summary = "Reports the patch geometry of a CNN's first spatial stage.";
  let description = [{
    Reads the leading spatial stage of the graph-dialect entry function:
    convolutions, pools, and elementwise ops that keep the map size, from
    the 4-d image input up to the first op that leaves NCHW. Static shapes
    are needed (run graph-infer-shapes first). Cut points are the layers
    after which a single activation is live.
    - With `cut=-1` it prints every cut point with the extra MACs of 2x2 ..
      `patches` x `patches` patches.
    - With `cut=K` it prints, for the K-th cut point: the tile, the input
      patch with its halo, the patch stride, the stage's extra MACs, and the
      region every layer computes per patch (MCUNetV2's receptive-field
      rule, lib/Memory/PatchGeometry.cpp).
  }];
  let options = [
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "The entry function">,
    Option<"cut", "cut", "int64_t", "-1",
           "Index of the cut point to detail (-1: list them all)">,
    Option<"patches", "patches", "int64_t", "4",
           "p: the stage output is split into p x p tiles">,
  ];
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
      `max-recompute` (a fraction of the stage's).
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
    Option<"sramBudget", "sram-budget", "int64_t", "0",
           "On-chip bytes the peak should fit (0: none)">,
    Option<"print", "print", "bool", "false",
           "Print the chosen schedule to stdout">,
    Option<"listCandidates", "list-candidates", "bool", "false",
           "Print every candidate's estimated peak and extra MACs">,
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
    ops after it, every loop and slice count up to `max-slices` that
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
           "Consumers tried after the op at the peak">,
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

#endif // MNEMO_MEMORY_PASSES_TD

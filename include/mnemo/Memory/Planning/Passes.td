//===- Passes.td - memory analysis and planning -------------*- tablegen -*-===//
//
// What the memory plan knows and decides: the report of live bytes and
// lower bounds, the tier placement, the patch geometry of a cut.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_PLANNING_PASSES_TD
#define MNEMO_MEMORY_PLANNING_PASSES_TD

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
    Option<"operatorOrder", "operator-order", "std::string", "\"program\"",
           "program (keep the top-level ops' order) or memory (reorder "
           "independent ops for the smallest peak)">,
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

#endif // MNEMO_MEMORY_PLANNING_PASSES_TD

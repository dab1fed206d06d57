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

#endif // MNEMO_MEMORY_PASSES_TD

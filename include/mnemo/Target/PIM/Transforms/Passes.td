//===- Passes.td - PIM target passes ------------------------*- tablegen -*-===//
//
// graph -> pim.gemv (partition) -> layouts in the banks (map) -> one
// pim.program per GEMV (emit). docs/pim.md walks through the three.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_PIM_TRANSFORMS_PASSES_TD
#define MNEMO_TARGET_PIM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def PIMPartitionPass : Pass<"mnemo-pim-partition", "::mlir::func::FuncOp"> {
  let summary = "Moves memory-bound GEMVs with a constant weight to PIM.";
  let description = [{
    A `graph.gemm` (alpha = beta = 1, A not transposed, B a constant
    [K, N], C none or a constant [N]) or a `graph.matmul` of activations
    [..., K] by a constant [K, N] is a candidate: a decode step's
    projections, MLP and LM head (a MatMul's leading dims are its rows,
    collapsed around the `pim.gemv`). Its time on the device (the GEMV's
    program for one activation row, timed by the simulator, times the
    rows: 1 when the row count is dynamic) is held against the host's
    (max of the weight's bytes over `host-gbps` and its flops over
    `host-gflops`); the faster side wins unless `force-pim` or
    `force-host` names the node. Winners become `pim.gemv`. `print`
    writes one line per candidate with both times and the choice. A node
    forced to PIM that cannot go there fails with its name and why.
  }];
  let options = [
    Option<"device", "device", "std::string", "\"\"",
           "Device settings over the AiM defaults (channels=8,...)">,
    Option<"hostGBps", "host-gbps", "double", "20.0",
           "Host memory bandwidth for weights, GB/s">,
    Option<"hostGFlops", "host-gflops", "double", "100.0",
           "Host f32 throughput, GFLOP/s">,
    ListOption<"forcePim", "force-pim", "std::string",
               "ONNX node names to put on PIM">,
    ListOption<"forceHost", "force-host", "std::string",
               "ONNX node names to keep on the host">,
    Option<"print", "print", "bool", "false",
           "Print each candidate's modelled times and the choice">,
  ];
  let dependentDialects = ["::mnemo::pim::PIMDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PIMMapGemvPass : Pass<"mnemo-pim-map-gemv", "::mlir::ModuleOp"> {
  let summary = "Lays every pim.gemv's weight out in the banks.";
  let description = [{
    Gives each `pim.gemv` without a layout its `#pim.gemv_layout`: output
    rows over every channel and bank, weight columns contiguous per bank,
    inputs longer than the global buffer in passes, the GEMVs' DRAM rows
    one after another from `row-base`. The device goes on the module as
    `pim.device`. A weight that does not fit the rows left is an error at
    its node.
  }];
  let options = [
    Option<"device", "device", "std::string", "\"\"",
           "Device settings over the AiM defaults (channels=8,...)">,
    Option<"rowBase", "row-base", "int64_t", "0",
           "First DRAM row of every bank to use">,
  ];
  let dependentDialects = ["::mnemo::pim::PIMDialect"];
}

def PIMEmitProgramsPass : Pass<"mnemo-pim-emit-programs", "::mlir::ModuleOp"> {
  let summary = "One pim.program per mapped pim.gemv (one activation row).";
  let description = [{
    For each `pim.gemv` with a layout, a `pim.program @pim_gemv_<i>` that
    computes one activation row: the input to every global buffer per
    pass, per slot the accumulators set (bias or zero), an all-bank MAC
    and an RD_MAC over all channels, then EWADDs of the later passes'
    partial sums. The host runs it once per row. The program records its
    registers (`pim.x_gpr`, `pim.y_gpr`, `pim.bias_gpr`, `pim.zero_gpr`)
    and the gemv its program (`program`).
  }];
  let dependentDialects = ["::mnemo::pim::PIMDialect"];
}

def PIMLowerToHostPass : Pass<"mnemo-pim-lower-to-host", "::mlir::ModuleOp"> {
  let summary = "Host calls into the device for each pim.gemv; the device part written out.";
  let description = [{
    Each `pim.gemv` with a program becomes a call of the device interface
    on buffers, joined to the tensors around it as the collectives are:

    ```mlir
    func.call @mnemo_pim_gemv(%id, %x, %bias, %y)  // llvm.emit_c_interface
    ```

    `%x` [R, K] and `%y` [R, N] (a fresh buffer) are f32; `%bias` is [N]
    or empty. The host process supplies `_mlir_ciface_mnemo_pim_gemv`
    (mnemo-run runs the program `%id` once per row on the simulator). With
    `artifact-dir` set, the device part goes to `<dir>/pim/`: each program
    as AiM trace text and in binary, the weight image (every GEMV's weight
    in bf16 at its layout), and `pim.json` (the device and, per program,
    its node, shape and registers). The programs are then erased.
  }];
  let options = [
    Option<"artifactDir", "artifact-dir", "std::string", "\"\"",
           "Where to write the device part (pim/ under it); empty: nowhere">,
  ];
  let dependentDialects = ["::mnemo::pim::PIMDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // MNEMO_TARGET_PIM_TRANSFORMS_PASSES_TD

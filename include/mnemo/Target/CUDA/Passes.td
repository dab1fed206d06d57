//===- Passes.td - CUDA target passes ----------------------*- tablegen -*-===//
//
// The CUDA target's own steps between upstream's linalg, scf, gpu and nvvm
// conversions (lib/Pipelines/CUDAPipelines.cpp runs them in order).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CUDA_PASSES
#define MNEMO_TARGET_CUDA_PASSES

include "mlir/Pass/PassBase.td"

def TileContractionsPass : Pass<"mnemo-cuda-tile-contractions",
                                 "::mlir::func::FuncOp"> {
  let summary = "Matmuls and convolutions as shared-memory tiled kernels "
                "with register accumulators";
  let description = [{
    Every f32 linalg op on buffers computing `out += x * y` with a
    reduction (`linalg.matmul`, `batch_matmul`, the generic contractions of
    Gemm with transposed operands, `conv_2d_nchw_fchw` and grouped
    convolutions) becomes one `gpu.launch` computing it as a GEMM. Loops
    are grouped by the operands that use them: those of one input and the
    output form the rows (M) or columns (N), reductions form K, and those
    of both inputs and the output a batch (grid z); each group is one
    flattened dim, innermost loop fastest. The columns are the input
    sharing the output's innermost loop, so stores of C coalesce: for an
    NCHW convolution that is the image (N = n*oh*ow, an implicit GEMM with
    no im2col buffer: a tile element's address is the image's indexing
    map at the delinearized point) and the filter gives the rows.

    A block computes a BM x BN tile of C, looping over K in steps of BK;
    each step, the block's threads copy the BM x BK tile of A and the
    BK x BN tile of B into workgroup memory (attributions of the launch, so
    the kernel's shared memory is static and shows in ptxas' report),
    consecutive threads reading consecutive addresses of whichever of the
    two dims is contiguous, then each thread multiplies a TM x TN sub-tile
    held in registers (`scf.for` iter_args, `vector.fma` from
    `vector.load`s of the staged tiles). Edges are guarded (zeros are
    staged past M, N and K), so any size and dynamic dims work. C is read
    once and written once, at the end.

    The tile comes from a table of shapes (128x128x8 with 8x8 per thread
    down to 16x64x16 with 1x4; 256 threads each): of those whose staged
    tiles fit `smem-budget` bytes, the one with the least modelled global
    traffic (A and B re-read once per tile of C: M N K (1/BM + 1/BN)
    elements) among those that still give every one of `sm-count`
    multiprocessors a block; if none does, the one with the most blocks.
    A budget below the smallest shape is an error that names it.

    With `precision=tf32` the block's warps (2 x 2 for 64x64 tiles, 2 x 4
    for 128x128, down to 1 x 4 for 16x64) each own a tile of m16n8k8
    products: `nvgpu.mma.sync` with tf32 inputs and f32 accumulators,
    fragments loaded from the staged tiles in the PTX ISA's layout, rows
    padded to BM + 8 so one fragment's 4 x 8 lanes use 32 banks.
    With `precision=fp16` (or `bf16`) the same warp tiles issue m16n8k16
    products (`mma.sync` with f16 or bf16 inputs and f32 accumulators):
    the staging rounds each element to the 2-byte type and stores the
    tiles [rows][K], so a fragment register's pair is one 32-bit load.

    The kernel takes over the ops the generic route would launch around
    the product: the fill or bias broadcast right before it (sums start
    from it) and the elementwise op right after it that reads C (a ReLU,
    a residual add, reading its other inputs at the stored element),
    whose body is applied before the one store, into that op's output.
    C's values before the op must have no reader after it: its next use
    overwrites it, or the op writes C in place.

    Depthwise convolutions (no column dim: each channel its own filter),
    integer products and bodies other than a multiply-add keep the
    generic route.
    Ops it does not claim keep the generic route of
    `mnemo-cuda-map-parallel-loops`, which skips ops inside launches.
  }];
  let options = [
    Option<"smemBudget", "smem-budget", "int64_t", "49152",
           "Bytes of shared memory one block's staged tiles may use">,
    Option<"smCount", "sm-count", "int64_t", "132",
           "Multiprocessors to give a block each (H100/H200 SXM: 132)">,
    Option<"precision", "precision", "std::string", "\"fp32\"",
           "fp32 (FMAs), tf32 (tensor cores: mma.sync m16n8k8 with "
           "f32 accumulation; inputs keep 10 mantissa bits), fp16 or "
           "bf16 (m16n8k16: inputs rounded to f16 or bf16, f32 "
           "accumulation)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FlashAttentionPass : Pass<"mnemo-cuda-flash-attention",
                              "::mlir::func::FuncOp"> {
  let summary = "graph.attention as one FlashAttention kernel";
  let description = [{
    Runs on the graph, before the tensor lowering. Each f32
    `graph.attention` whose head dims (D of Q and K, Dv of V) are static
    and at most 256 becomes one `gpu.launch`: a block per (leading index,
    tile of BR query rows), each row owned by TC neighbouring lanes of a
    warp (256 threads a block; a warp per row where BR < 8). The block
    stages its Q tile in shared memory, then for every BC keys stages the
    K^T and V tiles (threads striding over them, the contiguous dim
    fastest), computes the row's scores in registers (lane `t` owns keys
    t, t + TC, ...), scales and masks them, and updates the row's running
    maximum and sum with `gpu.shuffle xor` among the row's lanes; the
    probabilities go through shared memory to `acc = acc * exp(m - m') +
    P x V`, whose accumulators (lane `t` owns output columns t, t + TC,
    ...) stay in registers across key tiles. The output is written once;
    no M x N score matrix exists. Q, K, V and the mask are read as buffers
    (`bufferization.to_buffer ... read_only`), the output is a
    `memref.alloc` (planned with the workspace) returned as a `restrict`
    tensor. Broadcast operands (static 1s, right-aligned) and dynamic
    query or key lengths work; rows and keys past the end are guarded.
    The tile is the first of BR in 64, 32, ..., 1 (capped by the query
    length: a decode step's one row takes one warp), BC in 64, 32, 16 whose
    four shared tiles (Q and P rows padded by one float) fit `smem-budget`
    bytes, at most 48 KiB (the tiles are static shared memory); none
    fitting is an error naming the smallest budget. Other attention ops
    keep the tensor lowering.
  }];
  let options = [
    Option<"smemBudget", "smem-budget", "int64_t", "49152",
           "Bytes of shared memory one block's tiles may use">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}
def RowKernelsPass : Pass<"mnemo-cuda-row-kernels", "::mlir::func::FuncOp"> {
  let summary = "Softmax, LogSoftmax, LayerNormalization and "
                "InstanceNormalization as one kernel each, a block or warp "
                "per row";
  let description = [{
    Runs on the graph, before the tensor lowering (three ops for a softmax:
    the row's maximum, the sum of exp(x - max), the division; five for a
    layer normalization), which would be as many kernels with the
    intermediates going through global memory. Each f32 `graph.softmax` /
    `graph.log_softmax` (any axis) and `graph.layer_normalization` (scale
    and bias over the normalized dims) becomes one `gpu.launch`: a block
    per row (whole warps, at most `block-size` threads, no more than a
    static row's elements), or for static rows shorter than 64 elements a
    warp per row, `block-size` / 32 rows a block. The row's threads stride
    over it once per statistic and once for the output: the maximum (from
    -inf) and the sum of exp(x - max), then exp(x - max) / sum or
    (x - max) - log(sum); the mean and the variance of x - mean, then
    (x - mean) * rsqrt(var + eps) * scale (+ bias), as the tensor lowering
    computes them. Each statistic is combined over a warp with
    `gpu.shuffle xor` 16 .. 1 and over a block's warps through shared
    memory. The input is a read-only buffer, the output a planned buffer
    (see FlashAttention).

    A normalization the importer writes as graph ops (InstanceNormalization,
    GroupNormalization) or an exporter decomposed (LayerNormalization
    before opset 17, squaring with `graph.pow` by 2) is taken too:
    `graph.div` of x - mean(x) by sqrt(mean((x - mean)^2) + eps), both
    `reduce_mean`s over
    the same trailing axes with keepdims and eps a splat constant, then the
    `graph.mul` by a scale and `graph.add` of a bias that follow when the
    normalized value has no other reader and they broadcast onto x without
    growing it (InstanceNormalization's [C, 1, ...]). The ops it replaces
    are erased when nothing else reads them.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block (a multiple of 32, at most 1024)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}
def LowerBF16MmaPass : Pass<"mnemo-cuda-lower-bf16-mma",
                             "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lowers bf16 nvgpu.mma.sync to nvvm.mma.sync";
  let description = [{
    MLIR 22's `convert-nvgpu-to-nvvm` lowers f16 and tf32 `nvgpu.mma.sync`
    but fails on bf16 ("failed to deduce operand PTX types"): NVVM's bf16
    products take each fragment register (two bf16) as an i32 and name the
    type in `multiplicandAPtxType`/`multiplicandBPtxType`. Runs on the
    outlined kernels before that conversion and rewrites each bf16
    m16n8k16 product with f32 accumulators into that form (bitcast
    registers, `nvvm.mma.sync`, the result struct's four floats back into
    the accumulator vector), so the kernel builders and the emulator keep
    one op for every precision. Other bf16 shapes are an error.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect"];
}

def AlignWorkgroupPass : Pass<"mnemo-cuda-align-workgroup",
                              "::mlir::gpu::GPUModuleOp"> {
  let summary = "Aligns every kernel's workgroup buffers to 16 bytes";
  let description = [{
    `convert-gpu-to-nvvm` gives a workgroup attribution the alignment of
    its element type (`.shared .align 4` for f32) unless the attribution
    carries `llvm.align`; a 16-byte `ld.shared.v4` from such a buffer
    would then fault at run time ("misaligned address") when the buffer
    happens to start off a 16-byte boundary. Runs after outlining and sets
    `llvm.align = 16` on each `gpu.func`'s workgroup attributions that
    have none.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def EmulateLaunchesPass : Pass<"mnemo-cuda-emulate-launches",
                               "::mlir::func::FuncOp"> {
  let summary = "Runs gpu.launch bodies as sequential CPU loops (tests)";
  let description = [{
    For checking kernel builders without a GPU: each `gpu.launch` (constant
    block size, not async) becomes loops over its blocks; inside a block,
    the ops between two barriers run as one loop over the threads, so all
    threads finish a phase before any starts the next, as a barrier
    guarantees. A value a thread computes in one phase and uses in a later
    one is kept in a per-thread buffer; an `scf.for` whose body has
    barriers runs once for the block, its carried values per thread;
    workgroup attributions become plain buffers; an `nvgpu.mma.sync`
    (tf32 m16n8k8) runs per warp, its 32 lanes' fragments gathered by the
    PTX ISA's layout and multiplied in f32. Barriers inside other ops are
    an error. Built into the CPU target after the CUDA kernel builders
    (`mnemo-run --emulate-cuda-kernels`), a model's outputs check the
    kernels' addresses, tiles and edges against its references.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def BlockReductionsPass : Pass<"mnemo-cuda-block-reductions",
                               "::mlir::func::FuncOp"> {
  let summary = "Reductions as one block per output element, combined "
                "with warp shuffles";
  let description = [{
    A linalg.generic on buffers with reduction loops and one output whose
    body yields `combiner(x, acc)` (a commutative arith op with a neutral
    element: addf, mulf, maximumf, minimumf, maxnumf, addi, maxsi, ...;
    f32, f64, i32 or i64) becomes a `gpu.launch` of one block per output
    element: the block's threads stride over the reduced elements
    (flattened, innermost fastest), each keeping a partial started from
    the neutral element; `gpu.shuffle xor` 16, 8, 4, 2, 1 combines a
    warp's partials, lane 0 of each warp stores its result in a
    workgroup buffer, and after a barrier the warps combine those; thread
    0 combines the total with the output's initial value and stores it.
    The generic route (mnemo-cuda-map-parallel-loops) would run each
    output's whole reduction in one thread.

    A reduction of fewer than `min-length` elements (static) takes a warp
    instead of a block (`block-size` / 32 of them per block, lanes striding
    over the row, the same shuffles, no shared memory); one of fewer than
    `warp-min-length` stays on the generic route. Dynamic lengths take a
    block, of `block-size` threads; static rows get whole warps, no more
    threads than elements.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x : memref<4x4096xf32>) outs(%sum : memref<4xf32>) {...addf...}
    // becomes gpu.launch of 4 blocks x 256 threads
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block (a multiple of 32, at most 1024)">,
    Option<"minLength", "min-length", "int64_t", "64",
           "Fewest reduced elements per output that get a block">,
    Option<"warpMinLength", "warp-min-length", "int64_t", "16",
           "Fewest reduced elements per output that get a warp">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def MapParallelLoopsPass : Pass<"mnemo-cuda-map-parallel-loops",
                                "::mlir::func::FuncOp"> {
  let summary = "Linalg ops as parallel loops over blocks and threads, "
                "coalesced";
  let description = [{
    The generic GPU route for every linalg op on buffers that no
    performance kernel claimed (and every `memref.copy`, as `linalg.copy`):
    the op becomes an `scf.parallel` over its parallel dims (reductions
    stay `scf.for` inside, run by one thread per output element), as in
    `convert-linalg-to-parallel-loops`. This pass then collapses those dims
    into one
    (row-major, so the innermost dim varies fastest across a warp: loads
    and stores on the contiguous dim coalesce), tiles it by `block-size`
    with the tail guarded by `scf.if`, and maps the tile loop to
    `block_x` and the point loop to `thread_x`. Collapsing first also keeps
    any shape inside the 2^31 - 1 blocks of grid x, where y and z stop at
    65535. `convert-parallel-loops-to-gpu` then makes one `gpu.launch` per
    loop.

    Upstream's `gpu-map-parallel-loops` maps the outermost dim to
    `thread_x`, so neighbouring threads touch addresses a row apart.

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c128) step (%c1, %c1) {...}
    // becomes a loop over 32 blocks of 256 threads on the flat index
    // %i * 128 + %j, mapped with #gpu.loop_dim_map<processor = block_x,...>
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "Threads per block (a multiple of 32, at most 1024)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect"];
}

def LaunchHostOpsPass : Pass<"mnemo-cuda-launch-host-ops",
                             "::mlir::ModuleOp"> {
  let summary = "Runs the compute left outside kernels in one-thread "
                "launches";
  let description = [{
    Inputs, outputs and the workspace are device memory, so no load, store
    or loop over them may stay on the host. After the parallel loops are
    launched, what is left at the top level of a function (scalar linalg
    ops lowered to a load and a store, reductions with no parallel dim,
    copies) is grouped into maximal runs of consecutive ops and each run is
    wrapped in a `gpu.launch` of one block of one thread. Correct and slow:
    the performance kernels never take this route on the models of the
    benchmark.

    Index arithmetic, views (`memref.view`, `subview`, reshapes, `dim`),
    allocations and launches stay on the host. A run reading a value an
    earlier run computed (two unrolled tiny ops whose comparisons CSE
    merged, a kernel launched between them) gets its own copy of that
    value's computation (loads and pure arithmetic), provided nothing in
    between writes what it loads.

    A host op that needs a value a run computes (an output's size counted
    on the device, an `scf.if` condition, a loop's bound or condition, a
    launch's grid, a KV cache's position in an input), and a later run
    that could not take a copy, read it back: the value's computation,
    loads and pure arithmetic only, is cloned before the use with each load
    replaced by a call to the runtime's `mnemo_cuda_read` (declared here;
    it waits for the stream and copies the element to the host), and every
    later use takes the host's value. A value computed otherwise (a count
    a loop accumulates) or loaded from a buffer written again before the
    use is stored by its run into a 0-d buffer of its own and read from
    there. A value the read cannot carry (a sub-byte or vector element) is
    an error naming the op. With `emulate`, the read is defined in the
    module as a plain load with internal linkage (an exported one would be
    bound to the runtime's in a host that links both).
  }];
  let options = [
    Option<"emulate", "emulate", "bool", /*default=*/"false",
           "Define mnemo_cuda_read in the module as a plain load (kernels "
           "emulated on the CPU, where device memory is host memory)">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::scf::SCFDialect"];
}

def EntryPointsPass : Pass<"mnemo-cuda-entry-points", "::mlir::ModuleOp"> {
  let summary = "Turns mnemo-cpu-abi's C entry points into CUDA ones";
  let description = [{
    Runs after `mnemo-cpu-abi`, which planned the workspace and wrote
    `<name>_run_dims` and `<name>_run` over raw pointers. On the CUDA target
    those pointers are device memory, and a run goes to a stream:

      int <name>_run_stream(const void *const *inputs,
                            void *const *outputs, void *workspace,
                            CUstream stream);
      int <name>_run_dims_stream(const int64_t *dims, ...,
                                 void *workspace, CUstream stream);

    and `_run` / `_run_dims` as before (the runtime's own stream,
    synchronized before they return). Each brackets the call with
    `mnemo_cuda_begin(stream)` (5: no driver or device, checked before
    anything is launched) and `mnemo_cuda_end()` (6: a driver call failed).
    The copies of results into the caller's output buffers become
    device-to-device `gpu.memcpy`.
  }];
  let options = [
    Option<"modelName", "name", "std::string", "\"model\"",
           "Prefix of the exported C symbols (as given to mnemo-cpu-abi)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def DeviceConstantsPass : Pass<"mnemo-cuda-device-constants",
                               "::mlir::ModuleOp"> {
  let summary = "Gives kernels device copies of the model's constants";
  let description = [{
    Weights and other constants are `memref.global`s in the artifact's
    host memory, which kernels cannot read. Each `memref.get_global` of a
    constant whose value reaches a kernel becomes a call of the runtime's
    `mnemo_cuda_constant(host_pointer, bytes)`, which copies it to the
    device on the first run and returns the same device copy on every later
    one (per process), and a memref over that device pointer. Loads from a
    constant on the host (a pad width read at run time) keep the host copy.

    Runs after `mnemo-cuda-entry-points`, before kernel outlining.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def ReshapesAsCastsPass : Pass<"mnemo-cuda-reshapes-as-casts",
                               "::mlir::func::FuncOp"> {
  let summary = "Expand_shapes with several dynamic sizes in a group as "
                "reinterpret_casts";
  let description = [{
    MLIR 22's `expand-strided-metadata` crashes (in
    `getValueOrCreateConstantIndexOp`) on a `memref.expand_shape` that
    splits one dim into several dynamic ones, which the CUDA target's host
    code has where a view is split by shapes known only at run time
    (gpt2_tiny_decode). The expansion is a `memref.reinterpret_cast` of
    the source at its own offset, with the result sizes and, within each
    group, the source dim's stride times the sizes after each dim, which
    `expand-strided-metadata` lowers without trouble.

    ```mlir
    %e = memref.expand_shape %src [[0, 1]] output_shape [%a, %b]
        : memref<?xf32> into memref<?x?xf32>
    // becomes
    %e = memref.reinterpret_cast %src to offset: [0], sizes: [%a, %b],
        strides: [%b, 1] : memref<?xf32> to memref<?x?xf32>
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def CheckLibdevicePass : Pass<"mnemo-cuda-check-libdevice",
                              "::mlir::ModuleOp"> {
  let summary = "Fails clearly where kernels need libdevice and it is not "
                "there";
  let description = [{
    `convert-gpu-to-nvvm` lowers most `math` ops on floats (exp, log, tanh,
    erf, pow, sin, ...) to calls of libdevice's `__nv_*` functions, which
    `gpu-module-to-binary` links from `<toolkit>/nvvm/libdevice`. Without
    the CUDA toolkit nothing links them: ptxas would reject the kernel, or,
    with no ptxas, the driver's JIT would fail on the GPU at run time. This
    pass, run after `convert-gpu-to-nvvm` and before debug locations are
    stripped, reports each kernel calling an `__nv_*` function with the
    location of the call (the ONNX node it came from) and where libdevice
    was looked for, when `toolkit` has no `nvvm/libdevice/libdevice.10.bc`.
  }];
  let options = [
    Option<"toolkit", "toolkit", "std::string", "\"\"",
           "The CUDA toolkit's root (empty: none)">,
  ];
}

#endif // MNEMO_TARGET_CUDA_PASSES

//===- Passes.td - CPU target passes -----------------------*- tablegen -*-===//

#ifndef MNEMO_TARGET_CPU_PASSES_TD
#define MNEMO_TARGET_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def CPUABIPass : Pass<"mnemo-cpu-abi", "::mlir::ModuleOp"> {
  let summary = "Wraps the bufferized entry function in mnemo's C ABI.";
  let description = [{
    Places every `memref.alloc` of the entry function at a compile-time
    offset in one workspace (`memref.view` into a byte buffer passed by the
    caller) and emits the artifact's C entry points:

      size_t <name>_workspace_bytes(void);
      int <name>_run(const void *const *inputs, void *const *outputs,
                     void *workspace);
      int <name>_run_dims(const int64_t *dims, const void *const *inputs,
                          void *const *outputs, int64_t *output_shapes,
                          void *workspace);

    Symbolic dims (the inputs' `graph.dim_params`) are run-time values in
    `dims`, in order of first appearance; each needs a bound
    (`dims=past_len=1..4096`). Dynamic allocation sizes are bounded by
    interval arithmetic over those bounds, so the workspace holds the worst
    case; `_run_dims` returns 3 when a dim is out of its bound, `_run`
    returns 2 for a model with symbolic dims. Outputs are copied into the
    caller's buffers; `output_shapes` (optional) receives their shapes.

    Offsets come from the memory planner (lib/Memory): liveness over the
    function's top-level steps, then first-fit, greedy-by-size or the CBC
    ILP (`planner`, default `ilp`, warm-started from the better greedy plan
    and limited to `ilp-time-limit` seconds); the plan passes the
    independent checker before any IR changes. `reports` lists files to
    write (`.json`, `.html`). With `sram-budget`, the tier planner
    (lib/Memory/Tiers.cpp) places buffers in an SRAM arena of at most the
    budget and a DRAM arena with spills and reloads, as `mem` ops that this
    pass then lowers: arenas are regions of the workspace, views
    `memref.view`, transfers `memref.copy`.
  }];
  let options = [
    Option<"modelName", "name", "std::string", "\"model\"",
           "Prefix of the exported C symbols">,
    Option<"entry", "entry", "std::string", "\"main_graph\"",
           "The bufferized entry function">,
    ListOption<"dimBounds", "dims", "std::string",
               "Bounds of symbolic dims as name=lo..hi">,
    Option<"planner", "planner", "std::string", "\"ilp\"",
           "Memory planner: first-fit, greedy or ilp">,
    Option<"ilpTimeLimit", "ilp-time-limit", "double", "10.0",
           "Seconds the placement ILP may run">,
    ListOption<"reports", "reports", "std::string",
               "Memory plan reports to write (.json or .html)">,
    Option<"operatorOrder", "operator-order", "std::string", "\"program\"",
           "program (keep the top-level ops' order) or memory (reorder "
           "independent ops for the smallest peak)">,
    Option<"sramBudget", "sram-budget", "int64_t", "0",
           "On-chip bytes: plan SRAM and DRAM arenas with spills (0: one "
           "arena)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::cf::ControlFlowDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::memref::MemRefDialect",
    "::mlir::func::FuncDialect", "::mnemo::mem::MemDialect"
  ];
}

def LegalizeMemRefsPass
    : Pass<"mnemo-cpu-legalize-memrefs", "::mlir::func::FuncOp"> {
  let summary = "Rewrites memref ops the CPU lowering cannot take as they are.";
  let description = [{
    - memref.copy of a buffer onto itself (left by bufferization where a
      concat slice was written in place) is erased.
    - memref.copy where either side is a strided view (padding into a larger
      buffer, slice extraction) becomes linalg.copy, compiled as loops or
      vectors instead of a call to MLIR's generic runtime copy, which the
      artifact does not link. Contiguous copies stay memref.copy (memcpy).
    - memref.expand_shape of a contiguous buffer with more than one dynamic
      dim in a reassociation group becomes memref.reinterpret_cast with
      row-major strides computed from the sizes: upstream
      expand-strided-metadata (LLVM 22) crashes on such groups.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect"];
}

def VectorTransposesPass
    : Pass<"mnemo-cpu-vector-transposes", "::mlir::func::FuncOp"> {
  let summary = "Batched 2-D transposes as in-register vector transposes.";
  let description = [{
    A `linalg.transpose` on contiguous static f32 memrefs whose permutation
    keeps a prefix of dims and swaps two trailing groups (src [..., X...,
    Y...] -> dst [..., Y..., X...]; the reorders of mnemo-cpu-block-channels:
    [N, C/B, B, H, W] -> [N, C/B, H, W, B] and back) is a batch of
    X x Y matrix transposes. Each `vector-width` x `vector-width` tile is
    loaded as rows, transposed in registers by log2(width) stages of
    two-input shuffles (stage h swaps bit h of the row and column index),
    and stored as rows; the edges that are not whole tiles are copied
    element by element. convert-linalg-to-loops would walk the destination
    in order and read the source with a stride of one map per element.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"host\"",
           "Target CPU: host, x86-64-v2/v3/v4 or an LLVM CPU name">,
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "Extra target features: +avx2,-avx512f,...">,
    Option<"vectorWidth", "vector-width", "int64_t", "0",
           "f32 lanes per vector, a power of 2 (0: from the target)">,
  ];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect"
  ];
}

def InterchangeReductionsPass
    : Pass<"mnemo-cpu-interchange-reductions", "::mlir::func::FuncOp"> {
  let summary = "Moves reduction loops outside the output's contiguous loop.";
  let description = [{
    Contractions come out of linalg in (parallel..., reduction...) order, so
    the innermost loop walks a reduction dim with a strided access
    (matmul's k over B's rows, conv's kw). This pass generalizes such ops
    and reorders their loops to (parallel..., reduction..., p) where p is the
    loop indexing the output's last (unit-stride) dim: matmul becomes
    C[m, :] += A[m, k] * B[k, :], conv accumulates whole output rows. The
    innermost loop is then unit-stride in the output and the main input, so
    LLVM's loop vectorizer turns it into SIMD FMAs.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def IntegerContractionsPass
    : Pass<"mnemo-cpu-integer-contractions", "::mlir::ModuleOp"> {
  let summary = "Register-blocked vector code for 8-bit x 8-bit -> i32 contractions.";
  let description = [{
    A `linalg.generic` on buffers that adds ext(a) * ext(b) of two 8-bit
    operands (extsi or extui, maybe minus a zero point) into an i32 output,
    with the output's innermost loop j read innermost by one operand (B)
    as j or 2 j plus reduction loops only (a window's taps shift it; a
    stride-2 row is read as the bytes it spans, the even ones kept) and
    not at all by the other (A), becomes loops over the
    parallel loops, a block's rows along i, j in vectors of `vector-width`
    i32 lanes (a masked vector for the rest), and the reduction loops
    inside. i is a parallel loop A reads and B does not (the output
    channel of a convolution, a matmul's row: the rows share one vector
    of B), else one B reads and A does not (a depthwise convolution's
    output row: the rows share one broadcast of A). Where C and B hold the
    rows of j's parent loop back to back with the same width (pointwise
    convolutions), that loop and j run as one flat loop over collapsed
    views, so narrow maps fill whole vectors. The `rows` accumulator
    vectors stay in registers over the reductions. The products are exact
    i32 (two values that fit in 16 bits; x86 selects vpdpwssd or vpmaddwd
    for them); integer sums are exact in any order. Other strides are left
    to the loops.

    With `dot` (auto: where the target has VNNI at this width), a
    reduction loop that A holds contiguously and B reads as rows of its
    own (the input channel) runs four steps at a time on vpdpbusd: four
    rows of B interleaved so that each i32 lane holds its column's four
    bytes (fed as u8), A's four bytes broadcast (fed as s8), one
    instruction per row for 4 x lanes products. Operands of the other
    signedness are flipped by 0x80 and every zero point and flip is
    compensated exactly (per-row sums of A once per block of rows, column
    sums of B riding along as one more vpdpbusd), so results equal the
    widened products bit for bit; the rest of the loop (K mod 4) runs
    widened. A constant weight that holds the input channel strided (a
    KxK convolution's [F][C][KH][KW]) is copied at compile time with that
    dim innermost ([F][KH][KW][C]), seen through the subviews of tiles and
    thread chunks.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"host\"",
           "Target CPU: host, x86-64-v2/v3/v4 or an LLVM CPU name">,
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "Extra target features: +avx2,-avx512f,...">,
    Option<"vectorWidth", "vector-width", "int64_t", "0",
           "i32 lanes per vector, a power of 2 (0: from the target)">,
    Option<"rows", "rows", "int64_t", "0",
           "Accumulator rows per block (0: from the target's registers)">,
    Option<"dot", "dot", "std::string", "\"auto\"",
           "auto (vpdpbusd where the target has VNNI at this width, else "
           "vpmaddwd), vpdpbusd (u8 x s8 quads), vpmaddwd (exact 16-bit "
           "pairs), or widen (one 16-bit product per lane)">,
  ];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect", "::mlir::LLVM::LLVMDialect",
  ];
}

def CollapseElementwisePass
    : Pass<"mnemo-cpu-collapse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Runs an elementwise op's contiguous trailing loops as one.";
  let description = [{
    A `linalg.generic` on buffers with only parallel loops whose trailing
    loops every operand reads in order and holds back to back (static
    strides; operands that broadcast along them do not count) gets those
    loops collapsed into one, with `memref.collapse_shape` views (upstream
    `linalg::collapseOpIterationDims`). convert-linalg-to-loops then
    writes one inner loop of 196 iterations where a 14x14 map gave 14
    loops of 14, which LLVM's loop vectorizer does not widen at 8 or 16
    lanes: int8 requantizations, residual adds and activations on small
    maps would otherwise run scalar.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def VectorizeReductionsPass
    : Pass<"mnemo-cpu-vectorize-reductions", "::mlir::func::FuncOp"> {
  let summary = "Vector accumulators for reductions over a contiguous inner dim.";
  let description = [{
    A `linalg.generic` on buffers whose loops are (parallel..., reduction...)
    and whose output does not move with the reductions (global average
    pooling, the mean and variance of a norm, a softmax's max and sum, a
    row dot product) lowers to a loop that adds every element into one
    scalar: a chain of dependent adds LLVM may not reorder. Here the
    trailing reduction dims are flattened where every input holds them
    contiguously (a 13 x 13 pool is one run of 169 floats), and the run is
    read `vector-width` lanes at a time into 4 independent accumulators (a
    multiply feeding an add becomes an FMA), then one accumulator over the
    whole vectors left, then one masked vector for the rest; the lanes are
    combined once per output element. The body is applied lane-wise, so
    only element-wise ops (arith, math) are taken, and no integer division
    (a masked lane's zero would trap). Accumulators: addf (from 0),
    maximumf/maxnumf (from -inf), minimumf/minnumf (from +inf). The sum is
    reassociated, as every vectorized reduction is.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"host\"",
           "Target CPU: host, x86-64-v2/v3/v4 or an LLVM CPU name">,
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "Extra target features: +avx2,-avx512f,...">,
    Option<"vectorWidth", "vector-width", "int64_t", "0",
           "f32 lanes per vector, a power of 2 (0: from the target)">,
  ];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect"
  ];
}

def RegisterTilePass : Pass<"mnemo-cpu-register-tile", "::mlir::ModuleOp"> {
  let summary = "Register-blocked vector code for f32 contractions.";
  let description = [{
    Rewrites every f32 multiply-accumulate linalg op on memrefs whose
    output's last dim is unit-stride and read by exactly one input at unit
    stride (matmul, batch and broadcast matmuls, generic contractions,
    convolutions with unit stride along the output row) into loops over a
    block of `rows` x `vectors` one-dimensional vectors of `vector-width`
    f32 lanes. The block's accumulators are carried by the reduction loops
    (kept in registers); each reduction step loads `vectors` vectors of B,
    broadcasts `rows` scalars of A and issues rows*vectors FMAs. Column
    tails use masked loads and stores. Static row counts run in blocks
    balanced to within one row (64 rows with blocks of 6: 9 of 6 and 2 of
    5, not 10 of 6 and one of 4; in a parallel loop one loop picks the
    larger or smaller kernel per block), dynamic ones end in one-row
    blocks, so every size, static or dynamic, is covered.

    1x1, stride-1 NCHW convolutions are first rewritten as a contraction
    over the flattened feature map (out[n, f, h*w] += w[f, c] * in[n, c,
    h*w]) so the vectorized dim is the whole map, not one short row.

    With `parallel`, ops with enough static work (2^15 multiply-adds) get
    their outermost block loop as an scf.parallel: the column blocks, or the
    row blocks when there are few columns (small feature maps).

    The block comes from the target description (`cpu`, `cpu-features`;
    include/mnemo/Target/CPU/CPUTarget.h): lanes = the widest vector
    register (16 with AVX-512, 8 with AVX2, 4 with SSE), rows x vectors
    so the accumulators, one row of B vectors and the broadcast fit the
    register file. `vector-width`, `rows` and `vectors` override it.

    Stride-1 KxK convolutions whose output rows fill the vectors poorly
    (28, 14 or 7 wide) run "pitched": the output map flattened on the
    (padded) input's row pitch P, p = oh*P + ow, so the input is read as
    one contiguous vector dim with no copy; the P - OW junk columns of
    each row are left out of the stores (masked stores per row into the
    output, or into the buffer an epilogue writes). Depthwise convolutions
    take the same form when it gains at least 10% of the lanes (5x5 and
    3x3 on 7x7 maps); their block rows are then channels.

    Contractions whose output rows fill fewer than 80% of the lanes (1x1
    convolutions on 7x7 maps with 16 lanes: 49 of 64) run along the output
    channels instead when the weights are a constant global: those are
    packed at compile time into a new global [M/R][K...][R] (R = vectors x
    lanes; the source global goes when nothing else reads it, which is why
    this is a module pass), each column's input element is broadcast, and
    each accumulator is scattered into the output (or the buffer its
    epilogue writes), whose channels lie a constant stride apart. The
    columns run across the map's rows (a 7x7 map is 49 columns in blocks
    of 6 and 5 on AVX2), and where one channel block's weight panel and
    the input exceed half of L2 the reduction runs in chunks over every
    block (partial sums gathered back). The same form is taken where a
    pitched map would leave over a tenth of its lanes junk (14-wide rows
    on a pitch of 16) and for strided KxK convolutions with at least 32
    reduction steps per lane (it reads the input in place, whatever the
    stride).

    Other KxK convolutions whose output rows fill the vectors poorly (a 7x7
    map uses 7 of 16 lanes) or are strided become an im2col copy into a new
    buffer (a memref.alloc the memory planner places) plus the flattened
    contraction, when that buffer fits the target's L2 (`l2-bytes`).
    A bias broadcast or constant fill of the output right before a
    contraction starts its accumulators instead of being a separate pass.

    Windowed reductions (max and average pools: the body combines input
    0's element into the output with max, min or add) use the same block
    loops with that op in place of the FMA, so stride-2 pools read
    deinterleaved vectors instead of scalars.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"host\"",
           "Target CPU: host, x86-64-v2/v3/v4 or an LLVM CPU name">,
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "Extra target features: +avx2,-avx512f,...">,
    Option<"vectorWidth", "vector-width", "int64_t", "0",
           "f32 lanes per vector (0: from the target)">,
    Option<"rows", "rows", "int64_t", "0",
           "Rows of the register block (0: from the target)">,
    Option<"vectors", "vectors", "int64_t", "0",
           "Vectors per row of the register block (0: from the target)">,
    Option<"parallel", "parallel", "bool", "false",
           "Split the block loop of large ops across threads (scf.parallel, "
           "lowered to OpenMP)">,
    Option<"im2col", "im2col", "bool", "true",
           "Run KxK convolutions with short or strided output rows as "
           "im2col + the flattened contraction">,
    Option<"channelVectors", "channel-vectors", "bool", "true",
           "Vectorize contractions with short output rows along the output "
           "channels (constant weights packed, results scattered)">,
    Option<"pitched", "pitched", "bool", "true",
           "Run stride-1 KxK convolutions on the input's row pitch when that "
           "fills more lanes than their output rows">,
    Option<"fitRows", "fit-rows", "bool", "true",
           "Choose each op's rows x vectors by the smallest block of its "
           "static row count balanced over the blocks (128 rows on AVX2: "
           "6, in blocks of 6 and 5) within the register file, when `rows` "
           "and `vectors` come from the target">,
    Option<"residualEpilogues", "residual-epilogues", "bool", "true",
           "Fold a residual add after a contraction into its stores (the "
           "residual must then be on hand during the contraction: off when "
           "a memory budget may spill it)">,
    Option<"l2", "l2-bytes", "int64_t", "0",
           "L2 bytes the im2col buffer must fit (0: from the target)">,
    ListOption<"dimBounds", "dims", "std::string",
               "Bounds of symbolic dims as name=lo..hi: a dynamic row count "
               "bounded by a few rows (a decode step's one token) gets the "
               "GEMV forms">,
    Option<"l1", "l1-bytes", "int64_t", "0",
           "L1 data bytes half of which hold B's panel of a column tile "
           "(0: from the target)">,
    Option<"splitStores", "split-stores", "int64_t", "-1",
           "Fold an epilogue whose destination rows the kernel's vectors "
           "cross (a padded buffer's interior) into masked stores per row "
           "(1) or leave it a separate op (0); -1: where the target's "
           "masked stores are fast (AVX-512's; AVX2's vmaskmovps stores "
           "made such kernels 1.2x slower on AMD Zen)">,
  ];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::scf::SCFDialect",
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::affine::AffineDialect"
  ];
}

def BlockChannelsPass
    : Pass<"mnemo-cpu-block-channels", "::mlir::func::FuncOp"> {
  let summary = "Channel-blocked (NCHWc) layout for depthwise convolution chains.";
  let description = [{
    Rewrites f32 convolutions on tensors (linalg.conv_2d_nchw_fchw and
    linalg.depthwise_conv_2d_nchw_chw with constant weights) whose output
    rows are at most `max-width` wide into the channel-blocked layout
    [N, C/B, H, W, B], B = the target's f32 lanes:

      x' = linalg.pack x (channels in blocks of B), padded on H and W
      out'[n, fo, oh, ow, fi] += x'[n, co, oh*s+kh, ow*s+kw, ci]
                                 * w'[fo, co, kh, kw, ci, fi]
      out = linalg.unpack out'

    (depthwise: out'[n, cb, oh, ow, c] += x'[n, cb, ..., c] * w'[cb, kh, kw,
    c]; 1x1 stride-1: the map flattened to one dim). The weights are
    re-laid at compile time into new constants, the bias init broadcast in
    the blocked layout. Then upstream's data-layout propagation moves the
    unpacks down and the packs up through elementwise ops and pads, where
    an unpack meeting a pack of the same layout cancels: a chain of
    blocked convolutions, their activations and residual adds stays
    blocked, with one reorder where the chain starts and one where it
    ends (lowered to pad + reshape + transpose).

    Why: in NCHW a vector runs along a map row, which a 7 or 14 wide map
    fills poorly, a stride-2 convolution must deinterleave, and a
    depthwise tap reads at an unaligned offset (with 64-byte vectors nearly
    every load splits two cache lines). Blocked, a vector is B channels of
    one pixel: always full, aligned, and the same for every stride. The
    register-tile pass then blocks rows of pixels x one channel vector.

    Convolutions whose channel counts are not multiples of B keep NCHW; an
    input with fewer channels (a stem on RGB) is read in NCHW by a blocked
    convolution (broadcast scalars need no layout).
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"host\"",
           "Target CPU: host, x86-64-v2/v3/v4 or an LLVM CPU name">,
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "Extra target features: +avx2,-avx512f,...">,
    Option<"lanes", "lanes", "int64_t", "0",
           "Channels per block (0: the target's f32 lanes)">,
    Option<"maxWidth", "max-width", "int64_t", "112",
           "Block convolutions whose output rows are at most this wide">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def WinogradPass : Pass<"mnemo-cpu-winograd", "::mlir::ModuleOp"> {
  let summary = "3x3 stride-1 convolutions as Winograd F(2x2, 3x3).";
  let description = [{
    Rewrites f32 linalg.conv_2d_nchw_fchw on memrefs with 3x3 constant
    weights (a memref.global), stride 1 and dilation 1 into Winograd's
    minimal filtering F(2x2, 3x3) (Lavin and Gray, 2016): each 2x2 block
    of outputs (a tile) comes from a 4x4 window d of the input as
      y = A^T [ (G g G^T) . (B^T d B) ] A
    which takes 16 multiplications per tile and channel pair where the
    direct form takes 36. In bands of R tile rows (R*2 output rows):

      V[p, n, c, t] = (B^T d_t B)[p]       input transform: one generic
                                            with 16 outputs, adds only
      M[p, n, f, t] = sum_c U[p, f, c] * V[p, n, c, t]
                                            16 matmuls as one batched
                                            contraction (register-tile)
      out[n, f, 2i+a, 2j+b] += (A^T M_t A)[a, b]
                                            output transform: one generic
                                            per output parity (a, b),
                                            writing a stride-2 view
    U = G g G^T is a new constant global made at compile time (16/9 of the
    weights; the original goes when nothing else reads it). The
    convolution's output already holds its init (bias), which the output
    transform adds to. On an odd map the last tile row (column) reads a
    4x4 window one row past the input; its fourth row only feeds the
    output row past the map, so that row is read as zeros and the
    output transforms leave the missing row out.

    The band: the whole map while V and M fit in 4x L2 (long rows of tiles
    fill the matmuls' vectors; bands sized for L2 itself measured slower);
    else the most tile rows that fit, at least enough for two vectors of
    matmul columns. V and M are buffers the memory planner places, reused
    by every band.

    Why: ResNet-style networks spend most of their time in 3x3 stride-1
    convolutions; 2.25x fewer multiply-adds (1.7x on 7x7 maps, whose tiles
    overhang) outweigh the transforms, which are adds on contiguous rows.
    The price is memory (the weights grow by 16/9; V and M are 4x the
    band's input and output rows), which is why the pipeline runs this only when
    speed comes first (no memory budget, no --low-memory).

    Convolutions with fewer than `min-channels` input or output channels
    keep the direct form (the transforms would not pay).
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"host\"",
           "Target CPU: host, x86-64-v2/v3/v4 or an LLVM CPU name">,
    Option<"cpuFeatures", "cpu-features", "std::string", "\"\"",
           "Extra target features: +avx2,-avx512f,...">,
    Option<"minChannels", "min-channels", "int64_t", "16",
           "Least input and output channels of a convolution to rewrite">,
    Option<"l2", "l2-bytes", "int64_t", "0",
           "L2 bytes the bands' transformed maps are sized for (0: from "
           "the target)">,
    Option<"releaseWeights", "release-weights", "bool", "false",
           "Erase each replaced weight as its last convolution is "
           "rewritten and free its resource blob (no other module may "
           "share them), instead of after the pass">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"
  ];
}

def FillPadBordersPass
    : Pass<"mnemo-cpu-fill-pad-borders", "::mlir::func::FuncOp"> {
  let summary = "Fills only the border of a padded buffer.";
  let description = [{
    A bufferized `tensor.pad` is a constant fill of the whole padded buffer
    (`linalg.fill`, or a `linalg.map`/`linalg.generic` that only yields a
    value from outside its body) followed by a copy of the source into an
    interior `memref.subview`. When the buffer has a static identity layout,
    the subview static unit-stride offsets and sizes, and no op between the
    fill and the copy touches the buffer, the fill is replaced by one
    `linalg.fill` per padded side (the slabs of the border), so the interior
    is written once instead of twice. The copy and the slabs are emitted
    together in chunks along the outermost unpadded dim (channels), copy
    first, so each row's border is written while the row is in cache
    instead of in a second sweep with a cache miss per row; with `parallel`
    the chunks form an `scf.parallel` (OpenMP threads after lowering).
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Run the chunks as an scf.parallel">,
    Option<"chunks", "chunks", "int64_t", "16",
           "Most chunks (a divisor of the chunked dim)">,
    Option<"minWork", "min-work", "int64_t", "1 << 15",
           "Buffers with fewer elements are written in one piece">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def ParallelizeLoopsPass
    : Pass<"mnemo-cpu-parallelize-loops", "::mlir::func::FuncOp"> {
  let summary = "Splits large linalg ops into chunks run on threads.";
  let description = [{
    Every linalg op on buffers with at least `min-work` units of work
    (static dims only; its iterations weighted by the operands and payload
    ops of one, relative to a one-input elementwise op's 3, so a transform
    with 32 operands counts 10x its iterations) is tiled along its
    outermost parallel dim of two or more iterations (for an 8-bit contraction, the outermost such dim that its
    vector operand reads other than the output's innermost: the output
    rows, so a chunk keeps every output channel of the accumulator tile
    for one register block) into `chunks` pieces with upstream TilingInterface tiling to
    an `scf.forall`. `scf-forall-to-parallel` and `convert-scf-to-openmp`
    run the pieces on OpenMP threads. Runs after the register-blocked
    lowering, so it takes the ops that lowering leaves: elementwise ops,
    pads and copies, pools, strided depthwise convolutions.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "1 << 15",
           "Work (in one-input elementwise iterations) below which an op "
           "stays sequential">,
    Option<"chunks", "chunks", "int64_t", "16",
           "Pieces per op (OpenMP spreads them over its threads)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::memref::MemRefDialect"];
}

def DecomposePadsPass
    : Pass<"mnemo-cpu-decompose-pads", "::mlir::func::FuncOp"> {
  let summary = "Writes tensor.pad as a fill and an insert_slice into it.";
  let description = [{
    Upstream's DecomposePadOpPattern: `tensor.pad %src` becomes a fill (or
    generate) of a new tensor and `tensor.insert_slice %src` into it. Run
    before empty-tensor elimination and one-shot bufferization, so the
    producer of `%src` writes the padded buffer's interior in place instead
    of a buffer that is then copied into it; mnemo-cpu-fill-pad-borders then
    fills only the border.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ApproximateMathPass : Pass<"mnemo-cpu-approximate-math"> {
  let summary = "f32 exp, expm1, tanh and erf as polynomials; pow by 2 and 3 as products.";
  let description = [{
    Without it the CPU path calls libm once per element for `math.exp`,
    `math.tanh`, `math.powf`, ...: a softmax's exp and a GELU's tanh and
    cube are scalar calls the loop vectorizer cannot widen (a GPT-2 124M
    decode step's host share on the PIM target: about 0.15 ms per layer of
    such calls). `powf` by a constant 2 or 3 becomes products, and
    upstream's polynomial approximations (the f32 forms IREE uses for CPUs)
    write exp, expm1, tanh and erf as arith ops that vectorize with the
    loop: within a few ulp, infinities and NaN kept. log stays a libm call
    (the approximation flushes denormal inputs), as do inputs other than
    f32 and the remaining functions. -O0 (the reference loops) does not
    run it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def WeightsObjectPass
    : Pass<"mnemo-cpu-weights-object", "::mlir::ModuleOp"> {
  let summary = "Writes the weights as an ELF object before the LLVM lowering.";
  let description = [{
    Every constant memref.global of at least `min-bytes` whose bytes are
    at hand (a resource blob or a dense array of whole-byte elements) is
    written to `object`, a relocatable ELF object with one hidden symbol
    of the global's name per weight in .rodata (each blob once), and
    becomes a public external declaration of the same type and
    alignment. The module attribute `mnemo.weights_object` (`file`,
    `symbols`) tells the driver which object to link in and which LLVM
    globals to make hidden and dso_local. The code is the same as when
    the driver writes the weights after translation, but the lowering to
    LLVM, the compile's largest IR, no longer runs beside them: with
    `release` (no other module may share the blobs) every blob nothing
    left in the module refers to is freed here (MobileNetV2: 13.6 MB).
    Run by mnemoc for `--weights=embed` objects of 64-bit little-endian
    ELF targets; `triple` defaults to the host's.
  }];
  let options = [
    Option<"object", "object", "std::string", "\"\"",
           "Where to write the weights' object">,
    Option<"triple", "triple", "std::string", "\"\"",
           "Target triple of the object (default: the host's)">,
    Option<"minBytes", "min-bytes", "int64_t", "4096",
           "Smaller constants stay in the code's object">,
    Option<"release", "release", "bool", "false",
           "Free the resource blobs the module no longer refers to (no "
           "other module may use them)">,
  ];
}

def FlattenConstantGlobalsPass
    : Pass<"mnemo-cpu-flatten-constant-globals", "::mlir::ModuleOp"> {
  let summary = "Stores each constant global as one flat byte array.";
  let description = [{
    finalize-memref-to-llvm gives a rank-N weight tensor an N-deep nested
    array type, which translation turns into one LLVM constant per
    innermost row (a [32 x [192 x [1 x [1 x float]]]] weight becomes 6144
    uniqued one-element arrays plus their parents). On MobileNetV2 that is
    most of the LLVM context's memory, and the optimizer and code
    generator walk every one. The memref lowering only ever takes a
    global's address (a GEP of zeros), so the same bytes as a flat
    `!llvm.array<N x i8>` change nothing but the cost: one raw data array
    per weight, which the code generator writes as one block of bytes
    (an array of floats it writes element by element: MobileNetV2's
    weights took 0.86 s instead of 0.11 s on the main thread while the
    object's pieces compiled beside it). Splat constants, i1 and i8
    arrays stay as they are.
  }];
}

def OutlineLayersPass : Pass<"mnemo-cpu-outline-layers", "::mlir::ModuleOp"> {
  let summary = "Moves each large layer loop nest into a function of its own.";
  let description = [{
    A model's layers that are too small to run in parallel stay loop nests
    of its one body function; SqueezeNet's or ShuffleNet's is then 10,000
    lines of LLVM IR that one thread optimizes and compiles, the longest
    piece of the parallel code generation and the most memory held at
    once. Each top-level operation of a function body that has regions, no
    results and at least `min-ops` nested operations (a layer's loop nest)
    becomes a private function marked noinline (LLVM would inline a
    single-caller function back), called in its place: its values defined
    above become arguments, constants are cloned in. The code generator's
    pieces then take layers, not one function (SqueezeNet: `main_graph`
    10,600 -> 1,200 lines; compile 0.5-1 s faster and 3-5 MiB less held
    at the peak on the 2-core machine; the run 7.45-7.60 ms against
    7.38-7.50 ms, interleaved, 1 thread: within noise).
  }];
  let options = [
    Option<"minOps", "min-ops", "int64_t", "30",
           "Nested operations from which a loop nest is outlined">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def ExternalWeightsPass
    : Pass<"mnemo-cpu-external-weights", "::mlir::ModuleOp"> {
  let summary = "Moves the weights into a file the artifact maps at load time.";
  let description = [{
    Every constant memref.global of at least `min-bytes` is written to
    `file` (a 64-byte header: "MNEMOWT1", the file's size, a hash of the
    data; then each weight at a 64-byte aligned offset) and removed from
    the module; its reads become views of the base pointer the loader
    sets through `<name>_set_weights` (the CPU ABI emits it and makes
    `_run` return 10 before it). The optimizer and code generator then
    never see the weights, the object holds code only, and the weights
    stay in the page cache, shared by every process that maps the file.
    The global `__mnemo_weights` carries the file's size and hash for the
    ABI; the module gets `mnemo.weights_bytes`. With `release`, every
    resource blob of the context that nothing left in the module refers
    to is freed (the weights written, and any a pass replaced): the rest
    of the compile does not hold the weights (mnemoc, one module per
    context).
  }];
  let options = [
    Option<"file", "file", "std::string", "\"\"",
           "Where to write the weights">,
    Option<"minBytes", "min-bytes", "int64_t", "256",
           "Smaller constants stay in the object">,
    Option<"release", "release", "bool", "false",
           "Free the resource blobs the module no longer refers to, the "
           "weights written among them (no other module may use them)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def ExpandBF16Pass : Pass<"mnemo-cpu-expand-bf16"> {
  let summary = "Writes f32 <-> bf16 conversions as integer arithmetic.";
  let description = [{
    `arith.truncf` to bf16 and `arith.extf` from bf16 become bit casts,
    shifts and adds (round to nearest even, NaN kept quiet): upstream's
    bf16 expansion patterns. Without it LLVM calls `__truncsfbf2` on CPUs
    without AVX512-BF16, which gcc 12's libgcc lacks, and the artifact does
    not load. bf16 arithmetic is first moved to f32
    (`arith-emulate-unsupported-floats`, in the pipeline).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def CollectivesToMPIPass : Pass<"mnemo-cpu-collectives-to-mpi", "::mlir::ModuleOp"> {
  let summary = "Lowers shard collectives to MPI (OpenMPI ABI).";
  let description = [{
    Each shard.all_reduce on a 1-D grid (vocab-parallel ranks) becomes an
    mpi.allreduce on MPI_COMM_WORLD from the input's buffer into a new one
    (bufferization.to_buffer / to_tensor, joined by one-shot bufferization).
    Unlike upstream convert-shard-to-mpi it takes dynamic shapes (exported
    decoders keep a symbolic batch) and splits no communicator per call.
    The shard.grid declarations go, and the module's DLTI names OpenMPI,
    Debian's MPI, as the ABI for the mpi-to-llvm lowering.
  }];
  let dependentDialects = ["::mlir::mpi::MPIDialect", "::mlir::DLTIDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

def MPIToLLVMPass : Pass<"mnemo-cpu-mpi-to-llvm", "::mlir::ModuleOp"> {
  let summary = "Lowers mpi ops to calls into the MPI library.";
  let description = [{
    Upstream's MPI -> LLVM patterns, applied only where the module has mpi
    ops (the generic convert-to-llvm refuses modules without the dialect).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // MNEMO_TARGET_CPU_PASSES_TD

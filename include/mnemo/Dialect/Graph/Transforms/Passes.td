//===- Passes.td - graph dialect passes --------------------*- tablegen -*-===//

#ifndef MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
#define MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Shape inference
//===----------------------------------------------------------------------===//

def GraphInferShapesPass : Pass<"graph-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Folds shape arithmetic and refines graph result types.";
  let description = [{
    Runs the graph folders and canonicalization patterns to a fixed point,
    re-inferring every op's result type as constants appear, then refines
    the function's result types to what its return now yields. Shape chains
    (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) on static shapes
    collapse to constants; dims that depend on run-time sizes stay `?`.
  }];
  let dependentDialects = ["::mnemo::graph::GraphDialect"];
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// KV cache
//===----------------------------------------------------------------------===//

def KVCachePass : Pass<"mnemo-kv-cache", "::mlir::func::FuncOp"> {
  let summary = "Rewrites an exported KV cache to a preallocated one updated in place.";
  let description = [{
    Matches the decoder step exporters emit: a graph input `past` [B, H, P,
    D] whose only uses are Shape and one Concat(past, new) along axis 2,
    the Concat returned as the `present` output and read by attention. Each
    such pair becomes a cache input of `max-seq` positions in `layout`
    (head-major, token-major, paged, int8), written at `cache_position`
    (a new i64 [1] input: the number of tokens already cached) by
    `graph.kv_cache_write` and read as [B, H, position + S, D] by
    `graph.kv_cache_read`. The present outputs are dropped: the caller's
    cache buffers are updated in place, so a step writes S tokens instead
    of copying P + S. `paged` adds a `kv_block_table` input (i64
    [max-seq / kv-block]) naming the pool block of each run of `kv-block`
    positions. `int8` keeps keys quantized per channel over `int8-group`
    tokens (the group being filled stays f32 beside them) and values per
    token, each with f32 scales.
  }];
  let options = [
    Option<"layout", "layout", "std::string", "\"head-major\"",
           "head-major | token-major | paged | int8">,
    Option<"maxSeq", "max-seq", "int64_t", "0",
           "Positions each cache holds (required)">,
    Option<"blockSize", "kv-block", "int64_t", "16",
           "Positions per block of the paged layout">,
    Option<"group", "int8-group", "int64_t", "16",
           "Tokens per key scale group of the int8 layout">,
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

#endif // MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD

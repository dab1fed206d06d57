// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{max-seq=64}))'
// RUN: not mnemo-opt %S/kv-cache.mlir --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=paged max-seq=60 kv-block=16}))' 2>&1 | FileCheck %s --check-prefix=PAGED
// RUN: not mnemo-opt %S/kv-cache.mlir --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=sideways max-seq=64}))' 2>&1 | FileCheck %s --check-prefix=LAYOUT

// PAGED: max-seq 60 is not a multiple of kv-block 16
// LAYOUT: unknown layout 'sideways' (head-major, token-major, paged, int8)

// A Concat that is not returned is no KV cache (no present to drop).
// expected-error @+1 {{mnemo-kv-cache: no KV cache in @no_present}}
func.func @no_present(%k: tensor<1x2x1x8xf32>,
                      %pk: tensor<1x2x?x8xf32> {graph.name = "past.key"})
    -> tensor<1x2x?x8xf32> {
  // expected-warning @+1 {{input 'past.key' is not a KV cache: its Concat is not a graph output (no present tensor)}}
  %kall = graph.concat %pk, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %r = graph.relu %kall : (tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

// -----

// Heads must be static: the cache is preallocated.
func.func @dynamic_heads(%k: tensor<1x?x1x8xf32>,
                         %pk: tensor<1x?x?x8xf32> {graph.name = "past.key"})
    -> tensor<1x?x?x8xf32> {
  // expected-error @+1 {{KV cache input 'past.key' needs static batch, heads and head size, got 'tensor<1x?x?x8xf32>'}}
  %kall = graph.concat %pk, %k {axis = 2 : i64} : (tensor<1x?x?x8xf32>, tensor<1x?x1x8xf32>) -> tensor<1x?x?x8xf32>
  return %kall : tensor<1x?x?x8xf32>
}

// -----

// The ops check their caches against the layout.
func.func @bad_read(%c: tensor<1x2x64x8xf32>, %len: tensor<1xi64>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  // expected-error @+2 {{layout 'int8' takes 3 cache tensors, got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = graph.kv_cache_read(%c), %len, %none {layout = "int8", group = 16 : i64} : (tensor<1x2x64x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

// -----

func.func @paged_without_table(%c: tensor<4x2x16x8xf32>, %len: tensor<1xi64>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  // expected-error @+2 {{a block table goes with the paged layout}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = graph.kv_cache_read(%c), %len, %none {layout = "paged", block_size = 16 : i64} : (tensor<4x2x16x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

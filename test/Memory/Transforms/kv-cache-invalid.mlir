// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{max-seq=64}))'
// RUN: not mnemo-opt %S/kv-cache.mlir --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=paged max-seq=60 kv-block=16}))' 2>&1 | FileCheck %s --check-prefix=PAGED
// RUN: not mnemo-opt %S/kv-cache.mlir --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=sideways max-seq=64}))' 2>&1 | FileCheck %s --check-prefix=LAYOUT

// PAGED: max-seq 60 is not a multiple of kv-block 16
// RUN: not mnemo-opt %S/kv-cache.mlir --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=kivi2 max-seq=60 int8-group=16}))' 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=kivi2 max-seq=64}))' 2>&1 | FileCheck %s --check-prefix=KIVI

// LAYOUT: unknown layout 'sideways' (head-major, token-major, paged, int8, kivi2)
// GROUP: max-seq 60 is not a multiple of the quantization group 16
// KIVI: kivi2 KV cache: head size 6 of 'past.key' is not a multiple of 4 (four 2-bit codes per byte)
// KIVI: kivi2 KV cache: cannot tell whether 'past.k' holds keys or values (its name says neither)

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

func.func @kivi2_bad_params(%c: tensor<1x2x64x2xi8>, %s: tensor<1x2x4x8xf32>, %m: tensor<1x2x64x1xf32>, %g: tensor<1x2x16x8xf32>, %len: tensor<1xi64>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  // expected-error @+2 {{kivi2 key cache: scales and minimums must be [B, H, T/group, D] and the group [B, H, 16, D], with D = 4 x codes dim}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = graph.kv_cache_read(%c, %s, %m, %g), %len, %none {layout = "kivi2", group = 16 : i64} : (tensor<1x2x64x2xi8>, tensor<1x2x4x8xf32>, tensor<1x2x64x1xf32>, tensor<1x2x16x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

// -----

// Under kivi2 (the KIVI run above) head size 6 cannot be packed, and a
// past whose name says neither key nor value cannot be quantized; the
// default layout takes both.
func.func @kivi2_head_size(%k: tensor<1x2x1x6xf32>,
                           %pk: tensor<1x2x?x6xf32> {graph.name = "past.key"})
    -> tensor<1x2x?x6xf32> {
  %kall = graph.concat %pk, %k {axis = 2 : i64} : (tensor<1x2x?x6xf32>, tensor<1x2x1x6xf32>) -> tensor<1x2x?x6xf32>
  return %kall : tensor<1x2x?x6xf32>
}

// -----

func.func @kivi2_unnamed(%k: tensor<1x2x1x8xf32>,
                         %pk: tensor<1x2x?x8xf32> {graph.name = "past.k"})
    -> tensor<1x2x?x8xf32> {
  %kall = graph.concat %pk, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  return %kall : tensor<1x2x?x8xf32>
}

// -----

func.func @paged_without_table(%c: tensor<4x2x16x8xf32>, %len: tensor<1xi64>) -> tensor<1x2x?x8xf32> {
  %none = graph.none
  // expected-error @+2 {{a block table goes with the paged layout}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = graph.kv_cache_read(%c), %len, %none {layout = "paged", block_size = 16 : i64} : (tensor<4x2x16x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
  return %r : tensor<1x2x?x8xf32>
}

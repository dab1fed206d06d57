// RUN: mnemo-opt %s --convert-graph-to-linalg --split-input-file | FileCheck %s

// FlashAttention form: query tiles, then key tiles carrying the running
// max, sum and output; 24 keys per tile leave a partial last tile of 8.
// CHECK-LABEL: @select_mask
// CHECK: %[[OUT:.*]] = scf.for %[[I:.*]] = %c0 to %c32 step %c16 iter_args(%[[O:.*]] = %{{.*}}) -> (tensor<1x2x32x16xf32>)
// CHECK: tensor.extract_slice %arg0[0, 0, %[[I]], 0] [1, 2, 16, 16]
// CHECK: %[[R:.*]]:3 = scf.for %[[J:.*]] = %c0 to %c32{{.*}} step %c24 iter_args(%[[M:.*]] = %{{.*}}, %[[L:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<1x2x16xf32>, tensor<1x2x16xf32>, tensor<1x2x16x16xf32>)
// CHECK: %[[N:.*]] = arith.minsi %c24{{.*}}, %{{.*}}
// CHECK: tensor.extract_slice %arg1[0, 0, 0, %[[J]]] [1, 2, 16, %[[N]]]
// CHECK: tensor.extract_slice %arg3[0, 0, %[[I]], %[[J]]] [1, 1, 16, %[[N]]]
// CHECK: arith.mulf
// CHECK: arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : f32
// CHECK: arith.maximumf
// CHECK: math.exp
// The carried tiles are updated in place (their op's init is the iter_arg).
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x16xf32>) outs(%[[M]] : tensor<1x2x16xf32>)
// CHECK: outs(%[[L]] : tensor<1x2x16xf32>)
// CHECK: outs(%[[ACC]] : tensor<1x2x16x16xf32>)
// CHECK: scf.yield
// CHECK: arith.divf
// CHECK: tensor.insert_slice %{{.*}} into %[[O]][0, 0, %[[I]], 0] [1, 2, 16, 16]
// CHECK: return %[[OUT]]
func.func @select_mask(%q: tensor<1x2x32x16xf32>, %kt: tensor<1x2x16x32xf32>, %v: tensor<1x2x32x16xf32>, %mask: tensor<1x1x32x32xi1>) -> tensor<1x2x32x16xf32> {
  %a = graph.attention %q, %kt, %v, %mask {fill = -3.4028234663852886E+38 : f64, kv_tile = 24 : i64, mask_kind = "select", q_tile = 16 : i64, scale = 2.500000e-01 : f64} : (tensor<1x2x32x16xf32>, tensor<1x2x16x32xf32>, tensor<1x2x32x16xf32>, tensor<1x1x32x32xi1>) -> tensor<1x2x32x16xf32>
  return %a : tensor<1x2x32x16xf32>
}

// -----

// A dynamic key count (decode with a KV cache): tiles of 64, the last one
// partial; NaN rows (every key masked) become zeros.
// CHECK-LABEL: @dynamic_keys
// CHECK: tensor.dim %arg2, %c2
// CHECK: scf.for
// CHECK: scf.for {{.*}} to %dim step %c64
// CHECK: arith.addf
// CHECK: arith.cmpf uno
// CHECK: arith.select
func.func @dynamic_keys(%q: tensor<1x4x1x16xf32>, %kt: tensor<1x4x16x?xf32>, %v: tensor<1x4x?x16xf32>, %mask: tensor<1x1x1x?xf32>) -> tensor<1x4x1x16xf32> {
  %a = graph.attention %q, %kt, %v, %mask {mask_kind = "add", nan_to_zero = true} : (tensor<1x4x1x16xf32>, tensor<1x4x16x?xf32>, tensor<1x4x?x16xf32>, tensor<1x1x1x?xf32>) -> tensor<1x4x1x16xf32>
  return %a : tensor<1x4x1x16xf32>
}

// -----

// k_rows: the keys as cached ([.., N, D]): a key tile is a block of rows,
// and the score product reads it with (col, d) swapped; no transposed copy.
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3, d4)>
// CHECK-LABEL: @key_rows
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract_slice %arg1[0, 0, %{{.*}}, 0] [1, 4, %{{.*}}, 16]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[K]], #{{.*}}]
func.func @key_rows(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>) -> tensor<1x4x1x16xf32> {
  %none = graph.none
  %a = graph.attention %q, %k, %v, %none {k_rows = true, scale = 2.500000e-01 : f64} : (tensor<1x4x1x16xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x16xf32>, none) -> tensor<1x4x1x16xf32>
  return %a : tensor<1x4x1x16xf32>
}

// RUN: mnemo-opt %s --convert-graph-to-linalg --split-input-file | FileCheck %s

// One generic over the labels; j (not in the output) is summed.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: @batch_matmul
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32)
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%arg0, %arg1 : {{.*}}) outs(%[[Z]] : tensor<2x3x5xf32>)
// CHECK: %[[P:.*]] = arith.mulf %in, %in_0 : f32
// CHECK: arith.addf %out, %[[P]] : f32
func.func @batch_matmul(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = graph.einsum %a, %b {equation = "bij,bjk->bik"} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// A label twice in one input reads the diagonal; the ellipsis' dims lead.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: @batch_diagonal
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel"]}
func.func @batch_diagonal(%a: tensor<2x1x3x3xf32>) -> tensor<2x1x3xf32> {
  %0 = graph.einsum %a {equation = "...ii->...i"} : (tensor<2x1x3x3xf32>) -> tensor<2x1x3xf32>
  return %0 : tensor<2x1x3xf32>
}

// -----

// No `->`: the output is the labels used once, alphabetically (here none:
// an inner product), integers multiplied and added as integers.
// CHECK-LABEL: @inner_product
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK: arith.muli
// CHECK: arith.addi
func.func @inner_product(%a: tensor<5xi32>, %b: tensor<5xi32>) -> tensor<i32> {
  %0 = graph.einsum %a, %b {equation = "i,i"} : (tensor<5xi32>, tensor<5xi32>) -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

// Implicit transpose ("ji" -> "ij": loops in order of appearance, the
// output alphabetical) and a size-1 ellipsis dim broadcast (read at 0).
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[BC:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: @implicit_transpose
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[T]]], iterator_types = ["parallel", "parallel"]}
// CHECK-LABEL: @broadcast
// CHECK: linalg.generic {indexing_maps = [#[[BC]], #{{.*}}, #{{.*}}], iterator_types = ["parallel", "reduction"]}
func.func @implicit_transpose(%a: tensor<3x4xf32>) -> tensor<4x3xf32> {
  %0 = graph.einsum %a {equation = "ji"} : (tensor<3x4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
func.func @broadcast(%a: tensor<1x3xf32>, %b: tensor<4x3xf32>) -> tensor<4xf32> {
  %0 = graph.einsum %a, %b {equation = "...j,...j->..."} : (tensor<1x3xf32>, tensor<4x3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// RUN: mnemo-opt %s --convert-graph-to-linalg --canonicalize | FileCheck %s

// NonZero: a worst-case [rank, numel] buffer filled in row-major order; the
// count of written columns, clamped to [0, numel] (the clamp is what the
// memory planner's size bounds read), cuts it, and the slice is copied
// into a contiguous tensor of its own.
// CHECK-LABEL: @non_zero
// CHECK: %[[BUF:.*]] = tensor.empty() : tensor<2x6xi64>
// CHECK: %[[ROWS:.*]]:2 = scf.for %[[I:[a-z0-9_]+]] = %c0 to %c2 {{.*}} iter_args({{.*}} = %[[BUF]], %[[N0:.*]] = %c0)
// CHECK: scf.for %[[J:[a-z0-9_]+]] = %c0 to %c3
// CHECK: %[[X:.*]] = tensor.extract %arg0[%[[I]], %[[J]]] : tensor<2x3xf32>
// CHECK: %[[NZ:.*]] = arith.cmpf une, %[[X]]
// CHECK: scf.if %[[NZ]]
// CHECK: tensor.insert {{.*}}[%c0, {{.*}}] : tensor<2x6xi64>
// CHECK: tensor.insert {{.*}}[%c1, {{.*}}] : tensor<2x6xi64>
// CHECK: %[[MIN:.*]] = arith.minsi %[[ROWS]]#1, %c6
// CHECK: %[[N:.*]] = arith.maxsi %[[MIN]], %c0
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[ROWS]]#0[0, 0] [2, %[[N]]] [1, 1]
// CHECK: %[[OUT:.*]] = tensor.empty(%[[N]]) : tensor<2x?xi64>
// CHECK: linalg.copy ins(%[[SLICE]] : tensor<2x?xi64>) outs(%[[OUT]] : tensor<2x?xi64>)
func.func @non_zero(%x: tensor<2x3xf32>) -> tensor<2x?xi64> {
  %0 = graph.non_zero %x : (tensor<2x3xf32>) -> tensor<2x?xi64>
  return %0 : tensor<2x?xi64>
}

// Compress along an axis: selected slices move to the front of a buffer
// of min(dim, len(condition)) = 2 slices, the bound; positions past the
// condition's end are never read.
// CHECK-LABEL: @compress_axis
// CHECK: %[[BUF:.*]] = tensor.empty() : tensor<3x2xf32>
// CHECK: %[[L:.*]]:2 = scf.for %[[J:[a-z0-9_]+]] = %c0 to %c2 {{.*}} iter_args({{.*}} = %[[BUF]], %[[C:.*]] = %c0)
// CHECK: %[[SEL:.*]] = tensor.extract %arg1[%[[J]]] : tensor<2xi1>
// CHECK: scf.if %[[SEL]]
// CHECK: %[[COL:.*]] = tensor.extract_slice %arg0[0, %[[J]]] [3, 1] [1, 1]
// CHECK: tensor.insert_slice %[[COL]] into {{.*}}[0, %[[C]]] [3, 1] [1, 1]
// CHECK: arith.minsi %[[L]]#1, %c2
// CHECK: tensor.extract_slice %[[L]]#0[0, 0] [3, {{.*}}] [1, 1]
func.func @compress_axis(%x: tensor<3x4xf32>, %c: tensor<2xi1>) -> tensor<3x?xf32> {
  %0 = graph.compress %x, %c {axis = -1 : i64} : (tensor<3x4xf32>, tensor<2xi1>) -> tensor<3x?xf32>
  return %0 : tensor<3x?xf32>
}

// Without an axis the input is flattened first.
// CHECK-LABEL: @compress_flat
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1]] : tensor<3x2xf32> into tensor<6xf32>
// CHECK: scf.for {{.*}} = %c0 to %c5
// CHECK: tensor.extract_slice {{.*}}[0] [{{.*}}] [1] : tensor<5xf32> to tensor<?xf32>
func.func @compress_flat(%x: tensor<3x2xf32>, %c: tensor<5xi1>) -> tensor<?xf32> {
  %0 = graph.compress %x, %c : (tensor<3x2xf32>, tensor<5xi1>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// NonMaxSuppression: per batch and class, N selection steps; each scans
// for the best unvisited candidate above the score threshold and keeps it
// unless a kept box suppresses it. A constant max_output_boxes_per_class
// (2) bounds the rows: batches x classes x 2 = 4.
// CHECK-LABEL: @nms
// CHECK: %[[OUT:.*]] = tensor.empty() : tensor<4x3xi64>
// CHECK: scf.for {{.*}} = %c0 to %c2
// CHECK: scf.for {{.*}} = %c0 to %c5
// CHECK: scf.for {{.*}} = %c0 to %c5
// CHECK: arith.cmpf ogt
// CHECK: scf.for {{.*}} = %c0 to %{{.*}} {{.*}} -> (i1)
// CHECK: arith.divf
// CHECK: arith.minsi {{.*}}, %c4
// CHECK: tensor.extract_slice {{.*}}[0, 0] [{{.*}}, 3] [1, 1]
func.func @nms(%boxes: tensor<1x5x4xf32>, %scores: tensor<1x2x5xf32>, %iou: tensor<1xf32>, %thr: tensor<1xf32>) -> tensor<?x3xi64> {
  %max = graph.constant dense<2> : tensor<1xi64>
  %0 = graph.non_max_suppression %boxes, %scores, %max, %iou, %thr {center_point_box = 1 : i64} : (tensor<1x5x4xf32>, tensor<1x2x5xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> tensor<?x3xi64>
  return %0 : tensor<?x3xi64>
}

// Unique along axis 1: items are the columns (a transpose makes them rows
// of a [4, 3] matrix); first occurrences, the distinct list, a bubble sort
// (sorted = 1), then ranks, inverse indices and counts. Y, indices and
// counts are bounded by the 4 columns; inverse_indices has one per column.
// CHECK-LABEL: @unique_axis
// CHECK: linalg.transpose ins(%arg0 : tensor<3x4xf32>) {{.*}} permutation = [1, 0]
// CHECK: scf.for {{.*}} -> (tensor<4xindex>)
// CHECK: arith.cmpf olt
// CHECK: arith.minsi {{.*}}, %c4
// CHECK: tensor.extract_slice {{.*}}[0, 0] [3, {{.*}}] [1, 1] : tensor<3x4xf32> to tensor<3x?xf32>
// CHECK: return {{.*}} : tensor<3x?xf32>, tensor<?xi64>, tensor<4xi64>, tensor<?xi64>
func.func @unique_axis(%x: tensor<3x4xf32>) -> (tensor<3x?xf32>, tensor<?xi64>, tensor<4xi64>, tensor<?xi64>) {
  %0:4 = graph.unique %x {axis = 1 : i64} : (tensor<3x4xf32>) -> (tensor<3x?xf32>, tensor<?xi64>, tensor<4xi64>, tensor<?xi64>)
  return %0#0, %0#1, %0#2, %0#3 : tensor<3x?xf32>, tensor<?xi64>, tensor<4xi64>, tensor<?xi64>
}

// RUN: mnemo-opt %s --convert-graph-to-linalg --split-input-file | FileCheck %s

// GatherND with one batch dim: a generic over the output reading data at
// the index tuple, wrapped when negative and clamped into the data.
// CHECK-LABEL: @gather_nd
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x5x4xf32>)
// CHECK: %[[B:.*]] = linalg.index 0
// CHECK: %[[P:.*]] = linalg.index 1
// CHECK: %[[J:.*]] = linalg.index 2
// CHECK: %[[T:.*]] = tensor.extract %arg1[%[[B]], %[[P]], %{{.*}}] : tensor<2x5x1xi64>
// CHECK: arith.select
// CHECK: arith.minsi
// CHECK: %[[I:.*]] = arith.maxsi
// CHECK: tensor.extract %arg0[%[[B]], %[[I]], %[[J]]] : tensor<2x3x4xf32>
func.func @gather_nd(%d: tensor<2x3x4xf32>, %i: tensor<2x5x1xi64>) -> tensor<2x5x4xf32> {
  %0 = graph.gather_nd %d, %i {batch_dims = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x1xi64>) -> tensor<2x5x4xf32>
  return %0 : tensor<2x5x4xf32>
}

// -----

// ScatterElements: loops over the updates carrying data; an update outside
// the data is skipped; add combines with the element there.
// CHECK-LABEL: @scatter_elements_add
// CHECK: scf.for %[[R:[a-z0-9_]+]] = {{.*}} iter_args(%[[A0:[a-z0-9_]+]] = %arg0) -> (tensor<3x3xf32>)
// CHECK: scf.for %[[C:[a-z0-9_]+]] = {{.*}} iter_args(%[[A:[a-z0-9_]+]] = %[[A0]]) -> (tensor<3x3xf32>)
// CHECK: %[[IX:.*]] = tensor.extract %arg1[%[[R]], %[[C]]]
// CHECK: %[[IN:.*]] = arith.andi
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[R]], %[[C]]]
// CHECK: scf.if %[[IN]] -> (tensor<3x3xf32>)
// CHECK: %[[OLD:.*]] = tensor.extract %[[A]][%[[T:.*]], %[[C]]]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[U]]
// CHECK: tensor.insert %[[NEW]] into %[[A]][%[[T]], %[[C]]]
// CHECK: } else {
// CHECK: scf.yield %[[A]]
func.func @scatter_elements_add(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>) -> tensor<3x3xf32> {
  %0 = graph.scatter_elements %d, %i, %u {axis = 0 : i64, reduction = "add"} : (tensor<3x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// ScatterND writes update row p at data[indices[p, 0], :]; no reduction:
// nothing is read back.
// CHECK-LABEL: @scatter_nd
// CHECK: scf.for %[[P:[a-z0-9_]+]] = {{.*}} -> (tensor<4x4xf32>)
// CHECK: scf.for %[[J:[a-z0-9_]+]] = {{.*}} iter_args(%[[A:[a-z0-9_]+]] = %{{.*}}) -> (tensor<4x4xf32>)
// CHECK: tensor.extract %arg1[%[[P]], %{{.*}}] : tensor<2x1xi64>
// CHECK: %[[U:.*]] = tensor.extract %arg2[%[[P]], %[[J]]]
// CHECK: scf.if
// CHECK-NOT: tensor.extract %[[A]]
// CHECK: tensor.insert %[[U]] into %[[A]][%{{.*}}, %[[J]]]
func.func @scatter_nd(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  %0 = graph.scatter_nd %d, %i, %u : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// OneHot with a constant depth: each element compares its position on the
// new axis with the (wrapped) index and picks values[1] or values[0].
// CHECK-LABEL: @one_hot
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3x5xf32>)
// CHECK: %[[I:.*]] = linalg.index 0
// CHECK: %[[P:.*]] = linalg.index 1
// CHECK: tensor.extract %arg0[%[[I]]] : tensor<3xi64>
// CHECK: %[[W:.*]] = arith.select
// CHECK: %[[HOT:.*]] = arith.cmpi eq, %[[W]], %[[P]]
// CHECK: %[[ON:.*]] = tensor.extract %arg1[%c1{{.*}}]
// CHECK: %[[OFF:.*]] = tensor.extract %arg1[%c0{{.*}}]
// CHECK: arith.select %[[HOT]], %[[ON]], %[[OFF]] : f32
func.func @one_hot(%i: tensor<3xi64>, %v: tensor<2xf32>) -> tensor<3x5xf32> {
  %d = graph.constant dense<5> : tensor<i64>
  %0 = graph.one_hot %i, %d, %v : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

// A symmetric Blackman window of 8 points: 0.42 - 0.5 cos(2 pi n / 7) +
// 0.08 cos(4 pi n / 7) in f64, then f32.
// CHECK-LABEL: @blackman
// CHECK: %[[STEP:.*]] = arith.constant 0.89759790102565518 : f64
// CHECK: %[[PH:.*]] = arith.mulf %{{.*}}, %[[STEP]] : f64
// CHECK: arith.constant 4.200000e-01 : f64
// CHECK: math.cos %[[PH]] : f64
// CHECK: math.cos
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @blackman() -> tensor<8xf32> {
  %n = graph.constant dense<8> : tensor<i64>
  %0 = graph.window %n {kind = "blackman", periodic = 0 : i64} : (tensor<i64>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// ReverseSequence (time axis 0, batch axis 1): time t < len[b] reads
// len[b] - 1 - t, the rest stays.
// CHECK-LABEL: @reverse_sequence
// CHECK: %[[T:.*]] = linalg.index 0
// CHECK: %[[B:.*]] = linalg.index 1
// CHECK: tensor.extract %arg1[%[[B]]] : tensor<3xi64>
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[T]], %[[LEN:.*]] : index
// CHECK: %[[SRC:.*]] = arith.select %[[IN]], %{{.*}}, %[[T]] : index
// CHECK: tensor.extract %arg0[%[[SRC]], %[[B]], %{{.*}}] : tensor<4x3x2xf32>
func.func @reverse_sequence(%x: tensor<4x3x2xf32>, %l: tensor<3xi64>) -> tensor<4x3x2xf32> {
  %0 = graph.reverse_sequence %x, %l {batch_axis = 1 : i64, time_axis = 0 : i64} : (tensor<4x3x2xf32>, tensor<3xi64>) -> tensor<4x3x2xf32>
  return %0 : tensor<4x3x2xf32>
}

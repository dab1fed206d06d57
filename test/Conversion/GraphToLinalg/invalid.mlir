// Without an importer NameLoc the node name prints as '?'; imported models
// carry the ONNX node name (see test/Import/ONNX/bad-input.test).
// RUN: mnemo-opt %s --convert-graph-to-linalg --split-input-file -verify-diagnostics

func.func @unknown(%x: tensor<4xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{ONNX node '?' (TopK): no lowering for this op}}
  %0 = graph.onnx_node "TopK"(%x) {domain = "", opset = 17 : i64, onnx_attributes = {}} : (tensor<4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{ONNX node '?' (Relu): result rank is unknown}}
  %0 = graph.relu %x : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @training_dropout(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = graph.constant dense<0.5> : tensor<f32>
  %t = graph.constant dense<true> : tensor<i1>
  // expected-error @+1 {{ONNX node '?' (Dropout): cannot lower this node: training-mode dropout needs a static float input}}
  %0 = graph.dropout %x, %r, %t : (tensor<?xf32>, tensor<f32>, tensor<i1>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// A ranked result of an operand without a shape (a graph input declared
// without one): the patterns read operand shapes.
func.func @unranked_operand(%s: tensor<*xi32>, %l: tensor<i32>, %d: tensor<i32>) -> tensor<?xi32> {
  // expected-error @+1 {{ONNX node '?' (Range): operand 0 has unknown rank ('tensor<*xi32>'); give the graph input a shape}}
  %0 = graph.range %s, %l, %d : (tensor<*xi32>, tensor<i32>, tensor<i32>) -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// A Loop's scan outputs need a bound on the iteration count (the importer
// sets one or rejects the node; hand-written IR may leave it out).
func.func @loop_without_bound(%m: tensor<i64>, %x: tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
  %none = graph.none
  // expected-error @+1 {{ONNX node '?' (Loop): cannot lower this node}}
  %0:2 = graph.loop(%m, %none, %x) : (tensor<i64>, none, tensor<2xf32>) -> (tensor<2xf32>, tensor<?x2xf32>) {
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    graph.yield %cond, %v, %v : tensor<i1>, tensor<2xf32>, tensor<2xf32>
  }
  return %0#0, %0#1 : tensor<2xf32>, tensor<?x2xf32>
}

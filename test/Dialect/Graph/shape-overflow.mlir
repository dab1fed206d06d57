// RUN: mnemo-opt --split-input-file --verify-diagnostics %s

// Shape functions read sizes from the model's constants and attributes;
// extreme values are errors, not signed overflow (found by the compile
// and importer fuzzers under UBSan: a Reshape target of
// [0, -1, 7, INT64_MAX]).
func.func @reshape_overflow(%x: tensor<2x3xf32>) -> tensor<?x?x?x?xf32> {
  %s = graph.constant dense<[0, -1, 7, 9223372036854775807]> : tensor<4xi64>
  // expected-error @+2 {{shape [0, -1, 7, 9223372036854775807] has more elements than 64 bits count}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = graph.reshape %x, %s : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %r : tensor<?x?x?x?xf32>
}

// -----

func.func @tile_overflow(%x: tensor<4x3xf32>) -> tensor<?x?xf32> {
  %r = graph.constant dense<[4611686018427387904, 1]> : tensor<2xi64>
  // expected-error @+2 {{repeats of dim 0 overflow 64 bits}}
  // expected-error @+1 {{failed to infer returned types}}
  %t = graph.tile %x, %r : (tensor<4x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %t : tensor<?x?xf32>
}

// -----

func.func @pad_overflow(%x: tensor<4xf32>) -> tensor<?xf32> {
  %p = graph.constant dense<[9223372036854775807, 1]> : tensor<2xi64>
  %none = graph.none
  // expected-error @+2 {{pads of dim 0 overflow 64 bits}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = graph.pad %x, %p, %none, %none : (tensor<4xf32>, tensor<2xi64>, none, none) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

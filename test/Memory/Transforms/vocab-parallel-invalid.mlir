// RUN: mnemo-opt %s --split-input-file --verify-diagnostics -mnemo-vocab-parallel="shards=2"
// RUN: not mnemo-opt %S/vocab-parallel.mlir -split-input-file -mnemo-vocab-parallel="output=probs" 2>&1 | FileCheck %s --check-prefix=OUTPUT
// RUN: not mnemo-opt %S/vocab-parallel.mlir -split-input-file -mnemo-vocab-parallel="shards=2 rank=2" 2>&1 | FileCheck %s --check-prefix=RANK
// RUN: not mnemo-opt %S/vocab-parallel.mlir -split-input-file -mnemo-vocab-parallel="shards=5" 2>&1 | FileCheck %s --check-prefix=SHARDS
// RUN: not mnemo-opt %s -split-input-file -mnemo-vocab-parallel="shards=1 output=last-logits" 2>&1 | FileCheck %s --check-prefix=LAST

// OUTPUT: vocab-parallel: unknown output 'probs' (logits | last-logits | argmax | last-argmax)
// RANK: vocab-parallel: rank 2 of 2 shards is out of range
// SHARDS: error: vocab-parallel: 5 shards for a vocabulary of 4
// LAST: error: vocab-parallel: last-logits needs the LM head's input to have a token axis, but it is 'tensor<2xf32>'

// A head whose weight is computed, not a constant, cannot be split at
// compile time.
// expected-error @+1 {{vocab-parallel: no LM head}}
func.func @main_graph(%h: tensor<1x3x2xf32>, %w: tensor<2x4xf32>) -> tensor<1x3x4xf32> {
  %l = graph.matmul %h, %w : (tensor<1x3x2xf32>, tensor<2x4xf32>) -> tensor<1x3x4xf32>
  return %l : tensor<1x3x4xf32>
}

// -----

// Logits that feed more than the output are not the head's output alone.
// expected-error @+1 {{vocab-parallel: no LM head}}
func.func @main_graph(%h: tensor<1x3x2xf32>) -> (tensor<1x3x4xf32>, tensor<1x3x4xf32>) {
  %w = graph.constant dense<1.0> : tensor<2x4xf32>
  %l = graph.matmul %h, %w : (tensor<1x3x2xf32>, tensor<2x4xf32>) -> tensor<1x3x4xf32>
  %t = graph.tanh %l : (tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
  return %l, %t : tensor<1x3x4xf32>, tensor<1x3x4xf32>
}

// -----

// Returned whole, logits cannot be made smaller by chunks: the head stays
// as it is, with a warning that says what to ask for instead.
func.func @main_graph(%h: tensor<1x3x2xf32>) -> tensor<1x3x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x4xf32>
  // expected-warning @+1 {{the graph returns the whole logits [..., 4], which chunking cannot make smaller}}
  %l = graph.matmul %h, %w : (tensor<1x3x2xf32>, tensor<2x4xf32>) -> tensor<1x3x4xf32>
  return %l : tensor<1x3x4xf32>
}

// -----

// last-* needs a token axis to take the last position of (LAST).
func.func @main_graph(%h: tensor<2xf32>) -> tensor<4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x4xf32>
  // expected-warning @+1 {{the LM head stays whole}}
  %l = graph.matmul %h, %w : (tensor<2xf32>, tensor<2x4xf32>) -> tensor<4xf32>
  return %l : tensor<4xf32>
}

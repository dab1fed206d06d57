// RUN: mnemo-opt --split-input-file --verify-diagnostics --graph-infer-shapes %s | FileCheck %s

// Reshape targets built from Shape, Gather, Unsqueeze and Concat keep the
// entries they know when one is symbolic: GPT-2's head split of a
// [1, seq, 64] hidden state is [1, seq, 4, 16], not [?, ?, ?, ?].
// CHECK-LABEL: @heads
// CHECK: graph.reshape {{.*}} -> tensor<1x?x4x16xf32>
// CHECK: graph.transpose {{.*}} -> tensor<1x4x?x16xf32>
func.func @heads(%x: tensor<1x?x64xf32>) -> tensor<?x?x?x?xf32> {
  %s = graph.shape %x : (tensor<1x?x64xf32>) -> tensor<3xi64>
  %i0 = graph.constant dense<0> : tensor<i64>
  %i1 = graph.constant dense<1> : tensor<i64>
  %ax = graph.constant dense<[0]> : tensor<1xi64>
  %b = graph.gather %s, %i0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %n = graph.gather %s, %i1 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %b1 = graph.unsqueeze %b, %ax : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %n1 = graph.unsqueeze %n, %ax : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %hd = graph.constant dense<[4, 16]> : tensor<2xi64>
  %t = graph.concat %b1, %n1, %hd {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = graph.reshape %x, %t : (tensor<1x?x64xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %p = graph.transpose %r {perm = [0, 2, 1, 3]} : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %p : tensor<?x?x?x?xf32>
}

// -----

// Expand's "-1 keeps the dim" idiom, Where(Equal(s, -1), 1, s), over a
// target whose last entry is a run-time length: the known entries stay.
// CHECK-LABEL: @expand_idiom
// CHECK: graph.expand {{.*}} -> tensor<1x1x3x?xi1>
func.func @expand_idiom(%m: tensor<1x1x1x?xi1>, %len: tensor<i64>) -> tensor<?x?x?x?xi1> {
  %ax = graph.constant dense<[0]> : tensor<1xi64>
  %l1 = graph.unsqueeze %len, %ax : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %one = graph.constant dense<[1]> : tensor<1xi64>
  %three = graph.constant dense<[3]> : tensor<1xi64>
  %s = graph.concat %one, %one, %three, %l1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xi64>
  %neg = graph.constant dense<-1> : tensor<4xi64>
  %ones = graph.constant dense<1> : tensor<4xi64>
  %eq = graph.equal %s, %neg : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  %t = graph.where %eq, %ones, %s : (tensor<4xi1>, tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %e = graph.expand %m, %t : (tensor<1x1x1x?xi1>, tensor<4xi64>) -> tensor<?x?x?x?xi1>
  return %e : tensor<?x?x?x?xi1>
}

// -----

// Arithmetic on known entries (the exporter's seq * heads), an unknown
// entry from data staying unknown, and an Expand target known only in
// length keeping the input's dims other than 1.
// CHECK-LABEL: @arith
// CHECK: graph.constant_of_shape {{.*}} -> tensor<8x?xf32>
// CHECK: graph.expand {{.*}} -> tensor<5x?xf32>
func.func @arith(%x: tensor<2x?xf32>, %d: tensor<1xi64>, %y: tensor<5x1xf32>, %u: tensor<2xi64>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %s = graph.shape %x {end = 1 : i64} : (tensor<2x?xf32>) -> tensor<1xi64>
  %four = graph.constant dense<4> : tensor<1xi64>
  %rows = graph.mul %s, %four : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %t = graph.concat %rows, %d {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %c = graph.constant_of_shape %t : (tensor<2xi64>) -> tensor<?x?xf32>
  %e = graph.expand %y, %u : (tensor<5x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %c, %e : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// A known entry that contradicts the input is an error (when the op is
// verified), as with a constant target.
func.func @mismatch(%x: tensor<3x1xf32>, %len: tensor<1xi64>) -> tensor<?x?xf32> {
  %four = graph.constant dense<[4]> : tensor<1xi64>
  %t = graph.concat %four, %len {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  // expected-error @+2 {{not broadcastable}}
  // expected-error @+1 {{failed to infer returned types}}
  %e = graph.expand %x, %t : (tensor<3x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %e : tensor<?x?xf32>
}

// -----

// A constant entry is literal: INT64_MIN (the marker of an unknown entry)
// is an invalid size, not a dynamic dim (found by the compile fuzzer).
func.func @marker_in_constant(%x: tensor<2x12xf32>) -> tensor<?x?xf32> {
  %s = graph.constant dense<[0, -9223372036854775808]> : tensor<2xi64>
  // expected-error @+2 {{invalid shape entry -9223372036854775808}}
  // expected-error @+1 {{failed to infer returned types}}
  %r = graph.reshape %x, %s : (tensor<2x12xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

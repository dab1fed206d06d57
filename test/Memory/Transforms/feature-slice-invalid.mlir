// RUN: mnemo-opt %s --mnemo-feature-slice="op=nowhere" -verify-diagnostics -o /dev/null
// RUN: not mnemo-opt %s --mnemo-feature-slice="op=fc loop=0 slices=5" -o /dev/null 2>&1 | FileCheck %s --check-prefix=COUNT
// RUN: not mnemo-opt %s --mnemo-feature-slice="slices=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPTS

// 16 rows do not split into 5 equal slices; the message lists the loops
// that can be sliced with their extents.
// COUNT: error: {{.*}}feature-slice: cannot slice 'fc' (linalg.matmul) along loop 0 into 5 slices (sliceable loops: 0=16 1=16 2=32)
// OPTS: error: feature-slice: slices must be 0 or >= 2, max-slices >= 2, and window, max-rounds and max-recompute >= 0

// expected-error @+1 {{feature-slice: no sliceable linalg op named 'nowhere'}}
func.func @main_graph(%x: tensor<16x32xf32>, %w: tensor<32x16xf32>) -> tensor<16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<16x16xf32>) -> tensor<16x16xf32>
  %y = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x16xf32>) outs(%z : tensor<16x16xf32>) -> tensor<16x16xf32> loc("fc")
  return %y : tensor<16x16xf32>
}

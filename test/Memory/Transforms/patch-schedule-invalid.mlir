// RUN: mnemo-opt %s --mnemo-graph-to-linalg --mnemo-patch-schedule="cut=nowhere" -verify-diagnostics -o /dev/null
// RUN: not mnemo-opt %s --mnemo-graph-to-linalg --mnemo-patch-schedule="cut=first patches=3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=P3
// RUN: not mnemo-opt %s --mnemo-graph-to-linalg --mnemo-patch-schedule="max-patches=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPTS

// 16 is not a multiple of 3.
// P3: error: patch-schedule: cannot cut after 'first' into 3x3 patches: another value of the stage is live after it, or its map size is not a multiple of p
// OPTS: error: patch-schedule: patches must be >= 0, max-patches >= 2 and max-recompute >= 0

// expected-error @+1 {{patch-schedule: no map-producing op named 'nowhere'}}
func.func @main_graph(%x: tensor<1x2x16x16xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x16x16xf32> {
  %none = graph.none
  %a = graph.conv %x, %w, %none {kernel_shape = [3, 3], pads = [1, 1, 1, 1]} : (tensor<1x2x16x16xf32>, tensor<4x2x3x3xf32>, none) -> tensor<1x4x16x16xf32> loc("first")
  return %a : tensor<1x4x16x16xf32>
}

// RUN: mnemo-opt %s --convert-graph-to-linalg --canonicalize | FileCheck %s

// STFT as one contraction over (b, f, k, c, t): the signal read at
// f * step + t through the affine map (frames are not copied), the
// window, and a constant [2, N, bins] table of the DFT kernel's real and
// imaginary parts; onesided: 16 / 2 + 1 = 9 bins, (64 - 16) / 8 + 1 = 7
// frames.
// CHECK-DAG: #[[SIG:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 * 8 + d4, 0)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d4)>
// CHECK-DAG: #[[TAB:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2)>
// CHECK-LABEL: @stft
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<2x16x9xf32>
// CHECK: linalg.generic {indexing_maps = [#[[SIG]], #[[WIN]], #[[TAB]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%arg0, %arg1, %[[T]] : tensor<1x64x1xf32>, tensor<16xf32>, tensor<2x16x9xf32>)
// CHECK: } -> tensor<1x7x9x2xf32>
func.func @stft(%x: tensor<1x64x1xf32>, %w: tensor<16xf32>) -> tensor<1x7x9x2xf32> {
  %step = graph.constant dense<8> : tensor<i64>
  %none = graph.none
  %0 = graph.stft %x, %step, %w, %none : (tensor<1x64x1xf32>, tensor<i64>, tensor<16xf32>, none) -> tensor<1x7x9x2xf32>
  return %0 : tensor<1x7x9x2xf32>
}

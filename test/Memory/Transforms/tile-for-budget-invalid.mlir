// RUN: mnemo-opt %s --split-input-file --mnemo-tile-for-budget="sram-budget=4" -verify-diagnostics
// RUN: not mnemo-opt %s --split-input-file --mnemo-tile-for-budget 2>&1 | FileCheck %s --check-prefix=NOBUDGET

// NOBUDGET: mnemo-tile-for-budget needs sram-budget > 0

// One element in and one out is 8 bytes at its smallest tile (one element in, one out): over 4 bytes.
func.func @main_graph(%x: tensor<1x1024xf32>) -> tensor<1x1024xf32> {
  %e = tensor.empty() : tensor<1x1024xf32>
  // expected-warning @+1 {{'linalg.generic': smallest tile working set 8 bytes exceeds the budget of 4 bytes}}
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<1x1024xf32>) outs(%e : tensor<1x1024xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<1x1024xf32>
  return %y : tensor<1x1024xf32>
}

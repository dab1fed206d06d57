// RUN: mnemo-opt %s --split-input-file --mnemo-memory-tiers="sram-budget=8000" -verify-diagnostics

// The second generic reads and writes 8 KiB each: no plan fits in 8000
// bytes, and the error names the smallest budget the planner meets.
#id = affine_map<(d0) -> (d0)>
// expected-error @+1 {{SRAM budget of 8000 bytes is infeasible: the smallest budget this planner meets is 16384 bytes (any plan needs at least 16384 bytes on chip at step 1, 'linalg.generic')}}
func.func @main_graph(%y: memref<2048xf32>) -> memref<2048xf32> {
  %b = memref.alloc() : memref<2048xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%y : memref<2048xf32>) outs(%b : memref<2048xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.mulf %i, %i : f32
    linalg.yield %r : f32
  }
  %c = memref.alloc() : memref<2048xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%b : memref<2048xf32>) outs(%c : memref<2048xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %i : f32
    linalg.yield %r : f32
  }
  return %c : memref<2048xf32>
}

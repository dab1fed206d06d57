// RUN: mnemo-opt %s --split-input-file --mnemo-memory-tiers="sram-budget=8192" -verify-diagnostics | FileCheck %s

// Two loops tiled for the budget (their attributes, as mnemo-tile-for-budget
// leaves them): each stages 4 KiB of tiles. The 16 KiB intermediate %a
// cannot be on chip in 8 KiB, so the first loop writes it to DRAM and the
// second reads it there, tile by tile; nothing is spilled or reloaded. The
// SRAM arena holds one staging area, which both loops reuse.
// CHECK-LABEL: func.func @main_graph
// CHECK-DAG: mem.arena <sram> : memref<4096xi8>
// CHECK-DAG: %[[DRAM:.*]] = mem.arena <dram> : memref<16384xi8>
// CHECK: %[[AD:.*]] = mem.view %[[DRAM]][0] : memref<16384xi8> to memref<4096xf32>
// CHECK: scf.for
// CHECK: memref.subview %[[AD]]
// CHECK: } {mem.staging_offset = 0 : i64, mnemo.tile_staging_bytes = 4096 : i64
// CHECK: scf.for
// CHECK: memref.subview %[[AD]]
// CHECK: } {mem.staging_offset = 0 : i64
// CHECK-NOT: mem.spill
// CHECK-NOT: mem.reload
// CHECK: return
#id = affine_map<(d0) -> (d0)>
func.func @main_graph(%x: memref<4096xf32>, %y: memref<4096xf32>) {
  %c0 = arith.constant 0 : index
  %c512 = arith.constant 512 : index
  %c4096 = arith.constant 4096 : index
  %a = memref.alloc() : memref<4096xf32>
  scf.for %i = %c0 to %c4096 step %c512 {
    %xs = memref.subview %x[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    %as = memref.subview %a[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%xs : memref<512xf32, strided<[1], offset: ?>>) outs(%as : memref<512xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %r = arith.addf %in, %in : f32
      linalg.yield %r : f32
    }
  } {mnemo.tile_staging_bytes = 4096 : i64, mnemo.tile_traffic_ratio = 1.0 : f64, mnemo.tiled = array<i64: 512>}
  scf.for %i = %c0 to %c4096 step %c512 {
    %as = memref.subview %a[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    %ys = memref.subview %y[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%as : memref<512xf32, strided<[1], offset: ?>>) outs(%ys : memref<512xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %r = arith.mulf %in, %in : f32
      linalg.yield %r : f32
    }
  } {mnemo.tile_staging_bytes = 4096 : i64, mnemo.tile_traffic_ratio = 1.0 : f64, mnemo.tiled = array<i64: 512>}
  return
}

// -----

// The same loops without the tiling attributes: each needs %a on chip
// whole, and 16 KiB is the least any plan needs.
#id = affine_map<(d0) -> (d0)>
// expected-error @+1 {{SRAM budget of 8192 bytes is infeasible: the smallest budget this planner meets is 16384 bytes (any plan needs at least 16384 bytes on chip at step 0, 'scf.for')}}
func.func @main_graph(%x: memref<4096xf32>, %y: memref<4096xf32>) {
  %c0 = arith.constant 0 : index
  %c512 = arith.constant 512 : index
  %c4096 = arith.constant 4096 : index
  %a = memref.alloc() : memref<4096xf32>
  scf.for %i = %c0 to %c4096 step %c512 {
    %xs = memref.subview %x[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    %as = memref.subview %a[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%xs : memref<512xf32, strided<[1], offset: ?>>) outs(%as : memref<512xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %r = arith.addf %in, %in : f32
      linalg.yield %r : f32
    }
  }
  scf.for %i = %c0 to %c4096 step %c512 {
    %as = memref.subview %a[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    %ys = memref.subview %y[%i] [512] [1] : memref<4096xf32> to memref<512xf32, strided<[1], offset: ?>>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%as : memref<512xf32, strided<[1], offset: ?>>) outs(%ys : memref<512xf32, strided<[1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      %r = arith.mulf %in, %in : f32
      linalg.yield %r : f32
    }
  }
  return
}

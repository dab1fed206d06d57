// RUN: mnemo-opt %s --split-input-file --mnemo-memory-report="operator-order=memory" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-memory-report | FileCheck %s --check-prefix=PROGRAM

// Two branches read the input; each makes a 16 KiB tensor and reduces it
// to 64 bytes. In program order both large tensors are live together
// (32832 bytes at the first reduction); finishing one branch before
// starting the other keeps one (16512).
// CHECK-LABEL: memory plan: main_graph
// CHECK: arena_bytes: 16512
// CHECK: lower_bound_bytes: 16512
// CHECK: operator_order: {{greedy|ilp}}
// CHECK-NEXT: units_moved: 2 of 6
// CHECK-NEXT: fixed_order_bound_bytes: 32832
// CHECK-NEXT: fixed_order_arena_bytes: 32832
// CHECK-LABEL: func.func @main_graph
// CHECK: %[[A:.*]] = memref.alloc() {{.*}} : memref<16x256xf32>
// CHECK: linalg.generic {{.*}} outs(%[[A]] :
// CHECK: %[[RA:.*]] = memref.alloc() {{.*}} : memref<16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[A]] : {{.*}}) outs(%[[RA]] :
// CHECK: %[[B:.*]] = memref.alloc() {{.*}} : memref<16x256xf32>
// CHECK: linalg.generic {{.*}} outs(%[[B]] :
// CHECK: linalg.generic {{.*}} ins(%[[B]] :
// CHECK: linalg.generic {{.*}} ins(%[[RA]], {{.*}})
// CHECK: return
// PROGRAM-LABEL: memory plan: main_graph
// PROGRAM: lower_bound_bytes: 32832
// PROGRAM-NOT: operator_order
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>
func.func @main_graph(%x: memref<16x256xf32>) -> memref<16xf32> {
  %a = memref.alloc() : memref<16x256xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x256xf32>) outs(%a : memref<16x256xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %i : f32
    linalg.yield %r : f32
  }
  %b = memref.alloc() : memref<16x256xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x256xf32>) outs(%b : memref<16x256xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.mulf %i, %i : f32
    linalg.yield %r : f32
  }
  %ra = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<16x256xf32>) outs(%ra : memref<16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %o : f32
    linalg.yield %r : f32
  }
  %rb = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%b : memref<16x256xf32>) outs(%rb : memref<16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.maxnumf %i, %o : f32
    linalg.yield %r : f32
  }
  %out = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%ra, %rb : memref<16xf32>, memref<16xf32>) outs(%out : memref<16xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %r = arith.addf %i, %j : f32
    linalg.yield %r : f32
  }
  return %out : memref<16xf32>
}

// -----

// The same program, but the second producer also writes the first
// branch's tensor (its second result): the first reduction must read it
// after that write, so nothing may move.
// CHECK-LABEL: memory plan: main_graph
// CHECK: lower_bound_bytes: 32832
// CHECK: operator_order: program
// CHECK-NEXT: units_moved: 0 of 6
// CHECK-NEXT: fixed_order_bound_bytes: 32832
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>
func.func @main_graph(%x: memref<16x256xf32>) -> memref<16xf32> {
  %a = memref.alloc() : memref<16x256xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x256xf32>) outs(%a : memref<16x256xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %i : f32
    linalg.yield %r : f32
  }
  %b = memref.alloc() : memref<16x256xf32>
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x256xf32>) outs(%b, %a : memref<16x256xf32>, memref<16x256xf32>) {
  ^bb0(%i: f32, %o: f32, %p: f32):
    %r = arith.mulf %i, %i : f32
    linalg.yield %r, %r : f32, f32
  }
  %ra = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<16x256xf32>) outs(%ra : memref<16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %o : f32
    linalg.yield %r : f32
  }
  %rb = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%b : memref<16x256xf32>) outs(%rb : memref<16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.maxnumf %i, %o : f32
    linalg.yield %r : f32
  }
  %out = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%ra, %rb : memref<16xf32>, memref<16xf32>) outs(%out : memref<16xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %r = arith.addf %i, %j : f32
    linalg.yield %r : f32
  }
  return %out : memref<16xf32>
}

// -----

// An op whose effects name no buffer (a call) keeps its place among the
// others: the second branch is produced by an opaque call, so the order
// stays even though finishing the first branch first would need less.
// CHECK-LABEL: memory plan: main_graph
// CHECK: operator_order: program
// CHECK-NEXT: units_moved: 0 of 6
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>
func.func private @produce(memref<16x256xf32>)
func.func @main_graph(%x: memref<16x256xf32>) -> memref<16xf32> {
  %a = memref.alloc() : memref<16x256xf32>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : memref<16x256xf32>) outs(%a : memref<16x256xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %i : f32
    linalg.yield %r : f32
  }
  %b = memref.alloc() : memref<16x256xf32>
  func.call @produce(%b) : (memref<16x256xf32>) -> ()
  %ra = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%a : memref<16x256xf32>) outs(%ra : memref<16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %o : f32
    linalg.yield %r : f32
  }
  %rb = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%b : memref<16x256xf32>) outs(%rb : memref<16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.maxnumf %i, %o : f32
    linalg.yield %r : f32
  }
  %out = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#id1, #id1, #id1], iterator_types = ["parallel"]} ins(%ra, %rb : memref<16xf32>, memref<16xf32>) outs(%out : memref<16xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %r = arith.addf %i, %j : f32
    linalg.yield %r : f32
  }
  return %out : memref<16xf32>
}

// RUN: mnemo-opt %s --split-input-file --mnemo-memory-report | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-memory-report="planner=ilp" | FileCheck %s --check-prefix=ILP
// RUN: mnemo-opt %s --split-input-file --mnemo-memory-report="planner=first-fit" | FileCheck %s --check-prefix=FF

// A chain of four 4 KiB tensors: each is live from its producer to its
// consumer, so two slots suffice and the plan alternates them.
// CHECK-LABEL: memory plan: main_graph
// CHECK-NEXT: planner: greedy
// CHECK-NEXT: buffers: 4
// CHECK-NEXT: steps: 5
// CHECK-NEXT: arena_bytes: 8192
// CHECK-NEXT: naive_bytes: 16384
// CHECK-NEXT: lower_bound_bytes: 8192
// CHECK-NEXT: order_free_bound_bytes: 8192
// CHECK: func.func @main_graph{{.*}}mnemo.arena_bytes = 8192
// CHECK: memref.alloc() {mnemo.offset = [[A:[0-9]+]] : i64}
// CHECK: memref.alloc() {mnemo.offset = [[B:[0-9]+]] : i64}
// CHECK: memref.alloc() {mnemo.offset = [[A]] : i64}
// CHECK: memref.alloc() {mnemo.offset = [[B]] : i64}
// ILP: ilp_bytes: 8192
// ILP-NEXT: ilp_optimal: true
// ILP-NEXT: ilp_gap: 0.0000
// FF: planner: first-fit
// FF: arena_bytes: 8192
func.func @main_graph(%x: memref<1024xf32>) -> memref<1024xf32> {
  %cst = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<1024xf32>) outs(%a : memref<1024xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %cst : f32
    linalg.yield %r : f32
  }
  %b = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%a : memref<1024xf32>) outs(%b : memref<1024xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.mulf %i, %i : f32
    linalg.yield %r : f32
  }
  %c = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%b : memref<1024xf32>) outs(%c : memref<1024xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %cst : f32
    linalg.yield %r : f32
  }
  %d = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%c : memref<1024xf32>) outs(%d : memref<1024xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.mulf %i, %i : f32
    linalg.yield %r : f32
  }
  return %d : memref<1024xf32>
}

// -----

// Views keep their buffer alive: %p is read through a subview inside a loop
// at the last step, so it cannot share memory with %q (live meanwhile), and
// the returned %q lives to the end.
// CHECK-LABEL: memory plan: main_graph
// CHECK: buffers: 2
// CHECK: arena_bytes: 1536
// CHECK: naive_bytes: 1536
// CHECK: lower_bound_bytes: 1536
func.func @main_graph(%x: memref<256xf32>) -> memref<128xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %p = memref.alloc() : memref<256xf32>
  memref.copy %x, %p : memref<256xf32> to memref<256xf32>
  %q = memref.alloc() : memref<128xf32>
  %v = memref.subview %p[128] [128] [1] : memref<256xf32> to memref<128xf32, strided<[1], offset: 128>>
  scf.for %i = %c0 to %c128 step %c1 {
    %e = memref.load %v[%i] : memref<128xf32, strided<[1], offset: 128>>
    memref.store %e, %q[%i] : memref<128xf32>
  }
  return %q : memref<128xf32>
}

// RUN: mnemo-opt %s --mnemo-cpu-outline-layers="min-ops=4" | FileCheck %s

// The large loop nest moves into a noinline private function, internal
// like its parent; its bound and buffers become arguments, the constants
// it uses are cloned in. The small nest (3 nested ops) and the loop with
// a result stay.
// CHECK-LABEL: func.func private @main_graph(
// CHECK-SAME: %[[X:.*]]: memref<8xf32>, %[[Y:.*]]: memref<8xf32>, %[[N:.*]]: index
// CHECK: call @main_graph_layer0(%[[N]], %[[X]], %[[Y]]) : (index, memref<8xf32>, memref<8xf32>) -> ()
// CHECK: scf.for
// CHECK: memref.store
// CHECK: %[[S:.*]] = scf.for {{.*}} iter_args
// CHECK: return %[[S]]
// CHECK: func.func private @main_graph_layer0(%{{.*}}: index, %{{.*}}: memref<8xf32>, %{{.*}}: memref<8xf32>)
// CHECK-SAME: llvm.linkage = #llvm.linkage<internal>
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: arith.constant 0 : index
// CHECK: arith.constant 1 : index
// CHECK: arith.constant 2.0
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: return
func.func private @main_graph(%x: memref<8xf32>, %y: memref<8xf32>, %n: index) -> f32 attributes {llvm.linkage = #llvm.linkage<internal>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.load %x[%i] : memref<8xf32>
    %b = arith.mulf %a, %two : f32
    %c = arith.addf %b, %a : f32
    memref.store %c, %y[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.load %y[%i] : memref<8xf32>
    memref.store %a, %x[%i] : memref<8xf32>
  }
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
    %a = memref.load %y[%i] : memref<8xf32>
    %b = arith.addf %acc, %a : f32
    %c = arith.mulf %b, %two : f32
    %d = arith.addf %c, %a : f32
    scf.yield %d : f32
  }
  return %s : f32
}

// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-abi="name=m dims=n=1..8" | FileCheck %s

// Allocations become views into the trailing workspace at fixed offsets;
// the dynamic one is sized for n = 8 (8 x 4 x 4 bytes = 128).
// CHECK-LABEL: func.func private @main_graph
// CHECK-SAME: %{{.*}}: memref<?x4xf32>, %[[WS:.*]]: memref<192xi8>
// CHECK: memref.view %[[WS]][%c0{{.*}}][%{{.*}}] : memref<192xi8> to memref<?x4xf32>
// CHECK: memref.view %[[WS]][%c128{{.*}}][] : memref<192xi8> to memref<4x4xf32>
// CHECK: func.func @m_workspace_bytes() -> i64
// CHECK: arith.constant 192 : i64
// CHECK: func.func @m_run_dims(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi sle
// CHECK: call @main_graph
// CHECK: memref.copy
// CHECK: func.func @m_run(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK: arith.constant 2 : i32
func.func @main_graph(%x: memref<?x4xf32> {graph.dim_params = ["n", ""], graph.name = "x"}) -> memref<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %a = memref.alloc(%n) {alignment = 64 : i64} : memref<?x4xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<4x4xf32>
  memref.copy %x, %a : memref<?x4xf32> to memref<?x4xf32>
  return %a : memref<?x4xf32>
}

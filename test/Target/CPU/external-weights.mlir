// RUN: rm -rf %t && mkdir -p %t
// RUN: mnemo-opt %s --mnemo-cpu-external-weights="file=%t/m.weights" --mnemo-cpu-abi="name=m" | FileCheck %s
// RUN: od -A d -t x8 -N 24 %t/m.weights | FileCheck %s --check-prefix=FILE
// RUN: od -A d -t x4 -j 568 -N 8 %t/m.weights | FileCheck %s --check-prefix=SPLAT
// RUN: not mnemo-opt %s --mnemo-cpu-external-weights 2>&1 | FileCheck %s --check-prefix=NOFILE

// The 512-byte weight moves to the file at offset 64 (after the header),
// the 16-byte one stays (below min-bytes=256); its read becomes a view of
// the base pointer, 0 bytes in. The file is 64 + 512 bytes.
// CHECK: llvm.mlir.global internal @__mnemo_weights() {{.*}}mnemo.weights_bytes = 576 : i64{{.*}} : !llvm.ptr
// CHECK-NOT: memref.global "private" constant @w :
// CHECK: memref.global "private" constant @small
// CHECK-LABEL: func.func private @main_graph
// CHECK: %[[A:.*]] = llvm.mlir.addressof @__mnemo_weights : !llvm.ptr
// CHECK: %[[P:.*]] = llvm.load %[[A]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[Q:.*]] = llvm.getelementptr %[[P]][%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: builtin.unrealized_conversion_cast {{.*}} to memref<8x16xf32>
// CHECK: memref.get_global @small
// The run refuses to start (10) before the weights are set.
// CHECK: func.func @m_run_dims
// CHECK: llvm.load {{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.icmp "ne"
// CHECK: arith.constant 10 : i32
// _set_weights: NULL (7), wrong size or hash (11), else the base pointer
// is the data after the 64-byte header.
// CHECK: func.func @m_set_weights(%[[D:.*]]: !llvm.ptr, %[[N:.*]]: i64) -> i32
// CHECK: arith.constant 576 : i64
// CHECK: llvm.getelementptr %[[D]][2] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: llvm.getelementptr %[[D]][64] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: llvm.store
// CHECK: arith.constant 11 : i32

// FILE: 0000000 3154574f4d454e4d 0000000000000240
// The splat is written out element by element (the last two of 128).
// SPLAT: 0000568 3fc00000 3fc00000
// NOFILE: error: mnemo-cpu-external-weights needs file=PATH
memref.global "private" constant @w : memref<8x16xf32> = dense<1.500000e+00> {alignment = 64 : i64}
memref.global "private" constant @small : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @main_graph(%x: memref<8x16xf32> {graph.name = "x"}) -> memref<8x16xf32> {
  %w = memref.get_global @w : memref<8x16xf32>
  %s = memref.get_global @small : memref<4xf32>
  %a = memref.alloc() {alignment = 64 : i64} : memref<8x16xf32>
  linalg.add ins(%x, %w : memref<8x16xf32>, memref<8x16xf32>) outs(%a : memref<8x16xf32>)
  return %a : memref<8x16xf32>
}

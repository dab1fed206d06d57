// RUN: mnemo-opt %s --mnemo-cpu-pipeline="name=m" | FileCheck %s
// RUN: mnemo-opt %s --mnemo-graph-to-linalg | FileCheck %s --check-prefix=LINALG
// RUN: mnemo-opt %s --mnemo-graph-to-linalg --mnemo-cpu-bufferize | FileCheck %s --check-prefix=BUF

// The whole CPU pipeline ends in the LLVM dialect with the C entry points;
// the fused relu(x + 1) is one loop nest.
// LINALG: linalg.generic
// LINALG-NOT: linalg.generic
// LINALG: return
// BUF: func.func @main_graph(%{{.*}}: memref<2x8xf32>) -> memref<2x8xf32>
// BUF: memref.alloc
// CHECK-DAG: llvm.func @m_workspace_bytes() -> i64
// CHECK-DAG: llvm.func @m_run(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @m_run_dims(
// CHECK-NOT: memref.
func.func @main_graph(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %one = graph.constant dense<1.0> : tensor<f32>
  %0 = graph.add %x, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = graph.relu %0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}

// RUN: mnemo-opt %s --mnemo-graph-to-linalg --mnemo-cuda-bufferize --mnemo-cuda-codegen | FileCheck %s --check-prefix=CODEGEN
// RUN: mnemo-opt %s --mnemo-cuda-pipeline="name=m format=isa" | FileCheck %s
// RUN: mnemo-opt %s --mnemo-cuda-pipeline="name=m format=isa cuda-arch=sm_80" | FileCheck %s --check-prefix=SM80

// The fused relu(x + 1) is one kernel of one block (16 points, 32
// threads); the host code calls the runtime, the kernel is PTX for sm_90
// in a gpu.binary.
// CODEGEN: func.func @main_graph
// CODEGEN: gpu.launch
// CODEGEN: memref.load
// CODEGEN: arith.addf
// CODEGEN: arith.maximumf
// CODEGEN: memref.store
// CODEGEN-NOT: gpu.launch
// CODEGEN: return
// CHECK-DAG: llvm.func @m_workspace_bytes() -> i64
// CHECK-DAG: llvm.func @m_run(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @m_run_stream(
// CHECK-DAG: llvm.func @m_run_dims(
// CHECK-DAG: llvm.func @m_run_dims_stream(
// CHECK-DAG: llvm.call @mnemo_cuda_begin
// CHECK-DAG: llvm.call @mgpuMemcpy
// CHECK-DAG: gpu.launch_func <%{{.*}} : !llvm.ptr> @main_graph_kernel::@main_graph_kernel blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in
// CHECK-DAG: gpu.binary @main_graph_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">{{.*}}assembly = "{{.*}}.target sm_90{{.*}}.entry main_graph_kernel{{.*}}ld.global{{.*}}add.rn.f32{{.*}}max.NaN.f32{{.*}}st.global
// CHECK-NOT: memref.
// SM80: chip = "sm_80"
// SM80: .target sm_80
func.func @main_graph(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %one = graph.constant dense<1.0> : tensor<f32>
  %0 = graph.add %x, %one : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = graph.relu %0 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}

// RUN: mnemo-opt %s --mnemo-cuda-pipeline="name=m format=isa" | FileCheck %s
// RUN: mnemo-opt %s --mnemo-cuda-pipeline="name=m format=isa gpu-precision=tf32" | FileCheck %s --check-prefix=TF32
// RUN: mnemo-opt %s --mnemo-cuda-pipeline="name=m format=isa gpu-precision=fp16" | FileCheck %s --check-prefix=FP16
// RUN: mnemo-opt %s --mnemo-cuda-pipeline="name=m format=isa gpu-precision=bf16" | FileCheck %s --check-prefix=BF16

// A MatMul through the whole CUDA pipeline: its kernel stages tiles in
// 16-byte aligned shared memory, reads them with 4-wide shared loads
// between barriers and accumulates with FMAs (PTX text, no ptxas here).
// CHECK: gpu.binary @main_graph_kernel [
// CHECK-SAME: .shared .align 16 .b8 __wg_main_graph_kernel_0
// CHECK-SAME: bar.sync
// CHECK-SAME: ld.shared.v4
// CHECK-SAME: fma.rn.f32
// With tf32, warps issue tensor-core products with f32 accumulators.
// TF32: gpu.binary @main_graph_kernel [
// TF32-SAME: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// With fp16, the staging rounds to f16 and a fragment register's pair of
// halves is one 32-bit shared load.
// FP16: gpu.binary @main_graph_kernel [
// FP16-SAME: cvt.rn.f16.f32
// FP16-SAME: ld.shared.b32
// FP16-SAME: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// bf16 likewise, through NVVM's bf16 mma (mnemo-cuda-lower-bf16-mma).
// BF16: gpu.binary @main_graph_kernel [
// BF16-SAME: cvt.rn.bf16.f32
// BF16-SAME: ld.shared.b32
// BF16-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
func.func @main_graph(%a: tensor<1024x256xf32>, %b: tensor<256x1024xf32>) -> tensor<1024x1024xf32> {
  %y = graph.matmul %a, %b : (tensor<1024x256xf32>, tensor<256x1024xf32>) -> tensor<1024x1024xf32>
  return %y : tensor<1024x1024xf32>
}

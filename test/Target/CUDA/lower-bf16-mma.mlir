// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(gpu.module(mnemo-cuda-lower-bf16-mma))" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --pass-pipeline="builtin.module(gpu.module(mnemo-cuda-lower-bf16-mma,convert-nvgpu-to-nvvm,convert-gpu-to-nvvm,reconcile-unrealized-casts))" | FileCheck %s --check-prefix=NVVM

// A bf16 m16n8k16 product (what mnemo-cuda-tile-contractions emits for
// --gpu-precision=bf16): each fragment row of two bf16 becomes one i32
// register, NVVM's mma names the bf16 type, and the result struct's four
// floats go back into the accumulator vector. The rest of the kernel then
// lowers as usual (upstream's nvgpu-to-nvvm would fail on the bf16 op).
// CHECK-LABEL: gpu.func @product
// CHECK-NOT: nvgpu.mma.sync
// CHECK: %[[R0:.*]] = vector.extract %arg0[0] : vector<2xbf16> from vector<4x2xbf16>
// CHECK: %[[B0:.*]] = vector.bitcast %[[R0]] : vector<2xbf16> to vector<1xi32>
// CHECK: %[[A0:.*]] = vector.extract %[[B0]][0] : i32 from vector<1xi32>
// CHECK-COUNT-5: vector.bitcast {{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK: %[[D:.*]] = nvvm.mma.sync A[%[[A0]], %{{.*}}, %{{.*}}, %{{.*}}]  B[%{{.*}}, %{{.*}}]  C[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]  {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: llvm.extractvalue %[[D]][0]
// CHECK: llvm.extractvalue %[[D]][3]
// CHECK: vector.from_elements {{.*}} : vector<2x2xf32>
// NVVM-LABEL: llvm.func @product
// NVVM: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>
// NVVM-NOT: nvgpu.
gpu.module @k {
  gpu.func @product(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>, %p: memref<2x2xf32>) kernel {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %i = arith.constant 0 : index
    vector.store %d, %p[%i, %i] : memref<2x2xf32>, vector<2x2xf32>
    gpu.return
  }
}

// -----

// f16 products are left to upstream's conversion.
// CHECK-LABEL: gpu.func @f16
// CHECK: nvgpu.mma.sync
gpu.module @k {
  gpu.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>, %p: memref<2x2xf32>) kernel {
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %i = arith.constant 0 : index
    vector.store %d, %p[%i, %i] : memref<2x2xf32>, vector<2x2xf32>
    gpu.return
  }
}

// -----

// m16n8k8 bf16 is valid nvgpu but not a shape mnemo emits: refused by name.
gpu.module @k {
  gpu.func @k8(%a: vector<2x2xbf16>, %b: vector<1x2xbf16>, %c: vector<2x2xf32>, %p: memref<2x2xf32>) kernel {
    // expected-error @below {{bf16 products are lowered only as m16n8k16 with f32 accumulators}}
    %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 8]} : (vector<2x2xbf16>, vector<1x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
    %i = arith.constant 0 : index
    vector.store %d, %p[%i, %i] : memref<2x2xf32>, vector<2x2xf32>
    gpu.return
  }
}

// RUN: mnemo-opt %s --pass-pipeline="builtin.module(gpu.module(mnemo-cuda-align-workgroup))" | FileCheck %s

// Workgroup buffers get 16-byte alignment (ld.shared.v4 needs it); one
// that already has an alignment keeps it; private buffers are left alone.
// CHECK-LABEL: gpu.func @k
// CHECK-SAME: workgroup(%{{.*}} : memref<8x68xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 32 : i64})
// CHECK-SAME: private(%{{.*}} : memref<4xf32, #gpu.address_space<private>>)
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @k(%a: memref<4xf32>)
        workgroup(%s: memref<8x68xf32, #gpu.address_space<workgroup>>,
                  %t: memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 32 : i64})
        private(%p: memref<4xf32, #gpu.address_space<private>>) kernel {
      gpu.return
    }
  }
}

// RUN: mnemo-opt %s --mnemo-cpu-register-tile="vector-width=8 rows=2 vectors=2 l1-bytes=4096 l2-bytes=65536" | FileCheck %s
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="vector-width=8 rows=2 vectors=2 l1-bytes=4096 l2-bytes=1048576" | FileCheck %s --check-prefix=FITS

// A (512 x 64: 128 KiB) does not fit a 64 KiB L2 while B (64 x 128:
// 32 KiB) does: the row blocks run outermost, so each block's rows of A
// stay in L1 while the column blocks sweep B in L2, instead of reading
// all of A from memory once per column block (SqueezeNet's classifier,
// 2 MiB of weights over 169 columns).
// CHECK-LABEL: func.func @large_a
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: vector.fma
// When A fits L2 the column blocks stay outermost (B's panel is read once,
// A once per column block from L2).
// FITS-LABEL: func.func @large_a
// FITS: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// FITS: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2
// FITS: vector.fma
func.func @large_a(%a: memref<512x64xf32>, %b: memref<64x128xf32>, %c: memref<512x128xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<512x128xf32>)
  linalg.matmul ins(%a, %b : memref<512x64xf32>, memref<64x128xf32>) outs(%c : memref<512x128xf32>)
  return
}

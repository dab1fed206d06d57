// One row (a decode step's LM head): the target's 6 x 2 block would leave
// two accumulator chains, too few to hide the FMA latency, reading B in
// 64-byte pieces of rows 16 KB apart. The vectors along n grow instead, as
// far as the registers hold them with the broadcast and one B vector each:
// 7 on AVX2's 16 registers, 15 on AVX-512's 32.
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v3" | FileCheck %s --check-prefix=V3
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v4" | FileCheck %s --check-prefix=V4
// Explicit sizes are taken as they are.
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v3 rows=6 vectors=2" | FileCheck %s --check-prefix=FIXED

// V3-LABEL: func.func @gemv
// V3: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c56
// V3: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// V3-COUNT-7: vector.fma {{.*}} : vector<8xf32>
// V4-LABEL: func.func @gemv
// V4: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c240
// V4: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// FIXED-LABEL: func.func @gemv
// FIXED: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)
func.func @gemv(%a: memref<1x64xf32>, %b: memref<64x4000xf32>, %c: memref<1x4000xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<1x4000xf32>)
  linalg.matmul ins(%a, %b : memref<1x64xf32>, memref<64x4000xf32>) outs(%c : memref<1x4000xf32>)
  return
}

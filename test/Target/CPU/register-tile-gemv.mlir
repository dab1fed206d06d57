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

// A constant weight larger than L2 (here l2-bytes=1024) is read in column
// panels packed at compile time: [N / 56][K][56], each block's K x 56
// values one contiguous run; the 100 - 56 = 44 columns after the last
// panel keep the row form on a [K, 44] weight of their own, so the source
// global goes. The fill moves onto both parts and starts their
// accumulators.
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 l2-bytes=1024" | FileCheck %s --check-prefix=PANELS
// PANELS-NOT: memref.global "private" constant @lm :
// PANELS-DAG: memref.global "private" constant @lm_panels56_0 : memref<1x8x56xf32>
// PANELS-DAG: memref.global "private" constant @lm_panels44_56 : memref<1x8x44xf32>
// PANELS-LABEL: func.func @lm_head
// PANELS-NOT: linalg.fill
// PANELS: %[[P:.*]] = memref.get_global @lm_panels56_0
// PANELS: %[[T:.*]] = memref.get_global @lm_panels44_56
// PANELS: memref.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [1, 1, 56]
// PANELS: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// PANELS: vector.load %[[P]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<1x8x56xf32>, vector<8xf32>
// PANELS: memref.collapse_shape %[[T]] {{\[\[}}0, 1], [2]] : memref<1x8x44xf32> into memref<8x44xf32>
// PANELS: vector.maskedload
memref.global "private" constant @lm : memref<8x100xf32> = dense<1.0>
func.func @lm_head(%a: memref<1x8xf32>, %c: memref<1x100xf32>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.get_global @lm : memref<8x100xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<1x100xf32>)
  linalg.matmul ins(%a, %b : memref<1x8xf32>, memref<8x100xf32>) outs(%c : memref<1x100xf32>)
  return
}

// -----

// A symbolic token count bounded by one (--dim seq=1..1) is planned as the
// one row it is; unbounded, it keeps the target's block and B unpacked.
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 l2-bytes=1024 dims=seq=1..1" | FileCheck %s --check-prefix=BOUNDED
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="cpu=x86-64-v3 l2-bytes=1024" | FileCheck %s --check-prefix=UNBOUNDED
// BOUNDED-LABEL: func.func @decode
// BOUNDED: memref.get_global @lm2_panels56_0
// BOUNDED: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// UNBOUNDED-LABEL: func.func @decode
// UNBOUNDED-NOT: panels
// UNBOUNDED: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)
memref.global "private" constant @lm2 : memref<8x112xf32> = dense<1.0>
func.func @decode(%a: memref<?x8xf32> {graph.dim_params = ["seq", ""]}, %c: memref<?x112xf32>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.get_global @lm2 : memref<8x112xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<?x112xf32>)
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x112xf32>) outs(%c : memref<?x112xf32>)
  return
}

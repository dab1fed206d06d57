// The register block follows the target description: 8 lanes on AVX2
// (x86-64-v3), 16 on AVX-512 (x86-64-v4), 4 with SSE only (x86-64-v2).
// 6 rows x 2 vectors keep 12 accumulators + 2 B vectors + 1 broadcast
// within the 16 registers of AVX2 and SSE; AVX-512's 32 hold 12 x 2.
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v3" | FileCheck %s --check-prefix=V3
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v4" | FileCheck %s --check-prefix=V4
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v2" | FileCheck %s --check-prefix=V2
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=znver3" | FileCheck %s --check-prefix=V3
// Removing AVX-512 from an AVX-512 CPU leaves AVX2 code.
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=skylake-avx512 cpu-features=-avx512f" | FileCheck %s --check-prefix=V3
// Explicit sizes override the target.
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v4 vector-width=8 rows=6" | FileCheck %s --check-prefix=V3

// V3-LABEL: func.func @matmul
// V3: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// V3-COUNT-12: vector.fma {{.*}} : vector<8xf32>
// V4-LABEL: func.func @matmul
// V4: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// V4-COUNT-24: vector.fma {{.*}} : vector<16xf32>
// Without FMA (x86-64-v2) a multiply and an add: LLVM would expand a
// vector fma into scalar fmaf calls.
// V2-LABEL: func.func @matmul
// V2-NOT: vector.fma
// V2: arith.mulf {{.*}} : vector<4xf32>
// V2-NEXT: arith.addf {{.*}} : vector<4xf32>
func.func @matmul(%a: memref<12x64xf32>, %b: memref<64x64xf32>, %c: memref<12x64xf32>) {
  linalg.matmul ins(%a, %b : memref<12x64xf32>, memref<64x64xf32>) outs(%c : memref<12x64xf32>)
  return
}

// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=6 vectors=1" | FileCheck %s
// RUN: mnemo-opt %s --mnemo-cpu-register-tile="cpu=x86-64-v3 vector-width=8 rows=6 vectors=1 parallel=1" | FileCheck %s --check-prefix=PAR

// 64 static rows with blocks of 6: 11 blocks balanced to within one row,
// 9 of 6 then 2 of 5 (not 10 of 6 and a 4-row block with 4 accumulator
// chains).
// CHECK-LABEL: func.func @rows_64
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c54{{.*}} step %c6
// CHECK-COUNT-6: vector.fma
// CHECK: scf.for %{{.*}} = %c54{{.*}} to %c64{{.*}} step %c5
// CHECK-COUNT-5: vector.fma
// CHECK-NOT: vector.fma
// CHECK: return

// In parallel (few columns: the row blocks are the parallel loop), one
// scf.parallel over the 11 blocks picks the 6- or the 5-row kernel per
// block: block i has 6 rows where floor((i + 1) * 9 / 11) steps up from
// floor(i * 9 / 11), and starts at 5 * i + floor(i * 9 / 11), so each
// thread's contiguous share holds its share of the larger blocks.
// PAR-LABEL: func.func @rows_64
// PAR: scf.parallel (%[[I:.*]]) = (%c0{{.*}}) to (%c11{{.*}}) step
// PAR: arith.muli %[[I]], %c9
// PAR: arith.divsi %{{.*}}, %c11
// PAR: %[[LARGE:.*]] = arith.cmpi ne
// PAR: scf.if %[[LARGE]]
// PAR-COUNT-6: vector.fma
// PAR: } else {
// PAR-COUNT-5: vector.fma
// PAR-NOT: scf.parallel
// PAR: return
func.func @rows_64(%a: memref<64x512xf32>, %b: memref<512x8xf32>, %c: memref<64x8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<64x8xf32>)
  linalg.matmul ins(%a, %b : memref<64x512xf32>, memref<512x8xf32>) outs(%c : memref<64x8xf32>)
  return
}

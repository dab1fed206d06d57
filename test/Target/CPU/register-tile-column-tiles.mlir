// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=8 rows=2 vectors=2 l1-bytes=4096" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-register-tile="vector-width=8 rows=2 vectors=2 l1-bytes=4096 parallel=1" | FileCheck %s --check-prefix=PAR

// Few k (4) and many columns (1000): B's 4 x 128 panel (2 KiB, half of
// the 4 KiB L1) stays in L1 while all row blocks sweep it, so the columns
// run in tiles of 128 with the row blocks inside and the 16-column blocks
// innermost; the 1000 - 7*128 = 104 columns after the last full tile are
// 6 full blocks and one 8-lane vector.
// CHECK-LABEL: func.func @few_k_many_columns
// CHECK-DAG: %[[C128:.*]] = arith.constant 128 : index
// CHECK-DAG: %[[C896:.*]] = arith.constant 896 : index
// CHECK: scf.for %[[T:.*]] = %{{.*}} to %[[C896]] step %[[C128]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2
// CHECK: %[[END:.*]] = arith.addi %[[T]], %c128
// CHECK: scf.for %{{.*}} = %[[T]] to %[[END]] step %c16
// CHECK: vector.fma
// CHECK: vector.store
// CHECK: scf.for %{{.*}} = %c896{{.*}} to %c992 step %c16
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (vector<8xf32>, vector<8xf32>)
// With threads the tiles are split among them.
// PAR-LABEL: func.func @few_k_many_columns
// PAR: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c896) step (%c128)
func.func @few_k_many_columns(%a: memref<12x4xf32>, %b: memref<4x1000xf32>, %c: memref<12x1000xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<12x1000xf32>)
  linalg.matmul ins(%a, %b : memref<12x4xf32>, memref<4x1000xf32>) outs(%c : memref<12x1000xf32>)
  return
}

// -----

// A panel of two blocks already fills half of L1 (k = 64: 64 x 32 x 4 =
// 8 KiB): no tiles, the column blocks stay outermost.
// CHECK-LABEL: func.func @many_k
// CHECK-NOT: step %c128
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2
func.func @many_k(%a: memref<6x64xf32>, %b: memref<64x1000xf32>, %c: memref<6x1000xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<6x1000xf32>)
  linalg.matmul ins(%a, %b : memref<6x64xf32>, memref<64x1000xf32>) outs(%c : memref<6x1000xf32>)
  return
}

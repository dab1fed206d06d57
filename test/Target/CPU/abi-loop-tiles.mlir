// RUN: mnemo-opt %s --mnemo-cpu-abi="name=m dims=n=1..64" | FileCheck %s

// A tile of a loop over a symbolic extent, min(n - i, 2) rows (the key
// blocks of attention over a symbolic sequence length): the induction
// variable lies in [0, n - 1], so the tile is bounded by 2 rows (32 bytes)
// and the workspace holds it beside the 16-byte result, not n = 64 rows
// (1024 bytes). Without the loop's range the bound was an error.
// CHECK: mnemo.workspace_bytes = 64 : i64
// CHECK: scf.for
// CHECK: arith.minsi
// CHECK: memref.view
func.func @main_graph(%x: memref<?x4xf32> {graph.dim_params = ["n", ""], graph.name = "x"}) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %n = memref.dim %x, %c0 : memref<?x4xf32>
  %out = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
  scf.for %i = %c0 to %n step %c2 {
    %left = arith.subi %n, %i : index
    %t = arith.minsi %left, %c2 : index
    %tile = memref.alloc(%t) {alignment = 64 : i64} : memref<?x4xf32>
    %src = memref.subview %x[%i, 0] [%t, 4] [1, 1] : memref<?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
    memref.copy %src, %tile : memref<?x4xf32, strided<[4, 1], offset: ?>> to memref<?x4xf32>
  }
  return %out : memref<4xf32>
}

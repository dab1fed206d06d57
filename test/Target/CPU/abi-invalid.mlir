// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-abi="name=m" -verify-diagnostics

// expected-error @below {{symbolic dim 'n' needs a bound: --dim n=LO..HI}}
func.func @main_graph(%x: memref<?x4xf32> {graph.dim_params = ["n", ""]}) -> memref<?x4xf32> {
  return %x : memref<?x4xf32>
}

// -----

func.func @main_graph(%x: memref<4xi64>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<4xi64>
  %n = arith.index_cast %v : i64 to index
  // expected-error @below {{cannot bound dim 0 of 'memref<?xf32>' from the symbolic dim bounds (data-dependent shape?)}}
  %a = memref.alloc(%n) : memref<?xf32>
  return %a : memref<?xf32>
}

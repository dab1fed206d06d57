// RUN: mnemo-opt %s --mnemo-cpu-register-tile="rows=-1" -verify-diagnostics

// expected-error @+1 {{register-tile sizes must be positive (or 0: from the target)}}
func.func @bad_rows(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// RUN: mnemo-opt %s --mnemo-cpu-fill-pad-borders="chunks=0" -verify-diagnostics

// expected-error @+1 {{fill-pad-borders chunks must be positive}}
func.func @bad_chunks(%x: memref<2x4xf32>) {
  return
}

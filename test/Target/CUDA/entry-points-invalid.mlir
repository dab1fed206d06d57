// RUN: mnemo-opt %s --verify-diagnostics --mnemo-cuda-entry-points="name=m"

// The pass wraps mnemo-cpu-abi's entry points; without them it says so.
// expected-error @below {{no @m_run_dims / @m_run: run mnemo-cpu-abi{name=m} first}}
module {
  func.func @main_graph(%x: memref<2xf32>) -> memref<2xf32> {
    return %x : memref<2xf32>
  }
}

// RUN: mnemo-opt %s --split-input-file --mnemo-memory-report -verify-diagnostics

func.func @main_graph(%n: index) -> memref<?xf32> {
  // expected-error @+1 {{cannot size 'memref<?xf32>' here (dynamic or strided); mnemoc plans dynamic shapes from their --dim bounds}}
  %a = memref.alloc(%n) : memref<?xf32>
  return %a : memref<?xf32>
}

// -----

// expected-error @+1 {{entry function 'main_graph' not found}}
module {
  func.func @other() {
    return
  }
}

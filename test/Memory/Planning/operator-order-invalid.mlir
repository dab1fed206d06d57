// RUN: mnemo-opt %s --split-input-file --mnemo-memory-report="operator-order=sideways" -verify-diagnostics

// An order that is neither the program's nor chosen for memory.
// expected-error @+1 {{operator-order must be program or memory, not 'sideways'}}
module {
  func.func @main_graph() {
    return
  }
}

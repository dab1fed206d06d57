// RUN: mnemo-opt %s -verify-diagnostics --mnemo-cpu-weights-object
// RUN: rm -rf %t && touch %t
// RUN: not mnemo-opt %s --mnemo-cpu-weights-object="object=%t/sub/w.o" 2>&1 | FileCheck %s --check-prefix=DIR
// RUN: not mnemo-opt %s --mnemo-cpu-weights-object="object=%t.o triple=aarch64_be-unknown-linux-gnu" 2>&1 | FileCheck %s --check-prefix=TRIPLE

// Without a path the pass says what it needs; a folder it cannot make
// (under a file) and a target it writes no ELF object for (big-endian)
// are errors, not a missing object at link time.
// DIR: error: cannot create {{.*}}/sub: Not a directory
// TRIPLE: error: mnemo-cpu-weights-object: cannot write an ELF data object for aarch64_be-unknown-linux-gnu
// expected-error @+1 {{mnemo-cpu-weights-object needs object=PATH}}
module {
  memref.global "private" constant @w : memref<2048xf32> = dense<1.0>
}

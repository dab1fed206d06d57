// RUN: not mnemo-opt %s --mnemo-cpu-integer-contractions="dot=vnni" 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not mnemo-opt %s --mnemo-cpu-integer-contractions="dot=vpdpbusd vector-width=32" 2>&1 | FileCheck %s --check-prefix=WIDTH
// RUN: not mnemo-opt %s --mnemo-cpu-integer-contractions="vector-width=12" 2>&1 | FileCheck %s --check-prefix=POW2
// NAME: error: dot must be auto, vpdpbusd, vpmaddwd or widen, not 'vnni'
// WIDTH: error: dot=vpdpbusd needs 4, 8 or 16 i32 lanes, not 32
// POW2: error: vector-width must be a power of 2 (at least 2)
func.func @f() {
  return
}

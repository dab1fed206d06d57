// RUN: mnemo-opt %s | mnemo-opt | FileCheck %s

// CHECK-LABEL: func.func @roundtrip
// CHECK: %[[S:.*]] = mem.arena <sram> : memref<4096xi8>
// CHECK: %[[D:.*]] = mem.arena <dram> : memref<8192xi8>
// CHECK: %[[V:.*]] = mem.view %[[S]][1024] : memref<4096xi8> to memref<16x16xf32>
// CHECK: %[[W:.*]] = mem.view %[[D]][0] (%arg0) : memref<8192xi8> to memref<?x16xf32>
// CHECK: %[[X:.*]] = mem.view %[[D]][4096] : memref<8192xi8> to memref<16x16xf32>
// CHECK: mem.spill %[[V]] to %[[X]] : memref<16x16xf32>
// CHECK: mem.reload %[[X]] to %[[V]] : memref<16x16xf32>
func.func @roundtrip(%n: index) -> memref<?x16xf32> {
  %s = mem.arena <sram> : memref<4096xi8>
  %d = mem.arena <dram> : memref<8192xi8>
  %v = mem.view %s[1024] : memref<4096xi8> to memref<16x16xf32>
  %w = mem.view %d[0](%n) : memref<8192xi8> to memref<?x16xf32>
  %x = mem.view %d[4096] : memref<8192xi8> to memref<16x16xf32>
  mem.spill %v to %x : memref<16x16xf32>
  mem.reload %x to %v : memref<16x16xf32>
  return %w : memref<?x16xf32>
}

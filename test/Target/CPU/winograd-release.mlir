// RUN: mnemo-opt %s --mnemo-cpu-winograd="min-channels=1 cpu=x86-64-v3 release-weights=true" | FileCheck %s

// With release-weights=true each original weight goes as its last
// convolution is rewritten (its blob freed), not at the pass's end. Two
// convolutions read @shared: the first rewrite must leave it (and the
// transformed weights are made once, for both). @kept is also copied out
// whole, so it stays with its blob's data.
// CHECK-NOT: memref.global "private" constant @shared :
// CHECK-DAG: memref.global "private" constant @shared_winograd : memref<16x1x1xf32>
// CHECK-DAG: memref.global "private" constant @kept : memref<1x1x3x3xf32> = dense_resource<kept>
// CHECK-DAG: memref.global "private" constant @kept_winograd : memref<16x1x1xf32>
// CHECK-LABEL: func.func @main_graph
// CHECK: memref.get_global @shared_winograd
// CHECK: memref.get_global @shared_winograd
// CHECK: %[[K:.*]] = memref.get_global @kept :
// CHECK: memref.get_global @kept_winograd
// CHECK: memref.copy %[[K]]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: dialect_resources
// CHECK: kept: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
memref.global "private" constant @shared : memref<1x1x3x3xf32> = dense_resource<shared>
memref.global "private" constant @kept : memref<1x1x3x3xf32> = dense_resource<kept>
func.func @main_graph(%x: memref<1x1x6x6xf32>, %a: memref<1x1x4x4xf32>, %b: memref<1x1x4x4xf32>, %c: memref<1x1x4x4xf32>, %k: memref<1x1x3x3xf32>) {
  %s1 = memref.get_global @shared : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw ins(%x, %s1 : memref<1x1x6x6xf32>, memref<1x1x3x3xf32>) outs(%a : memref<1x1x4x4xf32>)
  %s2 = memref.get_global @shared : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw ins(%x, %s2 : memref<1x1x6x6xf32>, memref<1x1x3x3xf32>) outs(%b : memref<1x1x4x4xf32>)
  %w = memref.get_global @kept : memref<1x1x3x3xf32>
  linalg.conv_2d_nchw_fchw ins(%x, %w : memref<1x1x6x6xf32>, memref<1x1x3x3xf32>) outs(%c : memref<1x1x4x4xf32>)
  memref.copy %w, %k : memref<1x1x3x3xf32> to memref<1x1x3x3xf32>
  return
}

{-#
  dialect_resources: {
    builtin: {
      shared: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F",
      kept: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}

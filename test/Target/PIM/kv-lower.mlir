// RUN: mnemo-opt %s --mnemo-pim-map-gemv="device=channels=4" --mnemo-pim-emit-programs --mnemo-pim-lower-to-host="artifact-dir=%t" | FileCheck %s
// RUN: FileCheck %s --check-prefix=JSON < %t/pim/pim.json

// The caches go after the weights (the GEMV's 100 outputs over 64 banks:
// rows 0 and 1), each head on 2 of the 4 channels: keys of 64 tokens (2
// slots of 32) in 1 row, values of 16 dims in 1; each product becomes a call of the
// device interface, the scores sized for position + 1 tokens (clamped
// into the cache, as the host's cache write clamps).
// CHECK: func.func private @mnemo_pim_kv_attend(i64, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?xi64, strided<[?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @step
// CHECK: %[[P:.*]] = tensor.extract %arg2[%{{.*}}] : tensor<1xi64>
// CHECK: %[[LO:.*]] = arith.maxsi %[[P]], %{{.*}} : i64
// CHECK: %[[HI:.*]] = arith.minsi %[[LO]], %{{.*}} : i64
// CHECK: %[[LEN:.*]] = arith.addi %[[HI]], %{{.*}} : i64
// CHECK: %[[N:.*]] = arith.index_cast %[[LEN]] : i64 to index
// CHECK: %[[S:.*]] = memref.alloc(%[[N]]) : memref<1x2x1x?xf32>
// CHECK: call @mnemo_pim_kv_attend(
// CHECK: memref.alloc() : memref<1x2x1x16xf32>
// CHECK: call @mnemo_pim_kv_attend(
// CHECK-NOT: pim.kv_attend
// JSON: "kv_caches": [
// JSON: "cache": "cache.k",
// JSON: "kind": "key",
// JSON: "max_seq": 64,
// JSON: "row_base": 2
// JSON: "cache": "cache.v",
// JSON: "kind": "value",
// JSON: "row_base": 3
func.func @step(%x: tensor<1x32xf32>, %q: tensor<1x2x1x16xf32>, %pos: tensor<1xi64>,
                %kc: tensor<1x2x64x16xf32> {graph.name = "cache.k"},
                %vc: tensor<1x2x64x16xf32> {graph.name = "cache.v"}) -> (tensor<1x100xf32>, tensor<1x2x1x16xf32>) {
  %w = arith.constant dense<0.5> : tensor<32x100xf32>
  %y = pim.gemv %x, %w : tensor<1x32xf32>, tensor<32x100xf32> -> tensor<1x100xf32>
  %s = pim.kv_attend %q, %q, %pos, %kc {kind = "key", cache_id = 0}
      : tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1xi64>, tensor<1x2x64x16xf32> -> tensor<1x2x1x?xf32>
  %o = pim.kv_attend %s, %q, %pos, %vc {kind = "value", cache_id = 1}
      : tensor<1x2x1x?xf32>, tensor<1x2x1x16xf32>, tensor<1xi64>, tensor<1x2x64x16xf32> -> tensor<1x2x1x16xf32>
  return %y, %o : tensor<1x100xf32>, tensor<1x2x1x16xf32>
}

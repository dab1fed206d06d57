// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-fuse-attention{print=1 sram-budget=16384}))' | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-fuse-attention{print=1 sram-budget=16384}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK-REPORT
// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-fuse-attention{q-tile=8 kv-tile=8}))' | FileCheck %s --check-prefix=TILES
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_gpt.onnx --debug-info | mnemo-opt --pass-pipeline='builtin.module(func.func(graph-infer-shapes,mnemo-fuse-attention{print=1 sram-budget=16384}))' | FileCheck %s --check-prefix=MODEL
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_gpt.onnx --debug-info | mnemo-opt --pass-pipeline='builtin.module(func.func(graph-infer-shapes,mnemo-fuse-attention{print=1 sram-budget=16384}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=MODEL-REPORT

// GPT-2's export: MatMul, Div by sqrt(d), Where(causal mask, s, min),
// Softmax, MatMul. Under 16 KiB the query tile shrinks before the key tile.
// CHECK-REPORT: attention ONNX node 'pv' (MatMul): 5 ops, q_tile=16 kv_tile=16, tile working set 14848 B (fits 16384 B), modelled off-chip traffic 25600 B vs 82944 B unfused (3.24x less)
// CHECK-LABEL: @select_mask
// The tier planner may stream Q, K, V, the mask and the output through
// 8448 B of tiles (2 heads x 4 tiles of 16x16 floats + a 16x16 mask tile);
// K and V are read twice, 25600 B over 17408 B of operands.
// CHECK: %[[A:.*]] = graph.attention %arg0, %arg1, %arg2, %arg3 {fill = -3.40{{[0-9]*}}E+38 : f64, kv_tile = 16 : i64, mask_kind = "select", mnemo.tile_staging_bytes = 8448 : i64, mnemo.tile_traffic_ratio = 1.4705882352941{{[0-9]*}} : f64, q_tile = 16 : i64, scale = 2.500000e-01 : f64} : (tensor<1x2x32x16xf32>, tensor<1x2x16x32xf32>, tensor<1x2x32x16xf32>, tensor<1x1x32x32xi1>) -> tensor<1x2x32x16xf32>
// CHECK-NOT: graph.softmax
// CHECK: return %[[A]]
// TILES-LABEL: @select_mask
// TILES: graph.attention {{.*}}kv_tile = 8 : i64{{.*}}q_tile = 8 : i64
func.func @select_mask(%q: tensor<1x2x32x16xf32>, %kt: tensor<1x2x16x32xf32>, %v: tensor<1x2x32x16xf32>, %mask: tensor<1x1x32x32xi1>) -> tensor<1x2x32x16xf32> {
  %s = graph.matmul %q, %kt : (tensor<1x2x32x16xf32>, tensor<1x2x16x32xf32>) -> tensor<1x2x32x32xf32>
  %c4 = graph.constant dense<4.0> : tensor<f32>
  %d = graph.div %s, %c4 : (tensor<1x2x32x32xf32>, tensor<f32>) -> tensor<1x2x32x32xf32>
  %min = graph.constant dense<-3.40282347E+38> : tensor<f32>
  %m = graph.where %mask, %d, %min : (tensor<1x1x32x32xi1>, tensor<1x2x32x32xf32>, tensor<f32>) -> tensor<1x2x32x32xf32>
  %p = graph.softmax %m : (tensor<1x2x32x32xf32>) -> tensor<1x2x32x32xf32>
  %o = graph.matmul %p, %v : (tensor<1x2x32x32xf32>, tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> loc("pv")
  return %o : tensor<1x2x32x16xf32>
}

// -----

// Hugging Face's export: scale folded into Q and K, an additive mask, and
// rows that softmax makes NaN zeroed.
// CHECK-REPORT: attention ONNX node 'pv' (MatMul): 6 ops
// CHECK-LABEL: @additive_mask_nan_guard
// CHECK: graph.attention %arg0, %arg1, %arg2, %arg3 {kv_tile = {{[0-9]+}} : i64, mask_kind = "add", mnemo.tile_staging_bytes = {{[0-9]+}} : i64, mnemo.tile_traffic_ratio = {{.*}} : f64, nan_to_zero = true, q_tile = {{[0-9]+}} : i64}
// CHECK-NOT: graph.is_nan
func.func @additive_mask_nan_guard(%q: tensor<1x4x8x16xf32>, %kt: tensor<1x4x16x64xf32>, %v: tensor<1x4x64x16xf32>, %mask: tensor<1x1x8x64xf32>) -> tensor<1x4x8x16xf32> {
  %s = graph.matmul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x64xf32>) -> tensor<1x4x8x64xf32>
  %a = graph.add %s, %mask : (tensor<1x4x8x64xf32>, tensor<1x1x8x64xf32>) -> tensor<1x4x8x64xf32>
  %p = graph.softmax %a : (tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  %nan = graph.is_nan %p : (tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xi1>
  %zero = graph.constant dense<0.0> : tensor<1xf32>
  %g = graph.where %nan, %zero, %p : (tensor<1x4x8x64xi1>, tensor<1xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  %o = graph.matmul %g, %v : (tensor<1x4x8x64xf32>, tensor<1x4x64x16xf32>) -> tensor<1x4x8x16xf32> loc("pv")
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Scores also returned: they must exist whole anyway, nothing is fused.
// CHECK-LABEL: @scores_escape
// CHECK: graph.softmax
// CHECK-NOT: graph.attention
func.func @scores_escape(%q: tensor<2x8x16xf32>, %kt: tensor<2x16x8xf32>, %v: tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x8xf32>) {
  %s = graph.matmul %q, %kt : (tensor<2x8x16xf32>, tensor<2x16x8xf32>) -> tensor<2x8x8xf32>
  %p = graph.softmax %s : (tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = graph.matmul %p, %v : (tensor<2x8x8xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %o, %s : tensor<2x8x16xf32>, tensor<2x8x8xf32>
}

// -----

// Llama's export: Where(Not(keep), min, s) fills where the condition holds,
// so the mask is what the Not negated; the sequence length is symbolic.
// CHECK-LABEL: @inverted_select
// CHECK-NOT: graph.not
// CHECK: graph.attention %arg0, %arg1, %arg2, %arg3 {fill = -3.40{{[0-9]*}}E+38 : f64, {{.*}}mask_kind = "select"
// CHECK-NOT: graph.softmax
func.func @inverted_select(%q: tensor<1x4x?x16xf32>, %kt: tensor<1x4x16x?xf32>, %v: tensor<1x4x?x16xf32>, %keep: tensor<1x1x?x?xi1>) -> tensor<1x4x?x16xf32> {
  %s = graph.matmul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %c4 = graph.constant dense<4.0> : tensor<f32>
  %d = graph.div %s, %c4 : (tensor<1x4x?x?xf32>, tensor<f32>) -> tensor<1x4x?x?xf32>
  %hide = graph.not %keep : (tensor<1x1x?x?xi1>) -> tensor<1x1x?x?xi1>
  %min = graph.constant dense<-3.40282347E+38> : tensor<f32>
  %m = graph.where %hide, %min, %d : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %p = graph.softmax %m : (tensor<1x4x?x?xf32>) -> tensor<1x4x?x?xf32>
  %o = graph.matmul %p, %v : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}

// -----

// GPT-2's decode export: Q and the transposed keys each scaled by
// d^-1/4 = 0.5 before the product. The factors join the scale and the op
// reads the keys as cached (k_rows): no transposed or scaled copy.
// CHECK-REPORT: attention ONNX node 'gpt2' (MatMul): 6 ops
// CHECK-LABEL: @key_rows
// CHECK-NOT: graph.transpose
// CHECK-NOT: graph.mul
// CHECK: graph.attention %arg0, %arg1, %arg2, %{{.*}} {k_rows = true, {{.*}}scale = 2.500000e-01 : f64}
func.func @key_rows(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x?x16xf32>, %v: tensor<1x4x?x16xf32>) -> tensor<1x4x1x16xf32> {
  %half = graph.constant dense<0.5> : tensor<f32>
  %kt = graph.transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x?x16xf32>) -> tensor<1x4x16x?xf32>
  %qs = graph.mul %q, %half : (tensor<1x4x1x16xf32>, tensor<f32>) -> tensor<1x4x1x16xf32>
  %ks = graph.mul %kt, %half : (tensor<1x4x16x?xf32>, tensor<f32>) -> tensor<1x4x16x?xf32>
  %s = graph.matmul %qs, %ks : (tensor<1x4x1x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x1x?xf32>
  %p = graph.softmax %s : (tensor<1x4x1x?xf32>) -> tensor<1x4x1x?xf32>
  %o = graph.matmul %p, %v : (tensor<1x4x1x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x1x16xf32> loc("gpt2")
  return %o : tensor<1x4x1x16xf32>
}

// -----

// A transposed K that something else reads stays, and the op takes it.
// CHECK-LABEL: @shared_transpose
// CHECK: %[[KT:.*]] = graph.transpose
// CHECK: graph.attention %arg0, %[[KT]], %arg2
// CHECK-NOT: k_rows = true
func.func @shared_transpose(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) {
  %kt = graph.transpose %k {perm = [0, 1, 3, 2]} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %s = graph.matmul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %p = graph.softmax %s : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %o = graph.matmul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %o, %kt : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>
}

// -----

// The same with a condition that is not a Not: it is negated.
// CHECK-LABEL: @inverted_select_input
// CHECK: %[[K:.*]] = graph.not %arg3
// CHECK: graph.attention %arg0, %arg1, %arg2, %[[K]] {{.*}}mask_kind = "select"
func.func @inverted_select_input(%q: tensor<1x2x8x16xf32>, %kt: tensor<1x2x16x8xf32>, %v: tensor<1x2x8x16xf32>, %hide: tensor<1x1x8x8xi1>) -> tensor<1x2x8x16xf32> {
  %s = graph.matmul %q, %kt : (tensor<1x2x8x16xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x8x8xf32>
  %min = graph.constant dense<-3.40282347E+38> : tensor<f32>
  %m = graph.where %hide, %min, %s : (tensor<1x1x8x8xi1>, tensor<f32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %p = graph.softmax %m : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = graph.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// No tile fits 16 KiB with 8 heads of 64 kept whole in a tile: the tiles
// without a budget (all 64 query rows: K and V read once), marked over.
// CHECK-REPORT: attention ONNX node 'wide' (MatMul): 3 ops, q_tile=64 kv_tile=64, tile working set {{[0-9]+}} B (over 16384 B)
// CHECK-LABEL: @nothing_fits
// CHECK: graph.attention {{.*}}kv_tile = 64 : i64, q_tile = 64 : i64
func.func @nothing_fits(%q: tensor<1x8x64x64xf32>, %kt: tensor<1x8x64x64xf32>, %v: tensor<1x8x64x64xf32>) -> tensor<1x8x64x64xf32> {
  %s = graph.matmul %q, %kt : (tensor<1x8x64x64xf32>, tensor<1x8x64x64xf32>) -> tensor<1x8x64x64xf32>
  %p = graph.softmax %s : (tensor<1x8x64x64xf32>) -> tensor<1x8x64x64xf32>
  %o = graph.matmul %p, %v : (tensor<1x8x64x64xf32>, tensor<1x8x64x64xf32>) -> tensor<1x8x64x64xf32> loc("wide")
  return %o : tensor<1x8x64x64xf32>
}

// -----

// Dynamic heads: the lowering keeps leading dims whole and static.
// CHECK-REPORT: attention ONNX node 'dyn' (MatMul): not fused (leading dims must be static)
// CHECK-LABEL: @dynamic_heads
// CHECK: graph.softmax
func.func @dynamic_heads(%q: tensor<1x?x8x16xf32>, %kt: tensor<1x?x16x8xf32>, %v: tensor<1x?x8x16xf32>) -> tensor<1x?x8x16xf32> {
  %s = graph.matmul %q, %kt : (tensor<1x?x8x16xf32>, tensor<1x?x16x8xf32>) -> tensor<1x?x8x8xf32>
  %p = graph.softmax %s : (tensor<1x?x8x8xf32>) -> tensor<1x?x8x8xf32>
  %o = graph.matmul %p, %v : (tensor<1x?x8x8xf32>, tensor<1x?x8x16xf32>) -> tensor<1x?x8x16xf32> loc("dyn")
  return %o : tensor<1x?x8x16xf32>
}

// The bundled GPT (examples/tiny_gpt.onnx) fuses its one attention.
// MODEL-REPORT: attention ONNX node '/blocks.0/MatMul_1' (MatMul): 5 ops, q_tile=16 kv_tile=16, tile working set 14848 B (fits 16384 B)
// MODEL: graph.attention
// MODEL-NOT: graph.softmax

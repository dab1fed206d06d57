// RUN: mnemo-opt %s --split-input-file --mnemo-pim-partition="print=1" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-pim-partition="print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK-REPORT
// RUN: mnemo-opt %s --split-input-file --mnemo-pim-partition="print=1 force-host=scores,context" | FileCheck %s --check-prefix=HOST
// RUN: mnemo-opt %s --split-input-file --mnemo-pim-partition="print=1 force-host=scores,context" -o /dev/null 2>&1 | FileCheck %s --check-prefix=HOST-REPORT
// RUN: mnemo-translate --import-onnx %shared/models/gpt2_tiny_decode/model.onnx --infer-shapes --debug-info | mnemo-opt --mnemo-kv-cache="max-seq=64" --mnemo-pim-partition="print=1" | FileCheck %s --check-prefix=GPT2
// RUN: mnemo-translate --import-onnx %shared/models/gpt2_tiny_decode/model.onnx --infer-shapes --debug-info | mnemo-opt --mnemo-kv-cache="max-seq=64" --mnemo-pim-partition="print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPT2-REPORT
// REQUIRES: shared-models

// A decode step's attention against its KV cache, as mnemo-kv-cache
// leaves it: both products go to the device holding the cache, the
// host's cache writes and reads go away, and the keys' scale moves to
// the query ((q s) (K s)^T = (q s s) K^T).
// CHECK-REPORT: pim partition: 'scores' (attention over the key cache 'cache.k', 2 heads x 32 tokens x 16, timed at full length): PIM {{[0-9.]+}} us, host {{[0-9.]+}} us -> PIM
// CHECK-REPORT: pim partition: 'context' (attention over the value cache 'cache.v', 2 heads x 32 tokens x 16, timed at full length): PIM {{[0-9.]+}} us, host {{[0-9.]+}} us -> PIM
// CHECK-LABEL: func.func @attend
// CHECK-NOT: graph.kv_cache_write
// CHECK-NOT: graph.transpose
// CHECK: %[[QS:.*]] = graph.mul %arg0, %[[C:.*]] : (tensor<1x2x1x16xf32>, tensor<f32>) -> tensor<1x2x1x16xf32>
// CHECK: %[[Q:.*]] = graph.mul %[[QS]], %[[C]] : (tensor<1x2x1x16xf32>, tensor<f32>) -> tensor<1x2x1x16xf32>
// CHECK: %[[S:.*]] = pim.kv_attend %[[Q]], %arg1, %arg3, %arg4 {cache_id = 0 : i64, kind = "key"}
// CHECK: %[[P:.*]] = graph.softmax %[[S]]
// CHECK: pim.kv_attend %[[P]], %arg2, %arg3, %arg5 {cache_id = 1 : i64, kind = "value"}
// CHECK-NOT: graph.kv_cache_read
// HOST-REPORT: pim partition: 'scores' ({{.*}} -> host (forced)
// HOST-REPORT: pim partition: 'context' ({{.*}} -> host (forced)
// HOST-LABEL: func.func @attend
// HOST-NOT: pim.kv_attend
// HOST-COUNT-2: graph.kv_cache_write
func.func @attend(%q: tensor<1x2x1x16xf32>, %k: tensor<1x2x1x16xf32>, %v: tensor<1x2x1x16xf32>,
                  %pos: tensor<1xi64>, %kc: tensor<1x2x32x16xf32> {graph.name = "cache.k"},
                  %vc: tensor<1x2x32x16xf32> {graph.name = "cache.v"}) -> tensor<1x2x1x16xf32> {
  %none = graph.none
  %one = graph.constant dense<1> : tensor<1xi64>
  %s = graph.constant dense<0.5> : tensor<f32>
  %next = graph.add %pos, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %kw = graph.kv_cache_write(%kc), %k, %pos, %none {layout = "head-major"} : (tensor<1x2x32x16xf32>, tensor<1x2x1x16xf32>, tensor<1xi64>, none) -> tensor<1x2x32x16xf32>
  %kr = graph.kv_cache_read(%kw), %next, %none {layout = "head-major"} : (tensor<1x2x32x16xf32>, tensor<1xi64>, none) -> tensor<1x2x?x16xf32>
  %kt = graph.transpose %kr {perm = [0, 1, 3, 2]} : (tensor<1x2x?x16xf32>) -> tensor<1x2x16x?xf32>
  %qs = graph.mul %q, %s : (tensor<1x2x1x16xf32>, tensor<f32>) -> tensor<1x2x1x16xf32>
  %ks = graph.mul %kt, %s : (tensor<1x2x16x?xf32>, tensor<f32>) -> tensor<1x2x16x?xf32>
  %sc = graph.matmul %qs, %ks : (tensor<1x2x1x16xf32>, tensor<1x2x16x?xf32>) -> tensor<1x2x1x?xf32> loc("scores")
  %p = graph.softmax %sc : (tensor<1x2x1x?xf32>) -> tensor<1x2x1x?xf32>
  %vw = graph.kv_cache_write(%vc), %v, %pos, %none {layout = "head-major"} : (tensor<1x2x32x16xf32>, tensor<1x2x1x16xf32>, tensor<1xi64>, none) -> tensor<1x2x32x16xf32>
  %vr = graph.kv_cache_read(%vw), %next, %none {layout = "head-major"} : (tensor<1x2x32x16xf32>, tensor<1xi64>, none) -> tensor<1x2x?x16xf32>
  %o = graph.matmul %p, %vr : (tensor<1x2x1x?xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x1x16xf32> loc("context")
  return %o : tensor<1x2x1x16xf32>
}

// -----

// A token-major cache is left to the host (its reads transpose), and so
// is a read that is not of the position just written: no candidates, no
// lines.
// CHECK-REPORT-NOT: pim partition:
// CHECK-LABEL: func.func @other_forms
// CHECK-NOT: pim.kv_attend
// CHECK-COUNT-2: graph.matmul
func.func @other_forms(%p: tensor<1x2x1x?xf32>, %v: tensor<1x1x2x16xf32>, %pos: tensor<1xi64>,
                       %vc: tensor<1x32x2x16xf32>, %vh: tensor<1x2x32x16xf32>,
                       %vn: tensor<1x2x1x16xf32>) -> (tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>) {
  %none = graph.none
  %one = graph.constant dense<1> : tensor<1xi64>
  %next = graph.add %pos, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %vw = graph.kv_cache_write(%vc), %v, %pos, %none {layout = "token-major"} : (tensor<1x32x2x16xf32>, tensor<1x1x2x16xf32>, tensor<1xi64>, none) -> tensor<1x32x2x16xf32>
  %vr = graph.kv_cache_read(%vw), %next, %none {layout = "token-major"} : (tensor<1x32x2x16xf32>, tensor<1xi64>, none) -> tensor<1x2x?x16xf32>
  %o = graph.matmul %p, %vr : (tensor<1x2x1x?xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x1x16xf32> loc("token_major")
  %hw = graph.kv_cache_write(%vh), %vn, %pos, %none {layout = "head-major"} : (tensor<1x2x32x16xf32>, tensor<1x2x1x16xf32>, tensor<1xi64>, none) -> tensor<1x2x32x16xf32>
  %hr = graph.kv_cache_read(%hw), %pos, %none {layout = "head-major"} : (tensor<1x2x32x16xf32>, tensor<1xi64>, none) -> tensor<1x2x?x16xf32>
  %o2 = graph.matmul %p, %hr : (tensor<1x2x1x?xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x1x16xf32> loc("stale_read")
  return %o, %o2 : tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>
}

// The shared GPT-2 decode step: both layers' keys and values.
// GPT2-REPORT-COUNT-4: pim partition: '/model/transformer/h.{{[01]}}/attn/MatMul{{(_1)?}}' (attention over the {{key|value}} cache 'cache.past_key_values.{{[01]}}.{{key|value}}', 4 heads x 64 tokens x 16, timed at full length): PIM {{.*}} -> PIM
// GPT2-NOT: graph.kv_cache_write
// GPT2-COUNT-4: pim.kv_attend

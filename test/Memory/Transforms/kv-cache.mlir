// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{max-seq=64}))' | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=paged max-seq=64 kv-block=16}))' | FileCheck %s --check-prefix=PAGED
// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=int8 max-seq=64 int8-group=16}))' | FileCheck %s --check-prefix=INT8
// RUN: mnemo-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(mnemo-kv-cache{layout=kivi2 max-seq=64 int8-group=16}))' | FileCheck %s --check-prefix=KIVI

// One decoder layer as exporters write it: past K/V concatenated with the
// new token along axis 2, the Concat returned as present and read by
// attention; Shape(past) gives the past length. The past inputs become
// caches of 64 positions, the presents go, and a position input appears.
// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<1x2x1x8xf32>, %[[K:[a-z0-9]+]]: tensor<1x2x1x8xf32>, %[[V:[a-z0-9]+]]: tensor<1x2x1x8xf32>,
// CHECK-SAME: %[[POS:[a-z0-9]+]]: tensor<1xi64> {graph.kv_role = "position", graph.name = "cache_position"},
// CHECK-SAME: %[[KC:[a-z0-9]+]]: tensor<1x2x64x8xf32> {graph.kv_cache = {{{.*}}kind = "key", layout = "head-major", max_seq = 64 : i64, part = "data", past = "past.key", present = "present.key"}, graph.name = "cache.past.key"},
// CHECK-SAME: %[[VC:[a-z0-9]+]]: tensor<1x2x64x8xf32> {{.*}}graph.name = "cache.past.value"
// CHECK-SAME: -> (tensor<1x2x1x8xf32> {graph.name = "out"}, tensor<1xi64> {graph.name = "len"})
// CHECK: %[[NONE:.*]] = graph.none
// CHECK: %[[PASTVIEW:.*]] = graph.kv_cache_read(%[[KC]]), %[[POS]], %[[NONE]] {layout = "head-major"}
// CHECK: graph.shape %[[PASTVIEW]]
// CHECK: %[[KW:.*]] = graph.kv_cache_write(%[[KC]]), %[[K]], %[[POS]], %[[NONE]] {layout = "head-major"} : (tensor<1x2x64x8xf32>, tensor<1x2x1x8xf32>, tensor<1xi64>, none) -> tensor<1x2x64x8xf32>
// CHECK: %[[ONE:.*]] = graph.constant dense<1> : tensor<1xi64>
// CHECK: %[[LEN:.*]] = graph.add %[[POS]], %[[ONE]]
// CHECK: %[[KALL:.*]] = graph.kv_cache_read(%[[KW]]), %[[LEN]], %[[NONE]] {layout = "head-major"} : (tensor<1x2x64x8xf32>, tensor<1xi64>, none) -> tensor<1x2x?x8xf32>
// CHECK: graph.kv_cache_write(%[[VC]]), %[[V]], %[[POS]]
// CHECK-NOT: graph.concat
// CHECK: graph.transpose %[[KALL]]
// CHECK: return %{{.*}}, %{{.*}} : tensor<1x2x1x8xf32>, tensor<1xi64>
// PAGED-LABEL: func.func @layer(
// PAGED-SAME: %[[POS:[a-z0-9]+]]: tensor<1xi64> {graph.kv_role = "position", graph.name = "cache_position"}, %[[TABLE:[a-z0-9]+]]: tensor<4xi64> {graph.kv_role = "block_table", graph.name = "kv_block_table"}, %{{.*}}: tensor<4x2x16x8xf32>
// PAGED: graph.kv_cache_write({{.*}}), {{.*}}, %[[POS]], %[[TABLE]] {block_size = 16 : i64, layout = "paged"}
// INT8-LABEL: func.func @layer(
// INT8-SAME: tensor<1x2x64x8xi8> {{.*}}part = "data"{{.*}}, %{{.*}}: tensor<1x2x4x8xf32> {{.*}}part = "scale"{{.*}}, %{{.*}}: tensor<1x2x16x8xf32> {{.*}}part = "group"
// INT8-SAME: tensor<1x2x64x8xi8> {{.*}}kind = "value"{{.*}}, %{{.*}}: tensor<1x2x64x1xf32>
// INT8: graph.kv_cache_write({{.*}}, {{.*}}, {{.*}}), {{.*}} {group = 16 : i64, layout = "int8"}
// INT8: graph.kv_cache_write({{.*}}, {{.*}}), {{.*}} {group = 16 : i64, kind = "value", layout = "int8"}
// kivi2: codes four per byte ([.., 64, 8/4]), scale and minimum per key
// channel over 16 tokens or per value token, the group being filled in f32.
// KIVI-LABEL: func.func @layer(
// KIVI-SAME: tensor<1x2x64x2xi8> {{.*}}layout = "kivi2"{{.*}}part = "data"{{.*}}, %{{.*}}: tensor<1x2x4x8xf32> {{.*}}part = "scale"{{.*}}, %{{.*}}: tensor<1x2x4x8xf32> {{.*}}part = "min"{{.*}}, %{{.*}}: tensor<1x2x16x8xf32> {{[^}]*}}part = "group", past = "past.key"
// KIVI-SAME: tensor<1x2x64x2xi8> {{.*}}kind = "value"{{.*}}, %{{.*}}: tensor<1x2x64x1xf32> {{.*}}part = "scale"{{.*}}, %{{.*}}: tensor<1x2x64x1xf32> {{.*}}part = "min"{{.*}}, %{{.*}}: tensor<1x2x16x8xf32> {{[^}]*}}part = "group", past = "past.value"
// KIVI: graph.kv_cache_write({{.*}}, {{.*}}, {{.*}}, {{.*}}), {{.*}} {group = 16 : i64, layout = "kivi2"}
// KIVI: graph.kv_cache_read({{.*}}, {{.*}}, {{.*}}, {{.*}}), {{.*}} {group = 16 : i64, layout = "kivi2"} : ({{.*}}) -> tensor<1x2x?x8xf32>
// KIVI: graph.kv_cache_write({{.*}}, {{.*}}, {{.*}}, {{.*}}), {{.*}} {group = 16 : i64, kind = "value", layout = "kivi2"}
func.func @layer(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x1x8xf32>, %v: tensor<1x2x1x8xf32>,
                 %pk: tensor<1x2x?x8xf32> {graph.name = "past.key"},
                 %pv: tensor<1x2x?x8xf32> {graph.name = "past.value"})
    -> (tensor<1x2x1x8xf32> {graph.name = "out"}, tensor<1x2x?x8xf32> {graph.name = "present.key"},
        tensor<1x2x?x8xf32> {graph.name = "present.value"}, tensor<1xi64> {graph.name = "len"}) {
  %shape = graph.shape %pk : (tensor<1x2x?x8xf32>) -> tensor<4xi64>
  %c2 = graph.constant dense<2> : tensor<1xi64>
  %len = graph.gather %shape, %c2 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %kall = graph.concat %pk, %k {axis = -2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %vall = graph.concat %pv, %v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x1x8xf32>) -> tensor<1x2x?x8xf32>
  %kt = graph.transpose %kall {perm = [0, 1, 3, 2]} : (tensor<1x2x?x8xf32>) -> tensor<1x2x8x?xf32>
  %s = graph.matmul %q, %kt : (tensor<1x2x1x8xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x1x?xf32>
  %p = graph.softmax %s : (tensor<1x2x1x?xf32>) -> tensor<1x2x1x?xf32>
  %o = graph.matmul %p, %vall : (tensor<1x2x1x?xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x1x8xf32>
  return %o, %kall, %vall, %len : tensor<1x2x1x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1xi64>
}

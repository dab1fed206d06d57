// RUN: mnemo-opt %s -split-input-file -mnemo-vocab-parallel="shards=2 output=argmax" | FileCheck %s --check-prefix=SEQ
// RUN: mnemo-opt %s -split-input-file -mnemo-vocab-parallel="shards=1 output=last-logits" | FileCheck %s --check-prefix=LAST
// RUN: mnemo-opt %s -split-input-file -mnemo-vocab-parallel="shards=2 rank=1" | FileCheck %s --check-prefix=RANK
// RUN: mnemo-opt %s -split-input-file -mnemo-vocab-parallel="shards=2 rank=0 output=last-argmax" | FileCheck %s --check-prefix=RARG

// A decoder's tail: token embedding [V=4, D=2] and LM head [D, V], logits
// returned. Weight rows are numbered so each part's slice is visible.

func.func @main_graph(%ids: tensor<1x3xi64> {graph.name = "input_ids"}) -> (tensor<1x3x4xf32> {graph.name = "logits"}) {
  %emb = graph.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]> : tensor<4x2xf32>
  %w = graph.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]> : tensor<2x4xf32>
  %h = graph.gather %emb, %ids : (tensor<4x2xf32>, tensor<1x3xi64>) -> tensor<1x3x2xf32>
  %t = graph.tanh %h : (tensor<1x3x2xf32>) -> tensor<1x3x2xf32>
  %logits = graph.matmul %t, %w : (tensor<1x3x2xf32>, tensor<2x4xf32>) -> tensor<1x3x4xf32>
  return %logits : tensor<1x3x4xf32>
}

// One device, two parts in sequence: each part's slice of the head, its
// row argmax (offset by the part's first id) and the max read at it,
// merged by a strict greater-than (ties keep the earlier part, as ONNX
// ArgMax).
// SEQ-LABEL: func.func @main_graph
// SEQ-SAME: -> (tensor<1x3xi64> {graph.kv_role = "next_token", graph.name = "next_token"})
// SEQ: graph.gather %{{.*}}, %arg0 : (tensor<4x2xf32>
// SEQ: %[[W0:.*]] = graph.constant {mnemo.vocab_slice = array<i64: 0, 2>} dense<{{\[\[}}0.000000e+00, 1.000000e+00], [4.000000e+00, 5.000000e+00]]> : tensor<2x2xf32>
// SEQ: %[[L0:.*]] = graph.matmul %[[T:.*]], %[[W0]] : (tensor<1x3x2xf32>, tensor<2x2xf32>) -> tensor<1x3x2xf32>
// SEQ: %[[A0:.*]] = graph.arg_max %[[L0]] {axis = -1 : i64}
// SEQ: %[[M0:.*]] = graph.gather_elements %[[L0]], %[[A0]] {axis = 2 : i64}
// SEQ: %[[W1:.*]] = graph.constant {mnemo.vocab_slice = array<i64: 2, 2>} dense<{{\[\[}}2.000000e+00, 3.000000e+00], [6.000000e+00, 7.000000e+00]]>
// SEQ: %[[L1:.*]] = graph.matmul %[[T]], %[[W1]]
// SEQ: %[[A1:.*]] = graph.arg_max %[[L1]]
// SEQ: %[[M1:.*]] = graph.gather_elements %[[L1]], %[[A1]]
// SEQ: %[[OFF:.*]] = graph.constant dense<2> : tensor<1xi64>
// SEQ: %[[A1G:.*]] = graph.add %[[A1]], %[[OFF]]
// SEQ: %[[GT:.*]] = graph.greater %[[M1]], %[[M0]]
// SEQ: graph.max %[[M0]], %[[M1]]
// SEQ: %[[A:.*]] = graph.where %[[GT]], %[[A1G]], %[[A0]]
// SEQ: %[[R:.*]] = graph.squeeze %[[A]]
// SEQ: return %[[R]] : tensor<1x3xi64>
// SEQ-NOT: tensor<2x4xf32>

// The head for the last position only.
// LAST-LABEL: func.func @main_graph
// LAST-SAME: -> (tensor<1x1x4xf32> {graph.name = "logits"})
// LAST: %[[S:.*]] = graph.slice %{{.*}} : (tensor<1x3x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x1x2xf32>
// LAST: graph.matmul %[[S]], %{{.*}} : (tensor<1x1x2xf32>, tensor<2x4xf32>) -> tensor<1x1x4xf32>

// Rank 1 of 2 keeps ids [2, 4) of both tables. Its embedding rows are
// looked up where the id is its own, zero elsewhere, and summed over the
// ranks; its logits are padded to the full vocabulary and summed (an
// all-gather).
// RANK: module attributes {mnemo.vocab_parallel = {rank = 1 : i64, ranks = 2 : i64, vocab = 4 : i64}}
// RANK: shard.grid @vocab(shape = 2)
// RANK-LABEL: func.func @main_graph
// RANK-SAME: %arg0: tensor<1x3xi64> {graph.kv_role = "tokens", graph.name = "input_ids"}
// RANK: %[[E:.*]] = graph.constant {mnemo.vocab_slice = array<i64: 2, 2>} dense<{{\[\[}}4.000000e+00, 5.000000e+00], [6.000000e+00, 7.000000e+00]]> : tensor<2x2xf32>
// RANK: %[[LO:.*]] = graph.constant dense<2> : tensor<1xi64>
// RANK: %[[GE:.*]] = graph.greater_or_equal %arg0, %[[LO]]
// RANK: %[[HI:.*]] = graph.constant dense<4> : tensor<1xi64>
// RANK: %[[LT:.*]] = graph.less %arg0, %[[HI]]
// RANK: %[[IN:.*]] = graph.and %[[GE]], %[[LT]]
// RANK: %[[LOCAL:.*]] = graph.sub %arg0, %[[LO]]
// RANK: %[[IDX:.*]] = graph.where %[[IN]], %[[LOCAL]]
// RANK: %[[ROWS:.*]] = graph.gather %[[E]], %[[IDX]]
// RANK: %[[MASK:.*]] = graph.unsqueeze %[[IN]]
// RANK: %[[MINE:.*]] = graph.where %[[MASK]], %[[ROWS]]
// RANK: %[[H:.*]] = shard.all_reduce %[[MINE]] on @vocab grid_axes = [0] : tensor<1x3x2xf32> -> tensor<1x3x2xf32>
// RANK: %[[T:.*]] = graph.tanh %[[H]]
// RANK: %[[W:.*]] = graph.constant {mnemo.vocab_slice = array<i64: 2, 2>} dense<{{\[\[}}2.000000e+00, 3.000000e+00], [6.000000e+00, 7.000000e+00]]>
// RANK: %[[L:.*]] = graph.matmul %[[T]], %[[W]] : (tensor<1x3x2xf32>, tensor<2x2xf32>) -> tensor<1x3x2xf32>
// RANK: %[[PADS:.*]] = graph.constant dense<[0, 0, 2, 0, 0, 0]> : tensor<6xi64>
// RANK: %[[P:.*]] = graph.pad %[[L]], %[[PADS]]
// RANK: %[[G:.*]] = shard.all_reduce %[[P]] on @vocab grid_axes = [0] : tensor<1x3x4xf32> -> tensor<1x3x4xf32>
// RANK: return %[[G]] : tensor<1x3x4xf32>
// RANK-NOT: tensor<4x2xf32>

// Rank 0's argmax of the last position: the max over ranks, then the
// smallest id among ranks holding it (V where a rank does not).
// RARG-LABEL: func.func @main_graph
// RARG-SAME: -> (tensor<1x1xi64> {graph.kv_role = "next_token", graph.name = "next_token"})
// RARG: %[[L:.*]] = graph.matmul %{{.*}}, %{{.*}} : (tensor<1x1x2xf32>, tensor<2x2xf32>) -> tensor<1x1x2xf32>
// RARG: %[[A:.*]] = graph.arg_max %[[L]]
// RARG: %[[M:.*]] = graph.gather_elements %[[L]], %[[A]]
// RARG: %[[GM:.*]] = shard.all_reduce %[[M]] on @vocab grid_axes = [0] reduction = max
// RARG: %[[EQ:.*]] = graph.equal %[[M]], %[[GM]]
// RARG: %[[V:.*]] = graph.constant dense<4> : tensor<1xi64>
// RARG: %[[C:.*]] = graph.where %[[EQ]], %[[A]], %[[V]]
// RARG: %[[ID:.*]] = shard.all_reduce %[[C]] on @vocab grid_axes = [0] reduction = min
// RARG: graph.squeeze %[[ID]]

// -----

// A Gemm head (transB: the weight is [V, D]) with a bias, and a softmax
// consumer.
func.func @main_graph(%h: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %w = graph.constant dense<[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]]> : tensor<4x2xf32>
  %b = graph.constant dense<[0.5, 1.5, 2.5, 3.5]> : tensor<4xf32>
  %l = graph.gemm %h, %w, %b {transB = 1 : i64} : (tensor<3x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %p = graph.softmax %l : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %p : tensor<3x4xf32>
}

// SEQ-LABEL: func.func @main_graph
// SEQ-SAME: -> (tensor<3xi64> {graph.kv_role = "next_token", graph.name = "next_token"})
// SEQ: dense<{{\[\[}}0.000000e+00, 1.000000e+00], [2.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>
// SEQ: dense<[5.000000e-01, 1.500000e+00]> : tensor<2xf32>
// SEQ: graph.gemm %arg0, %{{.*}}, %{{.*}} {transB = 1 : i64} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// SEQ-NOT: graph.softmax

// Softmax across ranks: the local max and sum, merged as
// s = sum_i s_i * exp(m_i - m); the local probabilities are gathered.
// RANK-LABEL: func.func @main_graph
// RANK: %[[L:.*]] = graph.gemm %arg0, %{{.*}}, %{{.*}} {transB = 1 : i64} : (tensor<3x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// RANK: %[[MI:.*]] = graph.reduce_max %[[L]]
// RANK: %[[SI:.*]] = graph.reduce_sum
// RANK: %[[M:.*]] = shard.all_reduce %[[MI]] on @vocab grid_axes = [0] reduction = max
// RANK: %[[D:.*]] = graph.sub %[[MI]], %[[M]]
// RANK: %[[R:.*]] = graph.exp %[[D]]
// RANK: %[[W:.*]] = graph.mul %[[SI]], %[[R]]
// RANK: %[[S:.*]] = shard.all_reduce %[[W]] on @vocab grid_axes = [0] : tensor<3x1xf32>
// RANK: graph.div %{{.*}}, %[[S]]
// RANK: graph.pad
// RANK: shard.all_reduce %{{.*}} on @vocab grid_axes = [0] : tensor<3x4xf32> -> tensor<3x4xf32>

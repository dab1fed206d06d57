// RUN: mnemo-opt --split-input-file --verify-diagnostics %s

func.func @conv_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  %n = graph.none
  // expected-error @+2 {{input channels (4) must equal W's dim 1 (3) x group (1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = graph.conv %x, %w, %n : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>, none) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @broadcast_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{operand shapes are not broadcastable: dimension 2 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @element_mismatch(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+2 {{operands have different element types}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.mul %a, %b : (tensor<2xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @wrong_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'graph.relu' op inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.relu %a : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @bad_perm(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{perm is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.transpose %a {perm = [0, 0]} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @bad_reshape(%a: tensor<2x3xf32>) {
  %s = graph.constant dense<[4, -1]> : tensor<2xi64>
  // expected-error @+2 {{cannot reshape 'tensor<2x3xf32>' to [4, -1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.reshape %a, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x?xf32>
  return
}

// -----

func.func @bad_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.softmax %a {axis = 2} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @bad_gelu(%a: tensor<2xf32>) {
  // expected-error @+1 {{approximate must be 'none' or 'tanh', got 'erf'}}
  %0 = graph.gelu %a {approximate = "erf"} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @bad_attr_type(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute}}
  %0 = graph.softmax %a {axis = 1.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{contraction dims differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @split_sizes(%a: tensor<10xf32>) {
  %s = graph.constant dense<[3, 3]> : tensor<2xi64>
  // expected-error @+2 {{split sizes sum to 6 but the axis has 10}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = graph.split %a, %s : (tensor<10xf32>, tensor<2xi64>) -> (tensor<3xf32>, tensor<3xf32>)
  return
}

// -----

func.func @attention_mask_kind(%q: tensor<1x8x16xf32>, %k: tensor<1x16x8xf32>, %v: tensor<1x8x16xf32>, %m: tensor<1x8x8xi1>) -> tensor<1x8x16xf32> {
  // expected-error @+2 {{mask_kind must be none, select or add}}
  // expected-error @+1 {{failed to infer returned types}}
  %a = graph.attention %q, %k, %v, %m {mask_kind = "causal"} : (tensor<1x8x16xf32>, tensor<1x16x8xf32>, tensor<1x8x16xf32>, tensor<1x8x8xi1>) -> tensor<1x8x16xf32>
  return %a : tensor<1x8x16xf32>
}

// -----

func.func @attention_dims(%q: tensor<1x8x16xf32>, %k: tensor<1x32x8xf32>, %v: tensor<1x8x16xf32>) -> tensor<1x8x16xf32> {
  %n = graph.none
  // expected-error @+2 {{attention dims differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %a = graph.attention %q, %k, %v, %n : (tensor<1x8x16xf32>, tensor<1x32x8xf32>, tensor<1x8x16xf32>, none) -> tensor<1x8x16xf32>
  return %a : tensor<1x8x16xf32>
}

// -----

func.func @einsum_inputs(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{einsum equation 'ij,jk->ik' names 2 inputs, the op has 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.einsum %a {equation = "ij,jk->ik"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @einsum_rank(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{einsum term 'ijk' does not fit an input of rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.einsum %a {equation = "ijk->i"} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @einsum_output_label(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{einsum output label 'k' is not in any input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.einsum %a {equation = "ij->k"} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @einsum_sizes(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{einsum inputs disagree on a dim: 3 vs 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.einsum %a, %b {equation = "ij,jk->ik"} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @einsum_character(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{einsum term 'i1' has an invalid character '1'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.einsum %a {equation = "i1->i"} : (tensor<2x3xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @gather_nd_tuple(%d: tensor<2x3xf32>, %i: tensor<4x3xi64>) {
  // expected-error @+2 {{index tuples of 3 entries do not fit data of rank 2 after 0 batch dims}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.gather_nd %d, %i : (tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_reduction(%d: tensor<3xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) {
  // expected-error @+2 {{reduction must be none, add, mul, max or min, got 'sub'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.scatter_elements %d, %i, %u {reduction = "sub"} : (tensor<3xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @scatter_nd_updates(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xf32>) {
  // expected-error @+2 {{updates must have shape indices.shape[:-1] + data.shape[k:]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.scatter_nd %d, %i, %u : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @top_k_too_many(%x: tensor<2x6xf32>) {
  %k = graph.constant dense<7> : tensor<1xi64>
  // expected-error @+2 {{k must be in [0, 6], got 7}}
  // expected-error @+1 {{failed to infer returned types}}
  %0:2 = graph.top_k %x, %k : (tensor<2x6xf32>, tensor<1xi64>) -> (tensor<2x7xf32>, tensor<2x7xi64>)
  return
}

// -----

func.func @one_hot_depth(%i: tensor<3xi64>, %v: tensor<2xf32>) {
  %d = graph.constant dense<0> : tensor<i64>
  // expected-error @+2 {{depth must be in [1, 2^31], got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.one_hot %i, %d, %v : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<3x0xf32>
  return
}

// -----

func.func @window_kind() {
  %n = graph.constant dense<8> : tensor<i64>
  // expected-error @+2 {{kind must be hann, hamming or blackman, got 'kaiser'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.window %n {kind = "kaiser"} : (tensor<i64>) -> tensor<8xf32>
  return
}

// -----

func.func @grid_sample_padding(%x: tensor<1x1x4x4xf32>, %g: tensor<1x2x2x2xf32>) {
  // expected-error @+2 {{padding_mode must be zeros, border or reflection, got 'wrap'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.grid_sample %x, %g {padding_mode = "wrap"} : (tensor<1x1x4x4xf32>, tensor<1x2x2x2xf32>) -> tensor<1x1x2x2xf32>
  return
}

// -----

func.func @grid_sample_grid(%x: tensor<1x1x4x4xf32>, %g: tensor<1x2x2x3xf32>) {
  // expected-error @+2 {{grid must be [N, spatial..., 2] for X of rank 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.grid_sample %x, %g : (tensor<1x1x4x4xf32>, tensor<1x2x2x3xf32>) -> tensor<1x1x2x2xf32>
  return
}

// -----

func.func @reverse_sequence_lens(%x: tensor<4x3xf32>, %l: tensor<4xi64>) {
  // expected-error @+2 {{sequence_lens must be 1-D with one entry per batch entry}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.reverse_sequence %x, %l : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<4x3xf32>
  return
}

// -----

func.func @compress_condition_rank(%x: tensor<3x4xf32>, %c: tensor<2x2xi1>) {
  // expected-error @+2 {{condition must be 1-D, got rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.compress %x, %c {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x2xi1>) -> tensor<?x4xf32>
  return
}

// -----

func.func @compress_axis_range(%x: tensor<3x4xf32>, %c: tensor<2xi1>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.compress %x, %c {axis = 2 : i64} : (tensor<3x4xf32>, tensor<2xi1>) -> tensor<3x?xf32>
  return
}

// -----

func.func @nms_box_coords(%boxes: tensor<1x5x3xf32>, %scores: tensor<1x2x5xf32>) {
  %none = graph.none
  // expected-error @+2 {{boxes must be [batches, boxes, 4], got 'tensor<1x5x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.non_max_suppression %boxes, %scores, %none, %none, %none : (tensor<1x5x3xf32>, tensor<1x2x5xf32>, none, none, none) -> tensor<?x3xi64>
  return
}

// -----

func.func @det_not_square(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{input must be [..., n, n], got 'tensor<2x3x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.det %x : (tensor<2x3x4xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @tfidf_mode(%x: tensor<6xi32>) {
  // expected-error @+2 {{mode must be TF, IDF or TFIDF, got 'BM25'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.tfidf_vectorizer %x {max_gram_length = 1 : i64, max_skip_count = 0 : i64, min_gram_length = 1 : i64, mode = "BM25", ngram_counts = [0], ngram_indexes = [0], pool_int64s = [2]} : (tensor<6xi32>) -> tensor<1xf32>
  return
}

// -----

func.func @if_branch_type(%c: tensor<i1>, %x: tensor<3xf32>, %y: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{branch yields 'tensor<3xi64>' for a result of type 'tensor<3xf32>'}}
  %0 = graph.if %c : tensor<i1> -> tensor<3xf32> {
    graph.yield %x : tensor<3xf32>
  } else {
    graph.yield %y : tensor<3xi64>
  }
  return %0 : tensor<3xf32>
}

// -----

func.func @if_condition(%c: tensor<2xi1>, %x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{condition must be a one-element bool tensor, got 'tensor<2xi1>'}}
  %0 = graph.if %c : tensor<2xi1> -> tensor<3xf32> {
    graph.yield %x : tensor<3xf32>
  } else {
    graph.yield %x : tensor<3xf32>
  }
  return %0 : tensor<3xf32>
}

// -----

func.func @loop_carried_shape(%m: tensor<i64>, %x: tensor<2xf32>, %y: tensor<3xf32>) -> tensor<2xf32> {
  %none = graph.none
  // expected-error @+1 {{carried value 0 changes type}}
  %0 = graph.loop(%m, %none, %x) : (tensor<i64>, none, tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%i: tensor<i64>, %cond: tensor<i1>, %v: tensor<2xf32>):
    graph.yield %cond, %y : tensor<i1>, tensor<3xf32>
  }
  return %0 : tensor<2xf32>
}

// -----

func.func @loop_body_arity(%m: tensor<i64>, %x: tensor<2xf32>) -> tensor<2xf32> {
  %none = graph.none
  // expected-error @+1 {{body must take the iteration number, the condition and 1 carried values, got 2 arguments}}
  %0 = graph.loop(%m, %none, %x) : (tensor<i64>, none, tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%i: tensor<i64>, %v: tensor<2xf32>):
    graph.yield %v, %v : tensor<2xf32>, tensor<2xf32>
  }
  return %0 : tensor<2xf32>
}

// -----

func.func @scan_output_stack(%s: tensor<2xf32>, %x: tensor<3x2xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  // expected-error @+1 {{scan_output_axes has 2 entries for 1 values}}
  %0:2 = graph.scan(%s, %x) {num_scan_inputs = 1 : i64, scan_output_axes = [0, 1]} : (tensor<2xf32>, tensor<3x2xf32>) -> (tensor<2xf32>, tensor<3x2xf32>) {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    graph.yield %a, %b : tensor<2xf32>, tensor<2xf32>
  }
  return %0#0, %0#1 : tensor<2xf32>, tensor<3x2xf32>
}

// -----

func.func @random_both_shapes(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{needs exactly one of a 'like' input and a shape attribute}}
  %0 = graph.random_uniform %x {dtype = f32, seed = 1 : i64, shape = array<i64: 2>} : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @random_low_above_high() -> tensor<2xf32> {
  %n = graph.none
  // expected-error @+1 {{low 2.000000e+00 is above high 1.000000e+00}}
  %0 = graph.random_uniform %n {dtype = f32, seed = 1 : i64, shape = array<i64: 2>, low = 2.0, high = 1.0} : (none) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @random_int_dtype() -> tensor<2xi32> {
  %n = graph.none
  // expected-error @+2 {{dtype must be a float type, got 'i32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.random_normal %n {dtype = i32, seed = 1 : i64, shape = array<i64: 2>} : (none) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

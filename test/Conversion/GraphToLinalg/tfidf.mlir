// RUN: mnemo-opt %s --convert-graph-to-linalg --canonicalize | FileCheck %s

// TfIdfVectorizer: the pool as constant tables (tokens padded to the
// longest n-gram, sizes, output slots); per row and pool n-gram, loops
// over skip distances (1 for unigrams, 1 .. max_skip_count + 1 else) and
// start positions count the matches; IDF then puts each slot's weight
// where it was counted.
// CHECK-LABEL: @tfidf_idf
// CHECK-DAG: arith.constant dense<{{\[\[}}2, 0], [3, 0], [5, 6], [7, 8]]> : tensor<4x2xi64>
// CHECK-DAG: arith.constant dense<[1, 1, 2, 2]> : tensor<4xi64>
// CHECK: scf.for {{.*}} = %c0 to %c4
// CHECK: arith.select {{.*}}, %c1, %c3 : index
// CHECK: arith.cmpi eq, {{.*}} : i64
// CHECK: linalg.generic
// CHECK: arith.cmpf ogt
// CHECK: tensor.collapse_shape {{.*}} : tensor<1x4xf32> into tensor<4xf32>
func.func @tfidf_idf(%x: tensor<6xi32>) -> tensor<4xf32> {
  %0 = graph.tfidf_vectorizer %x {max_gram_length = 2 : i64, max_skip_count = 2 : i64, min_gram_length = 1 : i64, mode = "IDF", ngram_counts = [0, 2], ngram_indexes = [0, 1, 2, 3], pool_int64s = [2, 3, 5, 6, 7, 8], weights = [0.5 : f32, 1.0 : f32, 2.0 : f32, 4.0 : f32]} : (tensor<6xi32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --mnemo-cpu-vectorize-reductions="vector-width=8" --canonicalize | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --mnemo-cpu-vectorize-reductions="cpu=x86-64-v4" --canonicalize | FileCheck %s --check-prefix=V4
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_gpt.onnx | mnemo-opt --mnemo-graph-to-linalg --mnemo-cpu-bufferize --mnemo-cpu-vectorize-reductions="vector-width=8" | grep -o "vector.reduction <[a-z]*>" | sort | uniq -c | FileCheck %s --check-prefix=MODEL

// The example GPT's 3 layer norms (a mean and a variance each) and its
// softmax (a max and a sum): all 8 row statistics are vector reductions.
// MODEL: 7 vector.reduction <add>
// MODEL-NEXT: 1 vector.reduction <maximumf>

// ReLU + global average pool over a 13x13 map: the two reduction dims are
// one run of 169 floats. 169 = 5 steps of 4 x 8 (160) + one vector (8) +
// a masked vector of 1 lane; 4 accumulators from 0, combined, reduced
// once, added into the output.
// CHECK-LABEL: func.func @gap
// CHECK-DAG: %[[ID:.*]] = arith.constant dense<0.000000e+00> : vector<8xf32>
// CHECK-DAG: %[[VIEW:.*]] = memref.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : memref<1x40x13x13xf32> into memref<1x40x169xf32>
// CHECK: scf.for %[[C:.*]] = %c0 to %c40
// CHECK: scf.for %[[R:.*]] = %c0 to %c160 step %c32 iter_args(%{{.*}} = %[[ID]], %{{.*}} = %[[ID]], %{{.*}} = %[[ID]], %{{.*}} = %[[ID]])
// CHECK: vector.load %[[VIEW]][%c0, %[[C]], %[[R]]] : memref<1x40x169xf32>, vector<8xf32>
// CHECK: arith.maximumf %{{.*}} : vector<8xf32>
// CHECK: arith.addf %{{.*}} : vector<8xf32>
// CHECK-COUNT-3: vector.load %[[VIEW]]
// CHECK: scf.yield
// CHECK: vector.load %[[VIEW]][%c0, %[[C]], %c160]
// CHECK: %[[MASK:.*]] = vector.constant_mask [1] : vector<8xi1>
// CHECK: vector.maskedload %[[VIEW]][%c0, %[[C]], %c168], %[[MASK]]
// CHECK: arith.select %[[MASK]], %{{.*}}, %[[ID]]
// CHECK: %[[SUM:.*]] = vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<8xf32> into f32
// CHECK: %[[OLD:.*]] = memref.load %arg1[%c0, %[[C]], %c0, %c0]
// CHECK: %[[NEW:.*]] = arith.addf %[[OLD]], %[[SUM]] : f32
// CHECK: memref.store %[[NEW]], %arg1[%c0, %[[C]], %c0, %c0]
// CHECK-NOT: linalg.generic
// 16 lanes: 169 = 2 steps of 64 + 2 vectors + a masked vector of 9 lanes.
// V4-LABEL: func.func @gap
// V4: scf.for %{{.*}} = %c0 to %c128 step %c64
// V4: vector.load {{.*}} vector<16xf32>
// V4: vector.constant_mask [9] : vector<16xi1>
#in = affine_map<(n, c, h, w) -> (n, c, h, w)>
#out = affine_map<(n, c, h, w) -> (n, c, 0, 0)>
func.func @gap(%x: memref<1x40x13x13xf32>, %y: memref<1x40x1x1xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#in, #out],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<1x40x13x13xf32>) outs(%y : memref<1x40x1x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %a, %zero : f32
    %s = arith.addf %acc, %r : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A row dot product: the product feeding the add is one FMA per vector in
// the unrolled steps; the masked rest multiplies, selects and adds.
// CHECK-LABEL: func.func @dot
// CHECK: scf.for
// CHECK-COUNT-4: vector.fma %{{.*}} : vector<8xf32>
// CHECK: vector.maskedload
// CHECK: arith.mulf %{{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>
#a = affine_map<(i, k) -> (i, k)>
#v = affine_map<(i, k) -> (k)>
#o = affine_map<(i, k) -> (i)>
func.func @dot(%a: memref<3x50xf32>, %v: memref<50xf32>, %o: memref<3xf32>) {
  linalg.generic {indexing_maps = [#a, #v, #o], iterator_types = ["parallel", "reduction"]}
      ins(%a, %v : memref<3x50xf32>, memref<50xf32>) outs(%o : memref<3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A softmax's max over a dynamic row, with a per-row input read once per
// row (broadcast to the lanes): accumulators start at -inf, masked lanes
// hold -inf, the lanes are combined with maximumf.
// CHECK-LABEL: func.func @row_max
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant dense<0xFF800000> : vector<8xf32>
// CHECK: %[[SHIFT:.*]] = memref.load %arg1[%{{.*}}] : memref<?xf32>
// CHECK: vector.broadcast %[[SHIFT]] : f32 to vector<8xf32>
// CHECK: arith.subf %{{.*}} : vector<8xf32>
// CHECK: arith.maximumf %{{.*}} : vector<8xf32>
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[NEGINF]]
// CHECK: vector.reduction <maximumf>
#r2 = affine_map<(i, k) -> (i, k)>
#r1 = affine_map<(i, k) -> (i)>
func.func @row_max(%x: memref<?x?xf32>, %shift: memref<?xf32>, %o: memref<?xf32>) {
  linalg.generic {indexing_maps = [#r2, #r1, #r1], iterator_types = ["parallel", "reduction"]}
      ins(%x, %shift : memref<?x?xf32>, memref<?xf32>) outs(%o : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %d = arith.subf %a, %b : f32
    %m = arith.maximumf %acc, %d : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Only the innermost reduction dim is contiguous (the rows are 16 apart
// in a 13-column view): the outer reduction dim stays an scf.for that
// carries the accumulators, and no collapse_shape is made.
// CHECK-LABEL: func.func @strided_rows
// CHECK-NOT: memref.collapse_shape
// CHECK: scf.for %[[H:.*]] = %c0{{.*}} to %c13{{.*}} iter_args
// CHECK: vector.load %arg0[%{{.*}}, %[[H]], %{{.*}}] : memref<4x13x13xf32, strided<[208, 16, 1]>>, vector<8xf32>
// CHECK: vector.reduction <add>
#s3 = affine_map<(c, h, w) -> (c, h, w)>
#s1 = affine_map<(c, h, w) -> (c)>
func.func @strided_rows(%x: memref<4x13x13xf32, strided<[208, 16, 1]>>, %o: memref<4xf32>) {
  linalg.generic {indexing_maps = [#s3, #s1], iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : memref<4x13x13xf32, strided<[208, 16, 1]>>) outs(%o : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left alone: a reduction not innermost in the input (a column sum: the
// run is strided), an output that moves with the reduction's inner dim,
// integer division in the body, a multiply as the combiner, and tensors.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: vector.reduction
#t = affine_map<(i, k) -> (k, i)>
#id = affine_map<(i, k) -> (i, k)>
#row = affine_map<(i, k) -> (i)>
#col = affine_map<(i, k) -> (k)>
func.func @left_alone(%x: memref<8x8xf32>, %n: memref<8x8xi32>, %o: memref<8xf32>,
                      %xt: tensor<8x8xf32>, %ot: tensor<8xf32>) -> tensor<8xf32> {
  linalg.generic {indexing_maps = [#t, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x8xf32>) outs(%o : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<8x8xf32>) outs(%o : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%n : memref<8x8xi32>) outs(%o : memref<8xf32>) {
  ^bb0(%a: i32, %acc: f32):
    %c3 = arith.constant 3 : i32
    %q = arith.divsi %c3, %a : i32
    %f = arith.sitofp %q : i32 to f32
    %s = arith.addf %acc, %f : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x8xf32>) outs(%o : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.mulf %acc, %a : f32
    linalg.yield %s : f32
  }
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%xt : tensor<8x8xf32>) outs(%ot : tensor<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-approximate-math | FileCheck %s

// f32 exp, expm1, tanh and erf (scalars and vectors) become arith
// polynomials; pow by 3 and by 2 become products.
// CHECK-LABEL: func.func @approximated
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.powf
// CHECK: math.fma
// CHECK: %[[SQ:.*]] = arith.mulf %arg0, %arg0 : f32
// CHECK: %[[CUBE:.*]] = arith.mulf %[[SQ]], %arg0 : f32
// CHECK: %[[SQV:.*]] = arith.mulf %arg1, %arg1 : vector<8xf32>
// CHECK: return {{.*}}, %[[CUBE]], %[[SQV]]
func.func @approximated(%x: f32, %v: vector<8xf32>)
    -> (f32, vector<8xf32>, f32, f32, f32, vector<8xf32>) {
  %c3 = arith.constant 3.0 : f32
  %c2 = arith.constant dense<2.0> : vector<8xf32>
  %0 = math.exp %x : f32
  %1 = math.tanh %v : vector<8xf32>
  %2 = math.erf %x : f32
  %3 = math.expm1 %x : f32
  %4 = math.powf %x, %c3 : f32
  %5 = math.powf %v, %c2 : vector<8xf32>
  return %0, %1, %2, %3, %4, %5 : f32, vector<8xf32>, f32, f32, f32, vector<8xf32>
}

// -----

// Left as they are: log (its approximation flushes denormal inputs), f64,
// pow by 0.5 (a square root would give NaN for -inf) or by a variable, and
// the functions not approximated.
// CHECK-LABEL: func.func @kept
// CHECK: math.log %arg0 : f32
// CHECK: math.exp %arg1 : f64
// CHECK: math.powf %arg0, %{{.*}} : f32
// CHECK: math.powf %arg0, %arg2 : f32
// CHECK: math.sin %arg0 : f32
func.func @kept(%x: f32, %d: f64, %y: f32) -> (f32, f64, f32, f32, f32) {
  %half = arith.constant 0.5 : f32
  %0 = math.log %x : f32
  %1 = math.exp %d : f64
  %2 = math.powf %x, %half : f32
  %3 = math.powf %x, %y : f32
  %4 = math.sin %x : f32
  return %0, %1, %2, %3, %4 : f32, f64, f32, f32, f32
}

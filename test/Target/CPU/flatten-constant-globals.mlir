// RUN: mnemo-opt %s --mnemo-cpu-flatten-constant-globals | FileCheck %s
// RUN: mnemo-opt %s --mnemo-cpu-flatten-constant-globals | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// A nested float array becomes its bytes, little-endian (1.0 = 0x3f800000,
// 2.0 = 0x40000000, -1.0 = 0xbf800000, 0.5 = 0x3f000000).
// CHECK: llvm.mlir.global private constant @nested(dense<[0, 0, -128, 63, 0, 0, 0, 64, 0, 0, -128, -65, 0, 0, 0, 63]> : tensor<16xi8>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<16 x i8>
// LLVM: @nested = private constant [16 x i8] c"\00\00\80?\00\00\00@\00\00\80\BF\00\00\00?", align 64
llvm.mlir.global private constant @nested(dense<[[1.0, 2.0], [-1.0, 0.5]]> : tensor<2x2xf32>) {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<2 x array<2 x f32>>

// A flat one too, and 16-bit integers.
// CHECK: llvm.mlir.global private constant @flat(dense<[0, 0, -128, 63, 0, 0, 0, 64]> : tensor<8xi8>) {{.*}} : !llvm.array<8 x i8>
llvm.mlir.global private constant @flat(dense<[1.0, 2.0]> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>
// CHECK: llvm.mlir.global private constant @shorts(dense<[1, 1, 2, 0]> : tensor<4xi8>) {{.*}} : !llvm.array<4 x i8>
llvm.mlir.global private constant @shorts(dense<[257, 2]> : tensor<2xi16>) {addr_space = 0 : i32} : !llvm.array<2 x i16>

// A resource blob keeps its handle, read as bytes.
// CHECK: llvm.mlir.global private constant @blob(dense_resource<w> : tensor<8xi8>) {{.*}} : !llvm.array<8 x i8>
// LLVM: @blob = private constant [8 x i8] c"\00\00\80?\00\00\00@"
llvm.mlir.global private constant @blob(dense_resource<w> : tensor<2x1xf32>) {addr_space = 0 : i32} : !llvm.array<2 x array<1 x f32>>

// Left as they are: a splat, bytes already, booleans, a mutable global,
// an element type other than the tensor's.
// CHECK: llvm.mlir.global private constant @splat(dense<1.000000e+00> : tensor<2x2xf32>) {{.*}} : !llvm.array<2 x array<2 x f32>>
llvm.mlir.global private constant @splat(dense<1.0> : tensor<2x2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x array<2 x f32>>
// CHECK: llvm.mlir.global private constant @bytes(dense<[1, 2]> : tensor<2xi8>) {{.*}} : !llvm.array<2 x i8>
llvm.mlir.global private constant @bytes(dense<[1, 2]> : tensor<2xi8>) {addr_space = 0 : i32} : !llvm.array<2 x i8>
// CHECK: llvm.mlir.global private constant @bools(dense<[true, false]> : tensor<2xi1>) {{.*}} : !llvm.array<2 x i1>
llvm.mlir.global private constant @bools(dense<[true, false]> : tensor<2xi1>) {addr_space = 0 : i32} : !llvm.array<2 x i1>
// CHECK: llvm.mlir.global private @mutable(dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>) {{.*}} : !llvm.array<2 x f32>
llvm.mlir.global private @mutable(dense<[1.0, 2.0]> : tensor<2xf32>) {addr_space = 0 : i32} : !llvm.array<2 x f32>

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F00000040"
    }
  }
#-}

// RUN: rm -rf %t && mkdir -p %t
// RUN: mnemo-opt %s --mnemo-cpu-weights-object="object=%t/w.o min-bytes=256 release=true" | FileCheck %s
// RUN: llvm-readelf -S -s %t/w.o | FileCheck %s --check-prefix=OBJ
// RUN: llvm-objdump -s -j .rodata %t/w.o | FileCheck %s --check-prefix=DATA
// RUN: mnemo-opt %s --mnemo-cpu-weights-object="object=%t/l.o min-bytes=256" --finalize-memref-to-llvm | FileCheck %s --check-prefix=LLVM

// The 512-byte splat @w and the blob shared by @b1 and @b2 leave for the
// object and become public declarations at their alignment (at least
// the element's: @b2 had none); below min-bytes (@small), mutable (@mut)
// and i1 (@flags, stored as bytes unlike its attribute) stay. With
// release=true the blob, no longer referred to, is freed (not printed).
// CHECK: module attributes {mnemo.weights_object = {file = "{{.*}}/w.o", symbols = [@w, @b1, @b2]}}
// CHECK: memref.global constant @w : memref<8x16xf32> {alignment = 64 : i64}
// CHECK: memref.global constant @b1 : memref<128xf32> {alignment = 64 : i64}
// CHECK: memref.global constant @b2 : memref<128xf32> {alignment = 4 : i64}
// CHECK: memref.global "private" constant @small : memref<4xf32> = dense<
// CHECK: memref.global "private" @mut : memref<128xf32> = dense<
// CHECK: memref.global "private" constant @flags : memref<512xi1> = dense<true>
// CHECK-NOT: dialect_resources

// One .rodata of 512 + 512 bytes (the blob once), three hidden symbols.
// OBJ: .rodata PROGBITS {{[0-9a-f]+}} {{[0-9a-f]+}} 000400
// OBJ-DAG: 512 OBJECT GLOBAL HIDDEN {{.*}} w
// OBJ-DAG: 512 OBJECT GLOBAL HIDDEN {{.*}} b1
// OBJ-DAG: 512 OBJECT GLOBAL HIDDEN {{.*}} b2
// The splat 1.5 element by element, then the blob's 2.0.
// DATA: 0000 0000c03f 0000c03f 0000c03f 0000c03f
// DATA: 0200 00000040 00000040 00000040 00000040

// The declarations lower to external LLVM globals without a value.
// LLVM: llvm.mlir.global external constant @w() {addr_space = 0 : i32, alignment = 64 : i64} : !llvm.array<8 x array<16 x f32>>
// LLVM: llvm.mlir.global external constant @b1()
memref.global "private" constant @w : memref<8x16xf32> = dense<1.500000e+00> {alignment = 64 : i64}
memref.global "private" constant @b1 : memref<128xf32> = dense_resource<shared> {alignment = 64 : i64}
memref.global "private" constant @b2 : memref<128xf32> = dense_resource<shared>
memref.global "private" constant @small : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" @mut : memref<128xf32> = dense<3.0>
memref.global "private" constant @flags : memref<512xi1> = dense<true>
func.func @main_graph(%x: memref<8x16xf32>) -> memref<8x16xf32> {
  %w = memref.get_global @w : memref<8x16xf32>
  %b1 = memref.get_global @b1 : memref<128xf32>
  %b2 = memref.get_global @b2 : memref<128xf32>
  %s = memref.get_global @small : memref<4xf32>
  %m = memref.get_global @mut : memref<128xf32>
  %f = memref.get_global @flags : memref<512xi1>
  return %w : memref<8x16xf32>
}

{-#
  dialect_resources: {
    builtin: {
      shared: "0x040000000000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040000000400000004000000040"
    }
  }
#-}

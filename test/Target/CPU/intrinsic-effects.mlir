// RUN: mnemo-opt %s --canonicalize | FileCheck %s

// llvm.call_intrinsic declares no memory effects upstream; mnemo reports
// LLVM's own: vpdpbusd and vpmaddwd access no memory, so an unused call
// is dead (and the operator order may move buffer fills across the
// kernels that use them). rdrand writes state: it stays, as does an
// unknown name.
// CHECK-LABEL: func.func @effects
// CHECK-NOT: vpdpbusd
// CHECK-NOT: pmadd
// CHECK: llvm.call_intrinsic "llvm.x86.rdrand.32"
// CHECK: llvm.call_intrinsic "llvm.not.an.intrinsic"
func.func @effects(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>,
                   %p: vector<16xi16>) {
  %0 = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %a, %b) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  %1 = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%p, %p) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
  %2 = llvm.call_intrinsic "llvm.x86.rdrand.32"() : () -> !llvm.struct<(i32, i32)>
  %3 = llvm.call_intrinsic "llvm.not.an.intrinsic"(%acc) : (vector<16xi32>) -> vector<16xi32>
  return
}

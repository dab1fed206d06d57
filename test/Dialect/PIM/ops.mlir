// RUN: mnemo-opt %s | mnemo-opt | FileCheck %s

// Every AiM command once, on a 2-channel device; fields print in trace
// order (masks in decimal: 0xC0000000 is 3221225472).
// CHECK-LABEL: pim.program @all device(<channels = 2, rows = 1024>)
// CHECK-NEXT: pim.wr_gb opsize(64) gpr0(0) mask(3221225472)
// CHECK-NEXT: pim.wr_bias gpr0(64) mask(2147483648)
// CHECK-NEXT: pim.mac_abk opsize(64) mask(3221225472) row(1023)
// CHECK-NEXT: pim.mac_sbk opsize(3) mask(1073741824) bank(15) row(0)
// CHECK-NEXT: pim.rd_mac gpr0(100) mask(3221225472)
// CHECK-NEXT: pim.af mask(2147483648)
// CHECK-NEXT: pim.rd_af gpr0(102) mask(2147483648)
// CHECK-NEXT: pim.ewmul opsize(8) mask(2147483648) row(5)
// CHECK-NEXT: pim.ewadd opsize(2) gpr0(100) gpr1(102)
// CHECK-NEXT: pim.copy_bkgb opsize(64) mask(2147483648) bank(2) row(7)
// CHECK-NEXT: pim.copy_gbbk opsize(64) mask(1073741824) bank(3) row(7)
// CHECK-NEXT: pim.wr_sbk opsize(64) gpr0(200) mask(2147483648) bank(1) row(9) col(0)
// CHECK-NEXT: pim.wr_abk gpr0(200) mask(1073741824) row(10)
// CHECK-NEXT: pim.rd_sbk opsize(1) gpr0(300) mask(2147483648) bank(1) row(9) col(63)
// CHECK-NEXT: pim.sync
// CHECK-NEXT: pim.eoc
pim.program @all device(#pim.device<channels = 2, rows = 1024>) {
  pim.wr_gb opsize(64) gpr0(0) mask(0xC0000000)
  pim.wr_bias gpr0(64) mask(0x80000000)
  pim.mac_abk opsize(64) mask(0xC0000000) row(1023)
  pim.mac_sbk opsize(3) mask(0x40000000) bank(15) row(0)
  pim.rd_mac gpr0(100) mask(0xC0000000)
  pim.af mask(0x80000000)
  pim.rd_af gpr0(102) mask(0x80000000)
  pim.ewmul opsize(8) mask(0x80000000) row(5)
  pim.ewadd opsize(2) gpr0(100) gpr1(102)
  pim.copy_bkgb opsize(64) mask(0x80000000) bank(2) row(7)
  pim.copy_gbbk opsize(64) mask(0x40000000) bank(3) row(7)
  pim.wr_sbk opsize(64) gpr0(200) mask(0x80000000) bank(1) row(9) col(0)
  pim.wr_abk gpr0(200) mask(0x40000000) row(10)
  pim.rd_sbk opsize(1) gpr0(300) mask(0x80000000) bank(1) row(9) col(63)
  pim.sync
  pim.eoc
}

// Without a device the AiM default (32 channels, 16K rows) applies.
// CHECK-LABEL: pim.program @default {
// CHECK-NEXT: pim.mac_abk opsize(64) mask(4294967295) row(16383)
pim.program @default {
  pim.mac_abk opsize(64) mask(0xFFFFFFFF) row(16383)
  pim.eoc
}

// The mapping level: a GEMV whose weight lies in the banks.
// CHECK-LABEL: func.func @gemv
// CHECK: pim.gemv %arg0, %arg1 bias %arg2 {layout = #pim.gemv_layout<k = 768, n = 2304, row_base = 0, slots = 5, passes = 1>} : tensor<1x768xf32>, tensor<768x2304xf32>, tensor<2304xf32> -> tensor<1x2304xf32>
func.func @gemv(%x: tensor<1x768xf32>, %w: tensor<768x2304xf32>, %b: tensor<2304xf32>) -> tensor<1x2304xf32> {
  %y = pim.gemv %x, %w bias %b {layout = #pim.gemv_layout<k = 768, n = 2304, row_base = 0, slots = 5, passes = 1>}
      : tensor<1x768xf32>, tensor<768x2304xf32>, tensor<2304xf32> -> tensor<1x2304xf32>
  return %y : tensor<1x2304xf32>
}

// Attention against a KV cache in the banks: scores over the keys, the
// weighted sum of the values.
// CHECK-LABEL: func.func @kv_attend
// CHECK: pim.kv_attend %arg0, %arg1, %arg2, %arg3 {cache_id = 0 : i64, kind = "key", row_base = 107 : i64} : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1xi64>, tensor<1x4x64x16xf32> -> tensor<1x4x1x?xf32>
// CHECK: pim.kv_attend %arg4, %arg1, %arg2, %arg3 {cache_id = 1 : i64, kind = "value"} : tensor<1x4x1x?xf32>, tensor<1x4x1x16xf32>, tensor<1xi64>, tensor<1x4x64x16xf32> -> tensor<1x4x1x16xf32>
func.func @kv_attend(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x1x16xf32>, %pos: tensor<1xi64>,
                     %cache: tensor<1x4x64x16xf32>, %p: tensor<1x4x1x?xf32>) -> (tensor<1x4x1x?xf32>, tensor<1x4x1x16xf32>) {
  %s = pim.kv_attend %q, %k, %pos, %cache {kind = "key", cache_id = 0, row_base = 107}
      : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1xi64>, tensor<1x4x64x16xf32> -> tensor<1x4x1x?xf32>
  %o = pim.kv_attend %p, %k, %pos, %cache {kind = "value", cache_id = 1}
      : tensor<1x4x1x?xf32>, tensor<1x4x1x16xf32>, tensor<1xi64>, tensor<1x4x64x16xf32> -> tensor<1x4x1x16xf32>
  return %s, %o : tensor<1x4x1x?xf32>, tensor<1x4x1x16xf32>
}

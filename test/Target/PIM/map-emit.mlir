// RUN: mnemo-opt %s --mnemo-pim-map-gemv="device=channels=2" | FileCheck %s --check-prefix=MAP
// RUN: mnemo-opt %s --mnemo-pim-map-gemv="device=channels=2" --mnemo-pim-emit-programs | FileCheck %s
// RUN: mnemo-opt %s --mnemo-pim-map-gemv="device=channels=2" --mnemo-pim-emit-programs -o %t.mlir
// RUN: mnemo-translate --emit-pim-asm %t.mlir | FileCheck %s --check-prefix=ASM
// RUN: mnemo-translate --emit-pim-asm --program pim_gemv_0 %t.mlir -o %t.trace
// RUN: mnemo-pim-sim %t.trace --device channels=2 | FileCheck %s --check-prefix=SIM
// RUN: mnemo-translate --emit-pim-bin --program pim_gemv_1 %t.mlir -o %t.bin
// RUN: mnemo-pim-sim %t.bin --device channels=2 | FileCheck %s --check-prefix=BIN
// RUN: not mnemo-translate --emit-pim-bin %t.mlir 2>&1 | FileCheck %s --check-prefix=ONE

// Two GEMVs on 2 channels (32 banks): 40 outputs are 2 slots of 32, one
// pass of 32 inputs (2 columns); 1500 inputs are 2 passes (1024 + 476,
// 64 + 30 columns) from row 2, the rows after the first GEMV's.
// MAP: module attributes {pim.device = #pim.device<channels = 2>}
// MAP: pim.gemv {{.*}} {layout = #pim.gemv_layout<k = 32, n = 40, row_base = 0, slots = 2, passes = 1>}
// MAP: pim.gemv {{.*}} {layout = #pim.gemv_layout<k = 1500, n = 40, row_base = 2, slots = 2, passes = 2>}

// One program per GEMV: x in registers 0.., y after it, then zeros.
// CHECK: pim.gemv {{.*}}program = @pim_gemv_0
// CHECK: pim.gemv {{.*}}program = @pim_gemv_1
// CHECK-LABEL: pim.program @pim_gemv_0 device(<channels = 2>) attributes {pim.x_gpr = 0 : i64, pim.y_gpr = 2 : i64, pim.zero_gpr = 6 : i64}
// CHECK-NEXT: pim.wr_gb opsize(2) gpr0(0) mask(3221225472)
// CHECK-NEXT: pim.wr_bias gpr0(6) mask(3221225472)
// CHECK-NEXT: pim.mac_abk opsize(2) mask(3221225472) row(0)
// CHECK-NEXT: pim.rd_mac gpr0(2) mask(3221225472)
// CHECK-NEXT: pim.wr_bias gpr0(6) mask(3221225472)
// CHECK-NEXT: pim.mac_abk opsize(2) mask(3221225472) row(1)
// CHECK-NEXT: pim.rd_mac gpr0(4) mask(3221225472)
// CHECK-NEXT: pim.eoc
// The bias goes in through WR_BIAS on the first pass; the second pass's
// partial sums (registers 100..103) are added by EWADD.
// CHECK-LABEL: pim.program @pim_gemv_1 device(<channels = 2>) attributes {pim.bias_gpr = 104 : i64, pim.x_gpr = 0 : i64, pim.y_gpr = 94 : i64, pim.zero_gpr = 98 : i64}
// CHECK-NEXT: pim.wr_gb opsize(64) gpr0(0)
// CHECK-NEXT: pim.wr_bias gpr0(104)
// CHECK-NEXT: pim.mac_abk opsize(64) {{.*}} row(2)
// CHECK-NEXT: pim.rd_mac gpr0(94)
// CHECK-NEXT: pim.wr_bias gpr0(106)
// CHECK-NEXT: pim.mac_abk opsize(64) {{.*}} row(4)
// CHECK-NEXT: pim.rd_mac gpr0(96)
// CHECK-NEXT: pim.wr_gb opsize(30) gpr0(64)
// CHECK-NEXT: pim.wr_bias gpr0(98)
// CHECK-NEXT: pim.mac_abk opsize(30) {{.*}} row(3)
// CHECK-NEXT: pim.rd_mac gpr0(100)
// CHECK-NEXT: pim.wr_bias gpr0(98)
// CHECK-NEXT: pim.mac_abk opsize(30) {{.*}} row(5)
// CHECK-NEXT: pim.rd_mac gpr0(102)
// CHECK-NEXT: pim.ewadd opsize(4) gpr0(94) gpr1(100)
// CHECK-NEXT: pim.eoc

// ASM: # pim.program @pim_gemv_0
// ASM-NEXT: AiM WR_GB 2 0 0xC0000000
// ASM-NEXT: AiM WR_BIAS 6 0xC0000000
// ASM-NEXT: AiM MAC_ABK 2 0xC0000000 0
// ASM-NEXT: AiM RD_MAC 2 0xC0000000
// ASM: # pim.program @pim_gemv_1
// ASM: AiM EWADD 4 94 100
// ASM-NEXT: AiM EOC

// The first program timed: WR_GB 2 columns (4), WR_BIAS (2), mode change
// (32), MAC over a closed row (56 + 4), mode change (32), RD_MAC (34),
// WR_BIAS (2), mode change (32), MAC with the other row to close (4 + 98
// after the first MAC's start), ... as mnemo-pim-sim counts it.
// SIM: cycles            {{[0-9]+}}
// SIM: commands          WR_GB=1 WR_BIAS=2 MAC_ABK=2 RD_MAC=2 EOC=1
// SIM: activations       64 (row hits 0), mode changes 8
// BIN: commands          WR_GB=2 WR_BIAS=4 MAC_ABK=4 RD_MAC=4 EWADD=1 EOC=1
// ONE: --emit-pim-bin writes one program; name it with --program (the file has 2)

func.func @two(%x: tensor<1x32xf32>, %z: tensor<1x1500xf32>) -> (tensor<1x40xf32>, tensor<1x40xf32>) {
  %w = arith.constant dense<0.5> : tensor<32x40xf32>
  %y = pim.gemv %x, %w : tensor<1x32xf32>, tensor<32x40xf32> -> tensor<1x40xf32>
  %v = arith.constant dense<0.25> : tensor<1500x40xf32>
  %b = arith.constant dense<1.0> : tensor<40xf32>
  %u = pim.gemv %z, %v bias %b : tensor<1x1500xf32>, tensor<1500x40xf32>, tensor<40xf32> -> tensor<1x40xf32>
  return %y, %u : tensor<1x40xf32>, tensor<1x40xf32>
}

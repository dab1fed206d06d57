// RUN: mnemo-opt %s --mnemo-memory-tiers="sram-budget=16384" | FileCheck %s
// RUN: mnemo-opt %s --mnemo-memory-tiers="sram-budget=20480" | FileCheck %s --check-prefix=ROOMY
// RUN: mnemo-opt %s --mnemo-cpu-abi="name=m sram-budget=16384" | FileCheck %s --check-prefix=ABI

// %a is produced first and read again at the last step; in between %b and
// %c need all 16 KiB. With a 16 KiB budget %a is spilled after its producer
// and reloaded before its consumer (8 KiB of off-chip traffic); with 20 KiB
// everything stays on chip.
// CHECK-LABEL: func.func @main_graph
// CHECK-DAG: %[[SRAM:.*]] = mem.arena <sram> : memref<16384xi8>
// CHECK-DAG: %[[DRAM:.*]] = mem.arena <dram> : memref<4096xi8>
// CHECK: %[[A0:.*]] = mem.view %[[SRAM]][{{[0-9]+}}] : memref<16384xi8> to memref<1024xf32>
// CHECK: %[[A3:.*]] = mem.view %[[SRAM]][{{[0-9]+}}] : memref<16384xi8> to memref<1024xf32>
// CHECK: %[[AD:.*]] = mem.view %[[DRAM]][0] : memref<4096xi8> to memref<1024xf32>
// CHECK: linalg.generic {{.*}} outs(%[[A0]] :
// CHECK-NEXT: ^bb0
// CHECK: mem.spill %[[A0]] to %[[AD]] : memref<1024xf32>
// CHECK: memref.dim %[[A0]], %{{.*}} : memref<1024xf32>
// CHECK: mem.reload %[[AD]] to %[[A3]] : memref<1024xf32>
// CHECK-NEXT: linalg.generic {{.*}} ins(%{{.*}}, %[[A3]] :
// CHECK-NOT: memref.alloc
// ROOMY: mem.arena <sram> : memref<20480xi8>
// ROOMY-NOT: mem.arena <dram>
// ROOMY-NOT: mem.spill
// ROOMY-NOT: mem.reload

// mnemo-cpu-abi plans the same tiers and lowers them: the SRAM arena at the
// start of the workspace, the DRAM arena after it, views, copies.
// ABI-LABEL: func.func private @main_graph
// ABI-SAME: %[[WS:arg[0-9]+]]: memref<20480xi8>
// ABI-DAG: %[[C0:.*]] = arith.constant 0 : index
// ABI-DAG: %[[C16K:.*]] = arith.constant 16384 : index
// ABI-DAG: %[[SRAM:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<20480xi8> to memref<16384xi8>
// ABI-DAG: %[[DRAM:.*]] = memref.view %[[WS]][%[[C16K]]][] : memref<20480xi8> to memref<4096xi8>
// ABI: memref.copy %{{.*}}, %{{.*}} : memref<1024xf32> to memref<1024xf32>
// ABI: memref.copy %{{.*}}, %{{.*}} : memref<1024xf32> to memref<1024xf32>
// ABI-NOT: mem.
// ABI: func.func @m_workspace_bytes
#id = affine_map<(d0) -> (d0)>
func.func @main_graph(%x: memref<1024xf32>, %y: memref<2048xf32>) -> memref<1024xf32> {
  %a = memref.alloc() : memref<1024xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : memref<1024xf32>) outs(%a : memref<1024xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %i : f32
    linalg.yield %r : f32
  }
  %b = memref.alloc() : memref<2048xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%y : memref<2048xf32>) outs(%b : memref<2048xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.mulf %i, %i : f32
    linalg.yield %r : f32
  }
  // Reads only the shape of %a while %a is off chip.
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<1024xf32>
  %c = memref.alloc() : memref<2048xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%b : memref<2048xf32>) outs(%c : memref<2048xf32>) {
  ^bb0(%i: f32, %o: f32):
    %r = arith.addf %i, %i : f32
    linalg.yield %r : f32
  }
  %d = memref.alloc() : memref<1024xf32>
  %cv = memref.subview %c[0] [1024] [1] : memref<2048xf32> to memref<1024xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%cv, %a : memref<1024xf32, strided<[1]>>, memref<1024xf32>) outs(%d : memref<1024xf32>) {
  ^bb0(%i: f32, %j: f32, %o: f32):
    %r = arith.addf %i, %j : f32
    linalg.yield %r : f32
  }
  return %d : memref<1024xf32>
}

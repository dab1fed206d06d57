//===- MemOps.td - mnemo mem dialect -----------------------*- tablegen -*-===//
//
// The `mem` dialect carries the memory plan as IR: one arena per memory
// space with its planned size, typed views at planned offsets, and explicit
// transfers between tiers (spill to off-chip, reload to on-chip).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DIALECT_MEM_IR_MEMOPS_TD
#define MNEMO_DIALECT_MEM_IR_MEMOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ViewLikeInterface.td"

def Mem_Dialect : Dialect {
  let name = "mem";
  let cppNamespace = "::mnemo::mem";
  let summary = "Memory spaces, planned arenas, views and tier transfers.";
  let useDefaultAttributePrinterParser = 1;
}

def Mem_Space : I32EnumAttr<"Space", "a memory space", [
    I32EnumAttrCase<"sram", 0>, I32EnumAttrCase<"dram", 1>,
    I32EnumAttrCase<"hbm", 2>, I32EnumAttrCase<"pim_bank", 3>]> {
  let cppNamespace = "::mnemo::mem";
  let genSpecializedAttr = 0;
}

def Mem_SpaceAttr : EnumAttr<Mem_Dialect, Mem_Space, "space"> {
  let assemblyFormat = "`<` $value `>`";
}

class Mem_Op<string mnemonic, list<Trait> traits = []>
    : Op<Mem_Dialect, mnemonic, traits>;

def Mem_ArenaOp : Mem_Op<"arena", [Pure]> {
  let summary = "The planned arena of one memory space.";
  let description = [{
    A byte buffer of the planned size in `space`. Each function has at most
    one arena per space; the target lowering places it (for the CPU, as a
    region of the caller's workspace).

    ```mlir
    %sram = mem.arena <sram> : memref<262144xi8>
    ```
  }];
  let arguments = (ins Mem_SpaceAttr:$space);
  let results = (outs MemRefRankOf<[I8], [1]>:$result);
  let assemblyFormat = "$space attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Mem_ViewOp : Mem_Op<"view", [Pure,
    DeclareOpInterfaceMethods<ViewLikeOpInterface>]> {
  let summary = "A typed tensor at a planned offset of an arena.";
  let description = [{
    ```mlir
    %t = mem.view %sram[4096] : memref<262144xi8> to memref<1x16x8x8xf32>
    %u = mem.view %dram[0](%n) : memref<65536xi8> to memref<?x16xf32>
    ```
    The result has an identity layout; `sizes` give its dynamic dims. With
    a static shape it must fit in the arena at `offset` (dynamic shapes are
    planned at their upper bound).
  }];
  let arguments = (ins MemRefRankOf<[I8], [1]>:$arena, I64Attr:$offset,
                       Variadic<Index>:$sizes);
  let results = (outs AnyMemRef:$result);
  let assemblyFormat = [{
    $arena `[` $offset `]` (`(` $sizes^ `)`)? attr-dict `:` type($arena) `to`
    type($result)
  }];
  let hasVerifier = 1;
}

class Mem_TransferOp<string mnemonic, string what>
    : Mem_Op<mnemonic, [SameTypeOperands]> {
  let summary = what;
  let arguments = (ins Arg<AnyMemRef, "", [MemRead]>:$source,
                       Arg<AnyMemRef, "", [MemWrite]>:$target);
  let assemblyFormat = [{
    $source `to` $target attr-dict `:` type($source)
  }];
}

def Mem_SpillOp : Mem_TransferOp<"spill",
    "Writes an on-chip tensor to its off-chip copy."> {
  let description = [{
    Emitted by the tier planner after the last step of an on-chip residency
    when the tensor is used again later.
  }];
}

def Mem_ReloadOp : Mem_TransferOp<"reload",
    "Reads an off-chip tensor back into on-chip memory."> {
  let description = [{
    Emitted by the tier planner before the first step of an on-chip
    residency that follows a spill.
  }];
}

#endif // MNEMO_DIALECT_MEM_IR_MEMOPS_TD

//===- Mem.h - mnemo mem dialect --------------------------------*- C++ -*-===//

#ifndef MNEMO_DIALECT_MEM_IR_MEM_H
#define MNEMO_DIALECT_MEM_IR_MEM_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "mnemo/Dialect/Mem/IR/MemDialect.h.inc"
#include "mnemo/Dialect/Mem/IR/MemEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "mnemo/Dialect/Mem/IR/MemAttrs.h.inc"

#define GET_OP_CLASSES
#include "mnemo/Dialect/Mem/IR/MemOps.h.inc"

#endif // MNEMO_DIALECT_MEM_IR_MEM_H

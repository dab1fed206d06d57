//===- PIM.h - mnemo pim dialect --------------------------------*- C++ -*-===//

#ifndef MNEMO_DIALECT_PIM_IR_PIM_H
#define MNEMO_DIALECT_PIM_IR_PIM_H

#include "mnemo/Target/PIM/Program.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mnemo/Dialect/PIM/IR/PIMDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "mnemo/Dialect/PIM/IR/PIMAttrs.h.inc"

#define GET_OP_CLASSES
#include "mnemo/Dialect/PIM/IR/PIMOps.h.inc"

namespace mnemo::pim {

/// The AiM command a pim command op stands for (nothing for other ops).
std::optional<Command> commandOf(mlir::Operation *op);

/// The pim op for `command`, built at `builder`'s insertion point.
mlir::Operation *buildCommand(mlir::OpBuilder &builder, mlir::Location loc,
                              const Command &command);

/// The attribute for `device` (fields at their defaults are not printed).
DeviceAttr getDeviceAttr(mlir::MLIRContext *ctx, const Device &device);

} // namespace mnemo::pim

#endif // MNEMO_DIALECT_PIM_IR_PIM_H

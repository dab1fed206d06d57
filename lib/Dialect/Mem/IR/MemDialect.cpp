//===- MemDialect.cpp - mnemo mem dialect ---------------------------------===//

#include "mnemo/Dialect/Mem/IR/Mem.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mnemo::mem;

#include "mnemo/Dialect/Mem/IR/MemDialect.cpp.inc"
#include "mnemo/Dialect/Mem/IR/MemEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "mnemo/Dialect/Mem/IR/MemAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "mnemo/Dialect/Mem/IR/MemOps.cpp.inc"

void MemDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "mnemo/Dialect/Mem/IR/MemAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "mnemo/Dialect/Mem/IR/MemOps.cpp.inc"
      >();
}

static int64_t byteSize(MemRefType t) {
  Type e = t.getElementType();
  int64_t bytes = e.isIndex() ? 8 : (e.getIntOrFloatBitWidth() + 7) / 8;
  return t.getNumElements() * bytes;
}

LogicalResult ArenaOp::verify() {
  auto t = cast<MemRefType>(getResult().getType());
  if (!t.hasStaticShape() || !t.getLayout().isIdentity())
    return emitOpError("arena must be a static, contiguous byte buffer");
  return success();
}

LogicalResult ViewOp::verify() {
  auto arena = cast<MemRefType>(getArena().getType());
  auto t = cast<MemRefType>(getResult().getType());
  if (!t.getLayout().isIdentity())
    return emitOpError("view must have an identity layout");
  if ((int64_t)getSizes().size() != t.getNumDynamicDims())
    return emitOpError() << "expected " << t.getNumDynamicDims()
                         << " dynamic sizes, got " << getSizes().size();
  int64_t offset = getOffset();
  if (offset < 0)
    return emitOpError("offset must be non-negative");
  if (t.hasStaticShape() && arena.hasStaticShape() &&
      offset + byteSize(t) > arena.getDimSize(0))
    return emitOpError() << "view of " << byteSize(t) << " bytes at offset "
                         << offset << " exceeds the arena of "
                         << arena.getDimSize(0) << " bytes";
  return success();
}

Value ViewOp::getViewSource() { return getArena(); }

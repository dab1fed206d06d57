//===- PackWeights.cpp - constant weights packed for channel vectors ------===//

#include "mnemo/Target/CPU/PackWeights.h"
#include "mnemo/Support/ConstantData.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <cstring>


using namespace mlir;

namespace mnemo {

namespace {

/// The memref.get_global under a chain of reshapes of identity-layout
/// memrefs (which keep the row-major element order), or null.
memref::GetGlobalOp globalUnderReshapes(Value v) {
  while (true) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || !type.getLayout().isIdentity())
      return {};
    Operation *def = v.getDefiningOp();
    if (auto g = dyn_cast_or_null<memref::GetGlobalOp>(def))
      return g;
    if (auto c = dyn_cast_or_null<memref::CollapseShapeOp>(def))
      v = c.getSrc();
    else if (auto e = dyn_cast_or_null<memref::ExpandShapeOp>(def))
      v = e.getSrc();
    else
      return {};
  }
}

/// The f32 values of a constant global's initial value.
std::optional<std::vector<float>> floatValues(memref::GlobalOp global) {
  return f32Values(cast<ElementsAttr>(global.getInitialValueAttr()));
}

} // namespace

memref::GlobalOp constantGlobal(SymbolTable &symbols, Value a) {
  memref::GetGlobalOp get = globalUnderReshapes(a);
  if (!get)
    return {};
  auto global = symbols.lookup<memref::GlobalOp>(get.getName());
  if (!global || !global.getConstant())
    return {};
  auto init = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
  if (!init || !init.getElementType().isF32())
    return {};
  return global;
}

memref::GlobalOp createPackedGlobal(RewriterBase &rewriter,
                                    SymbolTable &symbols,
                                    memref::GlobalOp source, StringRef name,
                                    MemRefType type, ArrayRef<float> values,
                                    PackedGlobals::key_type key,
                                    PackedGlobals &packed) {
  ElementsAttr init = f32Elements(
      RankedTensorType::get(type.getShape(), type.getElementType()), values,
      name);
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfter(source);
  auto target = memref::GlobalOp::create(
      rewriter, source.getLoc(), name, rewriter.getStringAttr("private"), type,
      init, /*constant=*/true, rewriter.getI64IntegerAttr(64));
  symbols.insert(target); // renames on a clash
  packed[key] = target;
  return target;
}

bool canPackRowBlocks(SymbolTable &symbols, Value a, AffineMap map,
                      unsigned mDim) {
  auto type = dyn_cast<MemRefType>(a.getType());
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !type.getElementType().isF32() || type.getRank() < 2 ||
      map.getNumResults() != (unsigned)type.getRank())
    return false;
  ArrayRef<AffineExpr> results = map.getResults();
  auto m = dyn_cast<AffineDimExpr>(results[0]);
  if (!m || m.getPosition() != mDim ||
      !llvm::all_of(results.drop_front(), [&](AffineExpr e) {
        auto d = dyn_cast<AffineDimExpr>(e);
        return d && d.getPosition() != mDim;
      }))
    return false;
  return (bool)constantGlobal(symbols, a);
}

FailureOr<PackedOperand> packRowBlocks(RewriterBase &rewriter,
                                       SymbolTable &symbols, Operation *user,
                                       Value a, AffineMap map, unsigned mDim,
                                       int64_t block, PackedGlobals &packed) {
  if (block < 1 || !canPackRowBlocks(symbols, a, map, mDim))
    return failure();
  memref::GlobalOp global = constantGlobal(symbols, a);
  auto type = cast<MemRefType>(a.getType());
  SmallVector<int64_t> shape(type.getShape());
  int64_t mSize = shape[0], rest = type.getNumElements() / mSize;
  int64_t blocks = (mSize + block - 1) / block;
  SmallVector<int64_t> packedShape = {blocks};
  packedShape.append(shape.begin() + 1, shape.end());
  packedShape.push_back(block);
  auto packedType = MemRefType::get(packedShape, type.getElementType());

  auto key = std::make_tuple(global.getOperation(), block, Type(type));
  memref::GlobalOp target;
  if (auto it = packed.find(key); it != packed.end()) {
    target = cast<memref::GlobalOp>(it->second);
  } else {
    std::optional<std::vector<float>> values = floatValues(global);
    if (!values || (int64_t)values->size() != type.getNumElements())
      return failure();
    std::vector<float> out(blocks * rest * block, 0.0f);
    for (int64_t row = 0; row < mSize; ++row)
      for (int64_t r = 0; r < rest; ++r)
        out[((row / block) * rest + r) * block + row % block] =
            (*values)[row * rest + r];
    target = createPackedGlobal(
        rewriter, symbols, global,
        (global.getSymName() + "_packed" + std::to_string(block)).str(),
        packedType, out, key, packed);
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(user);
  Value value = memref::GetGlobalOp::create(rewriter, user->getLoc(),
                                            packedType, target.getSymName());
  MLIRContext *ctx = user->getContext();
  AffineExpr md = getAffineDimExpr(mDim, ctx);
  SmallVector<AffineExpr> packedResults = {md.floorDiv(block)};
  ArrayRef<AffineExpr> results = map.getResults();
  packedResults.append(results.begin() + 1, results.end());
  packedResults.push_back(md % block);
  return PackedOperand{
      value, AffineMap::get(map.getNumDims(), 0, packedResults, ctx)};
}

FailureOr<Value> packColumnPanels(RewriterBase &rewriter, SymbolTable &symbols,
                                  Operation *user, Value b, int64_t panel,
                                  int64_t start, int64_t columns,
                                  PackedGlobals &packed) {
  auto type = dyn_cast<MemRefType>(b.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape() ||
      !type.getLayout().isIdentity() || panel < 1 || columns % panel ||
      start < 0 || start + columns > type.getDimSize(1))
    return failure();
  memref::GlobalOp global = constantGlobal(symbols, b);
  if (!global)
    return failure();
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  auto packedType =
      MemRefType::get({columns / panel, k, panel}, type.getElementType());
  // (The packed type and the start tell panels of one weight apart.)
  auto key = std::make_tuple(global.getOperation(), panel * (n + 1) + start,
                             Type(packedType));
  memref::GlobalOp target;
  if (auto it = packed.find(key); it != packed.end()) {
    target = cast<memref::GlobalOp>(it->second);
  } else {
    std::optional<std::vector<float>> values = floatValues(global);
    if (!values || (int64_t)values->size() != k * n)
      return failure();
    std::vector<float> out(columns * k);
    for (int64_t j = 0; j < columns / panel; ++j)
      for (int64_t r = 0; r < k; ++r)
        for (int64_t l = 0; l < panel; ++l)
          out[(j * k + r) * panel + l] =
              (*values)[r * n + start + j * panel + l];
    target = createPackedGlobal(rewriter, symbols, global,
                                (global.getSymName() + "_panels" +
                                 std::to_string(panel) + "_" +
                                 std::to_string(start))
                                    .str(),
                                packedType, out, key, packed);
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(user);
  return memref::GetGlobalOp::create(rewriter, user->getLoc(), packedType,
                                     target.getSymName())
      .getResult();
}

FailureOr<Value> moveDimInnermost(RewriterBase &rewriter, SymbolTable &symbols,
                                  Value a, unsigned dim,
                                  PackedGlobals &packed) {
  // The subviews from the global out to `a` (thread chunks of a tile).
  SmallVector<memref::SubViewOp> views;
  Value source = a;
  while (auto view = source.getDefiningOp<memref::SubViewOp>()) {
    views.insert(views.begin(), view);
    source = view.getSource();
  }
  auto get = source.getDefiningOp<memref::GetGlobalOp>();
  auto type = dyn_cast<MemRefType>(source.getType());
  if (!get || !type || !type.hasStaticShape() ||
      !type.getLayout().isIdentity() || dim >= type.getRank() ||
      type.getElementTypeBitWidth() % 8 ||
      llvm::any_of(views, [&](memref::SubViewOp v) {
        return v.getType().getRank() != type.getRank();
      }))
    return failure();
  auto global = symbols.lookup<memref::GlobalOp>(get.getName());
  if (!global || !global.getConstant())
    return failure();
  auto init = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
  if (!init)
    return failure();
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (d != dim)
      perm.push_back(d);
  perm.push_back(dim);
  auto permute = [&](auto values) {
    SmallVector<typename decltype(values)::value_type> out;
    for (int64_t d : perm)
      out.push_back(values[d]);
    return out;
  };
  SmallVector<int64_t> shape = permute(type.getShape());
  auto movedType = MemRefType::get(shape, type.getElementType());

  auto key = std::make_tuple(global.getOperation(), -1 - (int64_t)dim,
                             Type(movedType));
  auto name = [&] {
    return (global.getSymName() + "_inner" + std::to_string(dim)).str();
  };
  memref::GlobalOp target;
  if (auto it = packed.find(key); it != packed.end()) {
    target = cast<memref::GlobalOp>(it->second);
  } else {
    auto tensorType = RankedTensorType::get(shape, type.getElementType());
    ElementsAttr moved;
    if (auto d = dyn_cast<DenseElementsAttr>(init); d && d.isSplat()) {
      moved = d.resizeSplat(tensorType);
    } else {
      ArrayRef<char> raw = rawConstantBytes(init);
      int64_t width = type.getElementTypeBitWidth() / 8;
      if ((int64_t)raw.size() != type.getNumElements() * width)
        return failure();
      // Element i of the source at multi-index x goes to the moved index
      // (x without x[dim], x[dim]).
      SmallVector<int64_t> dstStrides =
          movedType.getStridesAndOffset().first;
      std::vector<char> out(raw.size());
      SmallVector<int64_t> index(rank, 0);
      for (int64_t i = 0, n = type.getNumElements(); i < n; ++i) {
        int64_t to = 0;
        for (int64_t d = 0; d < rank; ++d)
          to += index[perm[d]] * dstStrides[d];
        std::memcpy(out.data() + to * width, raw.data() + i * width, width);
        for (int64_t d = rank - 1; d >= 0 && ++index[d] == type.getDimSize(d);
             --d)
          index[d] = 0;
      }
      if (out.size() <= 4096)
        moved = DenseElementsAttr::getFromRawBuffer(tensorType, out);
      else
        moved = DenseResourceElementsAttr::get(
            tensorType, name(),
            HeapAsmResourceBlob::allocateAndCopyWithAlign(out, /*align=*/64));
    }
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(global);
    target = memref::GlobalOp::create(
        rewriter, global.getLoc(), name(), rewriter.getStringAttr("private"), movedType, moved,
        /*constant=*/true, rewriter.getI64IntegerAttr(64));
    symbols.insert(target); // renames on a clash
    packed[key] = target;
  }
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(get);
  Value value = memref::GetGlobalOp::create(rewriter, get.getLoc(), movedType,
                                            target.getSymName());
  for (memref::SubViewOp view : views) {
    rewriter.setInsertionPoint(view);
    value = memref::SubViewOp::create(rewriter, view.getLoc(), value,
                                      permute(view.getMixedOffsets()),
                                      permute(view.getMixedSizes()),
                                      permute(view.getMixedStrides()));
  }
  return value;
}

/// Erases the reshapes of `v` (and theirs) that nothing uses; whether `v`
/// is unused then.
static bool eraseUnusedReshapes(Value v) {
  for (Operation *user : llvm::make_early_inc_range(v.getUsers()))
    if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp>(user) &&
        eraseUnusedReshapes(user->getResult(0)))
      user->erase();
  return v.use_empty();
}

void eraseUnpackedSources(Operation *module, PackedGlobals &packed) {
  llvm::SmallPtrSet<Operation *, 8> sources;
  for (auto &[key, target] : packed)
    sources.insert(std::get<0>(key));
  if (sources.empty())
    return;
  SmallVector<memref::GetGlobalOp> reads;
  module->walk([&](memref::GetGlobalOp get) {
    if (llvm::any_of(sources, [&](Operation *g) {
          return cast<memref::GlobalOp>(g).getSymName() == get.getName();
        }))
      reads.push_back(get);
  });
  for (memref::GetGlobalOp get : reads)
    if (eraseUnusedReshapes(get.getResult()))
      get->erase();
  for (Operation *g : sources)
    if (SymbolTable::symbolKnownUseEmpty(g, module))
      g->erase();
}

PackedSourceEraser::PackedSourceEraser(Operation *module, bool freeBlobs)
    : module(module), freeBlobs(freeBlobs) {
  module->walk([&](Operation *op) {
    if (auto get = dyn_cast<memref::GetGlobalOp>(op))
      ++reads[get.getNameAttr().getAttr()];
    if (freeBlobs)
      op->getAttrDictionary().walk([&](DenseResourceElementsAttr a) {
        ++blobRefs[a.getRawHandle().getResource()];
      });
  });
}

void PackedSourceEraser::dropped(Value weight, memref::GlobalOp source,
                                 PackedGlobals &packed) {
  if (!weight.use_empty())
    return;
  Operation *def = weight.getDefiningOp();
  while (isa_and_nonnull<memref::CollapseShapeOp, memref::ExpandShapeOp>(def) &&
         def->use_empty()) {
    Operation *next = def->getOperand(0).getDefiningOp();
    def->erase();
    def = next;
  }
  auto get = dyn_cast_or_null<memref::GetGlobalOp>(def);
  if (!get || !get->use_empty() || get.getName() != source.getSymName())
    return;
  get->erase();
  // The count is what the pass started with: a read made since would not
  // be in it, so the last one is confirmed by a walk (once per weight).
  if (--reads[source.getSymNameAttr()] > 0 ||
      !SymbolTable::symbolKnownUseEmpty(source, module))
    return;
  // Only a source the pass replaced: other unread globals are not its own.
  bool isPacked = false;
  for (auto it = packed.begin(); it != packed.end();) {
    auto cur = it++;
    if (std::get<0>(cur->first) == source.getOperation()) {
      isPacked = true;
      packed.erase(cur);
    }
  }
  if (!isPacked)
    return;
  auto blob =
      dyn_cast_or_null<DenseResourceElementsAttr>(source.getInitialValueAttr());
  source->erase();
  if (!freeBlobs || !blob)
    return;
  auto *entry = blob.getRawHandle().getResource();
  if (--blobRefs[entry] == 0 && entry->getBlob())
    entry->setBlob(AsmResourceBlob());
}

} // namespace mnemo

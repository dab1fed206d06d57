//===- Winograd.cpp - 3x3 convolutions as Winograd F(2x2, 3x3) ------------===//
//
// See Passes.td (WinogradPass). The stages are plain linalg ops on
// buffers, so the rest of the CPU pipeline treats them like any other: the
// batched contraction takes the register-tile pass's blocked FMA kernels,
// the transforms are elementwise loops the loop vectorizer widens along
// the map's rows. On buffers, not tensors: the input transform's 16
// outputs are slices of one buffer, which one-shot bufferization would
// copy (it cannot tell the slices of one op apart).
//
//===----------------------------------------------------------------------===//

#include "RegisterTileKernels.h"

#include "mnemo/Support/ConstantData.h"
#include "mnemo/Target/CPU/PackWeights.h"
#include "mnemo/Target/CPU/PassTarget.h"
#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mnemo {
#define GEN_PASS_DEF_WINOGRADPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

constexpr int64_t kPoints = 16; // 4x4 transformed points per tile

/// G of F(2, 3): the filter transform U = G g G^T.
constexpr float kG[4][3] = {{1.0f, 0.0f, 0.0f},
                            {0.5f, 0.5f, 0.5f},
                            {0.5f, -0.5f, 0.5f},
                            {0.0f, 0.0f, 1.0f}};

/// B^T r along one axis of a 4x4 window (B^T = [[1,0,-1,0], [0,1,1,0],
/// [0,-1,1,0], [0,1,0,-1]]); a null r[3] is a zero (the row past an odd
/// map).
std::array<Value, 4> inputAxis(OpBuilder &b, Location loc,
                               std::array<Value, 4> r) {
  Value last = r[3] ? arith::SubFOp::create(b, loc, r[1], r[3]).getResult()
                    : r[1];
  return {arith::SubFOp::create(b, loc, r[0], r[2]),
          arith::AddFOp::create(b, loc, r[1], r[2]),
          arith::SubFOp::create(b, loc, r[2], r[1]), last};
}

/// Row i of A^T (A^T = [[1,1,1,0], [0,1,-1,-1]]) for output parity a:
/// which of the 4 points it adds and with which sign.
struct OutputRow {
  int64_t first; // points first..first+2
  float sign[3];
};
constexpr OutputRow kA[2] = {{0, {1, 1, 1}}, {1, {1, -1, -1}}};

/// acc + sign * v.
Value addSigned(OpBuilder &b, Location loc, Value acc, Value v, float sign) {
  if (!acc)
    return sign > 0 ? v : arith::NegFOp::create(b, loc, v).getResult();
  return sign > 0 ? arith::AddFOp::create(b, loc, acc, v).getResult()
                  : arith::SubFOp::create(b, loc, acc, v).getResult();
}

/// A subview's static offsets, sizes and strides as fold results.
struct View {
  SmallVector<OpFoldResult> offsets, sizes, strides;
};
View view(OpBuilder &b, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes,
          ArrayRef<int64_t> strides) {
  View v;
  for (size_t i = 0; i < offsets.size(); ++i) {
    v.offsets.push_back(b.getIndexAttr(offsets[i]));
    v.sizes.push_back(b.getIndexAttr(sizes[i]));
    v.strides.push_back(b.getIndexAttr(strides[i]));
  }
  return v;
}

Value subview(OpBuilder &b, Location loc, Value source, const View &v) {
  return memref::SubViewOp::create(b, loc, source, v.offsets, v.sizes,
                                   v.strides);
}

/// A subview of `v` keeping only its last `rank` dims (the leading ones
/// have size 1: one transformed point of V).
Value reducedSubview(OpBuilder &b, Location loc, Value source, const View &v,
                     int64_t rank) {
  auto srcType = cast<MemRefType>(source.getType());
  SmallVector<int64_t> staticOffsets, staticSizes, staticStrides;
  SmallVector<Value> dynOffsets, dynSizes, dynStrides;
  dispatchIndexOpFoldResults(v.offsets, dynOffsets, staticOffsets);
  dispatchIndexOpFoldResults(v.sizes, dynSizes, staticSizes);
  dispatchIndexOpFoldResults(v.strides, dynStrides, staticStrides);
  SmallVector<int64_t> shape(staticSizes.end() - rank, staticSizes.end());
  auto type = memref::SubViewOp::inferRankReducedResultType(
      shape, srcType, staticOffsets, staticSizes, staticStrides);
  return memref::SubViewOp::create(b, loc, cast<MemRefType>(type), source,
                                   v.offsets, v.sizes, v.strides);
}

/// What the output transforms fold in, as the register-tile kernels do
/// for a direct convolution: the convolution's init (a scalar fill or a
/// per-channel bias broadcast, then never written to the output and read
/// back) and the elementwise op after it (a ReLU, a residual add and ReLU),
/// applied to each output element before its one store, into that op's
/// destination. Each element is written by exactly one parity's transform
/// of one band, so the epilogue runs once per element.
struct Fold {
  Value scalar;       // the fill's value, or
  Value bias;         // the broadcast's source,
  AffineMap biasMap;  // over the transform's (n, f, th, tw)
  linalg::GenericOp epilogue;
  unsigned accArg = 0, residualArg = 0;
  Value residual;     // shaped like the output, or null
  Value dst;          // where the stores go (the output unless retargeted)
};

struct WinogradPass : public mnemo::impl::WinogradPassBase<WinogradPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    if (minChannels < 1 || l2 < 0)
      return emitError(UnknownLoc::get(ctx))
             << "mnemo-cpu-winograd: "
             << (minChannels < 1 ? "min-channels must be at least 1"
                                 : "l2-bytes must not be negative");
    FailureOr<mnemo::CPUTarget> target =
        mnemo::resolvePassTarget(ctx, cpu, cpuFeatures);
    if (failed(target))
      return failure();
    lanes = target->f32Lanes();
    l2Bytes = l2 > 0 ? l2 : target->l2Bytes;
    if (l2Bytes <= 0)
      l2Bytes = 1 << 20; // as named CPUs (CPUTarget.cpp)
    return success();
  }

  /// Static f32 shapes, 3x3 weights from a constant global, unit strides
  /// and dilations, enough channels.
  memref::GlobalOp weightsOf(SymbolTable &symbols,
                             linalg::Conv2DNchwFchwOp conv) {
    if (!conv.hasPureBufferSemantics())
      return {};
    auto x = cast<MemRefType>(conv.getInputs()[0].getType());
    auto w = cast<MemRefType>(conv.getInputs()[1].getType());
    auto out = cast<MemRefType>(conv.getOutputs()[0].getType());
    if (!x.hasStaticShape() || !w.hasStaticShape() || !out.hasStaticShape() ||
        !x.getElementType().isF32() || !out.getElementType().isF32())
      return {};
    if (w.getDimSize(2) != 3 || w.getDimSize(3) != 3 ||
        w.getDimSize(0) < minChannels || w.getDimSize(1) < minChannels)
      return {};
    auto ones = [](DenseIntElementsAttr a) {
      return llvm::all_of(a.getValues<int64_t>(),
                          [](int64_t v) { return v == 1; });
    };
    if (!ones(conv.getStrides()) || !ones(conv.getDilations()))
      return {};
    return mnemo::constantGlobal(symbols, conv.getInputs()[1]);
  }

  /// Tile rows per band (a divisor of `th`): the whole map while V and M
  /// fit in 4x L2, else the most tile rows that do (at least enough for
  /// two vectors of matmul columns). Longer rows of tiles measured faster
  /// than bands sized for L2 itself (64 channels on 56x56, AVX2: 1.72 ms
  /// with 14 tile rows per band, 1.86 with 1; 128 on 28x28: 1.76 with the
  /// whole map, 1.91 with 2 rows): the matmuls' columns fill their
  /// vectors better and the transforms stream anyway.
  int64_t bandRows(int64_t th, int64_t tw, int64_t bytesPerRow) {
    int64_t budget = 4 * l2Bytes;
    if (th * bytesPerRow <= budget)
      return th;
    int64_t pick = 0;
    for (int64_t r = 1; r <= th; ++r) {
      if (th % r)
        continue;
      if (!pick && r * tw >= 2 * lanes)
        pick = r;
      else if (pick && r * bytesPerRow <= budget)
        pick = r;
    }
    return pick ? pick : th;
  }

  /// The input transform of tiles [th0, th0+nth) x [tw0, tw0+ntw) of the
  /// band `x` (rows from the band's first) into V's [.., th0.., tw0..];
  /// `rowEdge` / `colEdge`: the window's 4th row / column lies past the
  /// map and reads as zero.
  void emitInputTransform(OpBuilder &b, Location loc, Value x, Value v,
                          int64_t th0, int64_t nth, int64_t tw0, int64_t ntw,
                          bool rowEdge, bool colEdge) {
    MLIRContext *ctx = b.getContext();
    auto xType = cast<MemRefType>(x.getType());
    int64_t N = xType.getDimSize(0), C = xType.getDimSize(1);
    int64_t rows = rowEdge ? 3 : 4, cols = colEdge ? 3 : 4;
    Value xs = subview(
        b, loc, x,
        view(b, {0, 0, 2 * th0, 2 * tw0},
             {N, C, 2 * (nth - 1) + rows, 2 * (ntw - 1) + cols}, {1, 1, 1, 1}));
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<Value> ins, outs;
    SmallVector<AffineMap> maps;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        ins.push_back(xs);
        maps.push_back(AffineMap::get(
            4, 0, {d(0), d(1), d(2) * 2 + i, d(3) * 2 + j}, ctx));
      }
    for (int64_t p = 0; p < kPoints; ++p) {
      outs.push_back(reducedSubview(
          b, loc, v, view(b, {p, 0, 0, th0, tw0}, {1, N, C, nth, ntw},
                          {1, 1, 1, 1, 1}), 4));
      maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
    }
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    linalg::GenericOp::create(
        b, loc, TypeRange{}, ins, outs, maps, iters,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          auto at = [&](int64_t i, int64_t j) -> Value {
            if (i >= rows || j >= cols)
              return {};
            return args[i * cols + j];
          };
          // Columns first (B^T d), then rows ((B^T d) B).
          std::array<std::array<Value, 4>, 4> colT; // colT[j] = B^T d[:, j]
          for (int64_t j = 0; j < 4; ++j) {
            if (j >= cols)
              continue;
            colT[j] = inputAxis(b, loc, {at(0, j), at(1, j), at(2, j), at(3, j)});
          }
          SmallVector<Value> out(kPoints);
          for (int64_t i = 0; i < 4; ++i) {
            std::array<Value, 4> r = inputAxis(
                b, loc, {colT[0][i], colT[1][i], colT[2][i], colT[3][i]});
            for (int64_t j = 0; j < 4; ++j)
              out[i * 4 + j] = r[j];
          }
          linalg::YieldOp::create(b, loc, out);
        });
  }

  /// dst[.., a::2, c::2] = epilogue(init + (A^T M A)[a, c]) over `nth` x
  /// `ntw` tiles, the init being `out` where none is folded.
  void emitOutputTransform(OpBuilder &b, Location loc, Value m, Value out,
                           const Fold &fold, Value dst, Value residual,
                           int64_t a, int64_t c, int64_t nth, int64_t ntw) {
    MLIRContext *ctx = b.getContext();
    auto outType = cast<MemRefType>(out.getType());
    int64_t N = outType.getDimSize(0), F = outType.getDimSize(1);
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    View parity = view(b, {0, 0, a, c}, {N, F, nth, ntw}, {1, 1, 2, 2});
    // M's tiles this parity has (an odd map's last row or column of tiles
    // has no odd-parity output).
    Value mq = subview(b, loc, m,
                       view(b, {0, 0, 0, 0, 0}, {kPoints, N, F, nth, ntw},
                            {1, 1, 1, 1, 1}));
    SmallVector<Value> ins;
    SmallVector<AffineMap> maps;
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 3; ++j) {
        int64_t p = (kA[a].first + i) * 4 + kA[c].first + j;
        ins.push_back(mq);
        maps.push_back(AffineMap::get(
            4, 0, {getAffineConstantExpr(p, ctx), d(0), d(1), d(2), d(3)},
            ctx));
      }
    AffineMap identity = AffineMap::getMultiDimIdentityMap(4, ctx);
    // Optional inputs after the 9 points: the bias, the residual, the
    // output holding the init when none is folded and dst is elsewhere.
    auto addInput = [&](Value v, AffineMap map) {
      ins.push_back(v);
      maps.push_back(map);
      return ins.size() - 1;
    };
    std::optional<size_t> biasArg, residualArg, outArg;
    if (fold.bias)
      biasArg = addInput(fold.bias, fold.biasMap);
    if (residual)
      residualArg = addInput(subview(b, loc, residual, parity), identity);
    if (!fold.scalar && !fold.bias && dst != out)
      outArg = addInput(subview(b, loc, out, parity), identity);
    maps.push_back(identity);
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    linalg::GenericOp::create(
        b, loc, TypeRange{}, ins, ValueRange{subview(b, loc, dst, parity)},
        maps, iters, [&](OpBuilder &b, Location loc, ValueRange args) {
          Value acc;
          for (int64_t i = 0; i < 3; ++i) {
            Value row;
            for (int64_t j = 0; j < 3; ++j)
              row = addSigned(b, loc, row, args[i * 3 + j], kA[c].sign[j]);
            acc = addSigned(b, loc, acc, row, kA[a].sign[i]);
          }
          Value init = fold.scalar ? fold.scalar
                       : biasArg   ? args[*biasArg]
                       : outArg    ? args[*outArg]
                                   : args.back();
          Value result = arith::AddFOp::create(b, loc, init, acc);
          if (fold.epilogue) {
            linalg::GenericOp epilogue = fold.epilogue;
            Block *body = epilogue.getBlock();
            IRMapping map;
            map.map(body->getArgument(fold.accArg), result);
            if (residualArg)
              map.map(body->getArgument(fold.residualArg), args[*residualArg]);
            for (Operation &inner : body->without_terminator())
              b.clone(inner, map);
            result = map.lookupOrDefault(
                body->getTerminator()->getOperand(0));
          }
          linalg::YieldOp::create(b, loc, result);
        });
  }

  /// The init and epilogue `conv`'s output transforms take over (see Fold).
  Fold foldsOf(IRRewriter &rw, linalg::Conv2DNchwFchwOp conv) {
    Fold fold;
    Value out = conv.getOutputs()[0];
    fold.dst = out;
    MLIRContext *ctx = conv.getContext();
    namespace rt = mnemo::register_tile;
    rt::Init init = rt::precedingInit(conv, /*vectorDim=*/3);
    if (init.op && init.scalar) {
      fold.scalar = init.scalar;
    } else if (init.op && init.source && !rt::usesDim(init.sourceMap, 2) &&
               !rt::usesDim(init.sourceMap, 3)) {
      // Over the convolution's loops (n, f, oh, ow, c, kh, kw) and using
      // neither output row nor column: the same over (n, f, th, tw).
      auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      AffineExpr zero = getAffineConstantExpr(0, ctx);
      fold.bias = init.source;
      fold.biasMap = init.sourceMap.compose(AffineMap::get(
          4, 0, {d(0), d(1), d(2), d(3), zero, zero, zero}, ctx));
    }
    if (!fold.scalar && !fold.bias)
      init.op = nullptr;
    rt::Epilogue e = rt::followingEpilogue(rw, conv, lanes, /*residuals=*/true);
    if (e.op && !e.dstMap && !e.segments) {
      fold.epilogue = e.op;
      fold.accArg = e.accArg;
      fold.residualArg = e.residualArg;
      fold.residual = e.residual;
      if (e.dst)
        fold.dst = e.dst;
    }
    if (init.op)
      rw.eraseOp(init.op);
    return fold;
  }

  void rewrite(IRRewriter &rw, SymbolTable &symbols,
               linalg::Conv2DNchwFchwOp conv, memref::GlobalOp global,
               mnemo::PackedGlobals &packed) {
    Location loc = conv.getLoc();
    Value x = conv.getInputs()[0], out = conv.getOutputs()[0];
    auto xType = cast<MemRefType>(x.getType());
    auto outType = cast<MemRefType>(out.getType());
    int64_t N = outType.getDimSize(0), F = outType.getDimSize(1),
            OH = outType.getDimSize(2), OW = outType.getDimSize(3),
            C = xType.getDimSize(1);
    int64_t TH = (OH + 1) / 2, TW = (OW + 1) / 2;
    bool oddH = OH % 2, oddW = OW % 2;

    // U[p][f][c] = (G g[f][c] G^T)[p], a new constant global.
    auto uType = MemRefType::get({kPoints, F, C}, rw.getF32Type());
    auto key = std::make_tuple(global.getOperation(), int64_t(-1), Type(uType));
    memref::GlobalOp uGlobal;
    if (auto it = packed.find(key); it != packed.end()) {
      uGlobal = cast<memref::GlobalOp>(it->second);
    } else {
      std::optional<std::vector<float>> g = mnemo::f32Values(
          cast<ElementsAttr>(global.getInitialValueAttr()));
      if (!g || (int64_t)g->size() != F * C * 9)
        return;
      std::vector<float> u(kPoints * F * C);
      for (int64_t f = 0; f < F; ++f)
        for (int64_t ch = 0; ch < C; ++ch) {
          const float *k = &(*g)[(f * C + ch) * 9];
          float gk[4][3]; // G g
          for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 3; ++j)
              gk[i][j] = kG[i][0] * k[j] + kG[i][1] * k[3 + j] +
                         kG[i][2] * k[6 + j];
          for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j)
              u[((i * 4 + j) * F + f) * C + ch] = gk[i][0] * kG[j][0] +
                                                  gk[i][1] * kG[j][1] +
                                                  gk[i][2] * kG[j][2];
        }
      uGlobal = mnemo::createPackedGlobal(
          rw, symbols, global, (global.getSymName() + "_winograd").str(), uType,
          u, key, packed);
    }

    Fold fold = foldsOf(rw, conv);

    // Bands of R tile rows; an odd map is one band (its edge handled once).
    int64_t bytesPerRow = kPoints * N * (C + F) * TW * 4;
    int64_t R = (oddH || oddW) ? TH : bandRows(TH, TW, bytesPerRow);
    rw.setInsertionPoint(conv);
    Type f32 = rw.getF32Type();
    Value u = memref::GetGlobalOp::create(rw, loc, uType, uGlobal.getSymName());
    auto alloc = [&](ArrayRef<int64_t> shape) {
      return memref::AllocOp::create(rw, loc, MemRefType::get(shape, f32),
                                     rw.getI64IntegerAttr(64))
          .getResult();
    };
    Value v = alloc({kPoints, N, C, R, TW});
    Value m = alloc({kPoints, N, F, R * TW});
    Value zero = arith::ConstantOp::create(rw, loc, rw.getF32FloatAttr(0.0f));

    auto body = [&](OpBuilder &b, Value band) {
      // The band's input rows [2*band, 2*band + 2R + 2) and output rows
      // [2*band, 2*band + 2R); `band` in tile rows.
      Value firstRow;
      if (band)
        firstRow = arith::MulIOp::create(
            b, loc, band, arith::ConstantIndexOp::create(b, loc, 2));
      auto rowView = [&](Value source, int64_t rows) -> Value {
        if (!band)
          return source; // one band: the whole map
        ArrayRef<int64_t> shape = cast<MemRefType>(source.getType()).getShape();
        View v = view(b, {0, 0, 0, 0}, {shape[0], shape[1], rows, shape[3]},
                      {1, 1, 1, 1});
        v.offsets[2] = firstRow;
        return subview(b, loc, source, v);
      };
      Value xb = rowView(x, 2 * R + 2), ob = rowView(out, 2 * R);
      Value db = fold.dst == out ? ob : rowView(fold.dst, 2 * R);
      Value rb = fold.residual ? rowView(fold.residual, 2 * R) : Value();
      // Input transform: the full tiles, then an odd map's edge tiles.
      int64_t fullH = oddH ? TH - 1 : R, fullW = oddW ? TW - 1 : TW;
      if (fullH > 0 && fullW > 0)
        emitInputTransform(b, loc, xb, v, 0, fullH, 0, fullW, false, false);
      if (oddH && fullW > 0)
        emitInputTransform(b, loc, xb, v, TH - 1, 1, 0, fullW, true, false);
      if (oddW && fullH > 0)
        emitInputTransform(b, loc, xb, v, 0, fullH, TW - 1, 1, false, true);
      if (oddH && oddW)
        emitInputTransform(b, loc, xb, v, TH - 1, 1, TW - 1, 1, true, true);
      // The 16 matmuls: dims p, n, f, t, c.
      MLIRContext *ctx = b.getContext();
      auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      Value vFlat = memref::CollapseShapeOp::create(
          b, loc, v, SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
      linalg::FillOp::create(b, loc, zero, m);
      SmallVector<AffineMap> maps = {
          AffineMap::get(5, 0, {d(0), d(1), d(4), d(3)}, ctx),
          AffineMap::get(5, 0, {d(0), d(2), d(4)}, ctx),
          AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
      SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
      iters.push_back(utils::IteratorType::reduction);
      linalg::GenericOp::create(
          b, loc, TypeRange{}, ValueRange{vFlat, u}, ValueRange{m}, maps,
          iters, mnemo::buildMulAddBody);
      Value mTiles = memref::ExpandShapeOp::create(
          b, loc, MemRefType::get({kPoints, N, F, R, TW}, f32), m,
          SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
      // Output transforms, one per parity; an odd map has one row (column)
      // fewer of odd parity.
      for (int64_t a = 0; a < 2; ++a)
        for (int64_t c = 0; c < 2; ++c) {
          int64_t nth = (a && oddH) ? TH - 1 : R;
          int64_t ntw = (c && oddW) ? TW - 1 : TW;
          if (nth > 0 && ntw > 0)
            emitOutputTransform(b, loc, mTiles, ob, fold, db, rb, a, c, nth,
                                ntw);
        }
    };
    if (R == TH) {
      body(rw, Value());
    } else {
      Value lo = arith::ConstantIndexOp::create(rw, loc, 0);
      Value hi = arith::ConstantIndexOp::create(rw, loc, TH);
      Value step = arith::ConstantIndexOp::create(rw, loc, R);
      auto loop = scf::ForOp::create(rw, loc, lo, hi, step);
      OpBuilder::InsertionGuard guard(rw);
      rw.setInsertionPoint(loop.getBody()->getTerminator());
      body(rw, loop.getInductionVar());
    }
    rw.eraseOp(conv);
    if (fold.epilogue)
      rw.eraseOp(fold.epilogue);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<std::pair<linalg::Conv2DNchwFchwOp, memref::GlobalOp>> work;
    module.walk([&](linalg::Conv2DNchwFchwOp conv) {
      if (memref::GlobalOp g = weightsOf(symbols, conv))
        work.push_back({conv, g});
    });
    IRRewriter rw(&getContext());
    mnemo::PackedGlobals packed;
    // The transformed weights are 16/9 of the originals: each original
    // goes as soon as its last convolution is rewritten (ResNet-18 held
    // its 45 MB beside 76 MB of transformed weights at the pass's end).
    mnemo::PackedSourceEraser sources(module, releaseWeights);
    for (auto [conv, global] : work) {
      Value weight = conv.getInputs()[1];
      rewrite(rw, symbols, conv, global, packed);
      sources.dropped(weight, global, packed);
    }
    mnemo::eraseUnpackedSources(module, packed);
  }

  int64_t lanes = 8, l2Bytes = 0;
};

} // namespace

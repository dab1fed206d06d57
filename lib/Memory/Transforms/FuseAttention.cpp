//===- FuseAttention.cpp - mnemo-fuse-attention pass ----------------------===//
//
// Exporters spell scaled dot-product attention as MatMul -> scale -> mask
// -> Softmax -> MatMul. Lowered op by op, the scores and probabilities
// (batch x heads x M x N) are materialized twice or more: for long prompts
// they are the largest tensors of a transformer. One graph.attention lets
// the lowering stream keys in tiles with an online softmax instead, so only
// a tile of scores ever exists; its tiles are chosen here, from the budget,
// because this is where the shapes and the whole chain are still visible.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Transforms/Passes.h"
#include "mnemo/Memory/Planning/TileAttrs.h"

#include "mnemo/Support/Remarks.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace mnemo {
#define GEN_PASS_DEF_FUSEATTENTIONPASS
#include "mnemo/Memory/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::graph;

namespace {

/// The value of a one-element float constant.
std::optional<double> scalarConstant(Value v) {
  std::optional<SmallVector<double>> values = getConstantFloats(v);
  if (!values || values->size() != 1)
    return std::nullopt;
  return values->front();
}

/// One matched chain, producer first.
struct Chain {
  MatMulOp scores, output;
  Value q, k, v, mask, result;
  double scale = 1.0, fill = 0.0;
  StringRef maskKind = "none";
  /// Where(mask, fill, s): scores kept where `mask` is false.
  bool invertMask = false;
  /// `k` is the keys ([..., N, D]) whose Transpose the scores read.
  bool kRows = false;
  bool nanToZero = false;
  SmallVector<Operation *> ops;
};

/// `v` is a float tensor value consumed only by `user`.
bool onlyFeeds(Value v, Operation *user) {
  return llvm::all_of(v.getUsers(), [&](Operation *u) { return u == user; });
}

/// Walks back from the output MatMul through the optional NaN guard,
/// Softmax, mask and scale to the scores MatMul.
std::optional<Chain> matchChain(MatMulOp output) {
  Chain c;
  c.output = output;
  c.result = output.getY();
  c.ops.push_back(output);
  c.v = output.getB();
  Value p = output.getA();
  Operation *next = output;
  // Where(IsNaN(p), 0, p): rows with every score -inf give zeros.
  if (auto guard = p.getDefiningOp<WhereOp>()) {
    auto isNaN = guard.getCondition().getDefiningOp<IsNaNOp>();
    std::optional<double> zero = scalarConstant(guard.getX());
    if (!isNaN || isNaN.getX() != guard.getY() || !zero || *zero != 0.0 ||
        !onlyFeeds(guard.getOutput(), output) ||
        !onlyFeeds(isNaN.getY(), guard))
      return std::nullopt;
    c.nanToZero = true;
    c.ops.push_back(guard);
    c.ops.push_back(isNaN);
    p = guard.getY();
    next = guard;
    // The softmax feeds the guard and its IsNaN.
    if (!llvm::all_of(p.getUsers(), [&](Operation *u) {
          return u == guard.getOperation() || u == isNaN.getOperation();
        }))
      return std::nullopt;
  } else if (!onlyFeeds(p, output)) {
    return std::nullopt;
  }
  auto softmax = p.getDefiningOp<SoftmaxOp>();
  if (!softmax)
    return std::nullopt;
  auto sType = dyn_cast<RankedTensorType>(softmax.getInput().getType());
  int64_t axis = (int64_t)softmax.getAxis();
  if (!sType || (axis != -1 && axis != sType.getRank() - 1))
    return std::nullopt;
  c.ops.push_back(softmax);
  Value s = softmax.getInput();
  next = softmax;

  // The mask: Where(mask, s, fill) keeps scores where mask is true;
  // Where(mask, fill, s) (Llama's export) where it is false.
  if (auto where = s.getDefiningOp<WhereOp>()) {
    if (!onlyFeeds(s, next))
      return std::nullopt;
    std::optional<double> fill = scalarConstant(where.getY());
    Value kept = where.getX();
    if (!fill) {
      fill = scalarConstant(where.getX());
      kept = where.getY();
      c.invertMask = true;
    }
    if (!fill)
      return std::nullopt;
    c.maskKind = "select";
    c.fill = *fill;
    c.mask = where.getCondition();
    c.ops.push_back(where);
    next = where;
    s = kept;
  } else if (auto add = s.getDefiningOp<AddOp>()) {
    if (!onlyFeeds(s, next))
      return std::nullopt;
    // The scores are the operand a MatMul or the scale produced.
    auto fromScores = [](Value x) {
      return x.getDefiningOp<MatMulOp>() || x.getDefiningOp<MulOp>() ||
             x.getDefiningOp<DivOp>();
    };
    bool first = fromScores(add.getA());
    if (!first && !fromScores(add.getB()))
      return std::nullopt;
    c.maskKind = "add";
    c.mask = first ? add.getB() : add.getA();
    s = first ? add.getA() : add.getB();
    c.ops.push_back(add);
    next = add;
  }

  // The scale: a scalar multiply or divide of the scores.
  if (auto mul = s.getDefiningOp<MulOp>()) {
    std::optional<double> a = scalarConstant(mul.getA()),
                          b = scalarConstant(mul.getB());
    if ((!a && !b) || !onlyFeeds(s, next))
      return std::nullopt;
    c.scale = b ? *b : *a;
    s = b ? mul.getA() : mul.getB();
    c.ops.push_back(mul);
    next = mul;
  } else if (auto div = s.getDefiningOp<DivOp>()) {
    std::optional<double> b = scalarConstant(div.getB());
    if (!b || *b == 0.0 || !onlyFeeds(s, next))
      return std::nullopt;
    c.scale = 1.0 / *b;
    s = div.getA();
    c.ops.push_back(div);
    next = div;
  }

  c.scores = s.getDefiningOp<MatMulOp>();
  if (!c.scores || !onlyFeeds(s, next))
    return std::nullopt;
  c.ops.push_back(c.scores);
  c.q = c.scores.getA();
  c.k = c.scores.getB();
  // Scalar factors of Q and K (Hugging Face scales both by d^-1/4) join
  // the scale, and the keys' Transpose becomes k_rows: the fused op reads
  // the keys as the cache holds them, and neither a scaled nor a
  // transposed copy of them (GPT-2 decode: 1 MB per layer at 4096
  // positions) is made.
  auto peelScalar = [&](Value &x, Operation *user) -> Operation * {
    auto mul = x.getDefiningOp<MulOp>();
    if (!mul || !onlyFeeds(x, user))
      return user;
    std::optional<double> a = scalarConstant(mul.getA()),
                          b = scalarConstant(mul.getB());
    Value other = b ? mul.getA() : mul.getB();
    // Only a factor that broadcasts into the operand (not one that adds
    // dims to it).
    if ((!a && !b) || other.getType() != x.getType())
      return user;
    c.scale *= b ? *b : *a;
    x = other;
    c.ops.push_back(mul);
    return mul;
  };
  peelScalar(c.q, c.scores);
  Operation *kUser = peelScalar(c.k, c.scores);
  if (auto t = c.k.getDefiningOp<TransposeOp>()) {
    int64_t r = cast<ShapedType>(t.getData().getType()).getRank();
    SmallVector<int64_t> perm = t.getPermutation();
    bool swapsLast = r >= 2 && perm[r - 1] == r - 2 && perm[r - 2] == r - 1;
    for (int64_t i = 0; i + 2 < r; ++i)
      swapsLast &= perm[i] == i;
    if (swapsLast && onlyFeeds(c.k, kUser)) {
      c.k = t.getData();
      c.kRows = true;
      c.ops.push_back(t);
    }
  }
  std::reverse(c.ops.begin(), c.ops.end());
  return c;
}

/// Shapes the lowering supports: q, k, v and the result of one rank, float,
/// every leading dim static and either 1 or the result's; a mask no higher
/// in rank with static leading dims. Returns the reason when not.
std::optional<std::string> unsupported(const Chain &c) {
  auto out = dyn_cast<RankedTensorType>(c.result.getType());
  if (!out || !isa<FloatType>(out.getElementType()))
    return std::string("result is not a ranked float tensor");
  int64_t r = out.getRank();
  if (r < 2)
    return std::string("rank below 2");
  for (Value x : {c.q, c.k, c.v}) {
    auto t = dyn_cast<RankedTensorType>(x.getType());
    if (!t || t.getRank() != r || t.getElementType() != out.getElementType())
      return std::string("Q, K and V need the result's rank and type");
    for (int64_t d = 0; d < r - 2; ++d)
      if (t.isDynamicDim(d) || out.isDynamicDim(d) ||
          (t.getDimSize(d) != 1 && t.getDimSize(d) != out.getDimSize(d)))
        return std::string("leading dims must be static");
  }
  if (c.mask) {
    auto t = dyn_cast<RankedTensorType>(c.mask.getType());
    if (!t || t.getRank() > r || t.getRank() < 2)
      return std::string("mask rank");
    int64_t off = r - t.getRank();
    for (int64_t d = 0; d < t.getRank() - 2; ++d)
      if (t.isDynamicDim(d) || (t.getDimSize(d) != 1 &&
                                t.getDimSize(d) != out.getDimSize(d + off)))
        return std::string("mask leading dims must be static");
  }
  return std::nullopt;
}

int64_t bytesOf(Type t) {
  auto st = dyn_cast<ShapedType>(t);
  if (!st || !st.hasStaticShape())
    return -1;
  int64_t bits = st.getElementTypeBitWidth();
  return st.getNumElements() * std::max<int64_t>(1, bits / 8);
}

constexpr int64_t kDynamicExtent = 1024;

/// bytesOf with a dynamic dim counted as `kDynamicExtent`, as the modelled
/// traffic of the fused op counts it: the report compares like with like.
int64_t modelledBytesOf(Type t) {
  auto st = dyn_cast<RankedTensorType>(t);
  if (!st || !st.getElementType().isIntOrFloat())
    return 0;
  int64_t n = std::max<int64_t>(1, st.getElementTypeBitWidth() / 8);
  for (int64_t d : st.getShape())
    n *= ShapedType::isDynamic(d) ? kDynamicExtent : d;
  return n;
}

/// Tile sizes, working set and traffic of one attention (static sizes; a
/// dynamic extent counts as `dynamicExtent`).
struct AttentionCost {
  int64_t lead = 1, maskLead = 1, m, n, d, dv, elt, maskElt = 0;

  /// The operand tiles alone: Q, K, V, the mask and the output.
  int64_t operandTiles(int64_t br, int64_t bc) const {
    return elt * lead * (br * d + d * bc + bc * dv + br * dv) +
           maskElt * maskLead * br * bc;
  }
  /// Plus two score tiles, the accumulator and the running max and sum.
  int64_t workingSet(int64_t br, int64_t bc) const {
    return operandTiles(br, bc) + elt * lead * (2 * br * bc + br * dv + 2 * br);
  }
  /// Q read once, K and V once per query tile, the output written once.
  int64_t traffic(int64_t br) const {
    int64_t passes = (m + br - 1) / br;
    return elt * lead * (m * d + passes * n * (d + dv) + m * dv) +
           maskElt * maskLead * m * n;
  }
};

constexpr int64_t kDefaultKvTile = 64;

AttentionCost costOf(const Chain &c) {
  auto out = cast<RankedTensorType>(c.result.getType());
  auto vT = cast<RankedTensorType>(c.v.getType());
  auto qT = cast<RankedTensorType>(c.q.getType());
  int64_t r = out.getRank();
  auto ext = [](int64_t s) { return ShapedType::isDynamic(s) ? kDynamicExtent : s; };
  AttentionCost cost;
  for (int64_t dim = 0; dim < r - 2; ++dim)
    cost.lead *= out.getDimSize(dim);
  cost.m = ext(out.getDimSize(r - 2));
  cost.dv = ext(out.getDimSize(r - 1));
  cost.d = ext(qT.getDimSize(r - 1));
  cost.n = ext(vT.getDimSize(r - 2));
  cost.elt = out.getElementTypeBitWidth() / 8;
  if (c.mask) {
    auto mT = cast<RankedTensorType>(c.mask.getType());
    for (int64_t dim = 0; dim < mT.getRank() - 2; ++dim)
      cost.maskLead *= mT.getDimSize(dim);
    cost.maskElt = std::max<int64_t>(1, mT.getElementTypeBitWidth() / 8);
  }
  return cost;
}

/// Descending candidate tiles of an extent: its divisors when static (no
/// partial tiles), powers of two when not.
SmallVector<int64_t> tileCandidates(int64_t extent, bool isStatic) {
  SmallVector<int64_t> out;
  if (isStatic) {
    for (int64_t t = extent; t >= 1; --t)
      if (extent % t == 0)
        out.push_back(t);
  } else {
    for (int64_t t = kDynamicExtent; t >= 1; t /= 2)
      out.push_back(t);
  }
  return out;
}

struct FuseAttentionPass
    : public mnemo::impl::FuseAttentionPassBase<FuseAttentionPass> {
  using FuseAttentionPassBase::FuseAttentionPassBase;

  /// (q tile, kv tile, fits).
  std::tuple<int64_t, int64_t, bool> chooseTiles(const Chain &c,
                                                 const AttentionCost &cost) {
    auto out = cast<RankedTensorType>(c.result.getType());
    auto vT = cast<RankedTensorType>(c.v.getType());
    bool mStatic = !out.isDynamicDim(out.getRank() - 2);
    bool nStatic = !vT.isDynamicDim(vT.getRank() - 2);
    SmallVector<int64_t> brs = qTile > 0 ? SmallVector<int64_t>{qTile}
                                         : tileCandidates(cost.m, mStatic);
    SmallVector<int64_t> bcs = kvTile > 0 ? SmallVector<int64_t>{kvTile}
                                          : tileCandidates(cost.n, nStatic);
    int64_t defaultBc = kvTile > 0 ? kvTile : std::min(cost.n, kDefaultKvTile);
    if (sramBudget <= 0)
      return {brs.front(), defaultBc, true};
    // Fewest passes over K and V first; then the widest key tile, at
    // least 16 keys where the extent allows (narrower ones starve the
    // vector units).
    int64_t minBc = std::min<int64_t>(16, cost.n);
    for (int64_t br : brs)
      for (int64_t bc : bcs)
        if (bc >= minBc && cost.workingSet(br, bc) <= sramBudget)
          return {br, bc, true};
    // Nothing fits (the leading dims stay whole in a tile): the tiles
    // without a budget, the fewest passes over K and V. The smallest tiles
    // would fit no better and read K and V once per query row (12x the
    // unfused chain's traffic on 6 heads of 100 x 100).
    return {brs.front(), defaultBc, false};
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<MatMulOp> outputs;
    func.walk([&](MatMulOp op) { outputs.push_back(op); });
    // A fused chain erases its scores MatMul, which may still be listed.
    llvm::DenseSet<Operation *> erased;
    for (MatMulOp output : outputs) {
      if (erased.contains(output))
        continue;
      std::optional<Chain> chain = matchChain(output);
      if (!chain)
        continue;
      if (std::optional<std::string> why = unsupported(*chain)) {
        if (print)
          mnemo::ReportLine(output.getLoc()) << "attention " << describeOnnxNode(output)
                       << ": not fused (" << *why << ")\n";
        continue;
      }
      AttentionCost cost = costOf(*chain);
      auto [br, bc, fits] = chooseTiles(*chain, cost);
      if (print) {
        int64_t unfused = 0;
        for (Operation *op : chain->ops) {
          for (Value x : op->getOperands())
            if (!scalarConstant(x))
              unfused += modelledBytesOf(x.getType());
          unfused += modelledBytesOf(op->getResult(0).getType());
        }
        int64_t fused = cost.traffic(br);
        mnemo::ReportLine line(output.getLoc());
        line << "attention " << describeOnnxNode(output) << ": "
                     << chain->ops.size() << " ops, q_tile=" << br
                     << " kv_tile=" << bc << ", tile working set "
                     << cost.workingSet(br, bc) << " B";
        if (sramBudget > 0)
          line << (fits ? " (fits " : " (over ") << sramBudget
                       << " B)";
        line << ", modelled off-chip traffic " << fused
                     << " B vs " << unfused << " B unfused";
        if (fused > 0 && unfused > 0)
          line << llvm::format(" (%.2fx less)",
                                       double(unfused) / double(fused));
      }
      OpBuilder b(output);
      Value mask = chain->mask;
      NotOp peeled;
      if (chain->invertMask) {
        // The kept scores are where the condition is false: its negation
        // (or what a Not negated) is the mask.
        if ((peeled = mask.getDefiningOp<NotOp>()))
          mask = peeled.getX();
        else
          mask = NotOp::create(b, output.getLoc(), mask.getType(), mask);
      }
      if (!mask)
        mask = NoneOp::create(b, output.getLoc(), b.getNoneType());
      auto attention = AttentionOp::create(
          b, output.getLoc(), output.getY().getType(), chain->q, chain->k,
          chain->v, mask, b.getF64FloatAttr(chain->scale),
          b.getStringAttr(chain->maskKind), b.getF64FloatAttr(chain->fill),
          b.getBoolAttr(chain->nanToZero), b.getI64IntegerAttr(br),
          b.getI64IntegerAttr(bc), b.getBoolAttr(chain->kRows));
      // For the tier planner (see mnemo/Memory/TileAttrs.h): the lowered
      // loop may stream Q, K, V and the output through one tile's room.
      int64_t once = 0;
      for (Value x : {chain->q, chain->k, chain->v, chain->mask,
                      output.getY()}) {
        int64_t n = x ? bytesOf(x.getType()) : 0;
        once = n < 0 || once < 0 ? -1 : once + n;
      }
      if (fits && once > 0) {
        attention->setAttr(mnemo::memory::kTileStagingAttr,
                           b.getI64IntegerAttr(cost.operandTiles(br, bc)));
        attention->setAttr(
            mnemo::memory::kTileTrafficRatioAttr,
            b.getF64FloatAttr(double(cost.traffic(br)) / double(once)));
      }
      output.getY().replaceAllUsesWith(attention.getY());
      for (Operation *op : llvm::reverse(chain->ops)) {
        erased.insert(op);
        op->erase();
      }
      if (peeled && peeled->use_empty())
        peeled->erase();
    }
  }
};

} // namespace

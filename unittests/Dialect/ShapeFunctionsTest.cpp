//===- ShapeFunctionsTest.cpp - graph shape function unit tests -----------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mnemo::graph;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(BroadcastShapes, NumpyRules) {
  SmallVector<int64_t> a = {2, 1, 4}, b = {3, 1};
  SmallVector<ArrayRef<int64_t>> shapes = {a, b};
  auto r = broadcastShapes(std::nullopt, shapes);
  ASSERT_TRUE(succeeded(r));
  EXPECT_EQ(*r, (SmallVector<int64_t>{2, 3, 4}));
}

TEST(BroadcastShapes, DynamicAgainstStatic) {
  SmallVector<int64_t> a = {kDyn, 4}, b = {5, 1}, c = {kDyn, 1};
  SmallVector<ArrayRef<int64_t>> s1 = {a, b};
  EXPECT_EQ(*broadcastShapes(std::nullopt, s1),
            (SmallVector<int64_t>{5, 4}));
  SmallVector<ArrayRef<int64_t>> s2 = {a, c};
  EXPECT_EQ(*broadcastShapes(std::nullopt, s2),
            (SmallVector<int64_t>{kDyn, 4}));
}

TEST(BroadcastShapes, Mismatch) {
  SmallVector<int64_t> a = {2, 3}, b = {4, 3};
  SmallVector<ArrayRef<int64_t>> shapes = {a, b};
  EXPECT_TRUE(failed(broadcastShapes(std::nullopt, shapes)));
}

class GraphOpsTest : public ::testing::Test {
protected:
  GraphOpsTest() : builder(&ctx) {
    ctx.loadDialect<GraphDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }
  Value arg(ArrayRef<int64_t> shape) {
    auto t = RankedTensorType::get(shape, builder.getF32Type());
    return ConstantOp::create(builder, builder.getUnknownLoc(),
                              DenseElementsAttr::get(t, 0.0f));
  }
  /// Infers OpTy's result types with ODS default attributes filled in, as
  /// they are on any created op.
  template <typename OpTy>
  ArrayRef<int64_t> infer(ArrayRef<Value> operands,
                          ArrayRef<NamedAttribute> attrs) {
    NamedAttrList list(attrs);
    RegisteredOperationName::lookup(OpTy::getOperationName(), &ctx)
        ->populateDefaultAttrs(list);
    typename OpTy::Adaptor adaptor(operands, list.getDictionary(&ctx));
    types.clear();
    if (failed(OpTy::inferReturnTypes(&ctx, std::nullopt, adaptor, types)))
      return {};
    return cast<RankedTensorType>(types[0]).getShape();
  }
  MLIRContext ctx;
  OpBuilder builder;
  SmallVector<Type> types;
  OwningOpRef<ModuleOp> module;
};

TEST_F(GraphOpsTest, ConvStridePadDilation) {
  Value x = arg({1, 16, 33, 33}), w = arg({32, 16, 3, 3});
  Value none = NoneOp::create(builder, builder.getUnknownLoc());
  Builder &b = builder;
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("strides", b.getI64ArrayAttr({2, 2})),
      b.getNamedAttr("pads", b.getI64ArrayAttr({2, 2, 2, 2})),
      b.getNamedAttr("dilations", b.getI64ArrayAttr({2, 2}))};
  // (33 + 4 - 5) / 2 + 1 = 17
  EXPECT_EQ(infer<ConvOp>({x, w, none}, attrs),
            ArrayRef<int64_t>({1, 32, 17, 17}));
}

TEST_F(GraphOpsTest, ReshapeInfersMinusOneAndZero) {
  Value x = arg({2, 3, 4});
  auto shapeType = RankedTensorType::get({2}, builder.getI64Type());
  Value s = ConstantOp::create(
      builder, builder.getUnknownLoc(),
      DenseElementsAttr::get(shapeType, ArrayRef<int64_t>{0, -1}));
  EXPECT_EQ(infer<ReshapeOp>({x, s}, {}), ArrayRef<int64_t>({2, 12}));
}

TEST_F(GraphOpsTest, MaxPoolCeilModeDropsWindowInPadding) {
  // 6 wide, kernel 2, stride 2, ceil: 3 windows; the 4th would start at 6.
  Value x = arg({1, 1, 6, 6});
  Builder &b = builder;
  SmallVector<NamedAttribute> attrs = {
      b.getNamedAttr("kernel_shape", b.getI64ArrayAttr({2, 2})),
      b.getNamedAttr("strides", b.getI64ArrayAttr({2, 2})),
      b.getNamedAttr("ceil_mode", b.getI64IntegerAttr(1))};
  EXPECT_EQ(infer<MaxPoolOp>({x}, attrs), ArrayRef<int64_t>({1, 1, 3, 3}));
}
} // namespace

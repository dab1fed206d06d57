//===- GraphOps.td - mnemo graph operations ----------------*- tablegen -*-===//
//
// Operations of the `graph` dialect. Every op infers its result types
// (InferTypeOpInterface); dynamic dimensions stay `?` and propagate.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DIALECT_GRAPH_IR_GRAPHOPS_TD
#define MNEMO_DIALECT_GRAPH_IR_GRAPHOPS_TD

include "mnemo/Dialect/Graph/IR/GraphDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

def Graph_Tensor : AnyTypeOf<[AnyTensor]>;
def Graph_TensorOrNone : AnyTypeOf<[AnyTensor, NoneType], "tensor or none">;

// `shapeFn` names a shared shape function in mnemo::graph (see
// GraphShapeFunctions.h) with the signature
//   LogicalResult fn(std::optional<Location>, ValueRange, DictionaryAttr,
//                    SmallVectorImpl<Type> &).
// Ops without one define `inferReturnTypes` in GraphShapeInference.cpp.
class Graph_Op<string mnemonic, list<Trait> traits = [],
               string shapeFn = ""> :
    Op<Graph_Dialect, mnemonic,
       !listconcat(traits, [Pure, InferTypeOpAdaptorWithIsCompatible])> {
  let assemblyFormat =
      "operands attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l,
                                            ::mlir::TypeRange r) {
      return ::mnemo::graph::areRefinedTypes(l, r);
    }
  }] # !if(!empty(shapeFn), "", [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mnemo::graph::}] # shapeFn # [{(location,
          adaptor.getOperands(), adaptor.getAttributes(), types);
    }
  }]);
}

// One input, one output of the same type.
class Graph_UnaryOp<string mnemonic, string sum, list<Trait> traits = []> :
    Graph_Op<mnemonic, traits, "inferSameAsFirst"> {
  let summary = sum;
  let arguments = (ins Graph_Tensor:$X);
  let results = (outs Graph_Tensor:$Y);
}

// Numpy-broadcasting binary op whose result has the element type of A.
class Graph_BinaryOp<string mnemonic, string sum, list<Trait> traits = []> :
    Graph_Op<mnemonic, traits, "inferBroadcastSameElement"> {
  let summary = sum;
  let arguments = (ins Graph_Tensor:$A, Graph_Tensor:$B);
  let results = (outs Graph_Tensor:$C);
}

// Numpy-broadcasting comparison; the result is a bool (i1) tensor.
class Graph_CompareOp<string mnemonic, string sum> :
    Graph_Op<mnemonic, [], "inferBroadcastBool"> {
  let summary = sum;
  let arguments = (ins Graph_Tensor:$A, Graph_Tensor:$B);
  let results = (outs Graph_Tensor:$C);
}

// Variadic numpy-broadcasting op (Min, Max, Sum, Mean).
class Graph_VariadicOp<string mnemonic, string sum> :
    Graph_Op<mnemonic, [], "inferBroadcastSameElement"> {
  let summary = sum;
  let arguments = (ins Variadic<Graph_Tensor>:$inputs);
  let results = (outs Graph_Tensor:$output);
}

// Reduction over `axes` (an optional 1-D i64 operand, as in opset 18).
class Graph_ReduceOp<string mnemonic, string sum> :
    Graph_Op<mnemonic, [], "inferReduce"> {
  let summary = sum;
  let arguments = (ins Graph_Tensor:$data, Graph_TensorOrNone:$axes,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$noop_with_empty_axes);
  let results = (outs Graph_Tensor:$reduced);
}

//===----------------------------------------------------------------------===//
// Constants and values
//===----------------------------------------------------------------------===//

def Graph_ConstantOp : Graph_Op<"constant", [ConstantLike]> {
  let summary = "A constant tensor (ONNX Constant and initializers).";
  let description = [{
    Large weights are `dense_resource` blobs so they are stored once; small
    tensors are `dense` so folding can read them.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Graph_NoneOp : Op<Graph_Dialect, "none", [Pure, ConstantLike]> {
  let summary = "Marks an omitted optional input.";
  let results = (outs NoneType:$none);
  let assemblyFormat = "attr-dict";
  let hasFolder = 1;
}

def Graph_ConstantOfShapeOp : Graph_Op<"constant_of_shape"> {
  let summary = "A tensor of the given shape filled with one value.";
  let arguments = (ins Graph_Tensor:$input, OptionalAttr<ElementsAttr>:$value);
  let results = (outs Graph_Tensor:$output);
  let hasFolder = 1;
}

def Graph_RangeOp : Graph_Op<"range"> {
  let summary = "ONNX Range: start, limit, delta scalars.";
  let arguments = (ins Graph_Tensor:$start, Graph_Tensor:$limit,
                   Graph_Tensor:$delta);
  let results = (outs Graph_Tensor:$output);
  let hasFolder = 1;
}

def Graph_CastOp : Graph_Op<"cast"> {
  let summary = "Element type conversion.";
  let arguments = (ins Graph_Tensor:$input, TypeAttr:$to,
                   DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs Graph_Tensor:$output);
  let hasFolder = 1;
}

def Graph_IdentityOp : Graph_UnaryOp<"identity", "Identity."> {
  let hasFolder = 1;
}

def Graph_DropoutOp : Graph_Op<"dropout", [], "inferSameAsFirst"> {
  let summary = "Dropout; an identity at inference.";
  let description = [{
    In training mode the kept elements (see graph.dropout_mask) are scaled
    by 1 / (1 - ratio), the others are 0. The random numbers come from a
    counter-based hash of `seed` (0 when absent) and the element's index:
    the same on every run, not numpy's generator.
  }];
  let arguments = (ins Graph_Tensor:$data, Graph_TensorOrNone:$ratio,
                   Graph_TensorOrNone:$training_mode,
                   OptionalAttr<I64Attr>:$seed);
  let results = (outs Graph_Tensor:$output);
  let hasFolder = 1;
}

def Graph_DropoutMaskOp : Graph_Op<"dropout_mask", [], "inferSameShapeBool"> {
  let summary = "The mask of a dropout: which elements it keeps.";
  let description = [{
    True everywhere at inference; in training mode an element is kept when
    a counter-based hash of (`seed`, its row-major index), as a uniform
    number in [0, 1), reaches `ratio`. graph.dropout with the same operands
    keeps the same elements.
  }];
  let arguments = (ins Graph_Tensor:$data, Graph_TensorOrNone:$ratio,
                   Graph_TensorOrNone:$training_mode,
                   OptionalAttr<I64Attr>:$seed);
  let results = (outs Graph_Tensor:$mask);
  let hasFolder = 1;
}

// Random numbers from a counter-based generator: element i (row-major) of
// the result is a function of (seed, i) alone (splitmix64), so a compiled
// model gives the same numbers on every run, thread count and target, and
// tiles or fusion cannot change them. The importer picks a seed per node
// (a hash of its output's name) when the model gives none.
class Graph_RandomOp<string mnemonic, string sum, dag params> :
    Graph_Op<mnemonic> {
  let summary = sum;
  let description = [{
    The shape is `like`'s (the *Like ops; its dynamic dims at run time) or,
    when `like` is none, the `shape` attribute; the element type is `dtype`
    (a float type).
  }];
  let arguments = !con((ins Graph_TensorOrNone:$like, TypeAttr:$dtype,
                            OptionalAttr<DenseI64ArrayAttr>:$shape,
                            I64Attr:$seed), params);
  let results = (outs Graph_Tensor:$output);
  let hasVerifier = 1;
}

def Graph_RandomUniformOp : Graph_RandomOp<"random_uniform",
    "Uniform random numbers in [low, high).",
    (ins DefaultValuedAttr<F64Attr, "0.0">:$low,
         DefaultValuedAttr<F64Attr, "1.0">:$high)>;

def Graph_RandomNormalOp : Graph_RandomOp<"random_normal",
    "Normal random numbers (Box-Muller) of mean `mean`, deviation `scale`.",
    (ins DefaultValuedAttr<F64Attr, "0.0">:$mean,
         DefaultValuedAttr<F64Attr, "1.0">:$scale)>;

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Graph_ReluOp : Graph_UnaryOp<"relu", "max(x, 0).">;
def Graph_SigmoidOp : Graph_UnaryOp<"sigmoid", "1 / (1 + exp(-x)).">;
def Graph_HardSwishOp : Graph_UnaryOp<"hard_swish", "x * max(0, min(1, x/6 + 1/2)).">;
def Graph_TanhOp : Graph_UnaryOp<"tanh", "Hyperbolic tangent.">;
def Graph_ErfOp : Graph_UnaryOp<"erf", "Error function.">;
def Graph_SqrtOp : Graph_UnaryOp<"sqrt", "Square root.">;
def Graph_ReciprocalOp : Graph_UnaryOp<"reciprocal", "1 / x.">;
def Graph_NegOp : Graph_UnaryOp<"neg", "-x."> {
  let hasFolder = 1;
}
def Graph_ExpOp : Graph_UnaryOp<"exp", "e^x.">;
def Graph_LogOp : Graph_UnaryOp<"log", "Natural logarithm.">;
def Graph_AbsOp : Graph_UnaryOp<"abs", "|x|.">;
def Graph_FloorOp : Graph_UnaryOp<"floor", "Floor.">;
def Graph_CeilOp : Graph_UnaryOp<"ceil", "Ceil.">;
def Graph_SinOp : Graph_UnaryOp<"sin", "Sine.">;
def Graph_CosOp : Graph_UnaryOp<"cos", "Cosine.">;
def Graph_SoftplusOp : Graph_UnaryOp<"softplus", "log(exp(x) + 1).">;
def Graph_NotOp : Graph_UnaryOp<"not", "Logical not.">;
def Graph_SignOp : Graph_UnaryOp<"sign", "-1, 0 or 1 by the sign of x.">;
def Graph_RoundOp : Graph_UnaryOp<"round", "Round half to even.">;
def Graph_TanOp : Graph_UnaryOp<"tan", "Tangent.">;
def Graph_SinhOp : Graph_UnaryOp<"sinh", "Hyperbolic sine.">;
def Graph_CoshOp : Graph_UnaryOp<"cosh", "Hyperbolic cosine.">;
def Graph_AsinOp : Graph_UnaryOp<"asin", "Arcsine.">;
def Graph_AcosOp : Graph_UnaryOp<"acos", "Arccosine.">;
def Graph_AtanOp : Graph_UnaryOp<"atan", "Arctangent.">;
def Graph_AsinhOp : Graph_UnaryOp<"asinh", "Inverse hyperbolic sine.">;
def Graph_AcoshOp : Graph_UnaryOp<"acosh", "Inverse hyperbolic cosine.">;
def Graph_AtanhOp : Graph_UnaryOp<"atanh", "Inverse hyperbolic tangent.">;
def Graph_SoftsignOp : Graph_UnaryOp<"softsign", "x / (1 + |x|).">;

def Graph_SeluOp : Graph_Op<"selu", [], "inferSameAsFirst"> {
  let summary = "gamma * (x > 0 ? x : alpha * (exp(x) - 1)).";
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<F32Attr, "1.67326319217681884765625">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.05070102214813232421875">:$gamma);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_CeluOp : Graph_Op<"celu", [], "inferSameAsFirst"> {
  let summary = "max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).";
  let arguments = (ins Graph_Tensor:$X, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_ThresholdedReluOp : Graph_Op<"thresholded_relu", [], "inferSameAsFirst"> {
  let summary = "x > alpha ? x : 0.";
  let arguments = (ins Graph_Tensor:$X, DefaultValuedAttr<F32Attr, "1.0">:$alpha);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_ShrinkOp : Graph_Op<"shrink", [], "inferSameAsFirst"> {
  let summary = "x < -lambd ? x + bias : x > lambd ? x - bias : 0.";
  let arguments = (ins Graph_Tensor:$input,
                   DefaultValuedAttr<F32Attr, "0.0">:$bias,
                   DefaultValuedAttr<F32Attr, "0.5">:$lambd);
  let results = (outs Graph_Tensor:$output);
}

def Graph_PReluOp : Graph_Op<"prelu", [], "inferSameAsFirst"> {
  let summary = "x < 0 ? slope * x : x; slope broadcasts to x.";
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$slope);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_LeakyReluOp : Graph_Op<"leaky_relu", [], "inferSameAsFirst"> {
  let summary = "x < 0 ? alpha * x : x.";
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<F32Attr, "0.01">:$alpha);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_EluOp : Graph_Op<"elu", [], "inferSameAsFirst"> {
  let summary = "x < 0 ? alpha * (exp(x) - 1) : x.";
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_HardSigmoidOp : Graph_Op<"hard_sigmoid", [], "inferSameAsFirst"> {
  let summary = "max(0, min(1, alpha * x + beta)).";
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<F32Attr, "0.2">:$alpha,
                   DefaultValuedAttr<F32Attr, "0.5">:$beta);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_GeluOp : Graph_Op<"gelu", [], "inferSameAsFirst"> {
  let summary = "Gaussian error linear unit (exact or tanh approximation).";
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$approximate);
  let results = (outs Graph_Tensor:$Y);
  let hasVerifier = 1;
}

def Graph_ClipOp : Graph_Op<"clip", [], "inferSameAsFirst"> {
  let summary = "Clamp to [min, max]; bounds are optional scalar operands.";
  let arguments = (ins Graph_Tensor:$input, Graph_TensorOrNone:$min,
                   Graph_TensorOrNone:$max);
  let results = (outs Graph_Tensor:$output);
}

def Graph_IsNaNOp : Graph_Op<"is_nan", [], "inferSameShapeBool"> {
  let summary = "x != x, as a bool tensor.";
  let arguments = (ins Graph_Tensor:$X);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_AddOp : Graph_BinaryOp<"add", "A + B (broadcasting).", [Commutative]> {
  let hasFolder = 1;
}
def Graph_SubOp : Graph_BinaryOp<"sub", "A - B (broadcasting)."> {
  let hasFolder = 1;
}
def Graph_MulOp : Graph_BinaryOp<"mul", "A * B (broadcasting).", [Commutative]> {
  let hasFolder = 1;
}
def Graph_DivOp : Graph_BinaryOp<"div", "A / B (broadcasting)."> {
  let hasFolder = 1;
}
def Graph_PowOp : Graph_Op<"pow", [], "inferBroadcastFirstElement"> {
  let summary = "A ^ B (broadcasting); the result has A's element type.";
  let arguments = (ins Graph_Tensor:$A, Graph_Tensor:$B);
  let results = (outs Graph_Tensor:$C);
}
def Graph_ModOp : Graph_Op<"mod", [], "inferBroadcastSameElement"> {
  let summary = "Remainder (broadcasting).";
  let arguments = (ins Graph_Tensor:$A, Graph_Tensor:$B,
                   DefaultValuedAttr<I64Attr, "0">:$fmod);
  let results = (outs Graph_Tensor:$C);
}
def Graph_BitShiftOp : Graph_Op<"bit_shift", [], "inferBroadcastSameElement"> {
  let summary = "Shift unsigned integers LEFT or RIGHT (broadcasting).";
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$Y, StrAttr:$direction);
  let results = (outs Graph_Tensor:$Z);
}
def Graph_AndOp : Graph_BinaryOp<"and", "Logical and (broadcasting).", [Commutative]>;
def Graph_OrOp : Graph_BinaryOp<"or", "Logical or (broadcasting).", [Commutative]>;
def Graph_XorOp : Graph_BinaryOp<"xor", "Logical xor (broadcasting).", [Commutative]>;

def Graph_EqualOp : Graph_CompareOp<"equal", "A == B."> {
  let hasFolder = 1;
}
def Graph_LessOp : Graph_CompareOp<"less", "A < B.">;
def Graph_LessOrEqualOp : Graph_CompareOp<"less_or_equal", "A <= B.">;
def Graph_GreaterOp : Graph_CompareOp<"greater", "A > B.">;
def Graph_GreaterOrEqualOp : Graph_CompareOp<"greater_or_equal", "A >= B.">;

def Graph_MinOp : Graph_VariadicOp<"min", "Elementwise minimum of all inputs.">;
def Graph_MaxOp : Graph_VariadicOp<"max", "Elementwise maximum of all inputs.">;
def Graph_SumOp : Graph_VariadicOp<"sum", "Elementwise sum of all inputs.">;
def Graph_MeanOp : Graph_VariadicOp<"mean", "Elementwise mean of all inputs.">;

def Graph_WhereOp : Graph_Op<"where"> {
  let summary = "condition ? X : Y (broadcasting).";
  let arguments = (ins Graph_Tensor:$condition, Graph_Tensor:$X,
                   Graph_Tensor:$Y);
  let results = (outs Graph_Tensor:$output);
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Neural network
//===----------------------------------------------------------------------===//

def Graph_ConvOp : Graph_Op<"conv"> {
  let summary = "N-d convolution with groups, dilations, pads and auto_pad.";
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$W, Graph_TensorOrNone:$B,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$group,
                   OptionalAttr<I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<I64ArrayAttr>:$pads,
                   OptionalAttr<I64ArrayAttr>:$strides);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_ConvTransposeOp : Graph_Op<"conv_transpose"> {
  let summary = "N-d transposed convolution.";
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$W, Graph_TensorOrNone:$B,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   OptionalAttr<I64ArrayAttr>:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$group,
                   OptionalAttr<I64ArrayAttr>:$kernel_shape,
                   OptionalAttr<I64ArrayAttr>:$output_padding,
                   OptionalAttr<I64ArrayAttr>:$output_shape,
                   OptionalAttr<I64ArrayAttr>:$pads,
                   OptionalAttr<I64ArrayAttr>:$strides);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_MaxPoolOp : Graph_Op<"max_pool"> {
  let summary = "N-d max pooling.";
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
                   OptionalAttr<I64ArrayAttr>:$dilations,
                   I64ArrayAttr:$kernel_shape,
                   OptionalAttr<I64ArrayAttr>:$pads,
                   DefaultValuedAttr<I64Attr, "0">:$storage_order,
                   OptionalAttr<I64ArrayAttr>:$strides);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_MaxPoolIndicesOp : Graph_Op<"max_pool_indices"> {
  let summary = "MaxPool's Indices output: where each window's maximum is.";
  let description = [{
    The flat offset into the whole input of the first maximum of each
    window (row-major; `storage_order` 1: the spatial dims column-major,
    as ONNX defines it). Attributes as graph.max_pool, whose values it
    accompanies.
  }];
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
                   OptionalAttr<I64ArrayAttr>:$dilations,
                   I64ArrayAttr:$kernel_shape,
                   OptionalAttr<I64ArrayAttr>:$pads,
                   DefaultValuedAttr<I64Attr, "0">:$storage_order,
                   OptionalAttr<I64ArrayAttr>:$strides);
  let results = (outs Graph_Tensor:$Indices);
}

def Graph_AveragePoolOp : Graph_Op<"average_pool"> {
  let summary = "N-d average pooling.";
  let arguments = (ins Graph_Tensor:$X,
                   DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
                   DefaultValuedAttr<I64Attr, "0">:$ceil_mode,
                   DefaultValuedAttr<I64Attr, "0">:$count_include_pad,
                   OptionalAttr<I64ArrayAttr>:$dilations,
                   I64ArrayAttr:$kernel_shape,
                   OptionalAttr<I64ArrayAttr>:$pads,
                   OptionalAttr<I64ArrayAttr>:$strides);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_GlobalAveragePoolOp : Graph_Op<"global_average_pool", [], "inferGlobalPool"> {
  let summary = "Mean over all spatial dimensions.";
  let arguments = (ins Graph_Tensor:$X);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_GlobalMaxPoolOp : Graph_Op<"global_max_pool", [], "inferGlobalPool"> {
  let summary = "Max over all spatial dimensions.";
  let arguments = (ins Graph_Tensor:$X);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_BatchNormalizationOp : Graph_Op<"batch_normalization"> {
  let summary = "Inference-mode batch normalization.";
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$scale, Graph_Tensor:$B,
                   Graph_Tensor:$input_mean, Graph_Tensor:$input_var,
                   DefaultValuedAttr<F32Attr, "1e-5">:$epsilon,
                   DefaultValuedAttr<F32Attr, "0.9">:$momentum);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_LayerNormalizationOp : Graph_Op<"layer_normalization"> {
  let summary = "Normalization over the trailing axes from `axis`.";
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$Scale,
                   Graph_TensorOrNone:$B,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1e-5">:$epsilon,
                   DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_SoftmaxOp : Graph_Op<"softmax", [], "inferSameAsFirstWithAxis"> {
  let summary = "Softmax along `axis` (opset 13 semantics).";
  let arguments = (ins Graph_Tensor:$input,
                   DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Graph_Tensor:$output);
}

def Graph_LogSoftmaxOp : Graph_Op<"log_softmax", [], "inferSameAsFirstWithAxis"> {
  let summary = "Log of softmax along `axis` (opset 13 semantics).";
  let arguments = (ins Graph_Tensor:$input,
                   DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Graph_Tensor:$output);
}

def Graph_MatMulOp : Graph_Op<"matmul"> {
  let summary = "Numpy matmul with batch broadcasting.";
  let arguments = (ins Graph_Tensor:$A, Graph_Tensor:$B);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_AttentionOp : Graph_Op<"attention"> {
  let summary = "softmax(mask(scale * Q x K)) x V as one op (FlashAttention).";
  let description = [{
    Not an ONNX op: `mnemo-fuse-attention` builds it from the exported
    chain MatMul(Q, K) -> [Mul/Div by a scalar] -> [Where(mask, s, fill) or
    Add(s, mask)] -> Softmax(last axis) -> [Where(IsNaN(p), 0, p)] ->
    MatMul(p, V). `K` is the first MatMul's right operand ([..., D, N]),
    as exported (K already transposed); with `k_rows` it is the keys
    themselves ([..., N, D], as a KV cache holds them), which the fusion
    takes when the exported K was a Transpose of them: no transposed copy
    of the cache is made. `mask_kind` is "none", "select"
    (keep a score where `mask` is true, else `fill`) or "add". With
    `nan_to_zero` an output row whose softmax is NaN (every score -inf)
    is zero. The lowering walks the keys in `kv_tile` columns with an
    online softmax (running max and sum per query row), `q_tile` query rows
    at a time; 0 means the whole extent.
  }];
  let arguments = (ins Graph_Tensor:$Q, Graph_Tensor:$K, Graph_Tensor:$V,
                   Graph_TensorOrNone:$mask,
                   DefaultValuedAttr<F64Attr, "1.0">:$scale,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$mask_kind,
                   DefaultValuedAttr<F64Attr, "0.0">:$fill,
                   DefaultValuedAttr<BoolAttr, "false">:$nan_to_zero,
                   DefaultValuedAttr<I64Attr, "0">:$q_tile,
                   DefaultValuedAttr<I64Attr, "0">:$kv_tile,
                   DefaultValuedAttr<BoolAttr, "false">:$k_rows);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_KVCacheWriteOp : Graph_Op<"kv_cache_write"> {
  let summary = "Writes new keys or values into a preallocated KV cache.";
  let description = [{
    Not an ONNX op: `mnemo-kv-cache` builds it from the exported
    Concat(past, new) of a decoder's KV cache. `new` is [B, H, S, D]; its S
    tokens are written at positions [position, position + S) of `caches`,
    whose layout is `layout`:
      - "head-major":  caches = ([B, H, T, D])
      - "token-major": caches = ([B, T, H, D])
      - "paged":       caches = ([blocks, H, block_size, D]) and
                       `block_table` [T / block_size] names the block of
                       each run of `block_size` positions (B = 1); every
                       other layout takes `none` there
      - "int8":        keys (`kind` "key"): (i8 [B, H, T, D],
                       f32 scales [B, H, T / group, D] per channel over
                       `group` tokens, f32 [B, H, group, D] of the group
                       being filled); values: (i8 [B, H, T, D], f32 scales
                       [B, H, T, 1] per token).
      - "kivi2":       (i8 [B, H, T, D / 4] of 2-bit codes, four per byte
                       along D, code k of a byte in bits 2k..2k+1; f32
                       scales and f32 minimums, [B, H, T / group, D] for
                       keys (per channel over `group` tokens) and
                       [B, H, T, 1] for values (per token); f32
                       [B, H, group, D] of the group being filled, which
                       reads return unquantized). x ~ code * scale + min.
    The results are the updated caches (same types). Bufferized, the write
    happens in place in the caller's buffers: no per-step copy. `position`
    is clamped to [0, T - S].
  }];
  let arguments = (ins Variadic<Graph_Tensor>:$caches, Graph_Tensor:$update,
                   Graph_Tensor:$position, Graph_TensorOrNone:$block_table,
                   StrAttr:$layout,
                   DefaultValuedAttr<StrAttr, "\"key\"">:$kind,
                   DefaultValuedAttr<I64Attr, "0">:$block_size,
                   DefaultValuedAttr<I64Attr, "0">:$group);
  let results = (outs Variadic<Graph_Tensor>:$updated);
  let assemblyFormat = [{
    `(` $caches `)` `,` $update `,` $position `,` $block_table
    attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_KVCacheReadOp : Graph_Op<"kv_cache_read"> {
  let summary = "Reads positions [0, length) of a KV cache as [B, H, length, D].";
  let description = [{
    The inverse of `graph.kv_cache_write`'s layout: a view of the first
    `length` positions (clamped to [0, T]) in the [B, H, length, D] order
    attention reads. "head-major" is a slice of the cache (no copy);
    "token-major" transposes, "paged" gathers through `block_table`,
    "int8" and "kivi2" dequantize ("kivi2" reads the group being filled
    from its full-precision copy).
  }];
  let arguments = (ins Variadic<Graph_Tensor>:$caches, Graph_Tensor:$length,
                   Graph_TensorOrNone:$block_table,
                   StrAttr:$layout,
                   DefaultValuedAttr<StrAttr, "\"key\"">:$kind,
                   DefaultValuedAttr<I64Attr, "0">:$block_size,
                   DefaultValuedAttr<I64Attr, "0">:$group);
  let results = (outs Graph_Tensor:$output);
  let assemblyFormat = [{
    `(` $caches `)` `,` $length `,` $block_table
    attr-dict `:` functional-type(operands, results)
  }];
}

def Graph_GemmOp : Graph_Op<"gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C.";
  let arguments = (ins Graph_Tensor:$A, Graph_Tensor:$B, Graph_TensorOrNone:$C,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   DefaultValuedAttr<I64Attr, "0">:$transA,
                   DefaultValuedAttr<I64Attr, "0">:$transB);
  let results = (outs Graph_Tensor:$Y);
}

//===----------------------------------------------------------------------===//
// Quantization (ONNX semantics: round half to even, saturation to the
// integer type, per-tensor or per-axis scales and zero points). The
// integer products accumulate in i32. graph-expand-quantized rewrites all
// but conv_integer (which lowers directly) into primitive graph ops.
//===----------------------------------------------------------------------===//

// Convolution attributes shared by ConvInteger and QLinearConv.
defvar Graph_ConvAttrs = (ins
    DefaultValuedAttr<StrAttr, "\"NOTSET\"">:$auto_pad,
    OptionalAttr<I64ArrayAttr>:$dilations,
    DefaultValuedAttr<I64Attr, "1">:$group,
    OptionalAttr<I64ArrayAttr>:$kernel_shape,
    OptionalAttr<I64ArrayAttr>:$pads,
    OptionalAttr<I64ArrayAttr>:$strides);

def Graph_QuantizeLinearOp : Graph_Op<"quantize_linear"> {
  let summary = "saturate(round_half_even(x / y_scale) + y_zero_point).";
  let description = [{
    The result has the zero point's element type (ui8 without one).
    `axis` selects the dim a 1-D scale and zero point run along.
  }];
  let arguments = (ins Graph_Tensor:$x, Graph_Tensor:$y_scale,
                   Graph_TensorOrNone:$y_zero_point,
                   DefaultValuedAttr<I64Attr, "1">:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$saturate,
                   DefaultValuedAttr<I64Attr, "0">:$block_size);
  let results = (outs Graph_Tensor:$y);
}

def Graph_DequantizeLinearOp : Graph_Op<"dequantize_linear"> {
  let summary = "(x - x_zero_point) * x_scale, in the scale's type.";
  let arguments = (ins Graph_Tensor:$x, Graph_Tensor:$x_scale,
                   Graph_TensorOrNone:$x_zero_point,
                   DefaultValuedAttr<I64Attr, "1">:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$block_size);
  let results = (outs Graph_Tensor:$y);
}

def Graph_DynamicQuantizeLinearOp : Graph_Op<"dynamic_quantize_linear"> {
  let summary = "x to ui8 with a scale and zero point from x's range.";
  let arguments = (ins Graph_Tensor:$x);
  let results = (outs Graph_Tensor:$y, Graph_Tensor:$y_scale,
                 Graph_Tensor:$y_zero_point);
}

def Graph_MatMulIntegerOp : Graph_Op<"matmul_integer"> {
  let summary = "(A - a_zero_point) x (B - b_zero_point) in i32.";
  let arguments = (ins Graph_Tensor:$A, Graph_Tensor:$B,
                   Graph_TensorOrNone:$a_zero_point,
                   Graph_TensorOrNone:$b_zero_point);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_ConvIntegerOp : Graph_Op<"conv_integer"> {
  let summary = "Convolution of (x - x_zero_point) and (w - w_zero_point) in i32.";
  let arguments = !con((ins Graph_Tensor:$x, Graph_Tensor:$w,
                            Graph_TensorOrNone:$x_zero_point,
                            Graph_TensorOrNone:$w_zero_point),
                       Graph_ConvAttrs);
  let results = (outs Graph_Tensor:$y);
}

def Graph_QLinearMatMulOp : Graph_Op<"qlinear_matmul"> {
  let summary = "Quantized MatMul: the i32 product requantized to y's scale.";
  let description = [{
    ONNX QLinearMatMul plus an optional i32 `bias` added to the product
    before requantization (one value per column, in units of a_scale *
    b_scale; QLinearConv's bias, and com.microsoft.QGemm's C). The QDQ
    folding forms it from Gemm and MatMul+Add layers; the ONNX op imports
    with none there.
  }];
  let arguments = (ins Graph_Tensor:$a, Graph_Tensor:$a_scale,
                   Graph_Tensor:$a_zero_point, Graph_Tensor:$b,
                   Graph_Tensor:$b_scale, Graph_Tensor:$b_zero_point,
                   Graph_Tensor:$y_scale, Graph_Tensor:$y_zero_point,
                   Graph_TensorOrNone:$bias);
  let results = (outs Graph_Tensor:$y);
}

def Graph_QLinearConvOp : Graph_Op<"qlinear_conv"> {
  let summary = "Quantized Conv: i32 accumulation plus an i32 bias, requantized.";
  let arguments = !con((ins Graph_Tensor:$x, Graph_Tensor:$x_scale,
                            Graph_Tensor:$x_zero_point, Graph_Tensor:$w,
                            Graph_Tensor:$w_scale, Graph_Tensor:$w_zero_point,
                            Graph_Tensor:$y_scale, Graph_Tensor:$y_zero_point,
                            Graph_TensorOrNone:$B),
                       Graph_ConvAttrs);
  let results = (outs Graph_Tensor:$y);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def Graph_ReduceMeanOp : Graph_ReduceOp<"reduce_mean", "Mean over axes.">;
def Graph_ReduceSumOp : Graph_ReduceOp<"reduce_sum", "Sum over axes.">;
def Graph_ReduceMaxOp : Graph_ReduceOp<"reduce_max", "Maximum over axes.">;
def Graph_ReduceMinOp : Graph_ReduceOp<"reduce_min", "Minimum over axes.">;
def Graph_ReduceProdOp : Graph_ReduceOp<"reduce_prod", "Product over axes.">;
def Graph_ReduceL1Op : Graph_ReduceOp<"reduce_l1", "L1 norm over axes.">;
def Graph_ReduceL2Op : Graph_ReduceOp<"reduce_l2", "L2 norm over axes.">;
def Graph_ReduceSumSquareOp : Graph_ReduceOp<"reduce_sum_square", "Sum of squares over axes.">;
def Graph_ReduceLogSumOp : Graph_ReduceOp<"reduce_log_sum", "log(sum(x)) over axes.">;
def Graph_ReduceLogSumExpOp : Graph_ReduceOp<"reduce_log_sum_exp", "log(sum(exp(x))) over axes.">;

def Graph_ArgMaxOp : Graph_Op<"arg_max", [], "inferArgReduce"> {
  let summary = "Index of the maximum along `axis` (i64).";
  let arguments = (ins Graph_Tensor:$data,
                   DefaultValuedAttr<I64Attr, "0">:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs Graph_Tensor:$reduced);
}

def Graph_ArgMinOp : Graph_Op<"arg_min", [], "inferArgReduce"> {
  let summary = "Index of the minimum along `axis` (i64).";
  let arguments = (ins Graph_Tensor:$data,
                   DefaultValuedAttr<I64Attr, "0">:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$keepdims,
                   DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs Graph_Tensor:$reduced);
}

def Graph_CumSumOp : Graph_Op<"cum_sum", [], "inferSameAsFirst"> {
  let summary = "Cumulative sum along a scalar `axis` operand.";
  let arguments = (ins Graph_Tensor:$x, Graph_Tensor:$axis,
                   DefaultValuedAttr<I64Attr, "0">:$exclusive,
                   DefaultValuedAttr<I64Attr, "0">:$reverse);
  let results = (outs Graph_Tensor:$y);
}

//===----------------------------------------------------------------------===//
// Shape manipulation and data movement
//===----------------------------------------------------------------------===//

def Graph_ShapeOp : Graph_Op<"shape"> {
  let summary = "The shape of a tensor as a 1-D i64 tensor.";
  let arguments = (ins Graph_Tensor:$data,
                   OptionalAttr<I64Attr>:$start, OptionalAttr<I64Attr>:$end);
  let results = (outs Graph_Tensor:$shape);
  let hasFolder = 1;
}

def Graph_SizeOp : Graph_Op<"size"> {
  let summary = "The number of elements as an i64 scalar.";
  let arguments = (ins Graph_Tensor:$data);
  let results = (outs Graph_Tensor:$size);
  let hasFolder = 1;
}

def Graph_ReshapeOp : Graph_Op<"reshape"> {
  let summary = "Reshape to a shape operand (0 copies, -1 infers).";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$shape,
                   DefaultValuedAttr<I64Attr, "0">:$allowzero);
  let results = (outs Graph_Tensor:$reshaped);
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Graph_FlattenOp : Graph_Op<"flatten"> {
  let summary = "Flatten to 2-D at `axis`.";
  let arguments = (ins Graph_Tensor:$input,
                   DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs Graph_Tensor:$output);
}

def Graph_SqueezeOp : Graph_Op<"squeeze"> {
  let summary = "Remove size-1 dimensions (all, or those in `axes`).";
  let arguments = (ins Graph_Tensor:$data, Graph_TensorOrNone:$axes);
  let results = (outs Graph_Tensor:$squeezed);
}

def Graph_UnsqueezeOp : Graph_Op<"unsqueeze"> {
  let summary = "Insert size-1 dimensions at `axes`.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$axes);
  let results = (outs Graph_Tensor:$expanded);
  let hasFolder = 1;
}

def Graph_TransposeOp : Graph_Op<"transpose"> {
  let summary = "Permute dimensions (reverse when `perm` is absent).";
  let arguments = (ins Graph_Tensor:$data, OptionalAttr<I64ArrayAttr>:$perm);
  let results = (outs Graph_Tensor:$transposed);
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// `perm`, or the reversed dims of a ranked input when it is absent
    /// (ONNX's default); empty for an unranked input without `perm`.
    ::llvm::SmallVector<int64_t> getPermutation();
  }];
}

def Graph_EinsumOp : Graph_Op<"einsum"> {
  let summary = "Einstein summation over `equation` (numpy's rules).";
  let description = [{
    One loop per label and per ellipsis dim; the product of the inputs at
    each point is summed over the loops the output does not name. A label
    repeated within an input reads a diagonal; size-1 dims broadcast.
  }];
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, StrAttr:$equation);
  let results = (outs Graph_Tensor:$output);
}

def Graph_ConcatOp : Graph_Op<"concat"> {
  let summary = "Concatenate along `axis`.";
  let arguments = (ins Variadic<Graph_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Graph_Tensor:$concat_result);
  let hasFolder = 1;
}

def Graph_SplitOp : Graph_Op<"split"> {
  let summary = "Split along `axis` by sizes or into `num_outputs` parts.";
  let arguments = (ins Graph_Tensor:$input, Graph_TensorOrNone:$split,
                   DefaultValuedAttr<I64Attr, "0">:$axis,
                   OptionalAttr<I64Attr>:$num_outputs);
  let results = (outs Variadic<Graph_Tensor>:$outputs);
}

def Graph_SliceOp : Graph_Op<"slice"> {
  let summary = "Strided slice with starts/ends/axes/steps operands.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$starts,
                   Graph_Tensor:$ends, Graph_TensorOrNone:$axes,
                   Graph_TensorOrNone:$steps);
  let results = (outs Graph_Tensor:$output);
  let hasFolder = 1;
}

def Graph_GatherOp : Graph_Op<"gather"> {
  let summary = "Gather slices along `axis` by indices.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Graph_Tensor:$output);
  let hasFolder = 1;
}

def Graph_OneHotOp : Graph_Op<"one_hot"> {
  let summary = "values[1] where the new `axis` position equals the index, values[0] elsewhere.";
  let description = [{
    `depth` decides the new axis' size: the result is static only when it
    is a constant (mnemo-run --specialize-shape-inputs makes one of an
    input that feeds nothing else). Negative indices count from depth.
  }];
  let arguments = (ins Graph_Tensor:$indices, Graph_Tensor:$depth,
                   Graph_Tensor:$values,
                   DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Graph_Tensor:$output);
}

def Graph_TopKOp : Graph_Op<"top_k"> {
  let summary = "The k largest (or smallest) elements along `axis`, sorted, and their indices.";
  let description = [{
    Equal elements keep their order (the lower index first), as in ONNX's
    reference. `k` decides the result shape along `axis`.
  }];
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$K,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$largest,
                   DefaultValuedAttr<I64Attr, "1">:$sorted);
  let results = (outs Graph_Tensor:$values, Graph_Tensor:$indices);
}

def Graph_WindowOp : Graph_Op<"window"> {
  let summary = "A Hann, Hamming or Blackman window of `size` points.";
  let description = [{
    `kind` is hann, hamming or blackman; a periodic window divides by
    size, a symmetric one by size - 1. The result has `output_datatype`
    (an ONNX element type code).
  }];
  let arguments = (ins Graph_Tensor:$size, StrAttr:$kind,
                   DefaultValuedAttr<I64Attr, "1">:$periodic,
                   DefaultValuedAttr<I64Attr, "1">:$output_datatype);
  let results = (outs Graph_Tensor:$output);
}

def Graph_ReverseSequenceOp : Graph_Op<"reverse_sequence"> {
  let summary = "Reverses the first sequence_lens[b] elements along `time_axis` of each batch entry.";
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$sequence_lens,
                   DefaultValuedAttr<I64Attr, "1">:$batch_axis,
                   DefaultValuedAttr<I64Attr, "0">:$time_axis);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_NonZeroOp : Graph_Op<"non_zero"> {
  let summary = "The indices of the non-zero elements, one column each, in row-major order.";
  let description = [{
    The result is [rank, n] with n, the number of non-zero elements, known
    only at run time. The lowering bounds it by the input's element count
    (the artifact's workspace and output buffer hold that many columns) and
    the run reports the actual n through `output_shapes`.
  }];
  let arguments = (ins Graph_Tensor:$X);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_CompressOp : Graph_Op<"compress"> {
  let summary = "The slices along `axis` (the elements, without it) whose condition is true.";
  let description = [{
    `condition` is a 1-D bool tensor; positions past its end count as
    false. Without `axis` the input is flattened. The selected count is
    known only at run time: bounded by the input's size along the axis,
    reported through `output_shapes`.
  }];
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$condition,
                   OptionalAttr<I64Attr>:$axis);
  let results = (outs Graph_Tensor:$output);
}

def Graph_NonMaxSuppressionOp : Graph_Op<"non_max_suppression"> {
  let summary = "Greedy per-class box selection by score, dropping boxes that overlap a selected one.";
  let description = [{
    For each batch and class: boxes whose score exceeds `score_threshold`
    (all boxes without one), highest score first (the lower index among
    equal scores), are kept unless their IoU with a box already kept for
    that class exceeds `iou_threshold`, until `max_output_boxes_per_class`
    (0 when absent) are kept. The result lists [batch, class, box] rows;
    their number is known at run time, bounded by batches x classes x
    min(boxes, max_output_boxes_per_class when constant).
    `center_point_box` 0: boxes are [y1, x1, y2, x2] (any two opposite
    corners); 1: [x_center, y_center, width, height].
  }];
  let arguments = (ins Graph_Tensor:$boxes, Graph_Tensor:$scores,
                   Graph_TensorOrNone:$max_output_boxes_per_class,
                   Graph_TensorOrNone:$iou_threshold,
                   Graph_TensorOrNone:$score_threshold,
                   DefaultValuedAttr<I64Attr, "0">:$center_point_box);
  let results = (outs Graph_Tensor:$selected_indices);
}

def Graph_UniqueOp : Graph_Op<"unique"> {
  let summary = "The distinct elements (slices along `axis`), their first indices, each input's position among them, and their counts.";
  let description = [{
    Without `axis` the input is flattened. `sorted` 1 orders the distinct
    values ascending (slices lexicographically, as numpy.unique), 0 keeps
    the order of first occurrence. `Y`, `indices` and `counts` have as many
    entries as there are distinct values, known at run time and bounded by
    the input's size along the axis; `inverse_indices` has one entry per
    input element (slice).
  }];
  let arguments = (ins Graph_Tensor:$X, OptionalAttr<I64Attr>:$axis,
                   DefaultValuedAttr<I64Attr, "1">:$sorted);
  let results = (outs Graph_Tensor:$Y, Graph_Tensor:$indices,
                      Graph_Tensor:$inverse_indices, Graph_Tensor:$counts);
}

def Graph_DetOp : Graph_Op<"det"> {
  let summary = "The determinant of each square matrix in the last two dims.";
  let arguments = (ins Graph_Tensor:$X);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_STFTOp : Graph_Op<"stft"> {
  let summary = "Short-time Fourier transform: the DFT of windowed frames.";
  let description = [{
    `signal` [batch, length, 1 (real) or 2 (complex)]; frames of
    `frame_length` (else the window's length) every `frame_step` samples,
    each multiplied by `window` (ones when absent). The result is
    [batch, frames, bins, 2] with bins = frame_length / 2 + 1 when
    `onesided`. `frame_step` and `frame_length` decide the shape (counts
    mnemo-run specializes when they come from the data).
  }];
  let arguments = (ins Graph_Tensor:$signal, Graph_Tensor:$frame_step,
                   Graph_TensorOrNone:$window, Graph_TensorOrNone:$frame_length,
                   DefaultValuedAttr<I64Attr, "1">:$onesided);
  let results = (outs Graph_Tensor:$output);
}

def Graph_RoiAlignOp : Graph_Op<"roi_align"> {
  let summary = "Each region of interest pooled to output_height x output_width bins of bilinear samples.";
  let description = [{
    `rois` [R, 4] are (x1, y1, x2, y2) in input coordinates times
    `spatial_scale`, `batch_indices` [R] pick the image. Each bin averages
    (`mode` avg) or takes the largest weighted corner of (max, as ONNX's
    reference) a grid of `sampling_ratio`^2 samples (0: ceil(roi size /
    bins) per axis, per region). `coordinate_transformation_mode`
    half_pixel shifts coordinates by -0.5; output_half_pixel (opset < 16)
    does not, and makes each region at least 1 x 1.
  }];
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$rois,
                   Graph_Tensor:$batch_indices,
                   DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_transformation_mode,
                   DefaultValuedAttr<StrAttr, "\"avg\"">:$mode,
                   DefaultValuedAttr<I64Attr, "1">:$output_height,
                   DefaultValuedAttr<I64Attr, "1">:$output_width,
                   DefaultValuedAttr<I64Attr, "0">:$sampling_ratio,
                   DefaultValuedAttr<F32Attr, "1.0">:$spatial_scale);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_TfIdfVectorizerOp : Graph_Op<"tfidf_vectorizer"> {
  let summary = "Counts of the pool's n-grams (with skips) in each row of token ids, weighted by `mode`.";
  let description = [{
    ONNX's attributes: the integer pool (`pool_int64s`, n-grams of size
    k + 1 from `ngram_counts[k]`), each n-gram's output slot
    (`ngram_indexes`), sizes `min_gram_length`..`max_gram_length`, skips up
    to `max_skip_count` (unigrams are counted once), `mode` TF, IDF or
    TFIDF with optional `weights` per slot. The result is float32 [rows,
    max(ngram_indexes) + 1] ([slots] for a 1-D input).
  }];
  let arguments = (ins Graph_Tensor:$X, I64Attr:$max_gram_length,
                   I64Attr:$max_skip_count, I64Attr:$min_gram_length,
                   StrAttr:$mode, I64ArrayAttr:$ngram_counts,
                   I64ArrayAttr:$ngram_indexes, I64ArrayAttr:$pool_int64s,
                   OptionalAttr<F32ArrayAttr>:$weights);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_GatherNDOp : Graph_Op<"gather_nd"> {
  let summary = "Gather slices of data at the index tuples of the indices' last dim.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Graph_Tensor:$output);
}

def Graph_ScatterElementsOp : Graph_Op<"scatter_elements"> {
  let summary = "data with updates written (or combined: add, mul, max, min) at indices along `axis`.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$indices,
                   Graph_Tensor:$updates,
                   DefaultValuedAttr<I64Attr, "0">:$axis,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs Graph_Tensor:$output);
}

def Graph_ScatterNDOp : Graph_Op<"scatter_nd"> {
  let summary = "data with update slices written (or combined) at the index tuples of the indices' last dim.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$indices,
                   Graph_Tensor:$updates,
                   DefaultValuedAttr<StrAttr, "\"none\"">:$reduction);
  let results = (outs Graph_Tensor:$output);
}

def Graph_GatherElementsOp : Graph_Op<"gather_elements"> {
  let summary = "Gather elements along `axis`; output has the indices' shape.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Graph_Tensor:$output);
}

def Graph_ExpandOp : Graph_Op<"expand"> {
  let summary = "Broadcast to a shape operand.";
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$shape);
  let results = (outs Graph_Tensor:$output);
}

def Graph_TileOp : Graph_Op<"tile"> {
  let summary = "Repeat the input `repeats` times along each axis.";
  let arguments = (ins Graph_Tensor:$input, Graph_Tensor:$repeats);
  let results = (outs Graph_Tensor:$output);
}

def Graph_PadOp : Graph_Op<"pad"> {
  let summary = "Pad with constant, reflect, edge or wrap mode.";
  let arguments = (ins Graph_Tensor:$data, Graph_Tensor:$pads,
                   Graph_TensorOrNone:$constant_value,
                   Graph_TensorOrNone:$axes,
                   DefaultValuedAttr<StrAttr, "\"constant\"">:$mode);
  let results = (outs Graph_Tensor:$output);
}

def Graph_GridSampleOp : Graph_Op<"grid_sample"> {
  let summary = "Samples X at the grid's normalized [-1, 1] coordinates (nearest, linear, cubic).";
  let arguments = (ins Graph_Tensor:$X, Graph_Tensor:$grid,
                   DefaultValuedAttr<I64Attr, "0">:$align_corners,
                   DefaultValuedAttr<StrAttr, "\"linear\"">:$mode,
                   DefaultValuedAttr<StrAttr, "\"zeros\"">:$padding_mode);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_ResizeOp : Graph_Op<"resize"> {
  let summary = "Resize by scales or to sizes (nearest, linear, cubic).";
  let arguments = (ins Graph_Tensor:$X, Graph_TensorOrNone:$roi,
                   Graph_TensorOrNone:$scales, Graph_TensorOrNone:$sizes,
                   DefaultValuedAttr<I64Attr, "0">:$antialias,
                   OptionalAttr<I64ArrayAttr>:$axes,
                   DefaultValuedAttr<StrAttr, "\"half_pixel\"">:$coordinate_transformation_mode,
                   DefaultValuedAttr<F32Attr, "-0.75">:$cubic_coeff_a,
                   DefaultValuedAttr<I64Attr, "0">:$exclude_outside,
                   DefaultValuedAttr<F32Attr, "0.0">:$extrapolation_value,
                   DefaultValuedAttr<StrAttr, "\"stretch\"">:$keep_aspect_ratio_policy,
                   DefaultValuedAttr<StrAttr, "\"nearest\"">:$mode,
                   DefaultValuedAttr<StrAttr, "\"round_prefer_floor\"">:$nearest_mode);
  let results = (outs Graph_Tensor:$Y);
}

def Graph_TriluOp : Graph_Op<"trilu", [], "inferSameAsFirst"> {
  let summary = "Keep the upper or lower triangle of the last two dims.";
  let arguments = (ins Graph_Tensor:$input, Graph_TensorOrNone:$k,
                   DefaultValuedAttr<I64Attr, "1">:$upper);
  let results = (outs Graph_Tensor:$output);
}

//===----------------------------------------------------------------------===//
// Control flow: ONNX subgraphs as single-block regions. Bodies use values of
// the enclosing graph directly (ONNX's outer-scope capture); block arguments
// carry what the op passes in each iteration.
//===----------------------------------------------------------------------===//

def Graph_YieldOp : Op<Graph_Dialect, "yield",
    [Pure, Terminator, ReturnLike,
     ParentOneOf<["IfOp", "LoopOp", "ScanOp"]>]> {
  let summary = "The outputs of a control-flow body.";
  let arguments = (ins Variadic<Graph_Tensor>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

def Graph_IfOp : Op<Graph_Dialect, "if",
    [RecursiveMemoryEffects, NoRegionArguments]> {
  let summary = "ONNX If: runs one of two bodies on a boolean scalar.";
  let description = [{
    Both bodies yield one value per result. A result whose branches differ
    in a dim has that dim dynamic.
  }];
  let arguments = (ins Graph_Tensor:$cond);
  let results = (outs Variadic<Graph_Tensor>:$results);
  let regions = (region SizedRegion<1>:$then_branch,
                        SizedRegion<1>:$else_branch);
  let assemblyFormat = [{
    $cond `:` type($cond) (`->` type($results)^)? $then_branch `else`
    $else_branch attr-dict
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Graph_LoopOp : Op<Graph_Dialect, "loop", [RecursiveMemoryEffects]> {
  let summary = "ONNX Loop: a body run while i < M and cond hold.";
  let description = [{
    Operands: the trip count M and the condition (each may be graph.none),
    then the N loop-carried initial values. The body's arguments are the
    iteration number (tensor<i64>), the condition (tensor<i1>) and the N
    carried values; it yields the next condition, the N carried values and
    K scan values. Results: the N final carried values, then the K scan
    outputs, each the scan values of all iterations stacked on a new dim 0.
    The iteration count is known only at run time: a scan output is a
    buffer of `trip_bound` rows filled up to the count (like NonZero), and
    a run that would exceed the bound stops with an error code.
  }];
  let arguments = (ins Graph_TensorOrNone:$max_trip_count,
                   Graph_TensorOrNone:$cond,
                   Variadic<Graph_Tensor>:$initial,
                   OptionalAttr<I64Attr>:$trip_bound);
  let results = (outs Variadic<Graph_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $max_trip_count `,` $cond (`,` $initial^)? `)` attr-dict `:`
    functional-type(operands, results) $body
  }];
  let hasVerifier = 1;
}

def Graph_ScanOp : Op<Graph_Dialect, "scan", [RecursiveMemoryEffects]> {
  let summary = "ONNX Scan (opset 9+): a body run once per slice of its scan inputs.";
  let description = [{
    Operands: N initial states, then `num_scan_inputs` scan inputs. The body
    takes the N states and one slice of each scan input (the scan axis
    removed) and yields the N next states and K scan values. Results: the N
    final states, then the K scan outputs (the scan values stacked along
    their axis). Axes and directions default to 0 (forward).
  }];
  let arguments = (ins Variadic<Graph_Tensor>:$inputs,
                   I64Attr:$num_scan_inputs,
                   OptionalAttr<I64ArrayAttr>:$scan_input_axes,
                   OptionalAttr<I64ArrayAttr>:$scan_input_directions,
                   OptionalAttr<I64ArrayAttr>:$scan_output_axes,
                   OptionalAttr<I64ArrayAttr>:$scan_output_directions);
  let results = (outs Variadic<Graph_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` attr-dict `:` functional-type($inputs, results) $body
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Ops without a typed conversion
//===----------------------------------------------------------------------===//

def Graph_OnnxNodeOp : Op<Graph_Dialect, "onnx_node", []> {
  let summary = "An ONNX node that mnemo has no typed op for.";
  let description = [{
    Keeps the node importable and listable: `op_type`, `domain` and the
    model's `opset` for that domain, plus the node's attributes under
    `onnx_attributes`. Result types come from the model's value_info when it has
    them, else they are unranked. Lowering fails on it at the node's location.
  }];
  let arguments = (ins Variadic<Graph_TensorOrNone>:$inputs,
                   StrAttr:$op_type, StrAttr:$domain, I64Attr:$opset,
                   DictionaryAttr:$onnx_attributes);
  let results = (outs Variadic<AnyType>:$outputs);
  let assemblyFormat =
      "$op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs)";
}

#endif // MNEMO_DIALECT_GRAPH_IR_GRAPHOPS_TD

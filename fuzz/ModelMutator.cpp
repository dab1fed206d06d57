//===- ModelMutator.cpp - structure-aware mutations of ONNX models --------===//

#include "ModelMutator.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mnemo::fuzz;

static const char *const kOpTypes[] = {
    "Conv",      "MatMul",    "Gemm",          "Reshape",   "Gather",
    "Slice",     "Resize",    "Pad",           "Concat",    "Split",
    "Transpose", "Expand",    "Tile",          "ReduceSum", "Softmax",
    "Add",       "Cast",      "ConstantOfShape", "Range",   "TopK",
    "MaxPool",   "Unsqueeze", "Squeeze",       "Where",     "Einsum",
    "QLinearConv", "DequantizeLinear", "LayerNormalization", "NonZero",
    "Attention", "CastLike",  "OneHot",        "ScatterND", "GatherND",
    "CumSum",    "DepthToSpace", "Flatten",    "Shape",     "Size"};

int64_t ModelMutator::extremeInt() {
  static const int64_t values[] = {0,
                                   -1,
                                   1,
                                   -2,
                                   2,
                                   3,
                                   7,
                                   65536,
                                   int64_t(1) << 31,
                                   -(int64_t(1) << 31),
                                   int64_t(1) << 40,
                                   -(int64_t(1) << 40),
                                   std::numeric_limits<int64_t>::max(),
                                   std::numeric_limits<int64_t>::min(),
                                   std::numeric_limits<int64_t>::max() - 1};
  return values[pick(std::size(values))];
}

float ModelMutator::extremeFloat() {
  static const float values[] = {std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 0.0f,
                                 -0.0f,
                                 -1.0f,
                                 1e38f,
                                 -1e38f,
                                 1e-45f,
                                 4294967296.0f};
  return values[pick(std::size(values))];
}

/// A random element of a repeated field, or null when it is empty.
template <typename Repeated>
static auto *element(Repeated &r, size_t i) {
  return r.empty() ? nullptr : r.Mutable(int(i % r.size()));
}

void ModelMutator::tensor(onnx::TensorProto &t, std::string &what) {
  switch (pick(8)) {
  case 0: { // truncate or grow the payload
    std::string *raw = t.mutable_raw_data();
    size_t n = raw->size();
    size_t sizes[] = {0, n / 2, n ? n - 1 : 0, n + 3, n * 2 + 1};
    raw->resize(sizes[pick(std::size(sizes))], '\x7f');
    what += " raw_data=" + std::to_string(raw->size()) + "B";
    return;
  }
  case 1: { // dims that disagree with the data
    if (t.dims_size() && coin()) {
      int64_t d = extremeInt();
      t.set_dims(int(pick(t.dims_size())), d);
      what += " dim=" + std::to_string(d);
    } else {
      t.add_dims(coin() ? 0 : int64_t(1) << 40);
      what += " extra dim";
    }
    return;
  }
  case 2: { // wrong element type, including invalid enum values
    int32_t types[] = {0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 13, 16, 17, 21, 23, 99,
                       -5};
    int32_t ty = types[pick(std::size(types))];
    t.set_data_type(ty);
    what += " data_type=" + std::to_string(ty);
    return;
  }
  case 3: { // NaN / inf in float payloads
    float f = extremeFloat();
    if (t.float_data_size()) {
      t.set_float_data(int(pick(t.float_data_size())), f);
    } else if (t.data_type() == onnx::TensorProto::FLOAT &&
               t.raw_data().size() >= 4) {
      size_t at = pick(t.raw_data().size() / 4) * 4;
      std::memcpy(&(*t.mutable_raw_data())[at], &f, 4);
    } else {
      t.add_float_data(f);
    }
    what += " float=" + std::to_string(f);
    return;
  }
  case 4: { // extreme integers in the payload
    int64_t v = extremeInt();
    if (t.int64_data_size())
      t.set_int64_data(int(pick(t.int64_data_size())), v);
    else if (t.data_type() == onnx::TensorProto::INT64 &&
             t.raw_data().size() >= 8) {
      size_t at = pick(t.raw_data().size() / 8) * 8;
      std::memcpy(&(*t.mutable_raw_data())[at], &v, 8);
    } else
      t.add_int32_data(int32_t(v));
    what += " int=" + std::to_string(v);
    return;
  }
  case 5: // move the payload to the typed field of another type
    t.clear_raw_data();
    for (int i = 0; i < 3; ++i)
      t.add_int64_data(extremeInt());
    what += " typed payload";
    return;
  case 6: { // external data that cannot be read
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto *e = t.add_external_data();
    e->set_key("location");
    e->set_value(coin() ? "../../etc/passwd" : "missing.bin");
    if (coin()) {
      auto *o = t.add_external_data();
      o->set_key("offset");
      o->set_value(std::to_string(extremeInt()));
    }
    what += " external";
    return;
  }
  default: // no payload at all
    t.clear_raw_data();
    t.clear_float_data();
    t.clear_int64_data();
    t.clear_int32_data();
    what += " empty";
    return;
  }
}

bool ModelMutator::attribute(onnx::GraphProto &g, std::string &what) {
  onnx::NodeProto *node = element(*g.mutable_node(), pick(g.node_size() + 1));
  if (!node || node->attribute_size() == 0)
    return false;
  onnx::AttributeProto &a = *node->mutable_attribute(pick(node->attribute_size()));
  what += "attr " + node->op_type() + "." + a.name();
  if (pick(8) == 0) { // a type that disagrees with the payload
    int ty = 1 + int(pick(14));
    a.set_type(onnx::AttributeProto_AttributeType(ty));
    what += " type=" + std::to_string(ty);
    return true;
  }
  switch (a.type()) {
  case onnx::AttributeProto::INT:
    a.set_i(extremeInt());
    what += "=" + std::to_string(a.i());
    return true;
  case onnx::AttributeProto::FLOAT:
    a.set_f(extremeFloat());
    what += "=" + std::to_string(a.f());
    return true;
  case onnx::AttributeProto::INTS:
    switch (pick(4)) {
    case 0:
      a.clear_ints();
      what += "=[]";
      return true;
    case 1:
      for (int i = 0; i < 100000; ++i)
        a.add_ints(1);
      what += " +100000 entries";
      return true;
    case 2:
      a.add_ints(extremeInt());
      what += " +1 entry";
      return true;
    default:
      if (a.ints_size() == 0)
        a.add_ints(0);
      a.set_ints(int(pick(a.ints_size())), extremeInt());
      what += " entry extreme";
      return true;
    }
  case onnx::AttributeProto::FLOATS:
    if (a.floats_size() == 0 || coin())
      a.add_floats(extremeFloat());
    else
      a.set_floats(int(pick(a.floats_size())), extremeFloat());
    what += " float entry";
    return true;
  case onnx::AttributeProto::STRING: {
    const char *values[] = {"", "garbage", "NOTSET", "\xff\xfe", "SAME_UPPER",
                            "VALID", "cubic", "constant"};
    a.set_s(values[pick(std::size(values))]);
    what += "=\"" + a.s() + "\"";
    return true;
  }
  case onnx::AttributeProto::STRINGS:
    a.add_strings("bogus");
    what += " +string";
    return true;
  case onnx::AttributeProto::TENSOR:
    tensor(*a.mutable_t(), what);
    return true;
  case onnx::AttributeProto::GRAPH:
    a.mutable_g()->clear_output();
    what += " subgraph without outputs";
    return true;
  default:
    a.set_i(extremeInt());
    what += " set i";
    return true;
  }
}

bool ModelMutator::dropOrAddAttribute(onnx::GraphProto &g, std::string &what) {
  onnx::NodeProto *node = element(*g.mutable_node(), pick(g.node_size() + 1));
  if (!node)
    return false;
  if (node->attribute_size() && coin()) {
    int i = int(pick(node->attribute_size()));
    what += "drop attr " + node->op_type() + "." + node->attribute(i).name();
    node->mutable_attribute()->DeleteSubrange(i, 1);
    return true;
  }
  onnx::AttributeProto *a = node->add_attribute();
  const char *names[] = {"axis", "bogus", "pads", "perm", "keepdims", "to"};
  a->set_name(names[pick(std::size(names))]);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(extremeInt());
  what += "add attr " + node->op_type() + "." + a->name() + "=" +
          std::to_string(a->i());
  return true;
}

bool ModelMutator::rewire(onnx::GraphProto &g, std::string &what) {
  if (g.node_size() == 0)
    return false;
  size_t n = pick(g.node_size());
  onnx::NodeProto &node = *g.mutable_node(int(n));
  if (node.input_size() == 0)
    node.add_input("x");
  int i = int(pick(node.input_size()));
  switch (pick(3)) {
  case 0:
    node.set_input(i, "");
    what += "omit " + node.op_type() + " input " + std::to_string(i);
    return true;
  case 1:
    node.set_input(i, "dangling_value");
    what += "dangle " + node.op_type() + " input " + std::to_string(i);
    return true;
  default: { // its own output or a later node's: a cycle
    const onnx::NodeProto &later = g.node(int(n + pick(g.node_size() - n)));
    if (later.output_size() == 0)
      return false;
    node.set_input(i, later.output(0));
    what += "cycle " + node.op_type() + " input " + std::to_string(i);
    return true;
  }
  }
}

bool ModelMutator::arity(onnx::GraphProto &g, std::string &what) {
  onnx::NodeProto *node = element(*g.mutable_node(), pick(g.node_size() + 1));
  if (!node)
    return false;
  switch (pick(4)) {
  case 0:
    if (node->input_size() == 0)
      return false;
    node->mutable_input()->RemoveLast();
    what += "drop last input of " + node->op_type();
    return true;
  case 1:
    for (int k = 0; k < 1 + int(pick(4)); ++k)
      node->add_input(node->input_size() ? node->input(0) : "");
    what += "extra inputs of " + node->op_type();
    return true;
  case 2:
    node->add_output("extra_output_" + std::to_string(pick(1000)));
    what += "extra output of " + node->op_type();
    return true;
  default:
    if (node->output_size() == 0)
      return false;
    node->set_output(0, "");
    what += "unnamed output of " + node->op_type();
    return true;
  }
}

bool ModelMutator::valueType(onnx::GraphProto &g, std::string &what) {
  size_t total = g.input_size() + g.output_size() + g.value_info_size();
  if (total == 0)
    return false;
  size_t k = pick(total);
  onnx::ValueInfoProto *vi =
      k < size_t(g.input_size()) ? g.mutable_input(int(k))
      : k < size_t(g.input_size() + g.output_size())
          ? g.mutable_output(int(k - g.input_size()))
          : g.mutable_value_info(int(k - g.input_size() - g.output_size()));
  auto *t = vi->mutable_type()->mutable_tensor_type();
  what += "type of " + vi->name();
  switch (pick(5)) {
  case 0: {
    int32_t ty = int32_t(pick(26));
    t->set_elem_type(ty);
    what += " elem_type=" + std::to_string(ty);
    return true;
  }
  case 1:
    t->clear_shape();
    what += " unranked";
    return true;
  case 2:
    t->mutable_shape()->add_dim()->set_dim_value(coin() ? 0 : 3);
    what += " +dim";
    return true;
  case 3:
    if (t->shape().dim_size() == 0)
      return false;
    t->mutable_shape()->mutable_dim()->RemoveLast();
    what += " -dim";
    return true;
  default: {
    if (t->shape().dim_size() == 0)
      return false;
    auto *d = t->mutable_shape()->mutable_dim(int(pick(t->shape().dim_size())));
    int64_t values[] = {0, 1, int64_t(1) << 40, -1, int64_t(1) << 31, 7};
    if (pick(4) == 0) {
      d->set_dim_param("N");
      what += " dim=N";
    } else {
      d->set_dim_value(values[pick(std::size(values))]);
      what += " dim=" + std::to_string(d->dim_value());
    }
    return true;
  }
  }
}

bool ModelMutator::initializer(onnx::GraphProto &g, std::string &what) {
  // Initializers and Constant nodes' values alike.
  std::vector<onnx::TensorProto *> tensors;
  for (auto &t : *g.mutable_initializer())
    tensors.push_back(&t);
  for (auto &n : *g.mutable_node())
    for (auto &a : *n.mutable_attribute())
      if (a.type() == onnx::AttributeProto::TENSOR)
        tensors.push_back(a.mutable_t());
  if (tensors.empty())
    return false;
  onnx::TensorProto *t = tensors[pick(tensors.size())];
  what += "tensor '" + t->name() + "'";
  tensor(*t, what);
  return true;
}

bool ModelMutator::inputToConstant(onnx::GraphProto &g, std::string &what) {
  // Turns a small integer or float graph input into an initializer with
  // extreme values: shape operands (Reshape's shape, Slice's starts, Pad's
  // pads, TopK's k) then reach the shape functions and folds as constants.
  for (int tries = 0; tries < 4 && g.input_size(); ++tries) {
    int i = int(pick(g.input_size()));
    const onnx::ValueInfoProto &in = g.input(i);
    const auto &tt = in.type().tensor_type();
    if (!tt.has_shape())
      continue;
    int64_t n = 1;
    bool ok = true;
    for (const auto &d : tt.shape().dim())
      if (!d.has_dim_value() || d.dim_value() > 64 || (n *= d.dim_value()) > 64)
        ok = false;
    int32_t ty = tt.elem_type();
    if (!ok || (ty != onnx::TensorProto::INT64 &&
                ty != onnx::TensorProto::INT32 &&
                ty != onnx::TensorProto::FLOAT))
      continue;
    onnx::TensorProto *t = g.add_initializer();
    t->set_name(in.name());
    t->set_data_type(ty);
    for (const auto &d : tt.shape().dim())
      t->add_dims(d.dim_value());
    for (int64_t k = 0; k < n; ++k) {
      if (ty == onnx::TensorProto::FLOAT)
        t->add_float_data(coin() ? extremeFloat() : float(pick(5)));
      else if (ty == onnx::TensorProto::INT64)
        t->add_int64_data(coin() ? extremeInt() : int64_t(pick(5)) - 1);
      else
        t->add_int32_data(int32_t(coin() ? extremeInt() : int64_t(pick(5)) - 1));
    }
    what += "input '" + in.name() + "' as extreme constant";
    g.mutable_input()->DeleteSubrange(i, 1);
    return true;
  }
  return false;
}

bool ModelMutator::opset(onnx::ModelProto &m, std::string &what) {
  if (m.opset_import_size() == 0 || pick(5) == 0) {
    m.clear_opset_import();
    what += "no opset_import";
    return true;
  }
  int64_t versions[] = {1, 5, 6, 7, 9, 10, 11, 13, 17, 19, 21, 99, 0, -1};
  auto *o = m.mutable_opset_import(int(pick(m.opset_import_size())));
  o->set_version(versions[pick(std::size(versions))]);
  what += "opset " + o->domain() + "=" + std::to_string(o->version());
  return true;
}

bool ModelMutator::opType(onnx::GraphProto &g, std::string &what) {
  onnx::NodeProto *node = element(*g.mutable_node(), pick(g.node_size() + 1));
  if (!node)
    return false;
  if (pick(6) == 0) {
    node->set_domain(coin() ? "com.microsoft" : "bogus.domain");
    what += "domain of " + node->op_type() + "=" + node->domain();
    return true;
  }
  std::string from = node->op_type();
  node->set_op_type(kOpTypes[pick(std::size(kOpTypes))]);
  what += "op " + from + "->" + node->op_type();
  return true;
}

bool ModelMutator::nodes(onnx::GraphProto &g, std::string &what) {
  if (g.node_size() == 0)
    return false;
  int i = int(pick(g.node_size()));
  switch (pick(3)) {
  case 0:
    what += "remove node " + g.node(i).op_type();
    g.mutable_node()->DeleteSubrange(i, 1);
    return true;
  case 1: // a second definition of the same outputs
    *g.add_node() = g.node(i);
    what += "duplicate node " + g.node(i).op_type();
    return true;
  default: // consumers before producers
    if (g.node_size() < 2)
      return false;
    g.mutable_node()->SwapElements(i, g.node_size() - 1 - i);
    what += "swap nodes";
    return true;
  }
}

bool ModelMutator::outputs(onnx::GraphProto &g, std::string &what) {
  switch (pick(3)) {
  case 0:
    if (g.output_size() == 0)
      return false;
    g.mutable_output()->RemoveLast();
    what += "drop graph output";
    return true;
  case 1:
    g.add_output()->set_name(coin() ? "not_produced"
                                    : (g.input_size() ? g.input(0).name() : ""));
    what += "extra graph output";
    return true;
  default:
    if (g.output_size() == 0)
      return false;
    *g.add_output() = g.output(0);
    what += "repeated graph output";
    return true;
  }
}

std::string ModelMutator::mutate(onnx::ModelProto &model) {
  onnx::GraphProto &g = *model.mutable_graph();
  std::string all;
  size_t count = 1 + pick(3);
  for (size_t done = 0, tries = 0; done < count && tries < 50; ++tries) {
    std::string what;
    bool applied;
    // Weighted toward what reaches shape inference and lowering.
    switch (pick(14)) {
    case 0:
    case 1:
    case 2:
      applied = attribute(g, what);
      break;
    case 3:
      applied = dropOrAddAttribute(g, what);
      break;
    case 4:
      applied = rewire(g, what);
      break;
    case 5:
      applied = arity(g, what);
      break;
    case 6:
    case 7:
      applied = valueType(g, what);
      break;
    case 8:
      applied = initializer(g, what);
      break;
    case 9:
    case 10:
      applied = inputToConstant(g, what);
      break;
    case 11:
      applied = opset(model, what);
      break;
    case 12:
      applied = coin() ? opType(g, what) : nodes(g, what);
      break;
    default:
      applied = outputs(g, what);
      break;
    }
    if (!applied)
      continue;
    all += (done++ ? "; " : "") + what;
  }
  return all;
}

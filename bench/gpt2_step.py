"""A GPT-2 decode step of a real size with random weights, as an exported
past/present ONNX model (what mnemo-kv-cache rewrites), built with the onnx
helper: token and position embeddings (the position is the past's
length), per layer LayerNorm, the QKV Gemm, attention over Concat(past,
new) per head, the projection, LayerNorm, the MLP with tanh GELU, the
residuals; a final LayerNorm and an untied LM head (d x vocab).

build(dir, layers, d, past) writes dir/model.onnx and dir/data/ (the token
and the pasts, unit-normal keys and values of `past` tokens).
"""
import os

import numpy as np


def build(out_dir, layers, d, past, vocab=50257, n_pos=1024, seed=0):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    heads, hd = d // 64, 64
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(name, *shape, scale=0.02):
        return const(name, (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32))

    def node(op, ins, out, **attrs):
        nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    ones, zeros = const("ln_g", np.ones(d, np.float32)), const("ln_b", np.zeros(d, np.float32))
    const("shape_row", np.array([1, d], np.int64))
    const("shape_heads", np.array([1, heads, 1, hd], np.int64))
    const("shape_logits", np.array([1, 1, vocab], np.int64))
    const("two", np.array(2, np.int64))
    const("shape_one", np.array([1], np.int64))
    const("scale", np.array(1 / np.sqrt(hd), np.float32))
    for n, v in [("half", 0.5), ("one_f", 1.0), ("gelu_a", 0.044715),
                 ("gelu_c", np.sqrt(2 / np.pi)), ("three", 3.0)]:
        const(n, np.array(v, np.float32))

    wte = weight("wte", vocab, d)
    wpe = weight("wpe", n_pos, d, scale=0.01)
    emb = node("Gather", [wte, "input_ids"], "tok_emb")  # [1, 1, d]
    tok = node("Reshape", [emb, "shape_row"], "tok")
    plen = node("Gather", [node("Shape", ["past_key_values.0.key"], "past_shape"), "two"], "past_len")
    pos = node("Reshape", [plen, "shape_one"], "pos")
    x = node("Add", [tok, node("Gather", [wpe, pos], "pos_emb")], "x0")
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 1])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, vocab])]

    def ln(v, tag):
        return node("LayerNormalization", [v, ones, zeros], tag, axis=-1, epsilon=1e-5)

    def gemm(v, k, n, tag):
        return node("Gemm", [v, weight(tag + ".w", k, n), const(tag + ".b", np.zeros(n, np.float32))], tag)

    for l in range(layers):
        p = "h.%d." % l
        qkv = gemm(ln(x, p + "ln_1"), d, 3 * d, p + "c_attn")
        nodes.append(helper.make_node("Split", [qkv], [p + "q", p + "k", p + "v"], axis=1,
                                      num_outputs=3, name=p + "split"))
        q, k, v = (node("Reshape", [p + t, "shape_heads"], p + t + "4") for t in "qkv")
        cat = {}
        for t, new in (("key", k), ("value", v)):
            past_name = "past_key_values.%d.%s" % (l, t)
            inputs.append(helper.make_tensor_value_info(past_name, TensorProto.FLOAT,
                                                        [1, heads, "past_len", hd]))
            cat[t] = node("Concat", [past_name, new], "present.%d.%s" % (l, t), axis=2)
            outputs.append(helper.make_tensor_value_info(cat[t], TensorProto.FLOAT,
                                                         [1, heads, "total_len", hd]))
        kt = node("Transpose", [cat["key"]], p + "kt", perm=[0, 1, 3, 2])
        s = node("Mul", [node("MatMul", [q, kt], p + "attn/MatMul"), "scale"], p + "scores")
        o = node("MatMul", [node("Softmax", [s], p + "probs", axis=-1), cat["value"]], p + "attn/MatMul_1")
        a = gemm(node("Reshape", [o, "shape_row"], p + "o"), d, d, p + "c_proj")
        x = node("Add", [x, a], p + "res1")
        h = gemm(ln(x, p + "ln_2"), d, 4 * d, p + "c_fc")
        inner = node("Mul", [node("Add", [h, node("Mul", [node("Pow", [h, "three"], p + "cube"), "gelu_a"],
                                                      p + "cube_a")], p + "gin"), "gelu_c"], p + "gin_c")
        g = node("Mul", [node("Mul", [h, "half"], p + "half_h"),
                         node("Add", [node("Tanh", [inner], p + "tanh"), "one_f"], p + "tanh1")], p + "gelu")
        x = node("Add", [x, gemm(g, 4 * d, d, p + "mlp_proj")], p + "res2")
    head = node("MatMul", [ln(x, "ln_f"), weight("lm_head", d, vocab)], "lm_head/MatMul")
    node("Reshape", [head, "shape_logits"], "logits")
    graph = helper.make_graph(nodes, "gpt2_step", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, "model.onnx"), save_as_external_data=False)
    data = os.path.join(out_dir, "data")
    os.makedirs(data, exist_ok=True)

    def save(i, name, arr):
        with open(os.path.join(data, "input_%d.pb" % i), "wb") as f:
            f.write(numpy_helper.from_array(arr, name).SerializeToString())

    save(0, "input_ids", np.array([[int(rng.integers(vocab))]], np.int64))
    i = 1
    for l in range(layers):
        for t in ("key", "value"):
            save(i, "past_key_values.%d.%s" % (l, t),
                 rng.standard_normal((1, heads, past, hd), dtype=np.float32))
            i += 1
    return os.path.join(out_dir, "model.onnx"), data

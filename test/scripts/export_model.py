#!/usr/bin/env python3
"""Exports a test model with torch and writes its reference outputs:

  /usr/bin/python3 test/scripts/export_model.py NAME OUTDIR

NAME is a torchvision classifier (mobilenet_v2, mnasnet1_0, resnet18, ...;
random weights with BatchNorm statistics from random images, so
activations and logits are near unit scale; 1x3x224x224 input), or
`mobilenet_v2_035_144` (MobileNetV2 at width 0.35 on 144x144 images, the
microcontroller model of MCUNetV2's and TinyEngine's tables), `tiny_gpt_small` (the bundled
examples/tiny_gpt.onnx: one layer, 32 tokens, d 32) or `tiny_gpt`: a two-layer GPT-style
decoder run on a 128-token prompt (prefill) with the attention PyTorch
exports for GPT-2 (MatMul, scale, causal mask, Softmax, MatMul over 4
heads) and a 4x MLP with tanh GELU. OUTDIR gets model.onnx and
test_data_set_0/{input_0,output_0}.pb (torch's outputs).

`tiny_llama_decode` is one decode step of a Llama-style decoder (2 layers,
d 64, 4 query heads sharing 2 KV heads (grouped-query attention), rotary
embeddings computed from position_ids, RMSNorm, SwiGLU MLP, vocabulary
32000) exported the way Hugging Face's decoders are: inputs input_ids,
position_ids, attention_mask and past_key_values.{0,1}.{key,value} [1, 2,
past, 16]; outputs logits and present.{0,1}.{key,value}. Its test data is a
step at past length 8 (random past). Seeded: the same
files every run. Benchmarks and tests share this script so every model is
exported one way."""
import math
import os
import sys

import torch
from onnx import numpy_helper


class Block(torch.nn.Module):
    def __init__(self, d, heads, tokens):
        super().__init__()
        self.heads = heads
        self.ln_1 = torch.nn.LayerNorm(d)
        self.c_attn = torch.nn.Linear(d, 3 * d)
        self.c_proj = torch.nn.Linear(d, d)
        self.ln_2 = torch.nn.LayerNorm(d)
        self.c_fc = torch.nn.Linear(d, 4 * d)
        self.mlp_proj = torch.nn.Linear(4 * d, d)
        mask = torch.tril(torch.ones(tokens, tokens, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, tokens, tokens))

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q = q.view(b, t, h, d // h).transpose(1, 2)
        k = k.view(b, t, h, d // h).transpose(1, 2)
        v = v.view(b, t, h, d // h).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // h)
        s = torch.where(self.mask[:, :, :t, :t], s,
                        torch.tensor(torch.finfo(s.dtype).min))
        a = torch.matmul(torch.softmax(s, dim=-1), v)
        x = x + self.c_proj(a.transpose(1, 2).reshape(b, t, d))
        m = torch.nn.functional.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
        return x + self.mlp_proj(m)


class TinyGPT(torch.nn.Module):
    def __init__(self, vocab=512, d=64, heads=4, layers=2, tokens=128):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, d)
        self.wpe = torch.nn.Embedding(tokens, d)
        self.blocks = torch.nn.ModuleList(
            Block(d, heads, tokens) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(d)
        self.lm_head = torch.nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.wte(ids) + self.wpe(pos)
        for blk in self.blocks:
            x = blk(x)
        return self.lm_head(self.ln_f(x))


class LlamaDecode(torch.nn.Module):
    """One decode step with an explicit past (see the module docstring)."""

    def __init__(self, vocab=32000, d=64, heads=4, kv_heads=2, layers=2, ffn=128):
        super().__init__()
        self.heads, self.kv_heads, self.hd = heads, kv_heads, d // heads
        self.embed = torch.nn.Embedding(vocab, d)
        lin = lambda i, o: torch.nn.Linear(i, o, bias=False)
        self.layers = torch.nn.ModuleList()
        for _ in range(layers):
            m = torch.nn.Module()
            m.wq, m.wk, m.wv = lin(d, d), lin(d, kv_heads * self.hd), lin(d, kv_heads * self.hd)
            m.wo, m.w1, m.w2, m.w3 = lin(d, d), lin(d, ffn), lin(ffn, d), lin(d, ffn)
            m.n1, m.n2 = torch.nn.Parameter(torch.ones(d)), torch.nn.Parameter(torch.ones(d))
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.lm_head = lin(d, vocab)
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd)))

    @staticmethod
    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w

    @staticmethod
    def rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def forward(self, input_ids, position_ids, attention_mask, *past):
        s = input_ids.shape[1]
        x = self.embed(input_ids)
        freqs = position_ids[..., None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[:, None], emb.sin()[:, None]
        presents = []
        for i, m in enumerate(self.layers):
            h = self.rms(x, m.n1)
            q = m.wq(h).view(1, s, self.heads, self.hd).transpose(1, 2)
            k = m.wk(h).view(1, s, self.kv_heads, self.hd).transpose(1, 2)
            v = m.wv(h).view(1, s, self.kv_heads, self.hd).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            t = k.shape[2]
            rep = self.heads // self.kv_heads
            kr = k[:, :, None].expand(1, self.kv_heads, rep, t, self.hd).reshape(1, self.heads, t, self.hd)
            vr = v[:, :, None].expand(1, self.kv_heads, rep, t, self.hd).reshape(1, self.heads, t, self.hd)
            scores = q @ kr.transpose(-1, -2) / math.sqrt(self.hd)
            causal = torch.arange(t)[None, :] <= position_ids[0][:, None]
            keep = causal[None, None] & (attention_mask[:, None, None, :] > 0)
            scores = scores.masked_fill(~keep, torch.finfo(torch.float32).min)
            o = (scores.softmax(-1) @ vr).transpose(1, 2).reshape(1, s, -1)
            x = x + m.wo(o)
            h = self.rms(x, m.n2)
            x = x + m.w2(torch.nn.functional.silu(m.w1(h)) * m.w3(h))
        return (self.lm_head(self.rms(x, self.norm)), *presents)


def export_llama_decode(out):
    model = LlamaDecode().eval()
    past_len = 8
    ids = torch.tensor([[17]])
    pos = torch.tensor([[past_len]])
    mask = torch.ones(1, past_len + 1, dtype=torch.int64)
    past = [torch.randn(1, 2, past_len, 16) for _ in range(4)]
    past_names = ["past_key_values.%d.%s" % (i, k) for i in range(2) for k in ("key", "value")]
    present_names = ["present.%d.%s" % (i, k) for i in range(2) for k in ("key", "value")]
    inputs = ["input_ids", "position_ids", "attention_mask"] + past_names
    outputs = ["logits"] + present_names
    axes = {"input_ids": {1: "seq"}, "position_ids": {1: "seq"},
            "attention_mask": {1: "total_len"}, "logits": {1: "seq"}}
    axes.update({n: {2: "past_len"} for n in past_names})
    axes.update({n: {2: "total_len"} for n in present_names})
    args = (ids, pos, mask, *past)
    torch.onnx.export(model, args, os.path.join(out, "model.onnx"), opset_version=17,
                      input_names=inputs, output_names=outputs, dynamic_axes=axes)
    with torch.no_grad():
        ys = model(*args)
    d = os.path.join(out, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    for i, (n, x) in enumerate(zip(inputs, args)):
        open(os.path.join(d, "input_%d.pb" % i), "wb").write(
            numpy_helper.from_array(x.numpy(), n).SerializeToString())
    for i, (n, y) in enumerate(zip(outputs, ys)):
        open(os.path.join(d, "output_%d.pb" % i), "wb").write(
            numpy_helper.from_array(y.numpy(), n).SerializeToString())


def calibrate_batchnorm(model, size=224):
    """Sets the BatchNorm statistics from 32 random images, then eval mode.
    With torchvision's initial statistics (mean 0, variance 1) the
    activations of a randomly initialized network shrink layer by layer
    to logits near 1e-9, which no tolerance can check and no quantizer can
    calibrate; normalized by real statistics they stay near unit scale,
    as in a trained network."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, size, size))
    model.eval()


def main():
    name, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    if name == "tiny_llama_decode":
        return export_llama_decode(out)
    if name == "tiny_gpt":
        model = TinyGPT().eval()
        x = torch.randint(0, 512, (1, 128))
        names = (["input_ids"], ["logits"])
    elif name == "tiny_gpt_small":
        # The bundled example (examples/tiny_gpt.onnx): one layer, 32
        # tokens, d 32, 2 heads, vocabulary 64; small enough for lit tests.
        model = TinyGPT(vocab=64, d=32, heads=2, layers=1, tokens=32).eval()
        x = torch.randint(0, 64, (1, 32))
        names = (["input_ids"], ["logits"])
    elif name == "mobilenet_v2_035_144":
        # The MCU-class model of MCUNetV2 / TinyEngine's tables: width 0.35,
        # 144x144 input (timm's mobilenetv2_035 at that resolution).
        import torchvision
        model = torchvision.models.mobilenet_v2(weights=None, width_mult=0.35)
        calibrate_batchnorm(model, 144)
        x = torch.randn(1, 3, 144, 144)
        names = (["input"], ["logits"])
    else:
        import torchvision
        model = getattr(torchvision.models, name)(weights=None)
        calibrate_batchnorm(model)
        x = torch.randn(1, 3, 224, 224)
        names = (["input"], ["logits"])
    torch.onnx.export(model, x, os.path.join(out, "model.onnx"), opset_version=17,
                      input_names=names[0], output_names=names[1])
    with torch.no_grad():
        y = model(x)
    d = os.path.join(out, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "input_0.pb"), "wb").write(
        numpy_helper.from_array(x.numpy(), names[0][0]).SerializeToString())
    open(os.path.join(d, "output_0.pb"), "wb").write(
        numpy_helper.from_array(y.numpy(), names[1][0]).SerializeToString())


if __name__ == "__main__":
    main()

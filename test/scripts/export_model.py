#!/usr/bin/env python3
"""Exports a test model with torch and writes its reference outputs:

  /usr/bin/python3 test/scripts/export_model.py NAME OUTDIR

NAME is a torchvision classifier (mobilenet_v2, mnasnet1_0, resnet18, ...;
random weights, 1x3x224x224 input), `tiny_gpt_small` (the bundled
examples/tiny_gpt.onnx: one layer, 32 tokens, d 32) or `tiny_gpt`: a two-layer GPT-style
decoder run on a 128-token prompt (prefill) with the attention PyTorch
exports for GPT-2 (MatMul, scale, causal mask, Softmax, MatMul over 4
heads) and a 4x MLP with tanh GELU. OUTDIR gets model.onnx and
test_data_set_0/{input_0,output_0}.pb (torch's outputs). Seeded: the same
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


def main():
    name, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
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
    else:
        import torchvision
        model = getattr(torchvision.models, name)(weights=None).eval()
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

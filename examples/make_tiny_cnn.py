"""Regenerates examples/tiny_cnn.onnx: a small MobileNet-style CNN
(conv-bn-relu6, depthwise separable blocks with a residual, global pool,
linear head) exported by PyTorch at opset 17 with a symbolic batch dim.
Run with Debian's /usr/bin/python3 (python3-torchvision)."""
import os
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dw = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False),
                                nn.BatchNorm2d(c), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.pw(self.dw(x))


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU6())
        self.blocks = nn.Sequential(Block(16), nn.MaxPool2d(2), Block(16))
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return torch.softmax(self.head(x), dim=-1)


torch.manual_seed(0)
m = TinyCNN().eval()
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny_cnn.onnx")
torch.onnx.export(m, torch.randn(1, 3, 64, 64), out, opset_version=17,
                  input_names=["image"], output_names=["probs"],
                  dynamic_axes={"image": {0: "batch"}, "probs": {0: "batch"}})
print("wrote", out, os.path.getsize(out), "bytes")

#!/usr/bin/python3
"""Makes the PyTorch-exported instance-normalisation models and golden outputs that NormOnnxTests import.

Run from this folder with Debian's python3-torch (1.13):  /usr/bin/python3 make_norm_models.py
Writes NAME.onnx, NAME.input.pb and NAME.output.pb as make_models.py does. PyTorch writes
nn.InstanceNorm2d(affine=False) as InstanceNormalization with Constant nodes of ones and zeros for
scale and B, and affine=True with the weight and bias as initializers; both must import.
(nn.LocalResponseNorm exports as a Pad/AveragePool/Pow decomposition with an If node, not as LRN.)
"""
import torch
from torch import nn

from make_models import tensor_proto


class InstanceNorms(nn.Module):
    """Conv, InstanceNorm2d without parameters, ReLU, a 1x1 conv, InstanceNorm2d with drawn parameters."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 4, 3, padding=1), nn.InstanceNorm2d(4), nn.ReLU(),
            nn.Conv2d(4, 5, 1), nn.InstanceNorm2d(5, affine=True, eps=1e-3))

    def forward(self, x):
        return self.features(x)


class InstanceNorm1d(nn.Module):
    """InstanceNorm1d with drawn parameters on [N, C, L]."""

    def __init__(self):
        super().__init__()
        self.norm = nn.InstanceNorm1d(4, affine=True)

    def forward(self, x):
        return self.norm(x)


def export(name, make_model, input_shape):
    torch.manual_seed(7)
    model = make_model().eval()
    generator = torch.Generator().manual_seed(2024)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.InstanceNorm1d, nn.InstanceNorm2d)) and m.affine:
                m.weight.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
                m.bias.copy_(torch.rand(m.num_features, generator=generator) - 0.5)
        x = torch.rand(input_shape, generator=generator) * 2 - 1
        y = model(x)
    torch.onnx.export(model, x, f"{name}.onnx", input_names=["input"], output_names=["output"], opset_version=13,
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
    with open(f"{name}.input.pb", "wb") as f:
        f.write(tensor_proto(x, "input"))
    with open(f"{name}.output.pb", "wb") as f:
        f.write(tensor_proto(y, "output"))
    print(f"{name}: input {list(x.shape)}, output {list(y.shape)}")


if __name__ == "__main__":
    export("torch_instancenorm", InstanceNorms, (2, 3, 7, 6))
    export("torch_instancenorm1d", InstanceNorm1d, (3, 4, 10))

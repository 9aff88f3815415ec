#!/usr/bin/python3
"""Makes the small PyTorch-exported ONNX models and golden outputs that PyTorchModelTests import.

Run from this folder with Debian's python3-torch (1.13):  /usr/bin/python3 make_models.py
Writes NAME.onnx, NAME.input.pb and NAME.output.pb (ONNX TensorProto files) for each model:
the input is drawn from a seeded generator, the output is PyTorch's own forward pass in eval mode.
"""
import struct

import torch
from torch import nn


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tensor_proto(tensor, name):
    """A serialized onnx.TensorProto (FLOAT, raw_data), written by hand: the onnx package is not installed."""
    values = tensor.detach().contiguous().view(-1).tolist()
    raw = struct.pack(f"<{len(values)}f", *values)
    out = bytearray()
    for d in tensor.shape:  # field 1: dims (int64, one varint each)
        out += b"\x08" + varint(d)
    out += b"\x10" + varint(1)  # field 2: data_type FLOAT
    encoded = name.encode()
    out += b"\x42" + varint(len(encoded)) + encoded  # field 8: name
    out += b"\x4a" + varint(len(raw)) + raw  # field 9: raw_data
    return bytes(out)


class Cnn(nn.Module):
    """Conv/BN/ReLU blocks with asymmetric stride, groups, dilation, both pools, dropout, global pooling, a linear head."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=4, bias=False), nn.BatchNorm2d(8),
            nn.LeakyReLU(0.1), nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), nn.Tanh(), nn.Dropout(0.2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10), nn.Sigmoid(), nn.Linear(10, 4), nn.Softmax(dim=1))

    def forward(self, x):
        return self.features(x)


class CnnFeatures(nn.Module):
    """The convolutional part of Cnn, flattened: no squashing layer between its values and the test."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*list(Cnn().features)[:8], nn.Flatten())

    def forward(self, x):
        return self.features(x)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(36, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.layers(x)


def randomize_batch_norm(model, generator):
    # Fresh BatchNorm2d layers have mean 0 and variance 1: draw statistics so the test sees them.
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=generator) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=generator) - 0.5)


def export(name, make_model, input_shape, opset, dynamic_batch, keep_batch_norm=False):
    torch.manual_seed(7)  # before the model is made: its initial weights come from this generator
    model = make_model()
    generator = torch.Generator().manual_seed(2024)
    model.eval()
    with torch.no_grad():
        randomize_batch_norm(model, generator)
        x = torch.rand(input_shape, generator=generator) * 2 - 1
        y = model(x)
    torch.onnx.export(model, x, f"{name}.onnx", input_names=["input"], output_names=["output"], opset_version=opset,
                      dynamic_axes={"input": {0: "N"}, "output": {0: "N"}} if dynamic_batch else None,
                      do_constant_folding=not keep_batch_norm,
                      # PRESERVE writes the eval-mode model as it is, BatchNormalization and Dropout
                      # nodes included, instead of folding batch norm into the convolution.
                      training=torch.onnx.TrainingMode.PRESERVE if keep_batch_norm else torch.onnx.TrainingMode.EVAL)
    with open(f"{name}.input.pb", "wb") as f:
        f.write(tensor_proto(x, "input"))
    with open(f"{name}.output.pb", "wb") as f:
        f.write(tensor_proto(y, "output"))
    print(f"{name}: input {list(x.shape)}, output {list(y.shape)}, opset {opset}")


if __name__ == "__main__":
    export("torch_cnn", Cnn, (2, 3, 12, 12), opset=13, dynamic_batch=True)
    export("torch_cnn_features", CnnFeatures, (2, 3, 12, 12), opset=13, dynamic_batch=True)
    export("torch_cnn_batchnorm", CnnFeatures, (2, 3, 12, 12), opset=13, dynamic_batch=True, keep_batch_norm=True)
    export("torch_mlp_opset9", Mlp, (3, 1, 6, 6), opset=9, dynamic_batch=False)

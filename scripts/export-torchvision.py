#!/usr/bin/python3
"""Exports torchvision's classification models to ONNX for Convolve's import acceptance tests.

Usage: /usr/bin/python3 scripts/export-torchvision.py OUT_DIR

Needs Debian's python3-torch and python3-torchvision. Weights are random (weights=None, seeded),
so nothing is downloaded; the comparison with ONNX Runtime needs no trained weights. Each model is
written at operator sets 11 and 13 with a dynamic batch ("N"), input "input" [N, 3, 224, 224],
output "output" [N, 1000], as torch.onnx.export writes it by default (constant folding on, the
model in eval mode). A file is written to a temporary name and renamed, and manifest.txt is
written last, so a stopped run never leaves a file that looks complete.
"""
import os
import sys

import torch
import torchvision

MODELS = [
    "alexnet", "vgg11_bn", "googlenet", "inception_v3", "resnet18", "resnet50", "densenet121",
    "squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v2", "mobilenet_v3_small", "mnasnet0_5",
    "efficientnet_b0", "regnet_y_400mf",
]
OPSETS = [11, 13]


def build(name):
    options = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        # Without the auxiliary classifiers, which only training uses; init_weights avoids
        # scipy's truncated normal, which the Debian package may lack.
        options.update(aux_logits=False, init_weights=False)
    torch.manual_seed(0)
    return getattr(torchvision.models, name)(**options).eval()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    example = torch.rand(1, 3, 224, 224)
    for name in MODELS:
        model = build(name)
        for opset in OPSETS:
            path = os.path.join(out, f"{name}_opset{opset}.onnx")
            temporary = f"{path}.{os.getpid()}.tmp"
            torch.onnx.export(model, example, temporary, opset_version=opset, input_names=["input"],
                              output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
            os.replace(temporary, path)
            print(f"{path}: {os.path.getsize(path) / 2**20:.1f} MiB", flush=True)
    manifest = os.path.join(out, "manifest.txt")
    with open(f"{manifest}.tmp", "w") as f:
        f.write(f"torch {torch.__version__}\ntorchvision {torchvision.__version__}\n")
        for name in MODELS:
            for opset in OPSETS:
                f.write(f"{name}_opset{opset}.onnx\n")
    os.replace(f"{manifest}.tmp", manifest)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Makes the PyTorch-exported resizing models that ResizeImportTests import.

Run from this folder with Debian's python3-torch (1.13):  /usr/bin/python3 make_resize_models.py
Writes NAME.onnx, NAME.input.pb and NAME.output.pb as make_models.py does (dynamic batch): a small
convolution, then nn.Upsample or F.interpolate, at opsets 11 and 13.
"""
import torch
import torch.nn.functional as F
from torch import nn

from make_models import export


class Upsampled(nn.Module):
    """Conv -> resize by 2 (nearest, or bilinear with align_corners False or True) -> Conv."""

    def __init__(self, mode, align_corners=None):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 2, 3)
        self.up = nn.Upsample(scale_factor=2, mode="nearest") if mode == "nearest" else None
        self.mode, self.align_corners = mode, align_corners

    def forward(self, x):
        x = self.conv1(x)
        x = self.up(x) if self.up is not None else F.interpolate(x, scale_factor=2, mode=self.mode, align_corners=self.align_corners)
        return self.conv2(x)


class Sized(nn.Module):
    """F.interpolate to a size computed from the input's shape: a Shape -> ... -> Concat chain into Resize's sizes."""

    def forward(self, x):
        return F.interpolate(x, size=(x.shape[2] * 2, x.shape[3] * 3), mode="nearest")


class Recomputed(nn.Module):
    """F.interpolate by 1.5 with recompute_scale_factor: sizes computed through Cast, Mul and Floor."""

    def forward(self, x):
        return F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=False, recompute_scale_factor=True)


if __name__ == "__main__":
    for opset in (11, 13):
        export(f"resize_nearest_opset{opset}", lambda: Upsampled("nearest"), (2, 3, 5, 6), opset=opset, dynamic_batch=True)
        export(f"resize_bilinear_opset{opset}", lambda: Upsampled("bilinear", False), (2, 3, 5, 6), opset=opset, dynamic_batch=True)
        export(f"resize_bilinear_corners_opset{opset}", lambda: Upsampled("bilinear", True), (2, 3, 5, 6), opset=opset, dynamic_batch=True)
    export("resize_sized_opset13", Sized, (2, 3, 4, 5), opset=13, dynamic_batch=True)
    export("resize_recomputed_opset13", Recomputed, (2, 3, 4, 6), opset=13, dynamic_batch=True)

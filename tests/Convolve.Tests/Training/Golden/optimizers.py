#!/usr/bin/env python3
"""Golden values for Convolve's optimizers, computed by PyTorch (Debian's python3-torch).

Each case starts from p = [0.5, -1.0, 2.0, -0.25] and takes 5 steps; at step t (1-based) the
gradient is g = 0.3 * p + t * c with c = [0.1, -0.2, 0.3, 0.05]. The file optimizers.json
records the parameters after each step. Regenerate: /usr/bin/python3 optimizers.py > optimizers.json
"""
import json
import torch

CASES = {
    "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
    "sgd_momentum_decay": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.8, nesterov=True),
    "adam": lambda p: torch.optim.Adam([p], lr=0.05),
    "adam_l2": lambda p: torch.optim.Adam([p], lr=0.05, betas=(0.8, 0.99), weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW([p], lr=0.05, weight_decay=0.1),
}

c = torch.tensor([0.1, -0.2, 0.3, 0.05], dtype=torch.float32)
out = {"torch_version": torch.__version__, "start": [0.5, -1.0, 2.0, -0.25], "c": c.tolist(), "cases": {}}
for name, make in CASES.items():
    p = torch.tensor(out["start"], dtype=torch.float32, requires_grad=True)
    opt = make(p)
    steps = []
    for t in range(1, 6):
        opt.zero_grad()
        p.grad = (0.3 * p.detach() + t * c).clone()
        opt.step()
        steps.append([float(v) for v in p.detach()])
    out["cases"][name] = steps
print(json.dumps(out, indent=1))

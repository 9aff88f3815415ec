#!/usr/bin/env python3
"""Golden values for one training step of a network that uses every Convolve layer kind,
computed by PyTorch (Debian's python3-torch), in float64 so that the reference itself adds no
float32 rounding. Regenerate: /usr/bin/python3 network.py > network.json

The network (PyTorch names; Convolve's test builds the same one):
  Conv2d(2, 4, 3, padding=1) -> BatchNorm2d(4) [training] -> LeakyReLU(0.1)
  -> MaxPool2d(2, ceil_mode=True) -> Conv2d(4, 4, 3, padding=2, dilation=2, groups=2, bias=False)
  -> Tanh -> AvgPool2d(2, padding=1, count_include_pad=False) -> Flatten -> Linear(36, 5)
  -> Sigmoid -> Linear(5, 3), then cross-entropy (mean) against fixed labels.
The file holds the input, labels, parameters in Convolve's order, logits, loss, the batch-norm
running statistics after the step, and the gradients of the loss for every parameter and the input.
"""
import json
import torch

torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(2, 4, 3, padding=1),
    torch.nn.BatchNorm2d(4),
    torch.nn.LeakyReLU(0.1),
    torch.nn.MaxPool2d(2, ceil_mode=True),
    torch.nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=2, bias=False),
    torch.nn.Tanh(),
    torch.nn.AvgPool2d(2, padding=1, count_include_pad=False),
    torch.nn.Flatten(),
    torch.nn.Linear(36, 5),
    torch.nn.Sigmoid(),
    torch.nn.Linear(5, 3),
).double()
with torch.no_grad():  # non-trivial batch-norm affine parameters
    net[1].weight.uniform_(0.5, 1.5)
    net[1].bias.uniform_(-0.5, 0.5)
net.train()

x = torch.randn(3, 2, 7, 7, dtype=torch.float64)
# Round inputs and parameters to float32 first, so both sides start from identical values.
x = x.float().double().requires_grad_(True)
with torch.no_grad():
    for p in net.parameters():
        p.copy_(p.float().double())
labels = torch.tensor([0, 2, 1])

params = [
    net[0].weight, net[0].bias, net[1].weight, net[1].bias,
    net[4].weight, net[8].weight, net[8].bias, net[10].weight, net[10].bias,
]
start = [p.detach().flatten().tolist() for p in params]
logits = net(x)
loss = torch.nn.functional.cross_entropy(logits, labels)
loss.backward()

flat = lambda t: t.detach().flatten().tolist()
print(json.dumps({
    "torch_version": torch.__version__,
    "input_shape": list(x.shape),
    "input": flat(x),
    "labels": labels.tolist(),
    "parameters": start,
    "logits": flat(logits),
    "loss": loss.item(),
    "running_mean": flat(net[1].running_mean),
    "running_var": flat(net[1].running_var),
    "gradients": [flat(p.grad) for p in params],
    "input_gradient": flat(x.grad),
}))

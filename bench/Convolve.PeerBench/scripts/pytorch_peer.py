#!/usr/bin/python3
"""PyTorch side of the peer benchmark (bench/Convolve.PeerBench), for Debian's python3-torch.

Two jobs, both on the three models of issue 5, defined here exactly as in
src/Convolve/Models/Architectures.cs (without the trailing softmax: losses and ONNX outputs are
logits):

  pytorch_peer.py export DIR
      Writes DIR/seed.onnx, DIR/lenet5.onnx, DIR/mnist-cnn.onnx for ONNX Runtime (input "input"
      [N, 1, 28, 28], output "logits" [N, 10], batch dimension dynamic). The weights are PyTorch's
      random initialisation: they do not change the amount of work. The harness uses these files
      only with --onnx-from pytorch; by default ONNX Runtime runs Convolve's own export.

  pytorch_peer.py worker MODEL MODE THREADS SECONDS BATCH_FILE
      Times PyTorch like the C# workers do (MODE train or infer) and prints one line
      "PEERBENCH-RESULT {json}". BATCH_FILE holds the harness's batch: 64x784 float32 then 64 int32.
"""
import json
import statistics
import sys
import time

import torch
from torch import nn

BATCH, CLASSES = 64, 10
WINDOWS = 5


def build(name):
    if name == "seed":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 13 * 13, 10))
    if name == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if name == "mnist-cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 12 * 12, 128), nn.ReLU(), nn.Linear(128, 10))
    raise SystemExit(f"pytorch_peer.py: no model '{name}'; known: seed, lenet5, mnist-cnn")


def export(directory):
    torch.manual_seed(1)
    for name in ("seed", "lenet5", "mnist-cnn"):
        model = build(name).eval()
        torch.onnx.export(model, torch.zeros(1, 1, 28, 28), f"{directory}/{name}.onnx",
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}}, opset_version=13)


WARMUP_SECONDS = 3.0  # Stopwatches.WarmupSeconds


def images_per_second(step, images, seconds):
    """Same rule as Stopwatches.ImagesPerSecond in the C# harness: warm-up, then the median of 5 windows."""
    start, steps = time.perf_counter(), 0
    while steps < 3 or time.perf_counter() - start < max(WARMUP_SECONDS, seconds / 2):
        step()
        steps += 1
    rates = []
    for _ in range(WINDOWS):
        steps, start = 0, time.perf_counter()
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / WINDOWS:
                break
        rates.append(steps * images / elapsed)
    return statistics.median(rates)


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def worker(name, mode, threads, seconds, batch_file):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    with open(batch_file, "rb") as f:
        raw = f.read()
    images = torch.frombuffer(bytearray(raw[:BATCH * 784 * 4]), dtype=torch.float32).reshape(BATCH, 1, 28, 28)
    labels = torch.frombuffer(bytearray(raw[BATCH * 784 * 4:]), dtype=torch.int32).to(torch.int64)
    start = status_kib("VmRSS:")
    model = build(name)
    result = {"engine": "pytorch", "model": name, "mode": mode, "threads": threads,
              "note": f"torch {torch.__version__}, get_num_threads={torch.get_num_threads()}"}
    if mode == "train":
        model.train()
        loss = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def step():
            optimizer.zero_grad()
            value = loss(model(images), labels)
            value.backward()
            optimizer.step()
            value.item()
        result["train"] = images_per_second(step, BATCH, seconds)
    else:
        model.eval()
        one = images[:1].clone()
        with torch.no_grad():
            result["infer64"] = images_per_second(lambda: model(images), BATCH, seconds)
            result["infer1"] = images_per_second(lambda: model(one), 1, seconds)
    result["peakKiB"] = status_kib("VmHWM:")
    result["startKiB"] = start
    print("PEERBENCH-RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "export":
        export(sys.argv[2])
    elif len(sys.argv) == 7 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        raise SystemExit(__doc__)

#!/usr/bin/env python3
"""The PyTorch side of `slca bench --compare pytorch`.

Run by the bench in the same run as the engine's own measurements (libs/engine/src/bench/compare.ts), never a
runtime dependency of the product. It measures the same models, shapes, optimiser and timing procedure as
libs/engine/src/bench/bench.ts:

- a timm-style ViT (pre-norm blocks, qkv with bias, exact GELU, no dropout), fed pre-patchified images
  [batch, patches, patch*patch*3] through a linear patch embedding (what timm's strided convolution computes),
  a CLS token, learned position embeddings, a final LayerNorm (eps 1e-5) and a linear head; every token of
  every block is computed (PyTorch/timm do not skip work: compare with the bench's "(all tokens)" rows);
- training step = forward, mean cross-entropy, backward, SGD (lr 1e-3, momentum 0.9, weight decay 5e-4);
- forward = CLS features without autograd;
- warm-up steps, then `repeats` timed repeats of at least `seconds` each; the median img/s is reported;
- one large-model step (ViT-B/16 at batch 8): warm-up steps then timed single steps, and the peak RSS of this
  process (getrusage), which the bench runs on its own for that reason.

Input: one JSON object as the only argument (see Request in compare.ts). Output: one JSON object on stdout;
progress on stderr.
"""

import json
import math
import resource
import statistics
import sys
import time

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_dim, eps):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.act = nn.GELU()  # exact (erf) GELU, as timm's ViT and the engine
        self.fc2 = nn.Linear(mlp_dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        dh = d // self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        att = (q @ k.transpose(-2, -1)) * (dh**-0.5)
        out = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(out)
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class Vit(nn.Module):
    def __init__(self, arch, classes):
        super().__init__()
        grid = arch["imageSize"] // arch["patchSize"]
        patches = grid * grid
        dim = arch["dim"]
        eps = arch.get("normEps", 1e-6)
        self.patch_embed = nn.Linear(arch["patchSize"] ** 2 * 3, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, patches + 1, dim) * 0.02)
        self.blocks = nn.ModuleList(
            Block(dim, arch["heads"], arch["mlpDim"], eps) for _ in range(arch["depth"])
        )
        self.norm = nn.LayerNorm(dim, eps=1e-5)
        self.head = nn.Linear(dim, classes)

    def features(self, patches):
        x = self.patch_embed(patches)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x[:, 0])

    def forward(self, patches):
        return self.head(self.features(patches))


def log(message):
    print(f"pytorch: {message}", file=sys.stderr, flush=True)


def inputs(arch, batch, classes):
    grid = arch["imageSize"] // arch["patchSize"]
    patch_dim = arch["patchSize"] ** 2 * 3
    n = batch * grid * grid * patch_dim
    # The bench's synthetic batch: smooth pseudo-image patches, labels cycling over the classes.
    x = (torch.sin(torch.arange(n, dtype=torch.float64) * 0.0137) * 1.7).float()
    y = torch.arange(batch) % classes
    return x.reshape(batch, grid * grid, patch_dim), y


def trainer(model):
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        value = loss.item()
        if not math.isfinite(value):
            raise RuntimeError(f"training diverged (loss {value})")
        return value

    return step


def time_repeats(step, images, seconds, repeats, warmup):
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        steps = 0
        while True:
            step()
            steps += 1
            if time.perf_counter() - start >= seconds:
                break
        samples.append(steps * images / (time.perf_counter() - start))
    return samples


def rows(req):
    out = []
    batch = req["batch"]
    classes = req["classes"]
    for spec in req["arches"]:
        torch.manual_seed(1234)
        model = Vit(spec["arch"], classes)
        x, y = inputs(spec["arch"], batch, classes)
        for threads in req["threads"]:
            torch.set_num_threads(threads)
            log(f"{spec['name']}: {threads} thread(s)")
            train = trainer(model)
            train_samples = time_repeats(
                lambda: train(x, y), batch, req["seconds"], req["repeats"], req["warmupSteps"]
            )

            def forward():
                with torch.inference_mode():
                    model.features(x)

            forward_samples = time_repeats(
                forward, batch, req["seconds"], req["repeats"], req["warmupSteps"]
            )
            out.append(
                {
                    "name": spec["name"],
                    "threads": threads,
                    "trainImagesPerSecond": statistics.median(train_samples),
                    "forwardImagesPerSecond": statistics.median(forward_samples),
                    "trainSamples": train_samples,
                    "forwardSamples": forward_samples,
                }
            )
    return out


def step_row(req):
    spec = req["step"]
    batch = spec["batch"]
    classes = req["classes"]
    threads = spec["threads"]
    torch.set_num_threads(threads)
    torch.manual_seed(1234)
    model = Vit(spec["arch"], classes)
    x, y = inputs(spec["arch"], batch, classes)
    train = trainer(model)
    log(f"{spec['name']} step, batch {batch}: {threads} thread(s)")

    def timed(fn):
        for _ in range(spec["warmupSteps"]):
            fn()
        seconds = []
        for _ in range(spec["steps"]):
            start = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - start)
        return seconds

    loss = {"value": float("nan")}

    def train_step():
        loss["value"] = train(x, y)

    def forward():
        with torch.inference_mode():
            model.features(x)

    train_seconds = timed(train_step)
    forward_seconds = timed(forward)
    return {
        "name": spec["name"],
        "threads": threads,
        "batch": batch,
        "trainSeconds": statistics.median(train_seconds),
        "forwardSeconds": statistics.median(forward_seconds),
        "trainImagesPerSecond": batch / statistics.median(train_seconds),
        "forwardImagesPerSecond": batch / statistics.median(forward_seconds),
        "loss": loss["value"],
        # getrusage reports kilobytes on Linux
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main():
    if len(sys.argv) != 2:
        print("usage: pytorch_bench.py '<request JSON>'", file=sys.stderr)
        sys.exit(2)
    req = json.loads(sys.argv[1])
    torch.set_num_interop_threads(1)
    result = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "rows": rows(req) if req.get("arches") else [],
    }
    if req.get("step"):
        result["step"] = step_row(req)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch side of the backbone benchmark (issue 9): the same models, head, batch, modes and thread count as
BackboneBenchmark.cs. Prints one JSON line: {"images_per_s": ..., "peak_rss_mb": ...}. Not part of CI."""
import argparse, json, resource, time

import torch
import torch.nn as nn
import torchvision

# Per backbone: features module, channels, and the child indices of `features` (or top-level names) that form the
# "top blocks" unfrozen in mode "top" -- the same blocks as the .NET side's catalogue (see BackboneBenchmark.cs).
def build(name):
    if name == "resnet18":
        m = torchvision.models.resnet18()
        base = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
        return base, 512, [base[7]]                     # layer4
    if name == "mobilenet_v2":
        base = torchvision.models.mobilenet_v2().features
        return base, 1280, [base[i] for i in range(14, 19)]  # block6, block7, top
    if name == "mobilenet_v3_small":
        base = torchvision.models.mobilenet_v3_small().features
        return base, 576, [base[i] for i in range(9, 13)]    # block5, top
    if name == "vgg16":
        base = torchvision.models.vgg16().features
        return base, 512, [base[i] for i in range(24, 31)]   # block5
    raise SystemExit("unknown backbone " + name)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--backbone", required=True)
    p.add_argument("--mode", required=True, choices=["forward", "frozen", "top", "full"])
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    base, channels, top = build(a.backbone)
    head = nn.Sequential(nn.Linear(channels, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    for q in base.parameters():
        q.requires_grad = a.mode == "full"
    if a.mode == "top":
        for block in top:
            for q in block.parameters():
                q.requires_grad = True
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, 10, (a.batch,))
    params = [q for q in list(base.parameters()) + list(head.parameters()) if q.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-4)

    def step():
        if a.mode == "forward":
            base.eval()
            with torch.no_grad():
                base(x).mean((2, 3))
            return
        base.eval()  # BatchNorm of the base in inference mode, as the .NET library's default
        head.train()
        opt.zero_grad()
        loss = nn.functional.cross_entropy(head(base(x).mean((2, 3))), y)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.iters):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"images_per_s": a.batch / median, "peak_rss_mb": rss, "torch": torch.__version__}))

if __name__ == "__main__":
    main()

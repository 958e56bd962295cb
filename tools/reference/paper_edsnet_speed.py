"""Times the PyTorch reference of `edsnet --variant paper` (paper_edsnet.py) at 1 x 300 frames, published
widths, float32, eager mode, 2 threads: a training step (forward, DSNet loss from precomputed labels,
backward, Adam 5e-5 / weight decay 1e-5) and inference (forward and the decoding to frame scores).
The Swift side is Tests/ModelsTests/EDSNetPaperSpeed.swift; run both on the same quiet machine.

Usage: ../venv/bin/python tools/reference/paper_edsnet_speed.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paper_edsnet as ref  # noqa: E402

CONFIGS = [("fourier", "fft", [4], (3, 6)), ("nystrom", "roi", [12], (8, 10))]
FRAMES = 300


def batch(shot_range, gen):
    x = torch.randn(1, FRAMES, 1024, generator=gen)
    shots, start = [], 0
    while start < FRAMES:
        length = int(torch.randint(shot_range[0], shot_range[1] + 1, (1,), generator=gen))
        shots.append((start, min(FRAMES, start + length)))
        start += length
    gtscore = torch.rand(FRAMES, generator=gen, dtype=torch.float64).tolist()
    return x, ref.keyshot_summary(gtscore, shots)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(300)
    for mixer, pooling, scales, shot_range in CONFIGS:
        model = ref.DSNet(mixer, 1024, 128, scales, fc_depth=7, pooling_type=pooling)
        model.apply(ref.xavier_init)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-5, weight_decay=1e-5)
        x, summary = batch(shot_range, gen)
        cls, loc = ref.anchor_labels(summary, scales, 1)
        assert int((cls == 1).sum()) > 0
        model.train()
        train = []
        for i in range(args.repeats + 3):
            start = time.perf_counter()
            optimizer.zero_grad()
            pred_cls, pred_loc = model(x)
            ref.dsnet_loss(pred_cls, pred_loc, cls, loc).backward()
            optimizer.step()
            if i >= 3:
                train.append((time.perf_counter() - start) * 1e3)
        model.eval()
        infer = []
        with torch.no_grad():
            for i in range(args.repeats + 3):
                start = time.perf_counter()
                pred_cls, pred_loc = model(x)
                ref.frame_scores(pred_cls, pred_loc, FRAMES, scales)
                if i >= 3:
                    infer.append((time.perf_counter() - start) * 1e3)
        print(f"EDSNET-PAPER-SPEED torch {torch.__version__} {mixer}/{pooling}/{scales[0]} T={FRAMES} threads=2: "
              f"train step {statistics.median(train):.1f} ms (min {min(train):.1f}), "
              f"inference {statistics.median(infer):.1f} ms (min {min(infer):.1f})")


if __name__ == "__main__":
    main()

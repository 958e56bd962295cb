"""Times the four reference models at published width in PyTorch on this CPU (issue 6).

For each model, in a fresh subprocess (so peak resident sets do not mix): inference (eval mode,
no_grad) and then training steps (train mode: forward, masked-MSE backward, Adam step), each after
warm-up steps, at a fixed batch x frames shape on random input with every frame valid.

Usage:
  ../venv/bin/python tools/reference/torch_speed.py [--models logonet,csta,edsnet,videosage]
      [--shape logonet=8x64 --shape csta=4x64 ...] [--threads 2] [--warmup 1] [--steps 5]
      [--steps-for logonet=2 ...] [--out FILE]

Prints one JSON document (schema in MODELS.md) to stdout, or writes it to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

DEFAULT_SHAPES = {"logonet": (8, 64), "csta": (4, 64), "edsnet": (8, 64), "videosage": (8, 64)}


def summarise(seconds: list[float], frames: int) -> dict:
    ms = sorted(s * 1000.0 for s in seconds)
    median = statistics.median(ms)
    out = {
        "steps": len(ms),
        "median_ms": median,
        "min_ms": ms[0],
        "max_ms": ms[-1],
        "frames_per_s": frames / (median / 1000.0),
        "all_ms": ms,
    }
    if len(ms) >= 4:
        q = statistics.quantiles(ms, n=4)
        out["p25_ms"], out["p75_ms"] = q[0], q[2]
    return out


def peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_child(name: str, batch: int, frames: int, threads: int, warmup: int, steps: int) -> dict:
    import torch

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import models

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rss_start = peak_rss_mib()
    model = models.build(name)
    x = torch.randn(batch, frames, model.cfg["input_dim"])
    mask = torch.ones(batch, frames, dtype=torch.bool)
    target = torch.rand(batch, frames)

    model.eval()
    times = []
    with torch.no_grad():
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            model(x, mask)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    inference = summarise(times, batch * frames)
    inference["peak_rss_mib_after"] = peak_rss_mib()

    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = models.masked_mse(model(x, mask), target, mask)
        loss.backward()
        optimizer.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
        if not torch.isfinite(loss):
            raise RuntimeError(f"{name}: non-finite loss at step {i}")
    train = summarise(times, batch * frames)
    train["peak_rss_mib_after"] = peak_rss_mib()

    return {
        "model": name,
        "parameters": models.parameter_count(model),
        "batch": batch,
        "frames": frames,
        "warmup_steps": warmup,
        "inference": inference,
        "train": train,
        "peak_rss_mib": peak_rss_mib(),
        "rss_mib_at_start": rss_start,
    }


def parse_pairs(pairs: list[str], convert, what: str) -> dict:
    out = {}
    for pair in pairs:
        try:
            key, value = pair.split("=", 1)
            out[key] = convert(value)
        except ValueError:
            raise SystemExit(f"bad {what} {pair!r}: expected MODEL=VALUE")
    return out


def parse_shape(text: str) -> tuple[int, int]:
    b, t = text.lower().split("x")
    shape = (int(b), int(t))
    if min(shape) < 1:
        raise ValueError(text)
    return shape


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="logonet,csta,edsnet,videosage")
    parser.add_argument("--shape", action="append", default=[], help="MODEL=BxT, e.g. logonet=8x64")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--steps-for", action="append", default=[], help="MODEL=N timed steps for one model")
    parser.add_argument("--out")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    shapes = dict(DEFAULT_SHAPES)
    shapes.update(parse_pairs(args.shape, parse_shape, "--shape"))
    steps_for = parse_pairs(args.steps_for, int, "--steps-for")

    if args.child:
        b, t = shapes[args.child]
        result = run_child(args.child, b, t, args.threads, args.warmup, steps_for.get(args.child, args.steps))
        print(json.dumps(result))
        return

    import torch

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in DEFAULT_SHAPES]
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; known: {sorted(DEFAULT_SHAPES)}")
    report = {
        "tool": "tools/reference/torch_speed.py",
        "torch": torch.__version__,
        "threads": args.threads,
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "optimizer": "Adam lr 1e-4",
        "loss": "masked MSE",
        "width": "paper (published)",
        "models": {},
    }
    for name in names:
        b, t = shapes[name]
        cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--shape", f"{name}={b}x{t}",
               "--threads", str(args.threads), "--warmup", str(args.warmup),
               "--steps", str(steps_for.get(name, args.steps))]
        print(f"timing {name} at {b}x{t} ...", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            report["models"][name] = {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
            continue
        report["models"][name] = json.loads(done.stdout.strip().splitlines()[-1])

    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()

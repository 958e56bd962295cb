"""Times the four reference models in PyTorch on this CPU, eager and with `torch.compile` (issues 6, 19).

For each model and each mode, in a fresh subprocess (so peak resident sets and compile caches in memory
do not mix): inference (eval mode, no_grad) and then training steps (train mode: forward, masked-MSE
backward, Adam step), each after warm-up steps, on random input with every frame valid. Training runs at
a fixed batch x frames shape; inference at the same frames and --inference-batch videos (default: the
training batch; 1 is one video at a time, as bench's Evaluator scores a split).

Modes: `eager`, and `compiled`: the model wrapped in `torch.compile(model, dynamic=False)` (forward and,
through AOTAutograd, backward compiled by inductor for the exact shapes; the optimizer step stays eager).
The compiled mode runs --compile-warmup more untimed steps (compilation, and recompilation for the
train/eval switch, happen there) and records how many graphs were still compiled during the timed steps
(0 when the warm-up covered them). A mode that fails (torch.compile needs a C++ compiler) is recorded
as {"error": ...} and the other modes still run.

Widths: `--size paper` (published) or `--size small` (every hidden width / 4, as `bench --size small`;
models.small_config).

Usage:
  ../venv/bin/python tools/reference/torch_speed.py [--models logonet,csta,edsnet,videosage]
      [--size paper|small] [--modes eager,compiled] [--shape logonet=8x64 --shape csta=4x64 ...]
      [--inference-batch N] [--threads 2] [--warmup 1] [--compile-warmup 3] [--steps 5]
      [--steps-for logonet=2 ...] [--out FILE]

Prints one JSON document (schema in MODELS.md) to stdout, or writes it to --out (a new file; an
existing one is never overwritten).
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from speed_support import parse_names, write_new_report  # noqa: E402

DEFAULT_SHAPES = {"logonet": (8, 64), "csta": (4, 64), "edsnet": (8, 64), "videosage": (8, 64)}
MODES = ("eager", "compiled")
SIZES = ("paper", "small")


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


def phase(step, warmup: int, steps: int, batch: int, frames: int, graphs) -> dict:
    """Runs `step` warmup + steps times; the timed steps' summary, the warm-up times, and how many graphs
    torch.compile made during the timed steps (`graphs`: dynamo's counters)."""
    seconds = []
    for i in range(warmup + steps):
        if i == warmup:
            compiled_before = graphs["unique_graphs"]
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    out = summarise(seconds[warmup:], batch * frames)
    out.update(batch=batch, warmup_ms=[1000 * s for s in seconds[:warmup]],
               graphs_compiled_while_timed=graphs["unique_graphs"] - compiled_before, peak_rss_mib_after=peak_rss_mib())
    return out


def run_child(name: str, size: str, mode: str, shape: tuple[int, int], inference_batch: int, threads: int,
              warmup: int, compile_warmup: int, steps: int) -> dict:
    import torch
    import torch._dynamo.utils

    import models

    batch, frames = shape
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rss_start = peak_rss_mib()
    model = models.build(name, models.small_config(name) if size == "small" else None)
    forward = torch.compile(model, dynamic=False) if mode == "compiled" else model
    if mode == "compiled":
        warmup += compile_warmup
    graphs = torch._dynamo.utils.counters["stats"]

    x1 = torch.randn(inference_batch, frames, model.cfg["input_dim"])
    mask1 = torch.ones(inference_batch, frames, dtype=torch.bool)
    model.eval()

    def infer():
        with torch.no_grad():
            forward(x1, mask1)
    inference = phase(infer, warmup, steps, inference_batch, frames, graphs)

    x = torch.randn(batch, frames, model.cfg["input_dim"])
    mask = torch.ones(batch, frames, dtype=torch.bool)
    target = torch.rand(batch, frames)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

    def train():
        optimizer.zero_grad(set_to_none=True)
        loss = models.masked_mse(forward(x, mask), target, mask)
        loss.backward()
        optimizer.step()
        if not torch.isfinite(loss):
            raise RuntimeError(f"{name} ({mode}): non-finite loss")
    train_phase = phase(train, warmup, steps, batch, frames, graphs)

    return {
        "mode": mode,
        "warmup_steps": warmup,
        "inference": inference,
        "train": train_phase,
        "parameters": models.parameter_count(model),
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


def child_result(cmd: list[str]) -> dict:
    """The child's JSON, or {"error": ...} with its exception (or last stderr line and exit status)."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode == 0:
        return json.loads(done.stdout.strip().splitlines()[-1])
    errors = [line for line in done.stderr.strip().splitlines() if line and not line.startswith(" ")]
    return {"error": f"exit {done.returncode}: {errors[-1] if errors else 'no message'}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(DEFAULT_SHAPES))
    parser.add_argument("--size", choices=SIZES, default="paper")
    parser.add_argument("--modes", default=",".join(MODES), help="eager, compiled or both (comma-separated)")
    parser.add_argument("--shape", action="append", default=[], help="MODEL=BxT, e.g. logonet=8x64")
    parser.add_argument("--inference-batch", type=int, help="videos per inference step (default: the training batch)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--compile-warmup", type=int, default=3, help="extra untimed steps in compiled mode")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--steps-for", action="append", default=[], help="MODEL=N timed steps for one model")
    parser.add_argument("--out", help="JSON file to write (must not exist)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    shapes = dict(DEFAULT_SHAPES)
    shapes.update(parse_pairs(args.shape, parse_shape, "--shape"))
    steps_for = parse_pairs(args.steps_for, int, "--steps-for")
    names = parse_names(args.models, DEFAULT_SHAPES, "model(s)")
    modes = parse_names(args.modes, MODES, "mode(s)")
    if min(args.threads, args.steps, *steps_for.values(), args.inference_batch or 1) < 1 or min(args.warmup, args.compile_warmup) < 0:
        raise SystemExit("--threads, --steps, --steps-for and --inference-batch must be at least 1, the warm-ups at least 0")
    if args.out and os.path.exists(args.out):
        raise SystemExit(f"{args.out} exists; choose a new name (results are never overwritten)")

    if args.child:
        name = args.child
        try:
            result = run_child(name, args.size, modes[0], shapes[name], args.inference_batch or shapes[name][0],
                               args.threads, args.warmup, args.compile_warmup, steps_for.get(name, args.steps))
        except Exception as error:  # recorded in the report (e.g. torch.compile without a working compiler)
            message = str(error).strip().splitlines()
            result = {"error": f"{type(error).__name__}: {message[0] if message else ''}"}
        print(json.dumps(result))
        return

    import torch

    report = {
        "tool": "tools/reference/torch_speed.py",
        "torch": torch.__version__,
        "threads": args.threads,
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "optimizer": "Adam lr 1e-4",
        "loss": "masked MSE",
        "width": "paper (published)" if args.size == "paper" else "small (hidden widths / 4)",
        "models": {},
    }
    for name in names:
        b, t = shapes[name]
        inference_batch = args.inference_batch or b
        entry = report["models"][name] = {"model": name, "batch": b, "frames": t, "inference_batch": inference_batch}
        for mode in modes:
            cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--size", args.size, "--modes", mode,
                   "--shape", f"{name}={b}x{t}", "--inference-batch", str(inference_batch), "--threads", str(args.threads),
                   "--warmup", str(args.warmup), "--compile-warmup", str(args.compile_warmup),
                   "--steps", str(steps_for.get(name, args.steps))]
            print(f"timing {name} ({args.size}, {mode}) at {b}x{t}, inference {inference_batch}x{t} ...",
                  file=sys.stderr, flush=True)
            entry[mode] = child_result(cmd)
            if "parameters" in entry[mode]:
                entry["parameters"] = entry[mode]["parameters"]

    text = json.dumps(report, indent=2) + "\n"
    if args.out:
        write_new_report(args.out, text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()

"""Times each model's training step in bench and in the PyTorch reference, side by side (issue 6).

For every round and every model: `bench speed MODEL --json` and then `torch_speed.py` for the same model,
at the same batch x frames, threads, timed and warm-up steps, one right after the other, so both see the
same machine state (on a shared machine the speed moves by tens of percent within minutes; compare only
numbers from one round). Writes a markdown report with one row per model and round and a verdict per
goal: LoGoNet and CSTA at most half of PyTorch's time, EDSNet and VideoSAGE at most PyTorch's time, every
model's training at no less than half of the machine's sgemm rate, and peak resident memory no higher
than PyTorch's. The sgemm goal is judged on `bench speed`'s paired share (each training step against the
1024^3 products timed right before and after it); the share of the single best-of-six measurement at the
start of the call is shown beside it, since on a shared machine that one measurement can catch a burst
up to 1.5x faster than the rate during the steps.

Usage (from the repository root, after `swift build -c release`):
  ../venv/bin/python tools/reference/side_by_side.py --out results/speed-side-by-side-DATE.md
      [--models logonet,csta,edsnet,videosage] [--rounds 2] [--threads 2] [--bench .build/release/bench]

The report file must not exist yet (earlier reports are never overwritten).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Shape and step counts per model: a few seconds of timed steps each on a 2-core machine.
PLAN = {
    "logonet": {"batch": 8, "frames": 64, "steps": 3, "warmup": 1, "max_ratio": 0.5},
    "csta": {"batch": 4, "frames": 64, "steps": 5, "warmup": 1, "max_ratio": 0.5},
    "edsnet": {"batch": 8, "frames": 64, "steps": 10, "warmup": 2, "max_ratio": 1.0},
    "videosage": {"batch": 8, "frames": 64, "steps": 30, "warmup": 3, "max_ratio": 1.0},
}
MIN_SGEMM_FRACTION = 0.5


def run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{tail}")
    return done.stdout


def ours(bench: str, name: str, plan: dict, threads: int) -> dict:
    out = run([bench, "speed", name, "--size", "paper", "--batch", str(plan["batch"]), "--frames", str(plan["frames"]),
               "--threads", str(threads), "--steps", str(plan["steps"]), "--warmup", str(plan["warmup"]), "--json"])
    result = json.loads(out)[0]
    return {
        "train_ms": result["train"]["timing"]["median_ms"],
        "infer_ms": result["inference"]["timing"]["median_ms"],
        "gflops": result["train"]["achieved_gflops"],
        "sgemm_gflops": result["sgemm_peak_gflops"],
        "sgemm_fraction_start": result["train"]["fraction_of_sgemm_peak"],
        "sgemm_fraction": result["train_paired_sgemm"]["median_fraction_of_sgemm"],
        "paired_sgemm_gflops": result["train_paired_sgemm"]["median_sgemm_gflops"],
        "peak_rss_mib": result["peak_resident_bytes"] / 2**20,
    }


def torch(python: str, name: str, plan: dict, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "torch.json")
        run([python, os.path.join(HERE, "torch_speed.py"), "--models", name,
             "--shape", f"{name}={plan['batch']}x{plan['frames']}", "--threads", str(threads),
             "--steps", str(plan["steps"]), "--warmup", str(plan["warmup"]), "--out", path])
        with open(path) as f:
            report = json.load(f)
    result = report["models"][name]
    if "error" in result:
        raise SystemExit(f"PyTorch {name}: {result['error']}")
    return {
        "train_ms": result["train"]["median_ms"],
        "infer_ms": result["inference"]["median_ms"],
        "peak_rss_mib": result["peak_rss_mib"],
        "torch": report["torch"],
        "cpu": report["cpu"],
    }


def write_new_report(path: str, text: str) -> None:
    """Writes under a temporary name and then links into place (which fails rather than overwrite), so an
    interrupted run leaves no half report and an earlier report is never replaced."""
    partial = path + ".partial"
    with open(partial, "x") as f:
        f.write(text)
    try:
        os.link(partial, path)
    finally:
        os.unlink(partial)


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(rows: list[dict], args: argparse.Namespace, started: str, finished: str) -> str:
    first_torch = rows[0]["torch"]
    lines = [
        "# Training step: bench against PyTorch, side by side",
        "",
        f"{started} to {finished} UTC, commit {git_commit()}, {first_torch['cpu']}, {os.cpu_count()} cores, "
        f"{args.threads} threads on both sides, PyTorch {first_torch['torch']}, published widths, every frame valid.",
        "",
        "```sh",
        "python " + " ".join(sys.argv),
        "```",
        "",
        "Train = forward, masked-MSE backward and Adam step (bench also clips the gradient norm, as its trainer",
        "does); median of the timed steps. GFLOP/s count the model's own FLOPs (3 x its forward count, the same",
        "for both sides). Share of sgemm, paired: the median over as many extra training steps of each step's",
        "model GFLOP/s over the faster of the 1024^3 probes (each the better of two products) right before and",
        "after it, with the probes' median rate in brackets; at start: over the best of six 1024^3 products at",
        "the start of the same `bench speed` call. Peak RSS: the bench process's peak resident set; PyTorch's",
        "model subprocess's (including the torch import).",
        "",
        "| model | round | batch x frames | bench train ms | PyTorch train ms | ratio (goal) | bench GFLOP/s "
        "| % of sgemm, paired (sgemm GFLOP/s) | % of sgemm at start (GFLOP/s) | bench / PyTorch infer ms "
        "| peak RSS bench / PyTorch MiB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        o, t, plan = r["ours"], r["torch"], PLAN[r["model"]]
        lines.append(
            f"| {r['model']} | {r['round']} | {plan['batch']} x {plan['frames']} | {o['train_ms']:,.1f} | "
            f"{t['train_ms']:,.1f} | {o['train_ms'] / t['train_ms']:.2f} (<= {plan['max_ratio']}) | "
            f"{o['gflops']:.0f} | {100 * o['sgemm_fraction']:.0f} ({o['paired_sgemm_gflops']:.0f}) | "
            f"{100 * o['sgemm_fraction_start']:.0f} ({o['sgemm_gflops']:.0f}) | "
            f"{o['infer_ms']:,.1f} / {t['infer_ms']:,.1f} | {o['peak_rss_mib']:,.0f} / {t['peak_rss_mib']:,.0f} |")
    lines += ["", "| model | worst time ratio (goal) | lowest % of sgemm, paired (goal 50) | lowest % at start | "
              "highest bench RSS / lowest PyTorch RSS MiB | every goal in every round |",
              "|---|---:|---:|---:|---:|---|"]
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        worst = max(r["ours"]["train_ms"] / r["torch"]["train_ms"] for r in mine)
        lowest = min(r["ours"]["sgemm_fraction"] for r in mine)
        lowest_start = min(r["ours"]["sgemm_fraction_start"] for r in mine)
        rss_ours = max(r["ours"]["peak_rss_mib"] for r in mine)
        rss_torch = min(r["torch"]["peak_rss_mib"] for r in mine)
        met = worst <= PLAN[name]["max_ratio"] and lowest >= MIN_SGEMM_FRACTION and rss_ours <= rss_torch
        lines.append(f"| {name} | {worst:.2f} (<= {PLAN[name]['max_ratio']}) | {100 * lowest:.0f} | {100 * lowest_start:.0f} | "
                     f"{rss_ours:,.0f} / {rss_torch:,.0f} | {'yes' if met else '**no**'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(PLAN))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bench", default=".build/release/bench")
    parser.add_argument("--python", default=sys.executable, help="the Python that has torch (default: this one)")
    parser.add_argument("--out", required=True, help="markdown report to write (must not exist)")
    args = parser.parse_args()

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in PLAN]
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; known: {sorted(PLAN)}")
    if args.rounds < 1 or args.threads < 1:
        raise SystemExit("--rounds and --threads must be at least 1")
    if os.path.exists(args.out):
        raise SystemExit(f"{args.out} exists; choose a new name (reports are never overwritten)")
    if not os.access(args.bench, os.X_OK):
        raise SystemExit(f"{args.bench} is not an executable; run `swift build -c release` first or pass --bench")

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    rows = []
    for round_ in range(1, args.rounds + 1):
        for name in names:
            print(f"round {round_}: {name} (bench, then PyTorch) ...", file=sys.stderr, flush=True)
            mine = ours(args.bench, name, PLAN[name], args.threads)
            theirs = torch(args.python, name, PLAN[name], args.threads)
            rows.append({"model": name, "round": round_, "ours": mine, "torch": theirs})
            print(f"  {name}: {mine['train_ms']:.1f} ms against {theirs['train_ms']:.1f} ms, "
                  f"{100 * mine['sgemm_fraction']:.0f} % of sgemm", file=sys.stderr, flush=True)
    finished = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M")
    text = report(rows, args, started, finished)
    write_new_report(args.out, text)
    print(text)


if __name__ == "__main__":
    main()

"""Times each model's training step and inference in bench and in PyTorch, side by side (issues 6, 19).

For every round and every model: `bench speed MODEL --json` and then `torch_speed.py` for the same model
(PyTorch eager, then `torch.compile`, each in its own process), at the same widths, batch x frames,
threads, timed and warm-up steps, one right after the other, so all see the same machine state (on a
shared machine the speed moves by tens of percent within minutes; compare only numbers from one round).
torch.compile gets extra untimed warm-up steps (torch_speed.py --compile-warmup) for its compilation; if
it fails on this machine, the report says why and PyTorch's time is eager's. The parameter counts of the
two sides must be equal (the script stops otherwise).

--size paper (default): published widths at the shapes of PLAN. Goals: every model's training step at most
0.5x the time of the faster of PyTorch eager and compiled (issue 19), training at no less than half of the
machine's sgemm rate, and peak resident memory no higher than PyTorch's. The sgemm goal is judged on
`bench speed`'s paired share (each training step against the 1024^3 products timed right before and after
it); the share of the single best-of-six measurement at the start of the call is shown beside it, since
on a shared machine that one measurement can catch a burst up to 1.5x faster than the rate during the
steps.

--size small: `bench --size small` widths (every hidden width / 4; models.small_config) at each model's
published batch size (VideoSAGE: 128, all the synthetic set's training videos, instead of 512) and 129
frames (the synthetic set's mean length), the shapes of Benchmarks/ModelBenchmarks; and an evaluation pass
as bench's Evaluator scores a split: eval mode, no gradients, one video (1 x 129) at a time. Reported as
speedups (PyTorch's time over bench's), so regressions show; the small-width goal of issue 19 (2.5x a plain
PyTorch loop, end to end) is judged by small_side_by_side.py.

Usage (from the repository root, after `swift build -c release`):
  ../venv/bin/python tools/reference/side_by_side.py --out results/speed-side-by-side-DATE.md
      [--size paper|small] [--models logonet,csta,edsnet,videosage] [--rounds 2] [--threads 2]
      [--modes eager,compiled] [--bench .build/release/bench]

The report file must not exist yet (earlier reports are never overwritten).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from speed_support import (busy_warning, check_report_and_bench, git_commit, moment, parse_names, run, span,  # noqa: E402
                           write_new_report)
from torch_speed import MODES  # noqa: E402

# Published widths: shape and step counts per model, a few seconds of timed steps each on a 2-core machine.
PLAN = {
    "logonet": {"batch": 8, "frames": 64, "steps": 3, "warmup": 1},
    "csta": {"batch": 4, "frames": 64, "steps": 5, "warmup": 1},
    "edsnet": {"batch": 8, "frames": 64, "steps": 10, "warmup": 2},
    "videosage": {"batch": 8, "frames": 64, "steps": 30, "warmup": 3},
}
MAX_RATIO = 0.5  # issue 19: bench's step at most half the time of the faster PyTorch mode
MIN_SGEMM_FRACTION = 0.5

# Small widths: each model's published batch size at 129 frames; the evaluation pass at 1 x 129.
SMALL_FRAMES = 129
SMALL_PLAN = {
    "logonet": {"batch": 8, "frames": SMALL_FRAMES, "steps": 10, "warmup": 2},
    "csta": {"batch": 4, "frames": SMALL_FRAMES, "steps": 10, "warmup": 2},
    "edsnet": {"batch": 112, "frames": SMALL_FRAMES, "steps": 5, "warmup": 1},
    "videosage": {"batch": 128, "frames": SMALL_FRAMES, "steps": 10, "warmup": 2},
}


def bench_speed(bench: str, name: str, size: str, batch: int, plan: dict, threads: int) -> dict:
    out = run([bench, "speed", name, "--size", size, "--batch", str(batch), "--frames", str(plan["frames"]),
               "--threads", str(threads), "--steps", str(plan["steps"]), "--warmup", str(plan["warmup"]), "--json"])
    result = json.loads(out)[0]
    return {
        "parameters": result["parameters"],
        "train_ms": result["train"]["timing"]["median_ms"],
        "infer_ms": result["inference"]["timing"]["median_ms"],
        "gflops": result["train"]["achieved_gflops"],
        "sgemm_gflops": result["sgemm_peak_gflops"],
        "sgemm_fraction_start": result["train"]["fraction_of_sgemm_peak"],
        "sgemm_fraction": result["train_paired_sgemm"]["median_fraction_of_sgemm"],
        "paired_sgemm_gflops": result["train_paired_sgemm"]["median_sgemm_gflops"],
        "peak_rss_mib": result["peak_resident_bytes"] / 2**20,
    }


def ours(bench: str, name: str, size: str, plan: dict, threads: int) -> dict:
    """bench speed at the plan's shape; at small width also the evaluation pass (inference at batch 1)."""
    mine = bench_speed(bench, name, size, plan["batch"], plan, threads)
    if size == "small":
        mine["eval_ms"] = bench_speed(bench, name, size, 1, plan, threads)["infer_ms"]
    return mine


def torch(python: str, name: str, size: str, plan: dict, threads: int, modes: list[str]) -> dict:
    """torch_speed.py in each mode: {mode: its result or {"error"}} plus the torch version and CPU."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "torch.json")
        run([python, os.path.join(HERE, "torch_speed.py"), "--models", name, "--size", size, "--modes", ",".join(modes),
             "--shape", f"{name}={plan['batch']}x{plan['frames']}", "--threads", str(threads),
             "--inference-batch", str(1 if size == "small" else plan["batch"]),
             "--steps", str(plan["steps"]), "--warmup", str(plan["warmup"]), "--out", path])
        with open(path) as f:
            report = json.load(f)
    result = report["models"][name]
    if "eager" in result and "error" in result["eager"]:
        raise SystemExit(f"PyTorch {name} eager: {result['eager']['error']}")
    return {"modes": {m: result[m] for m in modes}, "parameters": result.get("parameters"),
            "torch": report["torch"], "cpu": report["cpu"]}


def faster(theirs: dict, phase: str) -> tuple[float, str]:
    """The faster PyTorch mode's median ms for `phase` ("train" or "inference") and its name."""
    timed = [(r[phase]["median_ms"], m) for m, r in theirs["modes"].items() if "error" not in r]
    if not timed:
        raise SystemExit(f"no PyTorch mode ran: {theirs['modes']}")
    return min(timed)


def ms_by_mode(theirs: dict, phase: str) -> str:
    return " / ".join("failed" if "error" in r else f"{r[phase]['median_ms']:,.1f}" for r in theirs["modes"].values())


def compile_notes(rows: list[dict]) -> list[str]:
    """What torch.compile did: its failures, the warm-up it took, graphs still compiled while timed."""
    notes = []
    for r in rows:
        compiled = r["torch"]["modes"].get("compiled")
        if compiled is None:
            continue
        where = f"{r['model']}, round {r['round']}"
        if "error" in compiled:
            notes.append(f"- {where}: torch.compile failed, PyTorch's time is eager's: `{compiled['error']}`")
            continue
        warm = sum(compiled["train"]["warmup_ms"]) + sum(compiled["inference"]["warmup_ms"])
        late = compiled["train"]["graphs_compiled_while_timed"] + compiled["inference"]["graphs_compiled_while_timed"]
        notes.append(f"- {where}: compiled warm-up {warm / 1000:,.1f} s untimed ({compiled['warmup_steps']} steps per phase)"
                     + (f"; **{late} graph(s) compiled during the timed steps**" if late else "; no graph compiled while timed"))
    return notes


def header(rows: list[dict], args: argparse.Namespace, started: dict, finished: dict, title: str, widths: str) -> list[str]:
    t = rows[0]["torch"]
    return [
        f"# {title}",
        "",
        f"{span(started, finished)}, commit {git_commit()}, {t['cpu']}, {args.threads} threads on both sides, "
        f"PyTorch {t['torch']} ({' and '.join(args.modes)}), {widths}, every frame valid.",
        "",
        *busy_warning([started["load"], finished["load"]] + [r["load"] for r in rows]),
        "```sh",
        "python " + " ".join(sys.argv),
        "```",
        "",
    ]


def paper_report(rows: list[dict], args: argparse.Namespace, started: dict, finished: dict) -> str:
    modes = " / ".join(args.modes)
    lines = header(rows, args, started, finished, "Training step: bench against PyTorch, side by side",
                   "published widths") + [
        "Train = forward, masked-MSE backward and Adam step (bench also clips the gradient norm, as its trainer",
        "does); median of the timed steps. Ratio: bench's time over the faster PyTorch mode's (named). GFLOP/s",
        "count the model's own FLOPs (3 x its forward count, the same for both sides). Share of sgemm, paired:",
        "the median over as many extra training steps of each step's model GFLOP/s over the faster of the",
        "1024^3 probes (each the better of two products) right before and after it, with the probes' median",
        "rate in brackets; at start: over the best of six 1024^3 products at the start of the same `bench",
        "speed` call. Peak RSS: the bench process's peak resident set; PyTorch's: the lower of its mode",
        "subprocesses' (including the torch import). Load: the 1-minute load average right after the row.",
        "",
        f"| model | round | load | batch x frames | bench train ms | PyTorch train ms ({modes}) | ratio to the faster (goal) "
        "| bench GFLOP/s | % of sgemm, paired (sgemm GFLOP/s) | % of sgemm at start (GFLOP/s) "
        f"| infer ms bench / PyTorch ({modes}) | peak RSS bench / PyTorch MiB |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        o, t, plan = r["ours"], r["torch"], PLAN[r["model"]]
        fast_ms, fast_mode = faster(t, "train")
        lines.append(
            f"| {r['model']} | {r['round']} | {r['load']:.1f} | {plan['batch']} x {plan['frames']} | {o['train_ms']:,.1f} | "
            f"{ms_by_mode(t, 'train')} | {o['train_ms'] / fast_ms:.2f} vs {fast_mode} (<= {MAX_RATIO}) | "
            f"{o['gflops']:.0f} | {100 * o['sgemm_fraction']:.0f} ({o['paired_sgemm_gflops']:.0f}) | "
            f"{100 * o['sgemm_fraction_start']:.0f} ({o['sgemm_gflops']:.0f}) | "
            f"{o['infer_ms']:,.1f} / {ms_by_mode(t, 'inference')} | {o['peak_rss_mib']:,.0f} / {torch_rss(t):,.0f} |")
    lines += ["", "| model | worst time ratio to the faster PyTorch (goal) | lowest % of sgemm, paired (goal 50) | "
              "lowest % at start | highest bench RSS / lowest PyTorch RSS MiB | every goal in every round |",
              "|---|---:|---:|---:|---:|---|"]
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        worst = max(r["ours"]["train_ms"] / faster(r["torch"], "train")[0] for r in mine)
        lowest = min(r["ours"]["sgemm_fraction"] for r in mine)
        lowest_start = min(r["ours"]["sgemm_fraction_start"] for r in mine)
        rss_ours = max(r["ours"]["peak_rss_mib"] for r in mine)
        rss_torch = min(torch_rss(r["torch"]) for r in mine)
        met = worst <= MAX_RATIO and lowest >= MIN_SGEMM_FRACTION and rss_ours <= rss_torch
        lines.append(f"| {name} | {worst:.2f} (<= {MAX_RATIO}) | {100 * lowest:.0f} | {100 * lowest_start:.0f} | "
                     f"{rss_ours:,.0f} / {rss_torch:,.0f} | {'yes' if met else '**no**'} |")
    return "\n".join(lines + [""] + (["torch.compile:", ""] + compile_notes(rows) if "compiled" in args.modes else [])) + "\n"


def small_report(rows: list[dict], args: argparse.Namespace, started: dict, finished: dict) -> str:
    modes = " / ".join(args.modes)
    lines = header(rows, args, started, finished, "Small width: training step and evaluation, bench against PyTorch",
                   "`--size small` widths (hidden / 4)") + [
        "Train: one training step at the model's published batch size (VideoSAGE 128) x 129 frames, median of",
        "the timed steps (bench: its own loss, clipping and optimizer; PyTorch: masked MSE, Adam). Eval: one",
        "video of 129 frames scored in eval mode without gradients, as bench's Evaluator scores a split, median.",
        "Speedup: the faster PyTorch mode's time over bench's (higher is better; bench's frames/s over",
        "PyTorch's). Share of sgemm: bench's training step, paired (see side_by_side.py --size paper). Issue",
        "19's small-width goal (2.5x a plain PyTorch loop, end to end) is judged by small_side_by_side.py.",
        "Load: the 1-minute load average right after the row.",
        "",
        f"| model | round | load | batch x frames | bench train ms | PyTorch train ms ({modes}) | train speedup | "
        f"bench % of sgemm, paired | bench eval ms | PyTorch eval ms ({modes}) | eval speedup |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        o, t, plan = r["ours"], r["torch"], SMALL_PLAN[r["model"]]
        train_ms, train_mode = faster(t, "train")
        eval_ms, eval_mode = faster(t, "inference")
        lines.append(
            f"| {r['model']} | {r['round']} | {r['load']:.1f} | {plan['batch']} x {plan['frames']} | {o['train_ms']:,.1f} | "
            f"{ms_by_mode(t, 'train')} | {train_ms / o['train_ms']:.2f} vs {train_mode} | {100 * o['sgemm_fraction']:.0f} | "
            f"{o['eval_ms']:,.2f} | {ms_by_mode(t, 'inference')} | {eval_ms / o['eval_ms']:.2f} vs {eval_mode} |")
    return "\n".join(lines + [""] + (["torch.compile:", ""] + compile_notes(rows) if "compiled" in args.modes else [])) + "\n"


def torch_rss(theirs: dict) -> float:
    return min(r["peak_rss_mib"] for r in theirs["modes"].values() if "error" not in r)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("paper", "small"), default="paper")
    parser.add_argument("--models", default=",".join(PLAN))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--modes", default=",".join(MODES), help="PyTorch modes, eager first (default: eager,compiled)")
    parser.add_argument("--bench", default=".build/release/bench")
    parser.add_argument("--python", default=sys.executable, help="the Python that has torch (default: this one)")
    parser.add_argument("--out", required=True, help="markdown report to write (must not exist)")
    args = parser.parse_args()

    names = parse_names(args.models, PLAN, "model(s)")
    args.modes = parse_names(args.modes, MODES, "mode(s)")
    if args.modes[0] != "eager":
        raise SystemExit("--modes must start with eager (the baseline every goal names)")
    if args.rounds < 1 or args.threads < 1:
        raise SystemExit("--rounds and --threads must be at least 1")
    check_report_and_bench(args.out, args.bench)
    plans = SMALL_PLAN if args.size == "small" else PLAN

    started = moment()
    rows = []
    for round_ in range(1, args.rounds + 1):
        for name in names:
            print(f"round {round_}: {name} {args.size} (bench, then PyTorch {' and '.join(args.modes)}) ...",
                  file=sys.stderr, flush=True)
            mine = ours(args.bench, name, args.size, plans[name], args.threads)
            theirs = torch(args.python, name, args.size, plans[name], args.threads, args.modes)
            if theirs["parameters"] != mine["parameters"]:
                raise SystemExit(f"{name} ({args.size}): PyTorch's model has {theirs['parameters']:,} parameters, "
                                 f"bench's {mine['parameters']:,}")
            rows.append({"model": name, "round": round_, "load": os.getloadavg()[0], "ours": mine, "torch": theirs})
            fast_ms, fast_mode = faster(theirs, "train")
            print(f"  {name}: train {mine['train_ms']:.1f} ms against {fast_ms:.1f} ms ({fast_mode})"
                  + (f", eval {mine['eval_ms']:.2f} ms against {faster(theirs, 'inference')[0]:.2f} ms"
                     if args.size == "small" else f", {100 * mine['sgemm_fraction']:.0f} % of sgemm"),
                  file=sys.stderr, flush=True)
    finished = moment()
    text = (small_report if args.size == "small" else paper_report)(rows, args, started, finished)
    write_new_report(args.out, text)
    print(text)


if __name__ == "__main__":
    main()

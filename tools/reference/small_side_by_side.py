"""Small-width training and evaluation: bench against a plain PyTorch loop, side by side (issue 19).

For every round and every model: `bench model NAME --size small --epochs E` on the synthetic set (or
--data), and then, in this process, a plain PyTorch eager loop over the same training videos held in
memory: the reference model of models.py at the same small widths (every hidden width / 4, as
`--size small`), the published batch size and gradient accumulation that run.json records, shuffled
batches padded to their longest video, masked MSE, Adam or AdamW with the recorded learning rate, betas,
epsilon and weight decay, and the gradient norm clipped as recorded. Then an evaluation pass as bench
scores a split: eval mode, no gradients, one validation video at a time.

Reported per model and round (frames/s; higher is faster):
  train: bench's run.json train_frames_per_second (training frames over training seconds, end to end:
         collation, forward, backward, clipping, optimizer) against PyTorch's real frames over the time
         of its epochs (padding and collation included, videos already in memory);
  eval:  bench's run.json inference_frames_per_second (validation and test videos scored one at a time)
         against PyTorch scoring the validation videos one at a time.
The goal of issue 19 is a training ratio of at least 2.5 for every model.

Usage (from the repository root, after `swift build -c release`; needs h5py besides torch):
  ../venv/bin/python tools/reference/small_side_by_side.py --out results/speed-small-DATE.md
      [--models logonet,csta,edsnet,videosage] [--rounds 1] [--epochs 2] [--threads 2] [--seed 1]
      [--bench .build/release/bench]

The report file must not exist yet (earlier reports are never overwritten).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import models  # noqa: E402
from speed_support import (busy_warning, check_report_and_bench, git_commit, moment, parse_names, run, span,  # noqa: E402
                           write_new_report)

GOAL = 2.5


def ours(bench: str, name: str, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [bench, "model", name, "--size", "small", "--epochs", str(args.epochs), "--seed", str(args.seed),
               "--threads", str(args.threads), "--out", tmp, "--quiet"]
        if args.data:
            cmd += ["--data", args.data]
        run(cmd)
        with open(glob.glob(os.path.join(tmp, "*", "run.json"))[0]) as f:
            record = json.load(f)
    return record


def load_videos(h5: str, keys: list[str]):
    import h5py
    import torch
    with h5py.File(h5, "r") as f:
        return [(torch.from_numpy(f[k]["features"][()]).float(), torch.from_numpy(f[k]["gtscore"][()]).float()) for k in keys]


def pad(videos):
    import torch
    longest = max(v[0].shape[0] for v in videos)
    width = videos[0][0].shape[1]
    x = torch.zeros(len(videos), longest, width)
    y = torch.zeros(len(videos), longest)
    mask = torch.zeros(len(videos), longest, dtype=torch.bool)
    for b, (features, target) in enumerate(videos):
        n = features.shape[0]
        x[b, :n], y[b, :n], mask[b, :n] = features, target, True
    return x, y, mask


def theirs(name: str, record: dict, args: argparse.Namespace) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    s = record["schedule"]
    model = models.build(name, models.small_config(name, s["dropout"]))
    if models.parameter_count(model) != record["model"]["parameters"]:
        raise SystemExit(f"{name}: PyTorch small model has {models.parameter_count(model):,} parameters, "
                         f"bench's {record['model']['parameters']:,}")
    with open(record["data"]["split_path"]) as f:
        split = json.load(f)
    split = split[record["data"].get("split_index", 0)] if isinstance(split, list) else split
    train = load_videos(record["data"]["path"], split["train_keys"])
    val = load_videos(record["data"]["path"], split["val_keys"])

    optimizer_type = torch.optim.AdamW if s["optimizer"] == "adamW" else torch.optim.Adam
    optimizer = optimizer_type(model.parameters(), lr=s["peak_learning_rate"], betas=tuple(s["adam_betas"]),
                               eps=s["adam_epsilon"], weight_decay=s["weight_decay"])
    batch, accumulation = s["batch_size"], s["gradient_accumulation"]
    generator = torch.Generator().manual_seed(args.seed)
    model.train()
    frames, start = 0, time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(len(train), generator=generator).tolist()
        batches = [order[i:i + batch] for i in range(0, len(order), batch)]
        optimizer.zero_grad(set_to_none=True)
        for index, keys in enumerate(batches):
            x, y, mask = pad([train[k] for k in keys])
            loss = models.masked_mse(model(x, mask), y, mask)
            loss.backward()
            frames += int(mask.sum())
            if (index + 1) % accumulation == 0 or index == len(batches) - 1:
                torch.nn.utils.clip_grad_norm_(model.parameters(), s["gradient_clip"])
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
    train_seconds = time.perf_counter() - start

    model.eval()
    eval_frames, start = 0, time.perf_counter()
    with torch.no_grad():
        for features, _ in val:
            model(features.unsqueeze(0), torch.ones(1, features.shape[0], dtype=torch.bool))
            eval_frames += features.shape[0]
    eval_seconds = time.perf_counter() - start
    return {"train_fps": frames / train_seconds, "eval_fps": eval_frames / eval_seconds, "torch": torch.__version__}


def report(rows: list[dict], args: argparse.Namespace, started: dict, finished: dict) -> str:
    lines = [
        "# Small width: bench against a plain PyTorch loop, side by side",
        "",
        f"{span(started, finished)}, commit {git_commit()}, {args.threads} threads on both sides, "
        f"PyTorch {rows[0]['torch']['torch']} eager, `--size small`, {args.epochs} epochs, seed {args.seed}.",
        "",
        *busy_warning([started["load"], finished["load"]] + [r["load"] for r in rows]),
        "```sh",
        "python " + " ".join(sys.argv),
        "```",
        "",
        "Train frames/s: bench's run.json `train_frames_per_second` against PyTorch's real frames over the time",
        "of the same number of epochs over the same training videos (in memory, published batch size and",
        "accumulation, padded batches, Adam/AdamW as recorded, gradient clipping). Eval frames/s: one video at",
        f"a time in eval mode (bench: validation and test; PyTorch: validation). Goal: train ratio >= {GOAL}.",
        "",
        "| model | round | batch | bench train frames/s | PyTorch train frames/s | train ratio (goal) | "
        "bench eval frames/s | PyTorch eval frames/s | eval ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        o, t = r["ours"], r["torch"]
        lines.append(f"| {r['model']} | {r['round']} | {r['batch']} | {o['train_fps']:,.0f} | {t['train_fps']:,.0f} | "
                     f"{o['train_fps'] / t['train_fps']:.2f} (>= {GOAL}) | {o['eval_fps']:,.0f} | {t['eval_fps']:,.0f} | "
                     f"{o['eval_fps'] / t['eval_fps']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(models.SMALL_KEYS))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", help="an MR.HiSum h5 (default: bench's synthetic set)")
    parser.add_argument("--bench", default=".build/release/bench")
    parser.add_argument("--out", required=True, help="markdown report to write (must not exist)")
    args = parser.parse_args()

    names = parse_names(args.models, models.SMALL_KEYS, "model(s)")
    if min(args.rounds, args.epochs, args.threads) < 1:
        raise SystemExit("--rounds, --epochs and --threads must be at least 1")
    check_report_and_bench(args.out, args.bench)

    started = moment()
    rows = []
    for round_ in range(1, args.rounds + 1):
        for name in names:
            print(f"round {round_}: {name} (bench, then PyTorch) ...", file=sys.stderr, flush=True)
            record = ours(args.bench, name, args)
            mine = {"train_fps": record["performance"]["train_frames_per_second"],
                    "eval_fps": record["performance"]["inference_frames_per_second"]}
            other = theirs(name, record, args)
            rows.append({"model": name, "round": round_, "load": os.getloadavg()[0], "batch": record["schedule"]["batch_size"], "ours": mine, "torch": other})
            print(f"  {name}: train {mine['train_fps']:.0f} against {other['train_fps']:.0f} frames/s, "
                  f"eval {mine['eval_fps']:.0f} against {other['eval_fps']:.0f}", file=sys.stderr, flush=True)
    finished = moment()
    text = report(rows, args, started, finished)
    write_new_report(args.out, text)
    print(text)


if __name__ == "__main__":
    main()

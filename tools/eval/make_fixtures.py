"""Makes the reference fixtures for Tests/EvaluationTests with scipy and sklearn.

Run from the repository root:  ../venv/bin/python tools/eval/make_fixtures.py

Values are stored as integers with a common `scale` (value = k / scale) so that Swift and Python
divide the same integers and see bit-identical doubles; no decimal parsing is involved.
"""
import json
import math
import os

import numpy as np
from scipy import stats
from sklearn.metrics import average_precision_score

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "EvaluationTests", "Fixtures")
rng = np.random.default_rng(20240605)


def nan_to_none(v):
    v = float(v)
    return None if math.isnan(v) else v


# ---------------------------------------------------------------- tau and rho vs scipy
def gtscore_like(n, bins=100, scale=100):
    """Piecewise-constant levels over `bins` equal bins of the video, as MR.HiSum's 100-bin heat map."""
    levels = rng.integers(0, scale + 1, size=bins)
    edges = np.floor(np.arange(n) * bins / n).astype(int)
    return levels[edges]


def rank_case(name, x, y):
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tau = stats.kendalltau(xf, yf).statistic
            rho = stats.spearmanr(xf, yf).statistic
    return {"name": name, "x": x.tolist(), "y": y.tolist(),
            "tau": nan_to_none(tau), "rho": nan_to_none(rho)}


def rank_cases():
    cases = []
    for n in [2, 3, 5, 10, 50, 200, 2000]:
        cases.append(rank_case(f"random-{n}", rng.integers(0, 10_000, n), rng.integers(0, 10_000, n)))
    for n in [7, 100, 600]:
        x = rng.integers(0, 1000, n)
        cases.append(rank_case(f"correlated-{n}", x, x + rng.integers(0, 400, n)))
        cases.append(rank_case(f"anticorrelated-{n}", x, -x + rng.integers(0, 400, n)))
    for levels, n in [(2, 10), (3, 100), (5, 1000)]:
        cases.append(rank_case(f"few-levels-{levels}-{n}", rng.integers(0, levels, n), rng.integers(0, levels, n)))
    for n in [347, 2000]:
        gt = gtscore_like(n)
        noisy = gt * 10 + rng.integers(-300, 300, n)
        cases.append(rank_case(f"gtscore-vs-noisy-{n}", noisy, gt))
        if n < 1000:  # keeps the fixture small; the long case above already has heavy ties in y
            cases.append(rank_case(f"gtscore-vs-binned-{n}", noisy // 200, gt))
    cases.append(rank_case("constant-x", [4] * 20, rng.integers(0, 10, 20)))
    cases.append(rank_case("constant-y", rng.integers(0, 10, 20), [4] * 20))
    cases.append(rank_case("both-constant", [1] * 5, [2] * 5))
    cases.append(rank_case("two-tied", [3, 3], [1, 2]))
    return cases


# ---------------------------------------------------------------- AP vs sklearn
def ap_cases():
    cases = []
    for i in range(40):
        n = int(rng.integers(1, 60))
        labels = rng.random(n) < rng.uniform(0.1, 0.7)
        if not labels.any():
            labels[rng.integers(0, n)] = True
        # Half the cases draw scores from a few levels to exercise tie groups.
        high = 5 if i % 2 == 0 else 1_000_000
        scores = rng.integers(0, high, n)
        ap = average_precision_score(labels.astype(int), scores.astype(np.float64))
        cases.append({"labels": labels.astype(int).tolist(), "scores": scores.tolist(), "ap": float(ap)})
    cases.append({"labels": [0, 0, 0], "scores": [3, 1, 2], "ap": None})
    return cases


# ---------------------------------------------------------------- whole split, reference re-implementation
def knapsack(capacity, weights, values):
    """0/1 knapsack DP as MR.HiSum's; backtracking leaves an item out on equal totals."""
    n = len(values)
    table = [[0.0] * (capacity + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for w in range(1, capacity + 1):
            if weights[i - 1] <= w:
                table[i][w] = max(values[i - 1] + table[i - 1][w - weights[i - 1]], table[i - 1][w])
            else:
                table[i][w] = table[i - 1][w]
    picks, w = [], capacity
    for i in range(n, 0, -1):
        if table[i][w] != table[i - 1][w]:
            picks.insert(0, i - 1)
            w -= weights[i - 1]
    return picks


def sequential_mean(values):
    """Left-to-right sum, as the Swift code does: numpy's pairwise sum can differ in the last bit,
    which would flip knapsack ties between shots of equal true mean (e.g. a constant prediction)."""
    total = 0.0
    for x in values:
        total += float(x)
    return total / len(values)


def machine_summary(scores, cps):
    n = len(scores)
    # numpy slicing clamps end+1 past the array, which is what MR.HiSum relies on for the last shot.
    seg_scores = [sequential_mean(scores[s:e + 1]) for s, e in cps]
    nfps = [e - s for s, e in cps]
    picks = set(knapsack(int(math.floor(n * 0.15)), nfps, seg_scores))
    return np.concatenate([np.full(nf, 1 if i in picks else 0) for i, nf in enumerate(nfps)]).astype(int)


def f1(machine, gt):
    overlap = int((machine & gt).sum())
    p = overlap / machine.sum() if machine.sum() else 0.0
    r = overlap / gt.sum() if gt.sum() else 0.0
    return 0.0 if p + r == 0 else 2 * p * r / (p + r) * 100


def clip_means(v, clip=5):
    return [sequential_mean(v[start:start + clip]) for start in range(0, len(v), clip)]


def highlight_ap(pred, gt, count_of):
    gt_clips, pred_clips = clip_means(gt), clip_means(pred)
    k = count_of(len(gt_clips))
    if k == 0:
        return None
    ranking = sorted(range(len(gt_clips)), key=lambda i: -gt_clips[i])  # stable: earlier first on ties
    labels = np.zeros(len(gt_clips), dtype=int)
    labels[ranking[:k]] = 1
    return float(average_precision_score(labels, np.array(pred_clips)))


def random_shots(n):
    cuts = sorted(set(rng.choice(np.arange(1, n), size=min(n - 1, max(1, n // 5)), replace=False).tolist())) if n > 1 else []
    bounds = [0] + cuts + [n]
    return [[bounds[i], bounds[i + 1]] for i in range(len(bounds) - 1)]


def split_fixture():
    scale = 10_000
    specs = [("long", 400, "noisy", True), ("medium", 137, "noisy", True),
             ("binned-prediction", 250, "binned", True), ("short", 23, "noisy", True),
             ("constant-prediction", 60, "constant", True), ("single-frame", 1, "noisy", True),
             ("no-summary", 90, "noisy", False), ("aligned-ties", 100, "aligned", True)]
    videos, expected = [], []
    for name, n, kind, with_summary in specs:
        if kind == "aligned":
            # gtscore constant on 5-frame clips with repeated levels: tied clip means on the gt side.
            gt_k = np.repeat(rng.integers(0, 4, (n + 4) // 5) * 2500, 5)[:n]
        else:
            gt_k = gtscore_like(n) * 100
        if kind == "constant":
            pred_k = np.full(n, 4321)
        elif kind == "binned":
            pred_k = (gt_k + rng.integers(-2500, 2500, n)) // 1000 * 1000
        else:
            pred_k = gt_k + rng.integers(-6000, 6000, n)
        gt, pred = gt_k / scale, pred_k / scale
        cps = random_shots(n)
        video = {"name": name, "prediction": pred_k.tolist(), "gtscore": gt_k.tolist(), "shots": cps}
        ranked = n >= 2 and pred.std() >= 1e-8 and gt.std() >= 1e-8
        row = {"name": name, "frames": n, "mse": float(((pred - gt) ** 2).mean()),
               "kendallTau": float(stats.kendalltau(pred, gt).statistic) if ranked else None,
               "spearmanRho": float(stats.spearmanr(pred, gt).statistic) if ranked else None,
               "f1": None,
               "map50": highlight_ap(pred, gt, lambda c: c // 2),
               "map15": highlight_ap(pred, gt, lambda c: int(c * 0.15))}
        if with_summary:
            gt_summary = machine_summary(gt, cps)  # MR.HiSum's gt_summary is this knapsack over gtscore
            video["gtSummary"] = gt_summary.tolist()
            row["f1"] = f1(machine_summary(pred, cps), gt_summary)
        videos.append(video)
        expected.append(row)

    def summary(key):
        values = [r[key] for r in expected if r[key] is not None]
        return {"mean": float(np.mean(values)) if values else None,
                "evaluated": len(values), "skipped": len(expected) - len(values)}

    frames = sum(r["frames"] for r in expected)
    mse = sum(r["mse"] * r["frames"] for r in expected) / frames
    return {"scale": scale, "videos": videos,
            "expected": {"videos": expected, "frames": frames, "mse": mse,
                         **{k: summary(k) for k in ["kendallTau", "spearmanRho", "f1", "map50", "map15"]}}}


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    write("rank_correlation.json", {"cases": rank_cases()})
    write("average_precision.json", {"cases": ap_cases()})
    write("split.json", split_fixture())

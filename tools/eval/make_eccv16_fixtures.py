"""Independent reference of the eccv16 (TVSum / SumMe) conventions, and fixtures for Tests/EvaluationTests.

Run from the repository root:  ../venv/bin/python tools/eval/make_eccv16_fixtures.py

Writes
- Fixtures/eccv16_f1.json: keyshot summaries from step scores and F1 against users (numpy only),
  written from DSNet's `vsumm_helper.get_keyshot_summ` / `get_summ_f1score` and PGL-SUM's
  `generate_summary` / `evaluate_summary`, with the VASNet / PGL-SUM knapsack DP (evaluation.md asks
  for that DP and its tie rule rather than DSNet's OR-tools solver and its int(1000 * mean) values);
- Fixtures/eccv16_annotators.json: per-annotator Kendall tau-b / Spearman rho at the picks, and the
  leave-one-annotator-out human agreement (scipy.stats).

Scores are stored as integers with a common `scale` (score = k / scale) so Swift and Python divide the
same integers and see bit-identical doubles.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "EvaluationTests", "Fixtures")
rng = np.random.default_rng(20240613)
SCALE = 1000


# ------------------------------------------------------------------ the eccv16 convention, numpy only
def frame_scores(pred, picks, n_frames):
    """Frames picks[i] ..< picks[i+1] take pred[i]; the last step runs to n_frames; before picks[0]: 0."""
    scores = np.zeros(n_frames, dtype=np.float64)
    bounds = list(picks) + [n_frames]
    for i in range(len(picks)):
        scores[bounds[i]:bounds[i + 1]] = pred[i]
    return scores


def knapsack(capacity, weights, values):
    """0/1 knapsack DP; backtracking takes item i-1 only where K[i][w] != K[i-1][w]."""
    n = len(values)
    table = np.zeros((n + 1, capacity + 1), dtype=np.float64)
    for i in range(1, n + 1):
        wt, v = weights[i - 1], values[i - 1]
        for w in range(1, capacity + 1):
            table[i, w] = max(v + table[i - 1, w - wt], table[i - 1, w]) if wt <= w else table[i - 1, w]
    chosen, w = [], capacity
    for i in range(n, 0, -1):
        if table[i, w] != table[i - 1, w]:
            chosen.insert(0, i - 1)
            w -= weights[i - 1]
    return chosen


def keyshot_summary(pred, cps, n_frames, nfps, picks, proportion=0.15):
    frames = frame_scores(pred, picks, n_frames)
    # Sequential sums, as the Swift code does (numpy's pairwise sum could differ in the last ulp).
    seg_scores = [sum(frames[first:last + 1].tolist()) / (last + 1 - first) for first, last in cps]
    limit = int(n_frames * proportion)
    chosen = knapsack(limit, list(nfps), seg_scores)
    summary = np.zeros(n_frames, dtype=bool)
    for index in chosen:
        first, last = cps[index]
        summary[first:last + 1] = True
    return summary, chosen


def f1(machine, user):
    overlap = int(np.sum(machine & user))
    p = overlap / machine.sum() if machine.sum() > 0 else 0.0
    r = overlap / user.sum() if user.sum() > 0 else 0.0
    return 0.0 if p + r == 0 else 2 * p * r / (p + r) * 100


def user_f1(machine, users, reduction):
    n = users.shape[1]
    machine = machine[:n] if machine.size > n else np.pad(machine, (0, n - machine.size))
    values = [f1(machine, u.astype(bool)) for u in users]
    return values, (float(np.mean(values)) if reduction == "mean" else float(np.max(values)))


# ------------------------------------------------------------------ cases
def random_cps(n_frames, low, high):
    """Inclusive [first, last] segments covering 0 ..< n_frames."""
    cps, start = [], 0
    while start < n_frames:
        last = min(n_frames - 1, start + int(rng.integers(low, high + 1)) - 1)
        if n_frames - 1 - last < low:
            last = n_frames - 1
        cps.append([start, last])
        start = last + 1
    return cps


def random_users(count, n_frames, cps):
    """Each user marks a random set of whole segments up to about 15% of the frames (as user summaries do)."""
    users = np.zeros((count, n_frames), dtype=np.int64)
    for u in range(count):
        budget = int(n_frames * float(rng.uniform(0.12, 0.25)))
        for index in rng.permutation(len(cps)):
            first, last = cps[index]
            if last + 1 - first <= budget:
                users[u, first:last + 1] = 1
                budget -= last + 1 - first
    return users


def bits(row):
    """A 0/1 row as a string of '0' and '1' (keeps the fixture small)."""
    return "".join("1" if v else "0" for v in row)


def case(name, pred_k, picks, n_frames, cps, users, reduction):
    pred = np.asarray(pred_k, dtype=np.int64) / SCALE
    nfps = [last + 1 - first for first, last in cps]
    machine, chosen = keyshot_summary(pred, cps, n_frames, nfps, picks)
    per_user, value = user_f1(machine, np.asarray(users), reduction)
    return {
        "name": name, "scale": SCALE, "score_numerators": [int(k) for k in pred_k],
        "picks": [int(p) for p in picks], "n_frames": int(n_frames), "change_points": cps,
        "n_frame_per_seg": nfps, "user_summary": [bits(u) for u in np.asarray(users)],
        "reduction": reduction, "chosen_segments": chosen,
        "machine_summary": bits(machine), "per_user_f1": per_user, "f1": value,
    }


cases = []

# 1. The last pick leaves 9 frames after it (100 frames, picks every 15: the last is 90): those frames
# take the last score, which makes the last segment [88, 99] the best one.
picks = list(range(0, 100, 15))
pred = [100, 200, 150, 300, 250, 120, 900]
cps = [[0, 9], [10, 29], [30, 51], [52, 70], [71, 87], [88, 99]]
cases.append(case("last pick leaves frames after it", pred, picks, 100, cps,
                  random_users(3, 100, cps), "mean"))

# 2. Ties in the knapsack: four segments with the same score (0.5, exact in binary) and the same
# weight 10, capacity int(80 * 0.15) = 12: only one fits, and the DP's tie rule decides which.
picks = list(range(0, 80, 5))
pred = [500] * 16
cps = [[0, 9], [10, 19], [20, 29], [30, 39], [40, 49], [50, 59], [60, 69], [70, 79]]
# Each user marks one different segment, so which of the tied segments is chosen changes the F1s.
tie_users = np.zeros((4, 80), dtype=np.int64)
for u, index in enumerate([0, 3, 5, 7]):
    tie_users[u, cps[index][0]:cps[index][1] + 1] = 1
cases.append(case("ties in the knapsack", pred, picks, 80, cps, tie_users, "mean"))

# 3. Ties between a pair of small segments and one large one of the same total value.
picks = list(range(0, 60, 4))
pred = [250] * 5 + [500] * 5 + [250] * 5
cps = [[0, 3], [4, 7], [8, 19], [20, 39], [40, 51], [52, 59]]
cases.append(case("ties between combinations", pred, picks, 60, cps, random_users(3, 60, cps), "max"))

# 4. The first pick is not frame 0: frames before it score 0.
picks = list(range(7, 120, 15))
pred = [int(k) for k in rng.integers(0, SCALE + 1, size=len(picks))]
cps = random_cps(120, 5, 20)
cases.append(case("first pick after frame 0", pred, picks, 120, cps, random_users(5, 120, cps), "mean"))

# 5-8. Random TVSum-like (mean over 20 users) and SumMe-like (max over 15-17 users) videos.
for index, (reduction, users) in enumerate([("mean", 20), ("max", 15), ("mean", 20), ("max", 17)]):
    n_frames = int(rng.integers(200, 400))
    step = 15
    picks = list(range(0, n_frames, step))
    pred = [int(k) for k in rng.integers(0, SCALE + 1, size=len(picks))]
    cps = random_cps(n_frames, 10, 40)
    cases.append(case(f"random {reduction} {index}", pred, picks, n_frames, cps,
                      random_users(users, n_frames, cps), reduction))

# 9. The same video reduced both ways, so the test sees mean and max differ on one input.
base = cases[4]
users = np.array([[int(c) for c in row] for row in base["user_summary"]])
pred = base["score_numerators"]
for reduction in ("mean", "max"):
    cases.append(case(f"same video, {reduction}", pred, base["picks"], base["n_frames"], base["change_points"],
                      users, reduction))

with open(os.path.join(OUT, "eccv16_f1.json"), "w") as f:
    json.dump({"cases": cases}, f, separators=(",", ":"))


# ------------------------------------------------------------------ per-annotator rank correlation
from scipy import stats  # noqa: E402  (only this part needs scipy)


def annotator_case(name, n_frames, picks, annotators, pred_k):
    anno = np.asarray(annotators, dtype=np.float64)
    pred = np.asarray(pred_k, dtype=np.float64) / SCALE
    at_picks = anno[:, picks]
    taus = [float(stats.kendalltau(pred, a).statistic) for a in at_picks]
    rhos = [float(stats.spearmanr(pred, a).statistic) for a in at_picks]
    loo_tau, loo_rho = [], []
    for k in range(len(anno)):
        others = np.delete(at_picks, k, axis=0).mean(axis=0)
        loo_tau.append(float(stats.kendalltau(at_picks[k], others).statistic))
        loo_rho.append(float(stats.spearmanr(at_picks[k], others).statistic))
    return {
        "name": name, "n_frames": n_frames, "picks": picks, "annotator_scores": anno.astype(int).tolist(),
        "scale": SCALE, "score_numerators": [int(k) for k in pred_k],
        "tau": taus, "rho": rhos, "mean_tau": float(np.mean(taus)), "mean_rho": float(np.mean(rhos)),
        "loo_tau": loo_tau, "loo_rho": loo_rho,
        "mean_loo_tau": float(np.mean(loo_tau)), "mean_loo_rho": float(np.mean(loo_rho)),
    }


def smooth_annotators(count, n_frames, signal):
    """1-5 ratings per frame, piecewise constant over 2-second runs (as TVSum's), around a shared signal."""
    rows = []
    for _ in range(count):
        run = 60
        levels = np.clip(np.round(signal[::run] * 4 + 1 + rng.normal(0, 0.8, size=len(signal[::run]))), 1, 5)
        rows.append(np.repeat(levels, run)[:n_frames].astype(int))
    return rows


acases = []
for index, (n_frames, count) in enumerate([(240, 5), (455, 20)]):
    picks = list(range(0, n_frames, 15))
    signal = (np.sin(np.arange(n_frames) / 40.0 + index) + 1) / 2
    annotators = smooth_annotators(count, n_frames, signal)
    pred = [int(k) for k in np.round((signal[picks] + rng.normal(0, 0.3, size=len(picks))) * SCALE)]
    acases.append(annotator_case(f"video {index}", n_frames, picks, annotators, pred))

with open(os.path.join(OUT, "eccv16_annotators.json"), "w") as f:
    json.dump({"cases": acases}, f, separators=(",", ":"))

print(f"{len(cases)} F1 cases, {len(acases)} annotator cases written to {os.path.normpath(OUT)}")

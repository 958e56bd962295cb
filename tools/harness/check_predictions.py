"""Recompute a run's test metrics from its predictions.h5 with h5py and scipy, independently of bench,
and compare them with run.json (MSE frame-weighted; Kendall tau-b and Spearman rho means over the
videos that are not constant, as evaluation.md).

usage: python tools/harness/check_predictions.py results/<run-id>/<model>
"""
import json
import sys

import h5py
import numpy as np
from scipy import stats


def main(folder: str) -> int:
    record = json.load(open(f"{folder}/run.json"))
    squared, frames, taus, rhos = 0.0, 0, [], []
    with h5py.File(f"{folder}/predictions.h5", "r") as f:
        for key in f:
            pred = f[key]["pred"][()].astype(np.float64)
            gt = f[key]["gtscore"][()].astype(np.float64)
            squared += float(((pred - gt) ** 2).sum())
            frames += len(gt)
            if len(gt) >= 2 and pred.std() >= 1e-8 and gt.std() >= 1e-8:
                taus.append(stats.kendalltau(pred, gt).statistic)
                rhos.append(stats.spearmanr(pred, gt).statistic)
    ours = {"mse": squared / frames, "kendall_tau": float(np.mean(taus)), "spearman_rho": float(np.mean(rhos))}
    test = record["test"]
    recorded = {"mse": test["mse"], "kendall_tau": test["kendall_tau"]["mean"], "spearman_rho": test["spearman_rho"]["mean"]}
    worst = max(abs(ours[k] - recorded[k]) for k in ours)
    for k in ours:
        print(f"{k}: scipy {ours[k]:.10f}  run.json {recorded[k]:.10f}")
    print(f"largest difference {worst:.3g} over {frames} frames")
    return 0 if worst < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

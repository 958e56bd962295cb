"""Makes Tests/EvaluationTests/Fixtures/statistics.json with scipy and numpy: reference values for the
statistics of ../shared/spec/statistics.md (Sources/Evaluation/Statistics).

Run from the repository root with a Python that has numpy and scipy:  python tools/eval/make_stats_fixtures.py

- `sign_flip`: exact two-sided p-values of scipy.stats.permutation_test on one sample of paired
  differences (permutation_type="samples" flips signs, n_resamples=np.inf enumerates all 2^n patterns,
  statistic the mean). Each p is also computed here by enumerating the patterns in integers, where ties
  are exact; the script stops if scipy disagrees, so a fixture never encodes a floating-point tie miss.
- `percentiles`: np.percentile(values, [2.5, 97.5]) with numpy's default (linear) method.

Values are stored as integers with a common `scale` (value = k / scale) so that Swift and Python divide
the same integers and see bit-identical doubles; no decimal parsing is involved.
"""
import itertools
import json
import os

import numpy as np
from scipy import stats

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "EvaluationTests", "Fixtures")
SCALE = 1000
rng = np.random.default_rng(20241212)


def exact_integer_p(k):
    """Share of the 2^n sign patterns whose |sum| is >= the observed |sum|, in integer arithmetic."""
    k = np.asarray(k, dtype=np.int64)
    observed = abs(int(k.sum()))
    count = 0
    for signs in itertools.product((1, -1), repeat=len(k)):
        if abs(int(np.dot(signs, k))) >= observed:
            count += 1
    return count / 2 ** len(k)


def exact_integer_p_fast(k):
    """The same count for n up to 20 without a Python loop over 2^n patterns: all sums at once."""
    k = np.asarray(k, dtype=np.int64)
    sums = np.zeros(1, dtype=np.int64)
    for value in k:
        sums = np.concatenate([sums + value, sums - value])
    return float(np.count_nonzero(np.abs(sums) >= abs(int(k.sum())))) / len(sums)


def sign_flip_case(name, k):
    k = [int(v) for v in k]
    d = np.array(k, dtype=np.float64) / SCALE
    result = stats.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=np.inf,
                                    alternative="two-sided", vectorized=True, axis=-1)
    exact = exact_integer_p(k) if len(k) <= 12 else exact_integer_p_fast(k)
    if abs(result.pvalue - exact) > 1e-12:
        raise SystemExit(f"{name}: scipy p {result.pvalue} differs from the integer enumeration {exact}")
    return {"name": name, "k": k, "p": float(result.pvalue)}


def sign_flip_cases():
    cases = [
        # scipy needs two or more observations; n = 1 (p = 1) is the brute-force test's.
        sign_flip_case("two", [37, 12]),
        sign_flip_case("two-opposite", [37, -37]),
        sign_flip_case("all-zero", [0] * 6),
        sign_flip_case("all-positive-5", [12, 40, 7, 99, 3]),
        sign_flip_case("symmetric", [50, -50, 20, -20, 10]),
        sign_flip_case("zero-mean", [30, -10, -20, 40, -40]),
        # Repeated magnitudes: many patterns tie with the observed one exactly.
        sign_flip_case("repeated-magnitudes", [100, 100, 100, -100, 100, 100, -100, 100]),
        sign_flip_case("two-levels", [200, 100, 200, 100, -100, 200, 100, 100, 200, 100]),
        # Tenths whose sums tie only in exact arithmetic (0.1 + 0.2 against 0.3 in doubles).
        sign_flip_case("tenths", [100, 200, 300, 100, 200, 300, 600, 400]),
        sign_flip_case("tenths-with-zeros", [100, 0, 200, 0, 300, -100, 0, 700, 200]),
        sign_flip_case("clear-shift-12", [50 + int(v) for v in rng.integers(-20, 20, 12)]),
        sign_flip_case("one-outlier", [5, -3, 4, -6, 2, 1, -2, 900]),
    ]
    for n in [3, 7, 10, 15, 18, 20]:
        shift = int(rng.integers(0, 30))
        cases.append(sign_flip_case(f"random-{n}", shift + rng.integers(-100, 100, n)))
    for n in [9, 16, 20]:
        # Few levels with zeros: heavy ties in |d| and many zero differences.
        cases.append(sign_flip_case(f"few-levels-{n}", rng.integers(-2, 4, n) * 50))
    return cases


def percentile_cases():
    cases = []
    for n in [1, 2, 3, 7, 40, 401, 10_000]:
        k = rng.integers(-50_000, 50_000, n)
        lo, hi = np.percentile(k / SCALE, [2.5, 97.5])
        cases.append({"k": k.tolist(), "lower": float(lo), "upper": float(hi)})
    k = np.repeat(rng.integers(0, 5, 30), 3)  # tied order statistics
    lo, hi = np.percentile(k / SCALE, [2.5, 97.5])
    cases.append({"k": k.tolist(), "lower": float(lo), "upper": float(hi)})
    return cases


if __name__ == "__main__":
    path = os.path.join(OUT, "statistics.json")
    with open(path, "w") as f:
        json.dump({"scale": SCALE, "sign_flip": sign_flip_cases(), "percentiles": percentile_cases()},
                  f, separators=(",", ":"))
    print(f"{path}: {os.path.getsize(path)} bytes")

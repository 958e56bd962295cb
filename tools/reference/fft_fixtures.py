"""Writes Tests/TensorCoreTests/Fixtures/fft_numpy.json: numpy.fft results the tensor core's FFT is
checked against (FourierTests.swift).

- `complex`: for each length, a complex float64 input and numpy.fft.fft of it (mixed-radix lengths,
  primes and other Bluestein lengths, powers of two);
- `real2d`: float32-representable real maps and Re(fft(fft(x, axis=1), axis=0)), the EDSNet Fourier
  mixer's Re(fft_time(fft_feat(x))), in float64.

Usage: ../venv/bin/python tools/reference/fft_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "TensorCoreTests" / "Fixtures" / "fft_numpy.json"

LENGTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 25, 30, 31, 49, 60, 64, 97, 100, 128, 300]
# Later entries are appended so the earlier cases keep their random draws.
MAPS = [(5, 12), (7, 9), (13, 16), (1, 6), (11, 13), (8, 1), (1, 1), (17, 10), (4, 97), (30, 64)]


def main() -> None:
    rng = np.random.default_rng(20240914)
    complex_cases = []
    for n in LENGTHS:
        x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        y = np.fft.fft(x)
        complex_cases.append({"n": n, "re": x.real.tolist(), "im": x.imag.tolist(),
                              "fft_re": y.real.tolist(), "fft_im": y.imag.tolist()})
    real_cases = []
    for shape in MAPS:
        x = rng.standard_normal(shape).astype(np.float32).astype(np.float64)
        y = np.fft.fft(np.fft.fft(x, axis=1), axis=0).real
        real_cases.append({"shape": list(shape), "x": x.ravel().tolist(), "y": y.ravel().tolist()})
    OUT.write_text(json.dumps({"numpy": np.__version__, "complex": complex_cases, "real2d": real_cases}) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

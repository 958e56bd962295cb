"""Writes the safetensors fixtures for Tests/TensorCoreTests/SafeTensorsTests.swift.

Run once by a developer (the outputs are committed):
    ../venv/bin/python tools/safetensors/make_fixtures.py

Outputs, in Tests/TensorCoreTests/Fixtures/:
  safetensors_mixed.safetensors            written by the `safetensors` package from PyTorch tensors of
                                           many dtypes, with __metadata__
  safetensors_mixed_expected.json          for each tensor: dtype, shape, and the bit patterns (uint32) of
                                           its values converted to float32 by PyTorch (`.to(torch.float32)`)
  safetensors_mixed.safetensors.zst        the same file compressed by the `zstd` command reading a pipe,
                                           so the frame does not record its content size
  safetensors_mixed_2frames.safetensors.zst  the same file as two concatenated zstd frames
  safetensors_f32_python.safetensors       F32 tensors only, with awkward names: the Swift writer must
                                           reproduce this file byte for byte
"""
import json
import pathlib
import subprocess

import numpy as np
import torch
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests" / "TensorCoreTests" / "Fixtures"
BASE = "safetensors_mixed"


def from_bits(bits, bit_dtype, dtype):
    """A tensor of `dtype` whose elements have the given raw bit patterns."""
    return torch.from_numpy(np.array(bits, dtype=bit_dtype)).view(dtype)


def tensors():
    rng = np.random.default_rng(7)
    half_specials = [
        0x0000, 0x8000,  # +0, -0
        0x0001, 0x8001,  # smallest subnormal (2^-24), negative
        0x03FF, 0x0200,  # largest subnormal, a middle one
        0x0400,          # smallest normal
        0x3C00, 0xBC00, 0x3555, 0x7BFF,  # 1, -1, ~1/3, 65504
        0x7C00, 0xFC00,  # +inf, -inf
        0x7E00, 0xFE00, 0x7C01,  # quiet NaN, negative NaN, NaN with a low payload bit
    ]
    half_random = rng.integers(0, 1 << 16, size=48, dtype=np.uint16).tolist()
    bf16_specials = [
        0x0000, 0x8000, 0x0001, 0x007F, 0x0080,  # zeros, subnormals, smallest normal
        0x3F80, 0xC000, 0x3EAB, 0x7F7F,           # 1, -2, ~1/3, largest finite
        0x7F80, 0xFF80, 0x7FC0,                   # +inf, -inf, NaN
    ]
    f64_values = [
        0.1, 1.0 / 3.0, -2.5e-3, 1e300, -1e300, 1e-50, 5e-324,
        1.0 + 2.0 ** -24,      # exactly halfway between two floats: ties to even gives 1.0
        1.0 + 3 * 2.0 ** -24,  # halfway, rounds up to the even neighbour
        float("inf"), float("-inf"), 3.4028235677973366e38,  # rounds to inf? (just above FLT_MAX's halfway)
    ]
    return {
        "encoder.layers.0.weight": torch.tensor([[1.5, -0.0, 1e-45], [3.4e38, -7.25, 2.0 ** -126]], dtype=torch.float32),
        "f64": torch.tensor(f64_values, dtype=torch.float64),
        "f16": from_bits(half_specials + half_random, np.uint16, torch.float16).reshape(8, 8),
        "bf16": from_bits(bf16_specials, np.uint16, torch.bfloat16).reshape(3, 4),
        "f8_e4m3": from_bits(list(range(256)), np.uint8, torch.float8_e4m3fn).reshape(16, 16),
        "f8_e5m2": from_bits(list(range(256)), np.uint8, torch.float8_e5m2).reshape(16, 16),
        "bn.num_batches_tracked": torch.tensor(12345, dtype=torch.int64),
        "i64": torch.tensor([-7, 2 ** 53 + 1, 2 ** 62 + 2 ** 38, -(2 ** 63)], dtype=torch.int64),
        "i32": torch.tensor([0, -1, 2 ** 31 - 1, 16777217], dtype=torch.int32),
        "i16": torch.tensor([-32768, 32767, 3], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True], dtype=torch.bool),
        "empty": torch.zeros((0, 3), dtype=torch.float32),
    }


def rng_values(count):
    return np.random.default_rng(count).standard_normal(count).astype(np.float32)


def float32_bits(tensor):
    as_float = tensor.to(torch.float32).contiguous().reshape(-1).numpy()
    return as_float.view(np.uint32).tolist()


def main():
    values = tensors()
    plain = OUT / f"{BASE}.safetensors"
    save_file(values, str(plain), metadata={"format": "pt", "written_by": "tools/safetensors/make_fixtures.py"})

    expected = {
        name: {
            "dtype": str(tensor.dtype).removeprefix("torch."),
            "shape": list(tensor.shape),
            "float32_bits": float32_bits(tensor),
        }
        for name, tensor in values.items()
    }
    (OUT / f"{BASE}_expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")

    raw = plain.read_bytes()
    # Through a pipe, zstd cannot know the size, so the frame header leaves the content size out.
    piped = subprocess.run(["zstd", "-q", "-19", "-c"], input=raw, capture_output=True, check=True).stdout
    (OUT / f"{BASE}.safetensors.zst").write_bytes(piped)
    # Frame header descriptor: no content-size field (flag bits 7-6 zero) and no single-segment bit.
    assert piped[:4] == b"\x28\xb5\x2f\xfd" and piped[4] & 0xE0 == 0, "expected a frame without content size"

    half = len(raw) // 2
    frames = b"".join(
        subprocess.run(["zstd", "-q", "-c", "--content-size"], input=part, capture_output=True, check=True).stdout
        for part in (raw[:half], raw[half:]))
    (OUT / f"{BASE}_2frames.safetensors.zst").write_bytes(frames)

    # All F32, so the writer's order is by name, as in the Swift writer. One metadata key: the Rust side
    # keeps metadata in a hash map, whose order is not defined.
    f32_only = {
        "layer.0.weight": torch.from_numpy(rng_values(6)).reshape(2, 3),
        'quote"back\\slash': torch.from_numpy(rng_values(2)),
        "tab\tnewline\ncontrol\x01": torch.from_numpy(rng_values(1)).reshape(()),
        "ünïcødé": torch.from_numpy(rng_values(4)).reshape(2, 1, 2),
        "empty": torch.zeros((3, 0)),
    }
    save_file(f32_only, str(OUT / "safetensors_f32_python.safetensors"), metadata={"note": 'say "hi"\n'})

    for path in sorted(OUT.glob("safetensors_*")):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()

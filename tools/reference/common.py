"""Shared helpers for writing the PyTorch reference fixtures.

Every fixture script in this folder writes small files into a test target's Fixtures/ folder:
safetensors files (all tensors float32, a JSON `config` in the metadata) or plain JSON files.
Seeds come from the case name, so adding a case never changes the bytes of another one.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import torch
from safetensors import safe_open

REPO_ROOT = Path(__file__).resolve().parents[2]

# Fixtures must stay small: they are committed and copied into the test bundle.
MAX_FIXTURE_BYTES = 20_000


def fixtures_dir(test_target: str) -> Path:
    path = REPO_ROOT / "Tests" / test_target / "Fixtures"
    if not path.is_dir():
        raise FileNotFoundError(f"no Fixtures folder for test target {test_target!r} at {path}")
    return path


def seed_for(name: str) -> int:
    """A stable seed per case name (Python's hash() is salted per process, crc32 is not)."""
    return zlib.crc32(name.encode("utf-8"))


def generator_for(name: str) -> torch.Generator:
    generator = torch.Generator()
    generator.manual_seed(seed_for(name))
    return generator


def canonical_json(value) -> str:
    """Deterministic, compact JSON so regenerated files are byte-identical."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def as_float32(tensor: torch.Tensor) -> torch.Tensor:
    """Round (float64 references) or copy (float32 values) to a standalone contiguous float32 tensor."""
    return tensor.detach().to(torch.float32).contiguous().clone()


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], config: dict,
                      tolerance: dict | None = None) -> int:
    """Writes tensors as float32 with metadata {"config": json[, "tolerance": json]}; returns the size."""
    for key, tensor in tensors.items():
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{path.name}: tensor {key!r} has non-finite values")
    metadata = {"config": canonical_json(config)}
    if tolerance is not None:
        metadata["tolerance"] = canonical_json(tolerance)
    tensors = {key: as_float32(value) for key, value in tensors.items()}
    path.write_bytes(safetensors_bytes(tensors, metadata))
    verify_safetensors(path, tensors, metadata)
    return check_size(path)


def safetensors_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    """Serialises float32 tensors in the safetensors layout with a deterministic header.

    safetensors' own writer orders the metadata through a hash map, so its bytes change from run
    to run; writing the (simple) format here keeps regenerated fixtures byte-identical.
    Layout: u64 little-endian header length, JSON header padded with spaces to a multiple of 8,
    then the tensors' little-endian bytes back to back in key order.
    """
    header: dict = {"__metadata__": dict(sorted(metadata.items()))}
    payload = bytearray()
    for key in sorted(tensors):
        data = tensors[key].numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(tensors[key].shape),
                       "data_offsets": [len(payload), len(payload) + len(data)]}
        payload += data
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    return len(header_bytes).to_bytes(8, "little") + header_bytes + bytes(payload)


def verify_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Reads the file back with the safetensors library, the reader PyTorch users have."""
    with safe_open(str(path), framework="pt") as stored:
        if stored.metadata() != metadata or set(stored.keys()) != set(tensors):
            raise ValueError(f"{path.name}: read-back keys or metadata differ from what was written")
        for key, value in tensors.items():
            if not torch.equal(stored.get_tensor(key), value):
                raise ValueError(f"{path.name}: tensor {key!r} reads back different")


def write_json(path: Path, value: dict) -> int:
    path.write_text(json.dumps(value, indent=1) + "\n")
    return check_size(path)


def check_size(path: Path) -> int:
    size = path.stat().st_size
    if size > MAX_FIXTURE_BYTES:
        raise ValueError(f"{path.name} is {size} bytes, over the {MAX_FIXTURE_BYTES}-byte fixture limit")
    return size


def error_ratio(candidate: torch.Tensor, reference: torch.Tensor, rtol: float, atol: float) -> float:
    """max |candidate - reference| / (atol + rtol |reference|): at most 1 means within tolerance."""
    candidate = candidate.detach().to(torch.float64)
    reference = reference.detach().to(torch.float64)
    if candidate.shape != reference.shape:
        raise ValueError(f"shape {tuple(candidate.shape)} against reference {tuple(reference.shape)}")
    bound = atol + rtol * reference.abs()
    return float(((candidate - reference).abs() / bound).max())

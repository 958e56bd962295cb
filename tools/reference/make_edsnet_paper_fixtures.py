"""Writes the `edsnet --variant paper` parity fixtures Tests/ModelsTests/Fixtures/edsnet_paper_*.safetensors.

Each case is the detector at a tiny width (16 input features, hidden 8; the Nystrom case 2 heads of 4
with the published 64 landmarks and kernel 33) on several videos, lengths chosen to cover the
Nystrom mixer's front padding (37, 100) and multiples of its 64 landmarks (64, 128). Per video the file
holds: features, gtscore and shots, the keyshot summary (the harness's MR.HiSum rule, reimplemented in
paper_edsnet.py), the anchor labels for the stored sampling seed, the eval-mode head outputs and
frame scores, and for the first two videos the DSNet loss with dropout off and every parameter's
gradient. Parameters are the official init (xavier-uniform gain sqrt 2, bias 0.1) with randomised
LayerNorm affines; the state dict is written with PyTorch's own keys, so the `fc.k.*` aliases are in it.
Everything is computed in float64 (head outputs rounded to float32 before the decoding, as the
official float32 model would hand them over) and stored as float32.

Before writing, the script checks: the vectorised FFT pooling against the official per-frame loop,
the loss gradient against central finite differences, the sampled labels' counts against the rules.

Usage: ../venv/bin/python tools/reference/make_edsnet_paper_fixtures.py
"""

from __future__ import annotations

import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paper_edsnet as ref  # noqa: E402
from common import canonical_json, fixtures_dir, generator_for, safetensors_bytes, seed_for  # noqa: E402

MAX_CASE_BYTES = 400_000

TINY = {"input_dim": 16, "hidden": 8, "fc_depth": 7, "heads": 2, "head_dim": 4, "landmarks": 64,
        "pinv_iterations": 6, "residual_kernel": 33, "dropout": 0.5}

# case -> (config, video lengths, shot length range, videos with gradients)
CASES = {
    "edsnet_paper_fourier_fft4": ({**TINY, "mixer": "fourier", "pooling": "fft", "scales": [4]},
                                  [64, 100, 37, 13], (3, 6), 2),
    "edsnet_paper_nystrom_roi12": ({**TINY, "mixer": "nystrom", "pooling": "roi", "scales": [12]},
                                   [100, 64, 37, 128], (8, 10), 2),
    "edsnet_paper_fourier_roi_multi": ({**TINY, "mixer": "fourier", "pooling": "roi", "scales": [4, 8, 16]},
                                       [50, 23], (3, 10), 1),
}


def build(config: dict, dropout: float) -> ref.DSNet:
    return ref.DSNet(config["mixer"], config["input_dim"], config["hidden"], config["scales"],
                     fc_depth=config["fc_depth"], pooling_type=config["pooling"], heads=config["heads"],
                     dim_head=config["head_dim"], num_landmarks=config["landmarks"],
                     residual_conv_kernel=config["residual_kernel"], dropout=dropout).double()


def random_shots(n: int, low: int, high: int, gen: torch.Generator) -> list[tuple[int, int]]:
    shots, start = [], 0
    while start < n:
        length = int(torch.randint(low, high + 1, (1,), generator=gen))
        shots.append((start, min(n, start + length)))
        start += length
    return shots


def smooth_scores(n: int, gen: torch.Generator) -> list[float]:
    raw = torch.rand(n + 4, generator=gen, dtype=torch.float64)
    smooth = torch.stack([raw[i:i + n] for i in range(5)]).mean(0)
    # float32-representable, as the harness's gtscore is
    return [float(v) for v in smooth.to(torch.float32)]


def finite_difference_check(model: ref.DSNet, x, cls, loc, gen: torch.Generator) -> None:
    params = [p for p in model.parameters()]
    model.zero_grad()
    pred_cls, pred_loc = model(x)
    ref.dsnet_loss(pred_cls, pred_loc, cls, loc).backward()
    h = 1e-6
    for _ in range(12):
        p = params[int(torch.randint(len(params), (1,), generator=gen))]
        i = int(torch.randint(p.numel(), (1,), generator=gen))
        flat = p.data.view(-1)
        saved = float(flat[i])
        with torch.no_grad():
            flat[i] = saved + h
            up = ref.dsnet_loss(*model(x), cls, loc).item()
            flat[i] = saved - h
            down = ref.dsnet_loss(*model(x), cls, loc).item()
            flat[i] = saved
        numeric, analytic = (up - down) / (2 * h), float(p.grad.view(-1)[i])
        if abs(numeric - analytic) > 1e-6 + 1e-5 * abs(numeric):
            raise AssertionError(f"gradient check: analytic {analytic}, numeric {numeric}")


def make_case(name: str, config: dict, lengths: list[int], shot_range: tuple[int, int], gradient_videos: int) -> int:
    gen = generator_for(name)
    torch.manual_seed(seed_for(name))
    model = build(config, config["dropout"])
    model.apply(ref.xavier_init)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.copy_(torch.rand(module.weight.shape, generator=gen, dtype=torch.float64) + 0.5)
                module.bias.copy_((torch.rand(module.bias.shape, generator=gen, dtype=torch.float64) - 0.5) * 0.4)
        for p in model.parameters():   # float32-representable parameters, as the Swift side loads them
            p.copy_(p.to(torch.float32).to(torch.float64))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert any(k.startswith("fc.6.") for k in state), "the fc.k aliases must be in the official state dict"
    tensors = {f"param.{k}": v for k, v in state.items()}
    no_dropout = build(config, 0.0)
    no_dropout.load_state_dict(state)
    no_dropout.train()
    model.eval()
    seeds = []
    for v, n in enumerate(lengths):
        x = torch.randn(1, n, config["input_dim"], generator=gen).to(torch.float64)
        gtscore = smooth_scores(n, gen)
        shots = random_shots(n, *shot_range, gen)
        summary = ref.keyshot_summary(gtscore, shots)
        seed = seed_for(f"{name}/{v}")
        cls, loc = ref.anchor_labels(summary, config["scales"], seed)
        positives = int((cls == 1).sum())
        negatives = int((cls == -1).sum())
        if v < gradient_videos and positives == 0:
            raise AssertionError(f"{name} video {v}: no positive anchor; pick other shot lengths")
        assert negatives <= 3 * positives
        seeds.append(seed)
        with torch.no_grad():
            pred_cls, pred_loc = model(x)
            if config["pooling"] == "fft":
                h = torch.randn(1, n, config["hidden"], generator=gen, dtype=torch.float64)
                for a, b in zip(model.poolings(h), model.poolings.fft_loop(h)):
                    assert torch.allclose(a, b, atol=1e-12), "vectorised FFT pooling differs from the official loop"
        scores = ref.frame_scores(pred_cls.to(torch.float32), pred_loc.to(torch.float32), n, config["scales"])
        p = f"video{v}."
        tensors[p + "features"] = x[0]
        tensors[p + "gtscore"] = torch.tensor(gtscore)
        tensors[p + "shots"] = torch.tensor(shots, dtype=torch.float64)
        tensors[p + "summary"] = torch.tensor(summary)
        tensors[p + "labels.cls"] = cls.to(torch.float64)
        tensors[p + "labels.loc"] = loc
        tensors[p + "cls"] = pred_cls
        tensors[p + "loc"] = pred_loc
        tensors[p + "scores"] = scores
        if v < gradient_videos:
            no_dropout.zero_grad()
            c, l = no_dropout(x)
            loss = ref.dsnet_loss(c, l, cls, loc)
            loss.backward()
            tensors[p + "loss"] = loss.detach().reshape(1)
            for key, param in no_dropout.named_parameters():
                tensors[p + f"grad.{key}"] = param.grad.detach().clone()
            if v == 0:
                finite_difference_check(no_dropout, x, cls, loc, gen)
    meta_config = {**config, "lengths": lengths, "seeds": seeds, "gradient_videos": gradient_videos}
    metadata = {"config": canonical_json(meta_config)}
    path = fixtures_dir("ModelsTests") / f"{name}.safetensors"
    path.write_bytes(safetensors_bytes({k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()},
                                       metadata))
    size = path.stat().st_size
    if size > MAX_CASE_BYTES:
        raise ValueError(f"{path.name} is {size} bytes, over {MAX_CASE_BYTES}")
    return size


def main() -> None:
    torch.set_num_threads(2)
    total = 0
    for name, (config, lengths, shots, grads) in CASES.items():
        size = make_case(name, config, lengths, shots, grads)
        total += size
        print(f"{name}: {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()

"""Writes the model parity fixtures Tests/ModelsTests/Fixtures/<case>.safetensors (see MODELS.md).

Each case is one model at a tiny width that runs the same code path as the published width, on a
batch of 3 videos of lengths [7, 11, 4] padded to T = 11 (padding rows hold random features, so a
masking bug shows). Parameters and inputs are drawn in float32, everything is computed in float64
and stored rounded to float32.

Before writing, the script checks the reference against independent computations: autograd
gradients against central finite differences, LoGoNet's attention against an explicit masked
softmax, the positional-encoding resampling against a hand-written linear interpolation, and
VideoSAGE's graph operator against the band formula, and that every model scores each video of
the padded batch as it scores that video alone.

Usage: ../venv/bin/python tools/reference/make_model_fixtures.py [--out DIR] [--skip-checks]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import zlib

import torch
import torch.nn as nn
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

LENGTHS = [7, 11, 4]
T = max(LENGTHS)

LOGONET_TINY = {
    "input_dim": 16, "hidden": 16, "kernel": 3, "layers": 2, "heads": 8, "ff_dim": 32,
    "score_hidden": 8, "max_len": 16, "dropout": 0.5, "cross_attention": True, "adaptive_fusion": True,
}
# The variant cases run one encoder layer to keep the files small; the base case covers the stack.
LOGONET_ONE_LAYER = {**LOGONET_TINY, "layers": 1}

# case -> (model, config, options). `feature_scale` multiplies the N(0,1) features; `norm_gain`
# scales the randomised LayerNorm weights. The clamp case uses both so that LoGoNet's +-10 clamps
# are active in several places.
CASES = {
    "logonet_base": ("logonet", LOGONET_TINY, {}),
    "logonet_k5": ("logonet", {**LOGONET_ONE_LAYER, "kernel": 5}, {}),
    "logonet_nocross": ("logonet", {**LOGONET_ONE_LAYER, "cross_attention": False}, {}),
    "logonet_nofusion": ("logonet", {**LOGONET_ONE_LAYER, "adaptive_fusion": False}, {}),
    "logonet_longpos": ("logonet", {**LOGONET_ONE_LAYER, "max_len": 8}, {}),
    "logonet_clamp": ("logonet", LOGONET_ONE_LAYER, {"feature_scale": 40.0, "norm_gain": 4.0}),
    "csta_base": ("csta", {"input_dim": 24, "proj_dim": 16, "channels": [4, 6, 8],
                           "score_hidden": [8, 4], "dropout": 0.5}, {}),
    "videosage_base": ("videosage", {"input_dim": 24, "hidden": 16, "gcn_layers": 3,
                                     "score_hidden": [8, 4], "dropout": 0.5}, {}),
    "edsnet_base": ("edsnet", {"input_dim": 24, "hidden": 16, "token_hidden": 8, "channel_hidden": 32,
                               "blocks": 2, "score_hidden": [8, 4], "dropout": 0.5}, {}),
}

# Clamped values must stay this far from +-10 so float32 and float64 agree on which side they are.
CLAMP_MARGIN = 1e-3


def randomise_for_fixture(model: nn.Module, gen: torch.Generator, norm_gain: float = 1.0) -> None:
    """Replace the parameters whose default init would hide a bug (zeros, ones, tiny gains) with
    random values: BatchNorm affine and running statistics, LayerNorm affine, attention weights at
    gain 1 with non-zero biases, the positional encoding, graph-conv biases."""

    def uniform(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=gen) * (hi - lo) + lo)

    def normal(t, std):
        t.copy_(torch.randn(t.shape, generator=gen) * std)

    def xavier(t):
        fan_out, fan_in = t.shape
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        uniform(t, -bound, bound)

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                uniform(module.weight, 0.5, 1.5)
                normal(module.bias, 0.3)
                normal(module.running_mean, 0.5)
                uniform(module.running_var, 0.5, 2.0)
            elif isinstance(module, nn.LayerNorm):
                uniform(module.weight, 0.5 * norm_gain, 1.5 * norm_gain)
                normal(module.bias, 0.3)
            elif isinstance(module, nn.MultiheadAttention):
                xavier(module.in_proj_weight)
                normal(module.in_proj_bias, 0.1)
                xavier(module.out_proj.weight)
                normal(module.out_proj.bias, 0.1)
            elif isinstance(module, models.GlobalPath):
                normal(module.pos_encoding, 0.5)
            elif isinstance(module, models.GraphConv):
                normal(module.bias, 0.1)


def spread_activations(name: str, model: nn.Module, x: torch.Tensor, mask: torch.Tensor,
                       gen: torch.Generator) -> None:
    """Data-dependent re-initialisation of the layers whose default init leaves the scores nearly
    constant over frames (CSTA's features are a mean over the projection width times a softmax over
    T, so every score would be 0.5 +- 1e-4 and a 1e-4 parity check could not see a bug).
    In order, for each named layer and each output unit, the weight row is scaled so that the
    unit's weight contribution has a chosen standard deviation over the real frames, and the bias
    is set to centre the unit (plus a little noise), so ReLUs and the sigmoid see varied inputs.
    CSTA's attention logits are only scaled (the softmax ignores a shift)."""
    targets = {
        "csta": [("attention_conv", 0.5), ("score_net.0", 1.0), ("score_net.3", 1.0), ("score_net.6", 1.5)],
        "videosage": [("score_net.0", 1.0), ("score_net.3", 1.0), ("score_net.6", 1.5)],
        "edsnet": [("score_net.0", 1.0), ("score_net.3", 1.0), ("score_net.6", 1.5)],
    }.get(name, [])
    valid = mask.bool()
    model.eval()
    for layer_name, target in targets:
        layer = model.get_submodule(layer_name)
        seen = {}
        hook = layer.register_forward_hook(lambda mod, inp, out: seen.setdefault("out", out))
        with torch.no_grad():
            model(x, mask)
        hook.remove()
        out = seen["out"]
        with torch.no_grad():
            if out.dim() == 4:                   # attention_conv: the logits are the mean over W
                logits = (out - layer.bias.view(1, -1, 1, 1)).mean(dim=-1).squeeze(1)
                layer.weight.mul_(target / float(logits[valid].std()))
                continue
            part = (out - layer.bias)[valid]     # (frames, units)
            std = part.std(dim=0)
            if not bool((std > 0).all()):
                raise RuntimeError(f"{name}: a unit of {layer_name} does not vary over the real frames")
            gain = target / std
            layer.weight.mul_(gain[:, None])
            noise = torch.randn(layer.bias.shape, generator=gen) * 0.2 * target
            layer.bias.copy_(-part.mean(dim=0) * gain + noise)


def make_inputs(cfg: dict, gen: torch.Generator, feature_scale: float):
    b = len(LENGTHS)
    features = torch.randn(b, T, cfg["input_dim"], generator=gen) * feature_scale
    mask = torch.zeros(b, T)
    for i, n in enumerate(LENGTHS):
        mask[i, :n] = 1.0
    target = torch.rand(b, T, generator=gen)
    return features, mask, target


def state_without_counters(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


class ClampRecorder:
    """Wraps models._clamp to count active clamps and the closest approach to the bound."""

    def __init__(self):
        self.active = 0
        self.total = 0
        self.margin = math.inf
        self._original = models._clamp

    def __enter__(self):
        def recording(t):
            v = t.detach().abs()
            self.active += int((v > models.CLAMP).sum())
            self.total += v.numel()
            self.margin = min(self.margin, float((v - models.CLAMP).abs().min()))
            return self._original(t)

        models._clamp = recording
        return self

    def __exit__(self, *exc):
        models._clamp = self._original


def run_case(case: str, name: str, cfg: dict, options: dict):
    seed = zlib.crc32(case.encode())
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model32 = models.build(name, cfg)
    randomise_for_fixture(model32, gen, options.get("norm_gain", 1.0))
    features, mask, target = make_inputs(cfg, gen, options.get("feature_scale", 1.0))
    spread_activations(name, model32, features, mask, gen)
    params32 = {k: v.detach().clone() for k, v in state_without_counters(model32).items()}

    # Eval pass in float64 with the float32 values (the widening is exact).
    model = models.build(name, cfg).double()
    model.load_state_dict(model32.double().state_dict())
    model.eval()
    x, m, t = features.double(), mask.double(), target.double()
    with ClampRecorder() as eval_clamps, torch.no_grad():
        out_eval = model(x, m)

    # Train pass: same parameters, dropout 0, batch statistics in BatchNorm.
    train_cfg = {**cfg, "dropout": 0.0}
    model_t = models.build(name, train_cfg).double()
    model_t.load_state_dict(model.state_dict())
    model_t.train()
    with ClampRecorder() as train_clamps:
        out_train = model_t(x, m)
        loss = models.masked_mse(out_train, t, m)
    loss.backward()

    tensors = {
        "input.features": features,
        "input.mask": mask,
        "input.target": target,
        "output.eval": out_eval,
        "output.train": out_train.detach(),
        "loss.train": loss.detach().reshape(1),
    }
    for k, v in params32.items():
        tensors[f"param.{k}"] = v
    for k, p in model_t.named_parameters():
        tensors[f"grad.{k}"] = p.grad
    for k, v in state_without_counters(model_t).items():
        if k.endswith("running_mean") or k.endswith("running_var"):
            tensors[f"after.{k}"] = v
    tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()}

    metadata = {
        "config": json.dumps(cfg),
        "model": name,
        "case": case,
        "lengths": json.dumps(LENGTHS),
        "train_dropout": "0.0",
        "feature_scale": repr(options.get("feature_scale", 1.0)),
        "seed": str(seed),
        "torch": torch.__version__,
        "generator": "tools/reference/make_model_fixtures.py",
    }
    clamps = {"eval": (eval_clamps.active, eval_clamps.total, eval_clamps.margin),
              "train": (train_clamps.active, train_clamps.total, train_clamps.margin)}
    return tensors, metadata, (model_t, x, m, t), clamps


# ----------------------------------------------------------------------------------------------
# Independent checks of the reference
# ----------------------------------------------------------------------------------------------

def check_finite_differences(model: nn.Module, x, m, t, per_tensor: int = 2, tol: float = 1e-6) -> int:
    """Central differences of the float64 train-mode loss for a few entries of every parameter.
    The model must already hold autograd gradients of that loss."""
    gen = torch.Generator().manual_seed(1)
    eps = 1e-6
    checked = 0
    for key, p in model.named_parameters():
        flat, grad = p.data.view(-1), p.grad.view(-1)
        scale = float(grad.abs().max()) + 1e-12
        for idx in torch.randint(0, flat.numel(), (per_tensor,), generator=gen).tolist():
            old = float(flat[idx])
            with torch.no_grad():
                flat[idx] = old + eps
                up = float(models.masked_mse(model(x, m), t, m))
                flat[idx] = old - eps
                down = float(models.masked_mse(model(x, m), t, m))
                flat[idx] = old
            fd = (up - down) / (2 * eps)
            err = abs(fd - float(grad[idx]))
            assert err <= tol * scale + 1e-8, f"{key}[{idx}]: autograd {float(grad[idx])} vs fd {fd}"
            checked += 1
    return checked


def explicit_attention(attn: nn.MultiheadAttention, q, k, v, padding):
    """Multi-head attention written out, padded keys set to -inf before the softmax."""
    h = attn.embed_dim
    heads = attn.num_heads
    d = h // heads
    w, b = attn.in_proj_weight, attn.in_proj_bias
    qp = q @ w[:h].T + b[:h]
    kp = k @ w[h:2 * h].T + b[h:2 * h]
    vp = v @ w[2 * h:].T + b[2 * h:]
    bsz, tq, tk = q.shape[0], q.shape[1], k.shape[1]
    qp = qp.view(bsz, tq, heads, d).transpose(1, 2)
    kp = kp.view(bsz, tk, heads, d).transpose(1, 2)
    vp = vp.view(bsz, tk, heads, d).transpose(1, 2)
    scores = qp @ kp.transpose(-1, -2) / math.sqrt(d)
    scores = scores.masked_fill(padding[:, None, None, :], -math.inf)
    out = (torch.softmax(scores, dim=-1) @ vp).transpose(1, 2).reshape(bsz, tq, h)
    return attn.out_proj(out)


def check_attention(model: models.LoGoNet, x, m) -> None:
    padding = ~m.bool()
    attn = model.global_path.transformer_layers[0].self_attn
    q = torch.randn(x.shape[0], x.shape[1], model.cfg["hidden"], dtype=x.dtype)
    k = torch.randn_like(q)
    ours, _ = attn(q, k, k, key_padding_mask=padding, need_weights=False)
    ref = explicit_attention(attn, q, k, k, padding)
    assert torch.allclose(ours, ref, atol=1e-10), "attention differs from the explicit masked softmax"


def check_resampling() -> None:
    pos = torch.randn(1, 8, 5, dtype=torch.float64)
    length = 11
    ours = models.resample_positions(pos, length)
    ref = torch.empty(1, length, 5, dtype=torch.float64)
    src_len = pos.shape[1]
    for i in range(length):
        src = max((i + 0.5) * src_len / length - 0.5, 0.0)
        i0 = min(int(math.floor(src)), src_len - 1)
        i1 = min(i0 + 1, src_len - 1)
        w = src - i0
        ref[0, i] = (1 - w) * pos[0, i0] + w * pos[0, i1]
    assert torch.allclose(ours, ref, atol=1e-12), "positional resampling differs"
    assert torch.equal(models.resample_positions(pos, 6), pos[:, :6])


def check_chain_graph() -> None:
    mask = torch.zeros(3, T)
    for i, n in enumerate([7, 1, 2]):
        mask[i, :n] = 1
    a = models.chain_graph_operator(mask)
    h = torch.randn(3, T, 4, dtype=torch.float64)
    ours = a @ h
    for b, n in enumerate([7, 1, 2]):
        deg = [1 + (j > 0) + (j < n - 1) for j in range(n)]
        for i in range(T):
            if i >= n:
                expect = h[b, i]
            else:
                expect = sum(h[b, j] / math.sqrt(deg[i] * deg[j]) for j in (i - 1, i, i + 1) if 0 <= j < n)
            assert torch.allclose(ours[b, i], expect, atol=1e-6), f"chain graph row {b},{i}"


def check_padding_invariance(model: nn.Module, x, m) -> None:
    """Eval mode: the scores of real frames depend neither on the padded rows nor on the batch mates
    (each video alone, cut to its length, scores the same)."""
    model.eval()
    valid = m.bool()
    x2 = x.clone()
    x2[~valid] = torch.randn_like(x2[~valid]) * 5
    with torch.no_grad():
        a, b = model(x, m), model(x2, m)
        assert torch.allclose(a[valid], b[valid], atol=1e-12), "scores of real frames depend on padding"
        for i, n in enumerate(int(k) for k in m.sum(dim=1).tolist()):
            alone = model(x[i:i + 1, :n], m[i:i + 1, :n])
            assert torch.allclose(a[i, :n], alone[0], atol=1e-12), f"video {i} scores differently alone"


# ----------------------------------------------------------------------------------------------

def main() -> None:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(root, "Tests", "ModelsTests", "Fixtures"))
    parser.add_argument("--skip-checks", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)

    if not args.skip_checks:
        check_resampling()
        check_chain_graph()
        print("resampling and chain-graph checks ok")

    total = 0
    for case, (name, cfg, options) in CASES.items():
        tensors, metadata, (model_t, x, m, t), clamps = run_case(case, name, cfg, options)
        for phase, (_, _, margin) in clamps.items():
            assert margin > CLAMP_MARGIN, f"{case} {phase}: a value entering a clamp is {margin:.2e} from +-10"
        if not args.skip_checks:
            n = check_finite_differences(model_t, x, m, t)
            if name == "logonet":
                check_attention(model_t, x, m)
            check_padding_invariance(model_t, x, m)
        path = os.path.join(args.out, f"{case}.safetensors")
        save_file(tensors, path, metadata=metadata)
        size = os.path.getsize(path)
        total += size
        active = clamps["train"][0]
        note = f", {active} of {clamps['train'][1]} clamped values in train" if name == "logonet" else ""
        checks = "" if args.skip_checks else f", {n} finite-difference checks ok"
        print(f"{case:18s} {size / 1024:7.1f} KiB  loss {float(tensors['loss.train'][0]):.6f}{note}{checks}")
    print(f"total {total / 1024:.1f} KiB")


if __name__ == "__main__":
    main()

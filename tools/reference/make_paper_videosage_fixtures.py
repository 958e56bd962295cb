"""Writes the parity fixtures of `videosage --variant paper` (paper_videosage.py's SPELL) into
Tests/ModelsTests/Fixtures/:

- videosage_paper_<config>.safetensors, config tvsum-like (tau 5, c1 > c2) and summe-like (tau 10,
  c1 < c2) at tiny widths (the code path of the published widths: every layer, all three streams):
  parameters (`param.<official key>`, BatchNorm statistics and affine randomised so no BatchNorm is the
  identity), for each of the videos `LENGTHS` (one of them shorter than tau, one a single frame) its
  features, continuous targets, eval-mode logits and sigmoid scores; and for the videos `TRAIN_VIDEOS`
  one training step each from those parameters, dropout off: BCE-with-logits loss, the gradient of
  every parameter and the BatchNorm running statistics after the step (batch21's after its three
  per-stream updates).
- videosage_paper_checkpoint.safetensors: the tvsum case's `state_dict()` exactly as PyTorch holds it
  (official keys, float32, int64 `num_batches_tracked`), written by safetensors' own `save_file`.

Everything is computed in float64 from float32 draws and stored rounded to float32. Before writing,
the script checks: autograd gradients against central finite differences, the published configs'
parameter counts (922,499 and 348,291) and key count, and, when torch_geometric is installed, the
reference's layers against torch_geometric's (paper_videosage.check_against_pyg).

Usage: ../venv/bin/python tools/reference/make_paper_videosage_fixtures.py [--out DIR] [--skip-checks]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import paper_videosage as ref  # noqa: E402

# Two graphs per config longer than tau, one shorter (3 < 5), one single frame (eval only: BatchNorm
# in training needs more than one value per channel, as PyTorch says).
LENGTHS = [13, 3, 1, 8]
TRAIN_VIDEOS = [0, 1]
CASES = {
    "videosage_paper_tvsum": {"input_dim": 12, "channel1": 8, "channel2": 6, "tau": 5},
    "videosage_paper_summe": {"input_dim": 12, "channel1": 6, "channel2": 8, "tau": 10},
}
CHECKPOINT_CASE = "videosage_paper_tvsum"
# The fixtures are well over common's 20 kB default (many per-parameter gradients); still small.
MAX_BYTES = 60_000


def randomise(model: ref.SPELL, gen: torch.Generator) -> None:
    """BatchNorm affine and running statistics off their defaults; score layers scaled up so the
    logits spread over several units (a sigmoid near 0.5 everywhere would hide errors)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm1d):
                module.weight.copy_(torch.rand(module.weight.shape, generator=gen) + 0.5)
                module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * 0.3)
                module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=gen) * 0.5)
                module.running_var.copy_(torch.rand(module.running_var.shape, generator=gen) * 1.5 + 0.5)
        for layer in (model.layer31, model.layer32, model.layer33):
            layer.lin_l.weight.mul_(3)
            layer.lin_r.weight.mul_(3)


def graph(n: int, tau: int):
    return ref.temporal_edges(n, tau)


def check_gradients(model: ref.SPELL, x: torch.Tensor, y: torch.Tensor, tau: int) -> None:
    """Autograd against central differences (float64) for a sample of entries of every parameter."""
    edge_index, edge_attr = graph(x.shape[0], tau)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def loss():
        # Train mode reads batch statistics only, so the running statistics moving on every call do
        # not change the loss.
        return loss_fn(model(x, edge_index, edge_attr), y)

    model.zero_grad()
    loss().backward()
    worst = 0.0
    # Biases in front of a train-mode BatchNorm have gradient 0 in exact arithmetic (the batch mean
    # removes them): their entries are compared against 1e-3 of the model's largest gradient.
    floor = 1e-3 * max(float(p.grad.abs().max()) for p in model.parameters())
    for name, p in model.named_parameters():
        flat = p.detach().view(-1)
        analytic = p.grad.view(-1).clone()
        for idx in torch.linspace(0, flat.numel() - 1, min(6, flat.numel())).long().tolist():
            saved = float(flat[idx])
            flat[idx] = saved + 1e-6
            up = float(loss().detach())
            flat[idx] = saved - 1e-6
            down = float(loss().detach())
            flat[idx] = saved
            numeric = (up - down) / 2e-6
            worst = max(worst, abs(numeric - float(analytic[idx])) / max(abs(numeric), floor))
    if worst > 1e-4:
        raise SystemExit(f"reference gradients disagree with finite differences: {worst:.2e}")
    print(f"  autograd vs finite differences: worst relative {worst:.1e}")


def check_published_counts() -> None:
    for name, expected in (("tvsum", 922_499), ("summe", 348_291)):
        model = ref.SPELL(**ref.CONFIGS[name])
        count = sum(p.numel() for p in model.parameters())
        keys = len(model.state_dict())
        if count != expected or keys != 51:
            raise SystemExit(f"{name}: {count:,} parameters, {keys} keys (expected {expected:,}, 51)")
    print("  published parameter counts 922,499 / 348,291 and 51 keys: ok")


def run_case(case: str, cfg: dict, out_dir: Path, skip_checks: bool) -> None:
    gen = common.generator_for(case)
    torch.manual_seed(common.seed_for(case))
    model32 = ref.SPELL(**cfg)
    randomise(model32, gen)
    features = [torch.randn(n, cfg["input_dim"], generator=gen) for n in LENGTHS]
    targets = [torch.rand(n, generator=gen) for n in LENGTHS]
    tensors: dict[str, torch.Tensor] = {}
    for key, value in model32.state_dict().items():
        if not key.endswith("num_batches_tracked"):
            tensors[f"param.{key}"] = value
    state64 = {k: (v.double() if v.is_floating_point() else v) for k, v in model32.state_dict().items()}

    model = ref.SPELL(**cfg).double()
    model.load_state_dict(state64)
    model.eval()
    for v, (x, y) in enumerate(zip(features, targets)):
        edge_index, edge_attr = graph(len(x), cfg["tau"])
        with torch.no_grad():
            logits = model(x.double(), edge_index, edge_attr).squeeze(1)
        tensors[f"input.features.{v}"] = x
        tensors[f"input.target.{v}"] = y
        tensors[f"output.logits.{v}"] = logits
        tensors[f"output.eval.{v}"] = torch.sigmoid(logits)

    for v in TRAIN_VIDEOS:
        train = ref.SPELL(**{**cfg, "dropout": 0.0}).double()
        train.load_state_dict(state64)
        train.train()
        x, y = features[v].double(), targets[v].double().unsqueeze(1)
        if not skip_checks and v == TRAIN_VIDEOS[0]:
            check_gradients(train, x, y, cfg["tau"])
            train.load_state_dict(state64)
        edge_index, edge_attr = graph(len(x), cfg["tau"])
        train.zero_grad()
        logits = train(x, edge_index, edge_attr)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
        loss.backward()
        tensors[f"train.{v}.logits"] = logits.detach().squeeze(1)
        tensors[f"train.{v}.loss"] = loss.detach().reshape(1)
        for key, p in train.named_parameters():
            tensors[f"train.{v}.grad.{key}"] = p.grad
        for key, b in train.named_buffers():
            if not key.endswith("num_batches_tracked"):
                tensors[f"train.{v}.after.{key}"] = b

    config = {**cfg, "dropout": 0.5, "lengths": LENGTHS, "train_videos": TRAIN_VIDEOS}
    path = out_dir / f"{case}.safetensors"
    common.MAX_FIXTURE_BYTES = MAX_BYTES
    size = common.write_safetensors(path, tensors, config)
    print(f"  {path.name}: {size:,} bytes")

    if case == CHECKPOINT_CASE:
        # What torch.save(model.state_dict()) holds, as safetensors: official keys, int64 counters (set to
        # a trained-looking value; PyTorch does not use them with momentum 0.1).
        state = {k: v.clone().contiguous() for k, v in model32.state_dict().items()}
        for k in state:
            if k.endswith("num_batches_tracked"):
                state[k] = torch.tensor(150, dtype=torch.int64)
        checkpoint = out_dir / "videosage_paper_checkpoint.safetensors"
        save_file(state, str(checkpoint))
        # It loads back into the reference strictly.
        ref.SPELL(**cfg).load_state_dict(load_file(str(checkpoint)), strict=True)
        print(f"  {checkpoint.name}: {common.check_size(checkpoint):,} bytes ({len(state)} keys)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--skip-checks", action="store_true")
    args = parser.parse_args()
    out_dir = args.out or common.fixtures_dir("ModelsTests")
    torch.set_default_dtype(torch.float32)
    if not args.skip_checks:
        check_published_counts()
        try:
            import torch_geometric  # noqa: F401
        except ImportError:
            print("  torch_geometric not installed: cross-check skipped")
        else:
            ref.check_against_pyg()
    for case, cfg in CASES.items():
        print(case)
        run_case(case, cfg, out_dir, args.skip_checks)


if __name__ == "__main__":
    main()

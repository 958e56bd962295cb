"""PyTorch reference for `csta --variant paper` (models.md section 5.1), written from the official code
(thswodnjs3/CSTA `models/GoogleNet.py` with the `config.py` defaults: GoogleNet_Attention, Softmax_axis TD,
Balance None, fixed positional encoding the PGL-SUM way, dropout 0.6, classifier on, CLS token mixed at the
end, key and value embeddings, skip connection KC with its BatchNorm2d(1)), and torchvision's GoogLeNet
layout for the trunk. torch only: no torchvision.

The module tree reproduces the official `state_dict` keys exactly (paper-state-dicts.md, section csta),
so a checkpoint of the official code loads here and a checkpoint written here loads there.

Widths: `divisor` 1 is the published model. `divisor` d divides every trunk channel count and the
projection width (1024 / d) together, because the skip connection adds the trunk output (inception5b's
1024 / d channels) to the key (the projection width): that is `--size small` (d = 4) and the reduced
widths of the parity fixtures. The input width, the depth, the kernels, the 1000-class `googlenet.fc`
and the 5000-row encoding table are unchanged.

Usage:
  python tools/reference/paper_csta.py               # parameter counts and self-checks
  python tools/reference/paper_csta.py --speed [--frames 120] [--threads 2] [--steps 5]
      [--warmup 2] [--divisor 1] [--out FILE]
The speed mode times inference (eval, no_grad) and training steps (train mode, forward, MSE, backward,
Adam step with the paper's lr 1e-3 and weight decay 1e-7) on random features, one video of --frames
frames, after warm-up, and prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PUBLISHED_DIM = 1024
MAX_LEN = 5000
MIN_FRAMES = 14            # T = 13 leaves maxpool3 a 1-row input, which PyTorch rejects
MAX_FRAMES = MAX_LEN - 1   # the CLS row takes one row of the encoding table

# torchvision's GoogLeNet inception widths: (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj).
INCEPTIONS = [
    ("inception3a", (64, 96, 128, 16, 32, 32)),
    ("inception3b", (128, 128, 192, 32, 96, 64)),
    ("inception4a", (192, 96, 208, 16, 48, 64)),
    ("inception4b", (160, 112, 224, 24, 64, 64)),
    ("inception4c", (128, 128, 256, 24, 64, 64)),
    ("inception4d", (112, 144, 288, 32, 64, 64)),
    ("inception4e", (256, 160, 320, 32, 128, 128)),
    ("inception5a", (256, 160, 320, 32, 128, 128)),
    ("inception5b", (384, 192, 384, 48, 128, 128)),
]


def scaled(width: int, divisor: int) -> int:
    return max(1, width // divisor)


class BasicConv2d(nn.Module):
    """Conv2d without bias, BatchNorm2d(eps 1e-3), ReLU (torchvision's block)."""

    def __init__(self, cin: int, cout: int, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four branches concatenated along channels. The "5x5" branch is a 3x3 conv (torchvision's
    quirk); branch 4 max-pools 3/1 pad 1 in ceil mode before its 1x1 conv."""

    def __init__(self, cin, ch1, ch3r, ch3, ch5r, ch5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(cin, ch1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(cin, ch3r, kernel_size=1), BasicConv2d(ch3r, ch3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(cin, ch5r, kernel_size=1), BasicConv2d(ch5r, ch5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(cin, pool_proj, kernel_size=1))
        self.out_channels = ch1 + ch3 + ch5 + pool_proj

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNetTrunk(nn.Module):
    """GoogLeNet without its auxiliary heads, ending in AdaptiveAvgPool2d((rows, 1)) where rows is the
    input's height (the official edit), returned as (rows, channels). `fc` is registered, never used."""

    def __init__(self, divisor: int = 1, num_classes: int = 1000):
        super().__init__()
        s = lambda c: scaled(c, divisor)  # noqa: E731
        self.conv1 = BasicConv2d(3, s(64), kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(s(64), s(64), kernel_size=1)
        self.conv3 = BasicConv2d(s(64), s(192), kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        cin = s(192)
        for name, widths in INCEPTIONS:
            block = Inception(cin, *[s(w) for w in widths])
            setattr(self, name, block)
            cin = block.out_channels
            if name == "inception3b":
                self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
            elif name == "inception4e":
                self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.out_channels = cin
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        rows = x.shape[2]
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for name in ("inception4a", "inception4b", "inception4c", "inception4d", "inception4e"):
            x = getattr(self, name)(x)
        x = self.inception5b(self.inception5a(self.maxpool4(x)))
        x = F.adaptive_avg_pool2d(x, (rows, 1))   # (1, C, rows, 1): enlarges the few trunk rows
        return x[0, :, :, 0].permute(1, 0)          # (rows, C)


def encoding_table(max_len: int, dim: int, freq: float = 10000.0) -> torch.Tensor:
    """PGL-SUM's absolute sinusoidal table in float32, computed as the official code does."""
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2) * (-math.log(freq) / dim))
    pe = torch.zeros(max_len, dim)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


class FixedPositionalEncoding(nn.Module):
    def __init__(self, dim: int, max_len: int = MAX_LEN):
        super().__init__()
        self.register_buffer("pe", encoding_table(max_len, dim))

    def forward(self, x):
        return x + self.pe[: x.shape[0]]


class CSTAPaper(nn.Module):
    """One video x (T, input_dim) -> scores (T,). Attribute names and registration order are the
    official ones, so `state_dict()` has the official keys in the official order."""

    def __init__(self, divisor: int = 1, input_dim: int = 1024, attention_dropout: float = 0.6,
                 head_dropout: float = 0.5):
        super().__init__()
        dim = PUBLISHED_DIM // divisor
        self.googlenet_divisor = divisor
        self.googlenet = GoogLeNetTrunk(divisor)
        if self.googlenet.out_channels != dim:
            raise ValueError(f"divisor {divisor}: trunk width {self.googlenet.out_channels} != projection width {dim}")
        self.dim = dim
        self.Positional_encoding_op = FixedPositionalEncoding(dim)
        self.dropout = nn.Dropout(p=attention_dropout)
        self.linear1 = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Dropout(p=head_dropout),
                                     nn.LayerNorm(dim, eps=1e-6))
        self.linear2 = nn.Sequential(nn.Linear(dim, 1), nn.Sigmoid())
        for name, param in self.named_parameters():
            if name in ("linear1.0.weight", "linear2.0.weight"):
                nn.init.xavier_uniform_(param, gain=math.sqrt(2.0))
            elif name in ("linear1.0.bias", "linear2.0.bias"):
                nn.init.constant_(param, 0.1)
        self.CLS = nn.Parameter(torch.zeros(1, 3, 1, input_dim))
        self.key_embedding = nn.Linear(input_dim, dim)
        self.value_embedding = nn.Linear(input_dim, dim)
        self.layernorm1 = nn.BatchNorm2d(num_features=1)

    def forward(self, features):
        t = features.shape[0]
        if not MIN_FRAMES <= t <= MAX_FRAMES:
            raise ValueError(f"csta paper: a video of {t} frames is outside {MIN_FRAMES}...{MAX_FRAMES}")
        # The official data loader copies the features into 3 channels: (1, 3, T, F); CLS goes first.
        image = torch.cat((self.CLS, features.unsqueeze(0).expand(3, -1, -1).unsqueeze(0)), dim=2)
        key = self.key_embedding(image)                        # per channel: (1, 3, T+1, dim)
        attention = self.googlenet(key)                        # (T+1, dim)
        attention = attention + key[0, 0]                      # skip connection KC
        attention = self.layernorm1(attention[None, None])[0, 0]
        attention = self.Positional_encoding_op(attention)
        temporal = self.dropout(F.softmax(attention, dim=0))   # one Dropout module, two masks
        spatial = self.dropout(F.softmax(attention, dim=1))
        value = self.value_embedding(image[0, 0])              # channel 0, CLS row included
        out = value * temporal + value * spatial
        out = F.adaptive_avg_pool2d(out[None], (t, out.shape[1]))[0]   # T+1 -> T rows (CLS mixed in)
        return self.linear2(self.linear1(out)).squeeze(-1)


def parameter_counts(model: CSTAPaper) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    fc = sum(p.numel() for p in model.googlenet.fc.parameters())
    return total, total - fc


def trunk_rows(frames: int) -> int:
    """Height of the trunk's output for a video of `frames` frames (T+1 input rows)."""
    h = frames + 1
    conv = lambda n, k, s, p: (n + 2 * p - k) // s + 1  # noqa: E731

    def pool(n, k, s):
        out = -((n - k) // -s) + 1          # ceil mode
        if (out - 1) * s >= n:
            out -= 1
        return out

    h = pool(conv(h, 7, 2, 3), 3, 2)
    h = pool(h, 3, 2)
    h = pool(h, 3, 2)
    return pool(h, 2, 2)


# ------------------------------------------------------------------------------------------------
# Independent checks of the reference (run by the fixture script and by `python paper_csta.py`)
# ------------------------------------------------------------------------------------------------

def check_counts() -> None:
    total, without_fc = parameter_counts(CSTAPaper())
    assert (total, without_fc) == (9_779_851, 8_754_851), (total, without_fc)
    keys = list(CSTAPaper().state_dict().keys())
    assert len(keys) == 361, len(keys)
    assert keys[0] == "CLS" and keys[-1] == "layernorm1.num_batches_tracked", (keys[0], keys[-1])


def check_encoding_table() -> None:
    """The float32 table against the formula in float64: sin/cos of float32 arguments up to 5000 rad
    agree to float32 rounding of the argument (an ulp of 4999 is 5e-4), so 1e-3."""
    pe = encoding_table(MAX_LEN, 64).double()
    pos = torch.arange(MAX_LEN, dtype=torch.float64)[:, None]
    freq = torch.exp(torch.arange(0, 64, 2, dtype=torch.float64) * (-math.log(10000.0) / 64))
    assert (pe[:, 0::2] - torch.sin(pos * freq)).abs().max() < 1e-3
    assert (pe[:, 1::2] - torch.cos(pos * freq)).abs().max() < 1e-3


def check_adaptive_pool_rule() -> None:
    """F.adaptive_avg_pool2d against the window rule start = floor(i h / out), end = ceil((i+1) h / out),
    enlarging (3 -> 8) and shrinking (9 -> 8), written out."""
    for h, out in ((3, 8), (9, 8), (2, 15), (15, 14)):
        x = torch.randn(1, 2, h, 5, dtype=torch.float64)
        ours = F.adaptive_avg_pool2d(x, (out, 5))
        for i in range(out):
            a, b = (i * h) // out, -((-(i + 1) * h) // out)
            assert torch.allclose(ours[:, :, i], x[:, :, a:b].mean(dim=2)), (h, out, i)


def check_trunk_rows() -> None:
    """trunk_rows against the trunk's actual output height before the adaptive pool."""
    trunk = GoogLeNetTrunk(divisor=16).eval()
    seen = {}
    trunk.inception5b.register_forward_hook(lambda m, i, o: seen.__setitem__("h", o.shape[2]))
    for frames in (14, 29, 30, 60, 61, 90):
        with torch.no_grad():
            trunk(torch.randn(1, 3, frames + 1, 64))
        assert seen["h"] == trunk_rows(frames), (frames, seen["h"], trunk_rows(frames))
    try:
        with torch.no_grad():
            trunk(torch.randn(1, 3, 14, 64))      # 13 frames: PyTorch's max pool refuses
    except RuntimeError:
        pass
    else:
        raise AssertionError("13 frames should fail in maxpool3")


def check_finite_differences(model: CSTAPaper, videos, targets, per_tensor: int = 1, tol: float = 1e-5) -> tuple[int, int]:
    """Central differences of the float64 train-mode loss (dropout off) for entries of every parameter.
    The model must hold autograd gradients of the summed MSE; BatchNorm running statistics move on every
    call but train mode never reads them. ReLU and max-pool kinks: an entry whose difference quotients
    at two step sizes (1e-6, 1e-7) disagree with each other sits within a step of a kink (the function
    is not differentiable there at that resolution) and is replaced by another entry; an entry whose
    quotients agree with each other must agree with autograd. Returns (checked, kinks skipped)."""
    gen = torch.Generator().manual_seed(1)

    def loss():
        return float(sum(F.mse_loss(model(v), t) for v, t in zip(videos, targets)))

    def quotient(flat, idx, eps):
        old = float(flat[idx])
        with torch.no_grad():
            flat[idx] = old + eps
            up = loss()
            flat[idx] = old - eps
            down = loss()
            flat[idx] = old
        return (up - down) / (2 * eps)

    checked = kinks = 0
    for key, p in model.named_parameters():
        if p.grad is None:
            continue
        flat, grad = p.data.view(-1), p.grad.view(-1)
        scale = float(grad.abs().max()) + 1e-12
        done = 0
        for idx in torch.randperm(flat.numel(), generator=gen).tolist()[: per_tensor + 5]:
            coarse, fine = quotient(flat, idx, 1e-6), quotient(flat, idx, 1e-7)
            if abs(coarse - fine) > tol * scale + 1e-7:
                kinks += 1
                continue
            assert abs(fine - float(grad[idx])) <= tol * scale + 1e-7, f"{key}[{idx}]: autograd {float(grad[idx])} vs fd {fine}"
            checked += 1
            done += 1
            if done == per_tensor:
                break
        assert done == per_tensor, f"{key}: every entry tried sits at a kink"
    return checked, kinks


# ------------------------------------------------------------------------------------------------
# Speed
# ------------------------------------------------------------------------------------------------

def speed(frames: int, threads: int, warmup: int, steps: int, divisor: int) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = CSTAPaper(divisor)
    x = torch.randn(frames, 1024)
    target = torch.rand(frames)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-7)

    def timed(fn, n):
        out = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    def infer():
        with torch.no_grad():
            model(x)

    def train_step():
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), target)
        loss.backward()
        optimizer.step()

    model.eval()
    timed(infer, warmup)
    inference = timed(infer, steps)
    model.train()
    timed(train_step, warmup)
    training = timed(train_step, steps)

    def summary(seconds):
        ms = sorted(s * 1000 for s in seconds)
        return {"median_ms": statistics.median(ms), "min_ms": ms[0], "max_ms": ms[-1], "all_ms": ms}

    return {"model": "csta", "variant": "paper", "divisor": divisor, "frames": frames, "threads": threads,
            "torch": torch.__version__, "warmup": warmup, "inference": summary(inference),
            "training_step": summary(training)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--divisor", type=int, default=1)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.speed:
        result = json.dumps(speed(args.frames, args.threads, args.warmup, args.steps, args.divisor), indent=1)
        if args.out:
            with open(args.out, "w") as f:
                f.write(result + "\n")
        print(result)
        return
    torch.set_num_threads(1)
    check_counts()
    check_encoding_table()
    check_adaptive_pool_rule()
    check_trunk_rows()
    total, without_fc = parameter_counts(CSTAPaper())
    print(f"csta paper: {total:,} parameters ({without_fc:,} without googlenet.fc); checks ok")
    print("trunk rows:", {t: trunk_rows(t) for t in (14, 20, 29, 30, 45, 60, 61, 62, 93, 94, 120)})
    sys.exit(0)


if __name__ == "__main__":
    main()

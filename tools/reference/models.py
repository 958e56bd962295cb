"""PyTorch reference implementations of the four `report` models of spec/models.md, sections 1-4.

Each model is built from a config dict whose snake_case keys are the ones the Swift side uses, and
its state_dict keys and shapes are exactly those listed in models.md. Running this file checks the
parameter counts at published width (`check_counts`).

Usage: ../venv/bin/python tools/reference/models.py
"""

from __future__ import annotations

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

PUBLISHED = {
    "logonet": {
        "input_dim": 1024, "hidden": 512, "kernel": 3, "layers": 2, "heads": 8, "ff_dim": 2048,
        "score_hidden": 256, "max_len": 1000, "dropout": 0.5,
        "cross_attention": True, "adaptive_fusion": True,
    },
    "csta": {
        "input_dim": 1024, "proj_dim": 512, "channels": [64, 128, 512], "score_hidden": [256, 128],
        "dropout": 0.5,
    },
    "videosage": {
        "input_dim": 1024, "hidden": 512, "gcn_layers": 3, "score_hidden": [256, 128], "dropout": 0.5,
    },
    "edsnet": {
        "input_dim": 1024, "hidden": 512, "token_hidden": 256, "channel_hidden": 2048, "blocks": 4,
        "score_hidden": [256, 128], "dropout": 0.5,
    },
}

def zero_padding(t: torch.Tensor, mask: torch.Tensor, time_dim: int) -> torch.Tensor:
    """Zeroes the padded frames of `t` (time on `time_dim`, batch on 0) before a convolution over time,
    so a padded video sees the same zero padding as when it is alone. This is the project's deliberate
    difference from the report's code (README "Padding"): there, the convolutions (and CSTA's softmax)
    read padded rows, so a video's scores depended on its batch mates."""
    shape = [1] * t.dim()
    shape[0], shape[time_dim] = mask.shape
    return t * mask.reshape(shape).to(t.dtype)


# The activation clamp of LoGoNet (the report's stability measure, kept as designed).
CLAMP = 10.0


def _clamp(t: torch.Tensor) -> torch.Tensor:
    return torch.clamp(t, -CLAMP, CLAMP)


def _attention(hidden: int, heads: int, dropout: float) -> nn.MultiheadAttention:
    """Standard MHA with the small-gain init of models.md section 1."""
    attn = nn.MultiheadAttention(hidden, heads, dropout=dropout, batch_first=True)
    nn.init.xavier_uniform_(attn.in_proj_weight, gain=0.01)
    nn.init.zeros_(attn.in_proj_bias)
    nn.init.xavier_uniform_(attn.out_proj.weight, gain=0.01)
    nn.init.zeros_(attn.out_proj.bias)
    return attn


# ----------------------------------------------------------------------------------------------
# LoGoNet
# ----------------------------------------------------------------------------------------------

class LocalPath(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        h, k = cfg["hidden"], cfg["kernel"]
        if h % 2:
            raise ValueError(f"logonet: hidden must be even (conv1 has hidden/2 channels), got {h}")
        self.feature_proj = nn.Linear(cfg["input_dim"], h)
        self.conv1 = nn.Conv2d(1, h // 2, kernel_size=(k, 1), padding=(k // 2, 0))
        self.bn1 = nn.BatchNorm2d(h // 2)
        self.conv2 = nn.Conv2d(h // 2, h, kernel_size=(k, 1), padding=(k // 2, 0))
        self.bn2 = nn.BatchNorm2d(h)
        self.dropout = nn.Dropout(cfg["dropout"])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        xp = self.feature_proj(x)                                   # (B,T,H)
        c = self.conv1(zero_padding(xp, mask, 1).unsqueeze(1))      # (B,H/2,T,H)
        c = zero_padding(self.dropout(F.gelu(self.bn1(c))), mask, 2)
        c = self.bn2(self.conv2(c))                                 # (B,H,T,H)
        return self.dropout(F.gelu(c.mean(dim=1) + xp))


class EncoderLayer(nn.Module):
    """Pre-norm transformer layer with LoGoNet's clamps."""

    def __init__(self, cfg: dict):
        super().__init__()
        h, p = cfg["hidden"], cfg["dropout"]
        self.self_attn = _attention(h, cfg["heads"], p)
        self.ff = nn.Sequential(
            nn.Linear(h, cfg["ff_dim"]), nn.GELU(), nn.Dropout(p), nn.Linear(cfg["ff_dim"], h), nn.Dropout(p)
        )
        self.norm1 = nn.LayerNorm(h)
        self.norm2 = nn.LayerNorm(h)
        self.dropout = nn.Dropout(p)

    def forward(self, g: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        n = _clamp(self.norm1(g))
        a, _ = self.self_attn(n, n, n, key_padding_mask=padding, need_weights=False)
        g = g + self.dropout(_clamp(a))
        n2 = _clamp(self.norm2(g))
        return g + _clamp(self.ff(n2))


def video_positions(pos: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
    """Positional encodings for a padded batch (padding: (B,T), True = padded). When T fits the table,
    pos[:, :T] for all; otherwise each video gets the table resampled to its own length (rows past it
    zero), so its scores do not depend on the batch's padded length."""
    b, t = padding.shape
    if t <= pos.shape[1]:
        return pos[:, :t]
    rows = []
    for n in (~padding).sum(dim=1).tolist():
        own = resample_positions(pos, max(int(n), 1))
        rows.append(F.pad(own, (0, 0, 0, t - own.shape[1])))
    return torch.cat(rows, dim=0)


def resample_positions(pos: torch.Tensor, length: int) -> torch.Tensor:
    """pos (1, L, H) -> (1, length, H): a slice when length <= L, else linear resampling along L."""
    if length <= pos.shape[1]:
        return pos[:, :length]
    return F.interpolate(pos.transpose(1, 2), size=length, mode="linear", align_corners=False).transpose(1, 2)


class GlobalPath(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        h = cfg["hidden"]
        self.pos_encoding = nn.Parameter(torch.empty(1, cfg["max_len"], h))
        # PyTorch's fan rule for a 3-D tensor: fan_in = max_len * H, fan_out = H.
        nn.init.xavier_uniform_(self.pos_encoding, gain=0.02)
        self.feature_proj = nn.Linear(cfg["input_dim"], h)
        self.transformer_layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg["layers"]))
        self.dropout = nn.Dropout(cfg["dropout"])

    def forward(self, x: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        g0 = self.dropout(self.feature_proj(x) + video_positions(self.pos_encoding, padding))
        g = g0
        for layer in self.transformer_layers:
            g = layer(g, padding)
        return g + g0


class CrossPathAttention(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        h, p = cfg["hidden"], cfg["dropout"]
        self.local_to_global = _attention(h, cfg["heads"], p)
        self.global_to_local = _attention(h, cfg["heads"], p)
        self.norm1 = nn.LayerNorm(h)
        self.norm2 = nn.LayerNorm(h)
        self.dropout = nn.Dropout(p)

    def forward(self, xl, xg, padding):
        xl, xg = _clamp(xl), _clamp(xg)
        a_l, _ = self.local_to_global(xl, xg, xg, key_padding_mask=padding, need_weights=False)
        a_g, _ = self.global_to_local(xg, xl, xl, key_padding_mask=padding, need_weights=False)
        xl2 = self.norm1(xl + self.dropout(_clamp(a_l)))
        xg2 = self.norm2(xg + self.dropout(_clamp(a_g)))
        return xl2, xg2


class AdaptiveFusion(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        h, p = cfg["hidden"], cfg["dropout"]
        self.gate_net = nn.Sequential(nn.Linear(2 * h, h), nn.GELU(), nn.Dropout(p), nn.Linear(h, 2))
        self.fusion_proj = nn.Sequential(nn.Linear(3 * h, h), nn.LayerNorm(h), nn.GELU(), nn.Dropout(p))

    def forward(self, xl2, xg2):
        w = torch.softmax(self.gate_net(torch.cat([xl2, xg2], dim=-1)), dim=-1)
        xw = w[..., 0:1] * xl2 + w[..., 1:2] * xg2
        return self.fusion_proj(torch.cat([xw, xl2, xg2], dim=-1))


class LoGoNet(nn.Module):
    """models.md section 1. Ablations: `cross_attention: false` drops the `cross_attention.*` keys
    (xl2, xg2 = xl, xg, no clamp); `adaptive_fusion: false` replaces `adaptive_fusion.*` by a
    top-level `fusion_proj` Linear 2H->H followed by dropout."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = dict(cfg)
        h, p = cfg["hidden"], cfg["dropout"]
        if h % cfg["heads"]:
            raise ValueError(f"logonet: hidden {h} is not divisible by heads {cfg['heads']}")
        if cfg["kernel"] % 2 == 0:
            raise ValueError(f"logonet: kernel must be odd to keep the length, got {cfg['kernel']}")
        self.local_path = LocalPath(cfg)
        self.global_path = GlobalPath(cfg)
        if cfg["cross_attention"]:
            self.cross_attention = CrossPathAttention(cfg)
        if cfg["adaptive_fusion"]:
            self.adaptive_fusion = AdaptiveFusion(cfg)
        else:
            self.fusion_proj = nn.Linear(2 * h, h)
        self.score_net = nn.Sequential(
            nn.LayerNorm(h), nn.Linear(h, cfg["score_hidden"]), nn.GELU(), nn.Dropout(p),
            nn.Linear(cfg["score_hidden"], 1), nn.Sigmoid(),
        )
        self.dropout = nn.Dropout(p)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        padding = ~mask.bool()
        xl = self.local_path(x, mask)
        xg = self.global_path(x, padding)
        if self.cfg["cross_attention"]:
            xl2, xg2 = self.cross_attention(xl, xg, padding)
        else:
            xl2, xg2 = xl, xg
        if self.cfg["adaptive_fusion"]:
            f = self.adaptive_fusion(xl2, xg2)
        else:
            f = self.dropout(self.fusion_proj(torch.cat([xl2, xg2], dim=-1)))
        return self.score_net(f).squeeze(-1)


# ----------------------------------------------------------------------------------------------
# Shared score head of CSTA, VideoSAGE and EDSNet
# ----------------------------------------------------------------------------------------------

def score_head(width: int, hidden: list[int], p: float) -> nn.Sequential:
    h1, h2 = hidden
    return nn.Sequential(
        nn.Linear(width, h1), nn.ReLU(), nn.Dropout(p),
        nn.Linear(h1, h2), nn.ReLU(), nn.Dropout(p),
        nn.Linear(h2, 1), nn.Sigmoid(),
    )


# ----------------------------------------------------------------------------------------------
# CSTA (report variant)
# ----------------------------------------------------------------------------------------------

class CSTA(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = dict(cfg)
        c1, c2, c3 = cfg["channels"]
        self.feature_proj = nn.Linear(cfg["input_dim"], cfg["proj_dim"])
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(c2)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(c3)
        self.attention_conv = nn.Conv2d(c3, 1, 1)
        self.score_net = score_head(c3, cfg["score_hidden"], cfg["dropout"])
        self.dropout = nn.Dropout(cfg["dropout"])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        c = zero_padding(self.feature_proj(x), mask, 1).unsqueeze(1)   # (B,1,T,P)
        c = zero_padding(self.dropout(F.relu(self.bn1(self.conv1(c)))), mask, 2)
        c = zero_padding(self.dropout(F.relu(self.bn2(self.conv2(c)))), mask, 2)
        c = self.dropout(F.relu(self.bn3(self.conv3(c))))            # (B,C3,T,P)
        # The softmax over T excludes padded positions (the report's code included them).
        logits = self.attention_conv(c).mean(dim=-1).squeeze(1)     # (B,T)
        att = torch.softmax(logits.masked_fill(~mask.bool(), float("-inf")), dim=-1)
        h = c.mean(dim=-1).transpose(1, 2) * att.unsqueeze(-1)      # (B,T,C3)
        return self.score_net(h).squeeze(-1) * mask


# ----------------------------------------------------------------------------------------------
# VideoSAGE (report variant)
# ----------------------------------------------------------------------------------------------

def chain_graph_operator(mask: torch.Tensor, dtype=torch.float64) -> torch.Tensor:
    """(B,T) mask -> (B,T,T) dense D^-1/2 A D^-1/2 of the chain graph with self-loops over each
    video's valid frames; padded rows and columns are the identity. Valid frames are assumed to be
    the first n of each row (right padding), as everywhere in this project."""
    b, t = mask.shape
    out = torch.zeros(b, t, t, dtype=dtype)
    for i in range(b):
        n = int(mask[i].sum().item())
        if not bool(mask[i, :n].all()):
            raise ValueError(f"videosage: mask row {i} is not right-padded")
        a = torch.zeros(n, n, dtype=dtype)
        idx = torch.arange(n)
        a[idx, idx] = 1.0
        a[idx[1:], idx[:-1]] = 1.0
        a[idx[:-1], idx[1:]] = 1.0
        d = (a.sum(dim=1) + 1e-8).rsqrt()
        out[i, :n, :n] = d[:, None] * a * d[None, :]
        out[i, n:, n:] = torch.eye(t - n, dtype=dtype)
    return out


class VideoSAGE(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = dict(cfg)
        h = cfg["hidden"]
        self.feature_proj = nn.Linear(cfg["input_dim"], h)
        self.gcn_layers = nn.ModuleList(GraphConv(h, h) for _ in range(cfg["gcn_layers"]))
        self.score_net = score_head(h, cfg["score_hidden"], cfg["dropout"])
        self.dropout = nn.Dropout(cfg["dropout"])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = chain_graph_operator(mask, dtype=x.dtype)
        h = self.feature_proj(x)
        last = len(self.gcn_layers) - 1
        for l, layer in enumerate(self.gcn_layers):
            h = layer(h, a)
            if l < last:
                h = self.dropout(F.relu(h))
        m = mask.unsqueeze(-1).to(h.dtype)
        return self.score_net(h * m).squeeze(-1) * mask


class GraphConv(nn.Module):
    def __init__(self, fan_in: int, fan_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(fan_in, fan_out))     # (in, out), unlike nn.Linear
        self.bias = nn.Parameter(torch.zeros(fan_out))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return a @ (h @ self.weight) + self.bias


# ----------------------------------------------------------------------------------------------
# EDSNet (report variant)
# ----------------------------------------------------------------------------------------------

class MixerBlock(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        h, th, ch, p = cfg["hidden"], cfg["token_hidden"], cfg["channel_hidden"], cfg["dropout"]
        self.token_mix_conv = nn.Sequential(
            nn.Conv1d(h, th, 3, padding=1), nn.GELU(), nn.Dropout(p), nn.Conv1d(th, h, 3, padding=1), nn.Dropout(p)
        )
        self.channel_mix = nn.Sequential(
            nn.LayerNorm(h), nn.Linear(h, ch), nn.GELU(), nn.Dropout(p), nn.Linear(ch, h), nn.Dropout(p)
        )

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        t = F.layer_norm(h, h.shape[-1:], eps=1e-5).transpose(1, 2)  # no affine parameters; (B,H,T)
        conv_a, gelu, drop_a, conv_b, drop_b = self.token_mix_conv
        inner = zero_padding(drop_a(gelu(conv_a(zero_padding(t, mask, 2)))), mask, 2)
        h = h + drop_b(conv_b(inner)).transpose(1, 2)
        return h + self.channel_mix(h)


class EDSNet(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = dict(cfg)
        self.feature_proj = nn.Linear(cfg["input_dim"], cfg["hidden"])
        self.mixer_blocks = nn.ModuleList(MixerBlock(cfg) for _ in range(cfg["blocks"]))
        self.score_net = score_head(cfg["hidden"], cfg["score_hidden"], cfg["dropout"])

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.feature_proj(x)
        for block in self.mixer_blocks:
            h = block(h, mask)
        h = h * mask.unsqueeze(-1).to(h.dtype)
        return self.score_net(h).squeeze(-1) * mask


# ----------------------------------------------------------------------------------------------

MODELS = {"logonet": LoGoNet, "csta": CSTA, "videosage": VideoSAGE, "edsnet": EDSNet}


def build(name: str, cfg: dict | None = None) -> nn.Module:
    """Model `name` from `cfg` (missing keys default to the published width)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {sorted(MODELS)}")
    full = copy.deepcopy(PUBLISHED[name])
    unknown = set(cfg or {}) - set(full)
    if unknown:
        raise ValueError(f"{name}: unknown config keys {sorted(unknown)}")
    full.update(cfg or {})
    return MODELS[name](full)


# `bench --size small`: every hidden width / 4 (ModelSize.scaled, README "The models"). The side-by-side
# scripts check these models' parameter counts against bench's; EXPECTED_COUNTS holds bench's.
SMALL_KEYS = {
    "logonet": ["hidden", "ff_dim", "score_hidden"],
    "csta": ["proj_dim", "channels", "score_hidden"],
    "videosage": ["hidden", "score_hidden"],
    "edsnet": ["hidden", "token_hidden", "channel_hidden", "score_hidden"],
}


def small_config(name: str, dropout: float | None = None) -> dict:
    """The `--size small` overrides of model `name` for `build` (dropout: the published one unless given)."""
    def quarter(v):
        return [max(1, x // 4) for x in v] if isinstance(v, list) else max(1, v // 4)
    cfg = {k: quarter(PUBLISHED[name][k]) for k in SMALL_KEYS[name]}
    cfg["dropout"] = PUBLISHED[name]["dropout"] if dropout is None else dropout
    return cfg


def masked_mse(scores: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.to(scores.dtype)
    return (m * (scores - target) ** 2).sum() / m.sum()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


EXPECTED_COUNTS = [
    ("logonet", {}, 11_812_355),
    ("logonet", {"kernel": 5}, 12_075_011),
    ("csta", {}, 1_355_906),
    ("videosage", {}, 1_477_121),
    ("edsnet", {}, 12_240_897),
    # bench's `--size small` counts (`bench speed NAME --size small`)
    ("logonet", small_config("logonet"), 1_036_163),
    ("csta", small_config("csta"), 183_842),
    ("videosage", small_config("videosage"), 191_105),
    ("edsnet", small_config("edsnet"), 866_817),
]


def check_counts() -> None:
    for name, override, expected in EXPECTED_COUNTS:
        got = parameter_count(build(name, override))
        assert got == expected, f"{name} {override}: {got:,} parameters, expected {expected:,}"
        print(f"{name:9s} {'small' if override == small_config(name) else str(override):14s} {got:>12,} parameters  ok")


def _check_forward_small() -> None:
    """A quick shape/range smoke run of every model at a small width, with padding."""
    torch.manual_seed(0)
    x = torch.randn(2, 9, 24)
    mask = torch.tensor([[1] * 9, [1] * 5 + [0] * 4], dtype=torch.bool)
    small = {
        "logonet": {"input_dim": 24, "hidden": 16, "heads": 8, "ff_dim": 32, "score_hidden": 8, "max_len": 6},
        "csta": {"input_dim": 24, "proj_dim": 8, "channels": [2, 3, 4], "score_hidden": [4, 3]},
        "videosage": {"input_dim": 24, "hidden": 8, "score_hidden": [4, 3]},
        "edsnet": {"input_dim": 24, "hidden": 8, "token_hidden": 4, "channel_hidden": 16, "score_hidden": [4, 3]},
    }
    for name, cfg in small.items():
        model = build(name, cfg).eval()
        with torch.no_grad():
            s = model(x, mask)
        assert s.shape == (2, 9) and torch.isfinite(s).all(), name
        assert bool(((s > 0) & (s < 1))[mask].all()), name
    print("small forward passes ok")


def _check_padding_invariance() -> None:
    """Eval mode: each video of a padded batch scores exactly as when it runs alone (float64)."""
    torch.manual_seed(1)
    small = {
        "logonet": {"input_dim": 12, "hidden": 16, "heads": 4, "ff_dim": 24, "score_hidden": 8, "max_len": 20},
        "csta": {"input_dim": 12, "proj_dim": 8, "channels": [2, 3, 4], "score_hidden": [4, 3]},
        "videosage": {"input_dim": 12, "hidden": 8, "score_hidden": [4, 3]},
        "edsnet": {"input_dim": 12, "hidden": 8, "token_hidden": 4, "channel_hidden": 16, "score_hidden": [4, 3]},
    }
    lengths = [9, 4, 6]
    x = torch.randn(len(lengths), max(lengths), 12, dtype=torch.float64)
    mask = torch.tensor([[1] * n + [0] * (max(lengths) - n) for n in lengths], dtype=torch.bool)
    for name, cfg in small.items():
        model = build(name, cfg).double().eval()
        for module in model.modules():   # non-trivial running statistics, so BatchNorm is not the identity
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
        with torch.no_grad():
            batched = model(x, mask)
            for i, n in enumerate(lengths):
                alone = model(x[i:i + 1, :n], mask[i:i + 1, :n])
                gap = (batched[i, :n] - alone[0]).abs().max().item()
                assert gap < 1e-12, f"{name}: video {i} differs from its batched scores by {gap}"
    print("padded batch == each video alone ok")


if __name__ == "__main__":
    check_counts()
    _check_forward_small()
    _check_padding_invariance()

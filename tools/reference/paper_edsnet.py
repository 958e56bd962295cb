"""PyTorch reference of `edsnet --variant paper` (models.md section 5.3), torch only.

Written from the official code (the EDSNet repository: `src/anchor_based/dsnet.py` class `DSNet`,
`src/anchor_based/poolings.py`, `src/modules/frequency_inspired/fourier_attention.py`,
`src/transformer/nystroformer.py`; li-plus/DSNet: `anchor_based/anchor_helper.py`, `losses.py`,
`train.py`, `helpers/bbox_helper.py`, `evaluate.py`, `vsumm_helper.py`), module names and state_dict keys
as there. What differs from the official code, on purpose:
- the anchor sampling draws from xoshiro256** (the project's generator, reimplemented below) with a
  Fisher-Yates shuffle, instead of `np.random.shuffle`, so Swift and Python sample the same anchors;
- NMS breaks score ties by the higher anchor index (a stable sort reversed; numpy's default sort leaves
  ties unspecified);
- FFT pooling is vectorised over frames (`Pooling.fft_loop` is the official per-frame loop, kept to
  check the vectorised form in make_edsnet_paper_fixtures.py); the numbers are the same.
The keyshot summary is the harness's (MR.HiSum rules, `keyshot_summary` below), not DSNet's eccv16 one.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK64 = (1 << 64) - 1

# ----------------------------------------------------------------------------------------------
# The project's seeded generator (Sources/Randomness/SeededGenerator.swift), bit for bit.


class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK64


class SeededGenerator:
    """xoshiro256** seeded through SplitMix64."""

    def __init__(self, seed: int):
        mixer = SplitMix64(seed)
        self.s = [mixer.next() for _ in range(4)]

    def next(self) -> int:
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK64, 7) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def int_in(self, low: int, high: int) -> int:
        """Uniform in low...high by rejection (no modulo bias)."""
        span = (high - low + 1) & MASK64
        if span == 0:
            return self.next()
        limit = MASK64 - (MASK64 % span)
        value = self.next()
        while value >= limit:
            value = self.next()
        return low + value % span

    def shuffle(self, values: list) -> None:
        for i in range(len(values) - 1, 0, -1):
            j = self.int_in(0, i)
            values[i], values[j] = values[j], values[i]


# ----------------------------------------------------------------------------------------------
# The model.


class SkipConnection(nn.Module):
    def __init__(self, num_feature: int):
        super().__init__()
        self.layernorm = nn.LayerNorm(num_feature)

    def forward(self, x):
        # orientation 'paper': fft over features, then over time, real part.
        fft = torch.fft.fft(torch.fft.fft(x, dim=-1).permute(0, 2, 1), dim=-1).permute(0, 2, 1).real
        return self.layernorm(fft + x)


class FNetLayer(nn.Module):
    def __init__(self, num_feature: int, dropout: float):
        super().__init__()
        self.layernorm = nn.LayerNorm(num_feature)
        self.fc = nn.Sequential(nn.Linear(num_feature, num_feature), nn.ReLU(), nn.Dropout(dropout))
        self.fft_skip = SkipConnection(num_feature)

    def forward(self, x):
        x = self.fft_skip(x)
        return self.layernorm(self.fc(x) + x)


def moore_penrose_iter_pinv(x, iters: int = 6):
    abs_x = torch.abs(x)
    col = abs_x.sum(dim=-1)
    row = abs_x.sum(dim=-2)
    z = x.transpose(-1, -2) / (torch.max(col) * torch.max(row))
    eye = torch.eye(x.shape[-1], dtype=x.dtype).unsqueeze(0)
    for _ in range(iters):
        xz = x @ z
        z = 0.25 * z @ (13 * eye - (xz @ (15 * eye - (xz @ (7 * eye - xz)))))
    return z


class NystromAttention(nn.Module):
    """lucidrains' NystromAttention without a mask, einops written out."""

    def __init__(self, dim, dim_head=64, heads=8, num_landmarks=64, pinv_iterations=6, residual_conv_kernel=33):
        super().__init__()
        inner_dim = heads * dim_head
        self.num_landmarks = num_landmarks
        self.pinv_iterations = pinv_iterations
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner_dim, dim), nn.Dropout(0.0))
        padding = residual_conv_kernel // 2
        self.res_conv = nn.Conv2d(heads, heads, (residual_conv_kernel, 1), padding=(padding, 0), groups=heads,
                                  bias=False)

    def forward(self, x):
        b, n, _ = x.shape
        h, m = self.heads, self.num_landmarks
        remainder = n % m
        if remainder > 0:
            x = F.pad(x, (0, 0, m - remainder, 0), value=0)
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, t.shape[1], h, -1).permute(0, 2, 1, 3) for t in (q, k, v))
        q = q * self.scale
        l = math.ceil(n / m)
        q_landmarks = q.reshape(b, h, m, l, q.shape[-1]).sum(dim=3) / l
        k_landmarks = k.reshape(b, h, m, l, k.shape[-1]).sum(dim=3) / l
        sim1 = q @ k_landmarks.transpose(-1, -2)
        sim2 = q_landmarks @ k_landmarks.transpose(-1, -2)
        sim3 = q_landmarks @ k.transpose(-1, -2)
        attn1, attn2, attn3 = (t.softmax(dim=-1) for t in (sim1, sim2, sim3))
        attn2_inv = moore_penrose_iter_pinv(attn2, self.pinv_iterations)
        out = (attn1 @ attn2_inv) @ (attn3 @ v)
        out = out + self.res_conv(v)
        out = out.permute(0, 2, 1, 3).reshape(b, out.shape[2], -1)
        out = self.to_out(out)
        return out[:, -n:]


class Pooling(nn.Module):
    """The official FFT pooling; `fft_loop` is its per-frame loop, `forward` the same numbers at once."""

    def __init__(self, scale: int, num_hidden: int):
        super().__init__()
        self.scale = scale
        self.fc = nn.Sequential(nn.Linear(num_hidden * scale, num_hidden), nn.GELU())

    @staticmethod
    def window_rows(seq_len: int, scale: int) -> list[list[int]]:
        rows = []
        for i in range(seq_len):
            end = min(i + scale // 2, seq_len)
            start = max(0, i - scale // 2 + 1)
            real = list(range(start, min(end + 1, seq_len)))
            rows.append(real + [-1] * (scale - len(real)))
        return rows

    def fft_loop(self, x):
        pooled, coarse = [], []
        for i in range(x.shape[1]):
            end = min(i + self.scale // 2, x.shape[1])
            start = max(0, i - self.scale // 2 + 1)
            segment = x[:, start:end + 1, :]
            if segment.shape[1] < self.scale:
                segment = F.pad(segment, (0, 0, 0, self.scale - segment.shape[1]))
            segment_fft = torch.fft.fft(segment, dim=1).real
            coarse.append(segment_fft.mean(dim=1))
            pooled.append(segment_fft)
        coarse = torch.stack(coarse, dim=1)
        fine = torch.stack(pooled, dim=1).view(1, x.shape[1], self.scale * x.shape[2])
        return coarse, self.fc(fine)

    def forward(self, x):
        _, t, hidden = x.shape
        rows = torch.tensor(self.window_rows(t, self.scale))                  # (T, s)
        padded = torch.cat([x, torch.zeros(1, 1, hidden, dtype=x.dtype)], dim=1)
        windows = padded[0, torch.where(rows < 0, t, rows)]                    # (T, s, H)
        spectrum = torch.fft.fft(windows, dim=1).real
        coarse = spectrum.mean(dim=1).unsqueeze(0)
        return coarse, self.fc(spectrum.reshape(1, t, self.scale * hidden))


class DSNet(nn.Module):
    def __init__(self, base_model: str, num_feature: int, num_hidden: int, anchor_scales: list[int],
                 fc_depth: int = 7, pooling_type: str = "fft", heads: int = 8, dim_head: int = 64,
                 num_landmarks: int = 64, residual_conv_kernel: int = 33, dropout: float = 0.5):
        super().__init__()
        self.anchor_scales = list(anchor_scales)
        self.num_scales = len(anchor_scales)
        self.pooling_type = pooling_type
        if base_model == "fourier":
            self.base_model = FNetLayer(num_feature, dropout)
        else:
            self.base_model = NystromAttention(num_feature, dim_head=dim_head, heads=heads, num_landmarks=num_landmarks,
                                               residual_conv_kernel=residual_conv_kernel)
        if pooling_type == "roi":
            self.poolings = [nn.AvgPool1d(s, stride=1, padding=s // 2) for s in anchor_scales]
        else:
            self.poolings = Pooling(anchor_scales[0], num_hidden)
        self.layer_norm = nn.LayerNorm(num_feature)
        self.fc1 = nn.Linear(num_feature, num_hidden)
        self.fc_block = nn.Sequential(nn.Linear(num_hidden, num_hidden), nn.ReLU(), nn.Dropout(dropout),
                                      nn.LayerNorm(num_hidden))
        self.fc = nn.ModuleList([self.fc_block for _ in range(fc_depth)])
        self.fc_cls = nn.Sequential(nn.Linear(num_hidden, 1))
        self.fc_loc = nn.Sequential(nn.Linear(num_hidden, 2))

    def forward(self, x):
        _, seq_len, _ = x.shape
        out = self.base_model(x)
        out = out + x
        out = self.fc1(self.layer_norm(out))
        for fc in self.fc:
            out = fc(out)
        if self.pooling_type == "roi":
            out = out.transpose(2, 1)
            pool_results = [pool(out) for pool in self.poolings]
            out = torch.cat(pool_results, dim=0).permute(2, 0, 1)[:-1]
            pred_cls = self.fc_cls(out).sigmoid().view(seq_len, self.num_scales)
            pred_loc = self.fc_loc(out).view(seq_len, self.num_scales, 2)
        else:
            coarse, fine = self.poolings(out)
            pred_cls = self.fc_cls(coarse).sigmoid().view(seq_len, self.num_scales)
            pred_loc = self.fc_loc(fine).view(seq_len, self.num_scales, 2)
        return pred_cls, pred_loc


def xavier_init(module: nn.Module) -> None:
    name = module.__class__.__name__
    if "Linear" in name or "Conv" in name:
        nn.init.xavier_uniform_(module.weight, gain=math.sqrt(2.0))
        if module.bias is not None:
            nn.init.constant_(module.bias, 0.1)


# ----------------------------------------------------------------------------------------------
# Keyshot summary (the harness's, Sources/Evaluation/KeyshotSummary.swift and Knapsack.swift).


def knapsack(values: list[float], weights: list[int], capacity: int) -> list[int]:
    n = len(values)
    table = [[0.0] * (capacity + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        wt, v = weights[i - 1], values[i - 1]
        for w in range(1, capacity + 1):
            without = table[i - 1][w]
            table[i][w] = max(v + table[i - 1][w - wt], without) if wt <= w else without
    chosen, w = [], capacity
    for i in range(n, 0, -1):
        if table[i][w] != table[i - 1][w]:
            chosen.append(i - 1)
            w -= weights[i - 1]
    return sorted(chosen)


def keyshot_summary(scores: list[float], shots: list[tuple[int, int]], proportion: float = 0.15) -> list[float]:
    n = len(scores)
    values = []
    for start, end in shots:
        last = min(end, n - 1)
        values.append(sum(scores[start:last + 1]) / (last - start + 1))
    picked = knapsack(values, [end - start for start, end in shots], int(math.floor(n * proportion)))
    summary = [0.0] * n
    for i in picked:
        for f in range(shots[i][0], shots[i][1]):
            summary[f] = 1.0
    return summary


# ----------------------------------------------------------------------------------------------
# Anchor labels (anchor_helper.py, bbox_helper.py, train.py) in numpy's precisions.

F32 = torch.float32
F64 = torch.float64


def seq2bbox(summary: list[float]) -> list[tuple[int, int]]:
    segments, start = [], None
    for i, v in enumerate(summary):
        if v != 0 and start is None:
            start = i
        elif v == 0 and start is not None:
            segments.append((start, i))
            start = None
    if start is not None:
        segments.append((start, len(summary)))
    return segments


def iou_lr(a, b):
    inter = (torch.minimum(a[:, 1], b[:, 1]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    union = torch.maximum(a[:, 1], b[:, 1]) - torch.minimum(a[:, 0], b[:, 0])
    union = torch.where(union <= 0, torch.tensor(1e-6, dtype=union.dtype), union)
    return inter / union


def get_anchors(seq_len: int, scales: list[int]):
    pos = torch.arange(seq_len).repeat_interleave(len(scales))
    width = torch.tensor(scales).repeat(seq_len)
    return torch.stack([pos, width], dim=1).to(torch.int32)       # (T S, 2) centre-width


def get_pos_label(anchors, segments, threshold: float):
    count = anchors.shape[0]
    anchors_lr = torch.stack([anchors[:, 0].to(F32) - anchors[:, 1].to(F32) / 2,
                              anchors[:, 0].to(F32) + anchors[:, 1].to(F32) / 2], dim=1)
    cls = torch.zeros(count, dtype=torch.int64)
    loc = torch.zeros(count, 2, dtype=F64)
    for start, end in segments:
        l, r = torch.tensor(float(start), dtype=F32), torch.tensor(float(end), dtype=F32)
        centre, width = (l + r) / 2, r - l
        target = torch.stack([centre - width / 2, centre + width / 2]).unsqueeze(0).expand(count, 2)
        iou = iou_lr(anchors_lr, target)
        positive = iou > torch.tensor(threshold, dtype=F32)
        cls[positive] = 1
        ac, aw = anchors[positive, 0].to(F64), anchors[positive, 1].to(F64)
        loc[positive, 0] = (centre.to(F64) - ac) / aw
        loc[positive, 1] = torch.log(width.to(F64) / aw)
    return cls, loc


def get_neg_label(cls, num_neg: int, generator: SeededGenerator):
    cls = cls.clone()
    cls[cls < 0] = 0
    candidates = [i for i in range(cls.numel()) if int(cls[i]) == 0]
    generator.shuffle(candidates)
    for i in candidates[:num_neg]:
        cls[i] = -1
    return cls


def anchor_labels(summary: list[float], scales: list[int], seed: int):
    """Class labels (1 / -1 / 0) and float32 offsets per anchor, frame-major (train.py's sequence)."""
    segments = seq2bbox(summary)
    anchors = get_anchors(len(summary), scales)
    cls, loc = get_pos_label(anchors, segments, 0.6)
    num_pos = int(cls.sum())
    generator = SeededGenerator(seed)
    cls_neg, _ = get_pos_label(anchors, segments, 0.0)
    cls_neg = get_neg_label(cls_neg, int(2.0 * num_pos), generator)
    cls_inc, _ = get_pos_label(anchors, segments, 0.3)
    cls_inc[cls_neg != 1] = 1
    cls_inc = get_neg_label(cls_inc, int(1.0 * num_pos), generator)
    cls[cls_neg == -1] = -1
    cls[cls_inc == -1] = -1
    return cls, loc.to(F32)


# ----------------------------------------------------------------------------------------------
# Loss (losses.py).


def calc_loc_loss(pred_loc, test_loc, cls_label):
    pos_idx = cls_label.eq(1).unsqueeze(-1).repeat((1, 1, 2))
    return F.smooth_l1_loss(pred_loc[pos_idx], test_loc[pos_idx])


def calc_cls_loss(pred, test):
    pred, test = pred.view(-1), test.view(-1)
    pos = pred[test.eq(1).nonzero().squeeze(-1)].unsqueeze(-1)
    pos = torch.cat([1 - pos, pos], dim=-1)
    loss_pos = F.nll_loss(pos.log(), torch.ones(pos.shape[0], dtype=torch.long))
    neg = pred[test.eq(-1).nonzero().squeeze(-1)].unsqueeze(-1)
    neg = torch.cat([1 - neg, neg], dim=-1)
    loss_neg = F.nll_loss(neg.log(), torch.zeros(neg.shape[0], dtype=torch.long))
    return (loss_pos + loss_neg) * 0.5


def dsnet_loss(pred_cls, pred_loc, cls_label, loc_label, lambda_reg: float = 1.0):
    t, s = pred_cls.shape
    cls_label = cls_label.view(t, s).to(pred_cls.dtype)
    loc_label = loc_label.view(t, s, 2).to(pred_loc.dtype)
    return calc_cls_loss(pred_cls, cls_label) + lambda_reg * calc_loc_loss(pred_loc, loc_label, cls_label)


# ----------------------------------------------------------------------------------------------
# Inference (dsnet.predict, offset2bbox, cw2lr, evaluate.py's clip/round, nms, bbox2summary's scores).


def decode(pred_loc, seq_len: int, scales: list[int]):
    """float32 offsets (T S, 2) -> int boxes (T S, 2)."""
    anchors = get_anchors(seq_len, scales).to(F64)
    offsets = pred_loc.reshape(-1, 2).to(F32)
    centre = offsets[:, 0].to(F64) * anchors[:, 1] + anchors[:, 0]
    width = torch.exp(offsets[:, 1]).to(F64) * anchors[:, 1]
    centre, width = centre.to(F32), width.to(F32)
    lr = torch.stack([centre - width / 2, centre + width / 2], dim=1)
    return torch.round(torch.clamp(lr, 0, seq_len)).to(torch.int64)


def nms(scores, boxes, thresh: float = 0.5):
    valid = boxes[:, 0] < boxes[:, 1]
    scores, boxes = scores[valid], boxes[valid]
    order = torch.argsort(scores, stable=True).flip(0)
    scores, boxes = scores[order], boxes[order]
    kept_scores, kept_boxes = [], []
    while boxes.shape[0] > 0:
        kept_scores.append(scores[0])
        kept_boxes.append(boxes[0])
        iou = iou_lr(boxes.to(F64), boxes[0:1].to(F64).expand(boxes.shape[0], 2))
        keep = iou < thresh
        scores, boxes = scores[keep], boxes[keep]
    return kept_scores, kept_boxes


def frame_scores(pred_cls, pred_loc, seq_len: int, scales: list[int], thresh: float = 0.5):
    boxes = decode(pred_loc, seq_len, scales)
    kept_scores, kept_boxes = nms(pred_cls.reshape(-1).to(F32), boxes, thresh)
    score = torch.zeros(seq_len, dtype=F32)
    for s, (lo, hi) in zip(kept_scores, kept_boxes):
        score[lo:hi] = torch.maximum(score[lo:hi], s)
    return score

"""PyTorch reference for VideoSAGE as published (`videosage --variant paper`, models.md section 5.2).

Written from the official code (IntelLabs/GraVi-T: gravit/models/context_reasoning/spell.py with the
video-summarisation configs, data/generate_temporal_graphs.py) and from the semantics of PyTorch
Geometric's EdgeConv, SAGEConv and BatchNorm, in plain torch so it needs no torch_geometric:

- the graph: edge i -> j for every |i - j| <= tau within a video (self-loops included), attribute
  sign(i - j); streams forward (attribute <= 0), backward (>= 0), undirected (all); messages flow
  from the source i (edge_index[0]) to the target j (edge_index[1]);
- EdgeConv: out_j = max over edges (i -> j) of nn(cat[x_j, x_i - x_j]) (scatter max);
- SAGEConv: out_j = lin_l(mean over edges (i -> j) of x_i) + lin_r(x_j), lin_r without bias;
- BatchNorm: torch.nn.BatchNorm1d registered as `.module`, so the keys read `batchNN.module.*`.

If torch_geometric is installed, `--check-pyg` runs the same weights through its EdgeConv and SAGEConv
and compares (it is not needed otherwise).

Usage:
  python tools/reference/paper_videosage.py --check-pyg     # cross-check against torch_geometric
  python tools/reference/paper_videosage.py --speed [--frames 300] [--threads 2] [--config tvsum]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn as nn

# The published configurations (configs/video-summarization/{TVSum,SumMe}/SPELL_default.yaml; graphs
# TVSum_5_0 and SumMe_10_0: tau 5 / 10, skip factor 0). MR.HiSum uses the TVSum one.
CONFIGS = {
    "tvsum": {"input_dim": 1024, "channel1": 256, "channel2": 128, "tau": 5, "dropout": 0.5},
    "summe": {"input_dim": 1024, "channel1": 128, "channel2": 256, "tau": 10, "dropout": 0.5},
}
# The paper schedules (same configs): Adam with L2 weight decay, CosineAnnealingLR(T_max=5) stepped per epoch.
SCHEDULES = {
    "tvsum": {"lr": 0.02, "weight_decay": 1e-4, "epochs": 50, "t_max": 5},
    "summe": {"lr": 1e-3, "weight_decay": 3e-3, "epochs": 40, "t_max": 5},
}


def temporal_edges(num_frames: int, tau: int) -> tuple[torch.Tensor, torch.Tensor]:
    """generate_temporal_graphs.get_edge_info with skip_factor 0, vectorised: (edge_index, edge_attr) with
    the same edges in the same order (source-major, targets ascending)."""
    i = torch.arange(num_frames).repeat_interleave(num_frames)
    j = torch.arange(num_frames).repeat(num_frames)
    keep = (i - j).abs() <= tau
    edge_index = torch.stack([i[keep], j[keep]])
    edge_attr = torch.sign((i - j)[keep]).to(torch.float32)
    return edge_index, edge_attr


def stream_edges(edge_index: torch.Tensor, edge_attr: torch.Tensor) -> list[torch.Tensor]:
    """spell.py's three edge sets: forward (attr <= 0), backward (attr >= 0), undirected (all)."""
    return [edge_index[:, edge_attr <= 0], edge_index[:, edge_attr >= 0], edge_index]


class EdgeConv(nn.Module):
    """torch_geometric.nn.EdgeConv(nn, aggr="max"): message nn(cat[x_i, x_j - x_i]) with x_i the target,
    x_j the source; max over each target's messages (targets without edges get 0, as PyG's scatter)."""

    def __init__(self, mlp: nn.Module):
        super().__init__()
        self.nn = mlp

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        source, target = edge_index[0], edge_index[1]
        x_target, x_source = x.index_select(0, target), x.index_select(0, source)
        messages = self.nn(torch.cat([x_target, x_source - x_target], dim=1))
        out = messages.new_zeros(x.shape[0], messages.shape[1])
        index = target.unsqueeze(1).expand_as(messages)
        return out.scatter_reduce(0, index, messages, reduce="amax", include_self=False)


class SAGEConv(nn.Module):
    """torch_geometric.nn.SAGEConv(in, out) with its defaults: mean aggregation, root weight, no
    normalisation: lin_l(mean of sources) + lin_r(x), lin_r without bias."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.lin_l = nn.Linear(in_channels, out_channels, bias=True)
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        source, target = edge_index[0], edge_index[1]
        total = x.new_zeros(x.shape).index_add_(0, target, x.index_select(0, source))
        count = torch.bincount(target, minlength=x.shape[0]).clamp(min=1).to(x.dtype).unsqueeze(1)
        return self.lin_l(total / count) + self.lin_r(x)


class BatchNorm(nn.Module):
    """torch_geometric.nn.BatchNorm: BatchNorm1d over the nodes, registered as `module`."""

    def __init__(self, channels: int):
        super().__init__()
        self.module = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


def edge_mlp(c: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(2 * c, c), nn.ReLU(), nn.Linear(c, c))


class SPELL(nn.Module):
    """spell.py's SPELL for video summarisation: num_modality 1, no spatial features, no refinement,
    num_att_heads 0 (so layer21 is a SAGEConv), final_dim 1. Attribute names are the official ones."""

    def __init__(self, input_dim: int, channel1: int, channel2: int, dropout: float = 0.5, **_):
        super().__init__()
        # The official layer011 is a lazy Linear(-1, c1); its materialised weight is (c1, input_dim).
        self.layer011 = nn.Linear(input_dim, channel1)
        self.batch01 = BatchNorm(channel1)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.layer11 = EdgeConv(edge_mlp(channel1))
        self.batch11 = BatchNorm(channel1)
        self.layer12 = EdgeConv(edge_mlp(channel1))
        self.batch12 = BatchNorm(channel1)
        self.layer13 = EdgeConv(edge_mlp(channel1))
        self.batch13 = BatchNorm(channel1)
        self.layer21 = SAGEConv(channel1, channel2)
        self.batch21 = BatchNorm(channel2)
        self.layer31 = SAGEConv(channel2, 1)
        self.layer32 = SAGEConv(channel2, 1)
        self.layer33 = SAGEConv(channel2, 1)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        """Node features (N, F) of one video -> logits (N, 1)."""
        x = self.relu(self.batch01(self.layer011(x)))
        edges_f, edges_b, edges_u = stream_edges(edge_index, edge_attr)
        # Three streams in the official order; batch21 is shared, so its running statistics take one
        # update per stream.
        streams = []
        for conv, norm, edges in ((self.layer11, self.batch11, edges_f), (self.layer12, self.batch12, edges_b),
                                  (self.layer13, self.batch13, edges_u)):
            h = self.dropout(self.relu(norm(conv(x, edges))))
            h = self.dropout(self.relu(self.batch21(self.layer21(h, edges))))
            streams.append(h)
        return (self.layer31(streams[0], edges_f) + self.layer32(streams[1], edges_b)
                + self.layer33(streams[2], edges_u))


def check_against_pyg(seed: int = 0) -> None:
    """The reference's EdgeConv, SAGEConv and whole model against torch_geometric's modules with the same
    weights, in float64 (values and input gradients), for every stream and a video shorter than tau."""
    import torch_geometric.nn as gnn

    torch.manual_seed(seed)
    worst = 0.0
    for n, tau in ((17, 5), (3, 5), (25, 10)):
        edge_index, edge_attr = temporal_edges(n, tau)
        for edges in stream_edges(edge_index, edge_attr):
            x = torch.randn(n, 6, dtype=torch.float64, requires_grad=True)
            ours_edge = EdgeConv(edge_mlp(6)).double()
            theirs_edge = gnn.EdgeConv(nn.Sequential(gnn.Linear(12, 6), nn.ReLU(), gnn.Linear(6, 6)), aggr="max").double()
            theirs_edge.load_state_dict(ours_edge.state_dict())
            ours_sage, theirs_sage = SAGEConv(6, 4).double(), gnn.SAGEConv(6, 4).double()
            theirs_sage.load_state_dict(ours_sage.state_dict())
            for ours, theirs in ((ours_edge, theirs_edge), (ours_sage, theirs_sage)):
                a, b = ours(x, edges), theirs(x, edges)
                ga, = torch.autograd.grad(a.sum() + (a * a).sum(), x)
                gb, = torch.autograd.grad(b.sum() + (b * b).sum(), x)
                worst = max(worst, float((a - b).abs().max().detach()), float((ga - gb).abs().max()))
    # The whole model with torch_geometric's layers swapped in.
    model = SPELL(16, 8, 6).double().eval()
    pyg = SPELL(16, 8, 6).double().eval()
    for name in ("layer11", "layer12", "layer13"):
        setattr(pyg, name, gnn.EdgeConv(nn.Sequential(gnn.Linear(16, 8), nn.ReLU(), gnn.Linear(8, 8)), aggr="max"))
    for name, width in (("layer21", (8, 6)), ("layer31", (6, 1)), ("layer32", (6, 1)), ("layer33", (6, 1))):
        setattr(pyg, name, gnn.SAGEConv(*width))
    pyg = pyg.double().eval()
    pyg.load_state_dict(model.state_dict())
    x = torch.randn(19, 16, dtype=torch.float64)
    edge_index, edge_attr = temporal_edges(19, 5)
    with torch.no_grad():
        worst = max(worst, float((model(x, edge_index, edge_attr) - pyg(x, edge_index, edge_attr)).abs().max()))
    print(f"reference vs torch_geometric {gnn.__name__}: largest difference {worst:.3e}")
    if worst > 1e-10:
        raise SystemExit("the reference disagrees with torch_geometric")


def speed(config_name: str, frames: int, threads: int, steps: int, warmup: int) -> None:
    """Median wall time of a training step (forward, BCE-with-logits, backward, Adam step) and of an eval
    forward pass, one video of `frames` frames at the published width, float32, eager mode. The graph is
    built once, as the official pipeline loads pre-generated graphs."""
    torch.set_num_threads(threads)
    config, schedule = CONFIGS[config_name], SCHEDULES[config_name]
    torch.manual_seed(0)
    model = SPELL(**config)
    x = torch.rand(frames, config["input_dim"])
    y = torch.rand(frames, 1)
    edge_index, edge_attr = temporal_edges(frames, config["tau"])
    optimizer = torch.optim.Adam(model.parameters(), lr=schedule["lr"], weight_decay=schedule["weight_decay"])
    loss_fn = nn.BCEWithLogitsLoss()

    def train_step():
        optimizer.zero_grad()
        loss = loss_fn(model(x, edge_index, edge_attr), y)
        loss.backward()
        optimizer.step()

    def infer():
        with torch.no_grad():
            torch.sigmoid(model(x, edge_index, edge_attr))

    def timed(fn, train: bool) -> list[float]:
        model.train(train)
        for _ in range(warmup):
            fn()
        out = []
        for _ in range(steps):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1e3)
        return out

    train_ms, infer_ms = timed(train_step, True), timed(infer, False)
    params = sum(p.numel() for p in model.parameters())
    print(f"pytorch {torch.__version__} eager, {threads} threads, SPELL {config_name} ({params:,} params), 1 x {frames} frames")
    for label, times in (("train step (fwd+bwd+adam)", train_ms), ("inference", infer_ms)):
        print(f"  {label}: median {statistics.median(times):.2f} ms, min {min(times):.2f}, max {max(times):.2f} "
              f"over {len(times)} runs; {frames / statistics.median(times) * 1e3:,.0f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-pyg", action="store_true", help="compare with torch_geometric's layers")
    parser.add_argument("--speed", action="store_true", help="time a training step and inference")
    parser.add_argument("--config", choices=sorted(CONFIGS), default="tvsum")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if args.check_pyg:
        check_against_pyg()
    if args.speed:
        speed(args.config, args.frames, args.threads, args.steps, args.warmup)
    if not (args.check_pyg or args.speed):
        parser.print_help()


if __name__ == "__main__":
    main()

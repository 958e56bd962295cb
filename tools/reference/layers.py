"""PyTorch reference fixtures for the tensor core's layers, optimizers and learning-rate schedules.

Run once by a developer (the outputs are committed):

    ../venv/bin/python tools/reference/layers.py

Writes Tests/TensorCoreTests/Fixtures/{layer_*.safetensors, optim_*.safetensors, schedule_*.json}.
README.md next to this script documents every file. Layer references are computed in float64 from
float32 inputs and parameters; as a sanity check of the stated tolerance, the script also runs each
layer in float32 PyTorch and prints how much of the tolerance that uses (it must stay under 1).
"""

from __future__ import annotations

import copy
import math
import sys
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import (error_ratio, fixtures_dir, generator_for, write_json, write_safetensors)

FIXTURES = fixtures_dir("TensorCoreTests")

# Elementwise |ours - reference| <= atol + rtol * |reference| for layer fixtures.
LAYER_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
# Optimizer fixtures are float32 PyTorch results (what PyTorch itself computes).
OPTIM_TOLERANCE = {"rtol": 1e-6, "atol": 1e-7}
# Schedules are float64 values; they must agree to rounding.
SCHEDULE_TOLERANCE = {"rtol": 1e-9, "atol": 1e-15}


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------

def randomize_state_(module: nn.Module, generator: torch.Generator) -> None:
    """Replaces default initialisation so every parameter and buffer term is exercised.

    Matrices and kernels: N(0, 1/fan_in), keeping activations of order one. Normalisation scales
    ("weight" of a 1-D parameter): U(0.5, 1.5). Biases: N(0, 0.5^2). BatchNorm running mean N(0, 1),
    running variance U(0.5, 2).
    """
    with torch.no_grad():
        for name, tensor in module.state_dict(keep_vars=True).items():
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "num_batches_tracked":
                continue
            shape = tensor.shape
            if leaf == "running_mean":
                value = torch.randn(shape, generator=generator)
            elif leaf == "running_var":
                value = 0.5 + 1.5 * torch.rand(shape, generator=generator)
            elif tensor.dim() >= 2:
                fan_in = tensor[0].numel()
                value = torch.randn(shape, generator=generator) / math.sqrt(fan_in)
            elif "weight" in leaf:
                value = 0.5 + torch.rand(shape, generator=generator)
            else:
                value = 0.5 * torch.randn(shape, generator=generator)
            tensor.copy_(value)


Call = Callable[[nn.Module, dict[str, torch.Tensor], dict[str, torch.Tensor]], torch.Tensor]


@dataclass
class LayerCase:
    name: str
    config: dict                       # constructor arguments + "layer" + "mode", stored in metadata
    build: Callable[[], nn.Module]     # a float32 module (parameters are randomised afterwards)
    input_shapes: dict[str, tuple]     # differentiable inputs, in storage-key order
    call: Call                         # (module, inputs, constants) -> output
    constants: Callable[[torch.Generator], dict[str, torch.Tensor]] = lambda g: {}
    input_scale: float = 1.0


def run_layer(module: nn.Module, train: bool, inputs: dict[str, torch.Tensor],
              constants: dict[str, torch.Tensor], call: Call, dtype: torch.dtype,
              upstream_for: Callable[[torch.Size], torch.Tensor]) -> dict[str, torch.Tensor]:
    """Forward and backward of sum(output * upstream) in the given precision."""
    module = copy.deepcopy(module).to(dtype)
    module.train(train)
    leaves = {key: value.detach().to(dtype).clone().requires_grad_() for key, value in inputs.items()}
    output = call(module, leaves, constants)
    upstream = upstream_for(output.shape)
    (output * upstream.to(dtype)).sum().backward()

    results = {"output": output, "upstream": upstream}
    for key, leaf in leaves.items():
        results[f"grad.{key}"] = leaf.grad
    for name, parameter in module.named_parameters():
        results[f"grad.param.{name}"] = parameter.grad
    if train:
        for name, buffer in module.named_buffers():
            if name.rsplit(".", 1)[-1] in ("running_mean", "running_var"):
                results[f"after.{name}"] = buffer
    return results


def write_layer_case(case: LayerCase) -> tuple[int, float]:
    generator = generator_for(case.name)
    module = case.build()
    randomize_state_(module, generator)
    inputs = {key: case.input_scale * torch.randn(shape, generator=generator)
              for key, shape in case.input_shapes.items()}
    constants = case.constants(generator)
    train = case.config["mode"] == "train"

    upstream_holder: list[torch.Tensor] = []

    def upstream_for(shape: torch.Size) -> torch.Tensor:
        if not upstream_holder:
            upstream_holder.append(torch.randn(shape, generator=generator))
        return upstream_holder[0]

    reference = run_layer(module, train, inputs, constants, case.call, torch.float64, upstream_for)
    single = run_layer(module, train, inputs, constants, case.call, torch.float32, upstream_for)

    tensors = dict(inputs)
    tensors.update(constants)
    for name, value in module.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            tensors[f"param.{name}"] = value
    tensors.update(reference)

    ratio = max(error_ratio(single[key], reference[key], **LAYER_TOLERANCE)
                for key in reference if key != "upstream")
    size = write_safetensors(FIXTURES / f"layer_{case.name}.safetensors", tensors, case.config,
                             LAYER_TOLERANCE)
    return size, ratio


def plain_call(module, inputs, constants):
    return module(inputs["input"])


def linear_cases() -> list[LayerCase]:
    cases = []
    for name, bias in (("linear", True), ("linear_no_bias", False)):
        cases.append(LayerCase(
            name, {"layer": "linear", "in_features": 5, "out_features": 4, "bias": bias, "mode": "train"},
            lambda bias=bias: nn.Linear(5, 4, bias=bias), {"input": (2, 3, 5)}, plain_call))
    return cases


def conv_cases() -> list[LayerCase]:
    def conv1d(name, in_channels, out_channels, kernel, stride, padding, dilation, bias, shape):
        config = {"layer": "conv1d", "in_channels": in_channels, "out_channels": out_channels,
                  "kernel_size": [kernel], "stride": [stride], "padding": [padding],
                  "dilation": [dilation], "groups": 1, "bias": bias, "mode": "train"}
        build = lambda: nn.Conv1d(in_channels, out_channels, kernel, stride=stride, padding=padding,
                                  dilation=dilation, bias=bias)
        return LayerCase(name, config, build, {"input": shape}, plain_call)

    def conv2d(name, in_channels, out_channels, kernel, stride, padding, bias, shape):
        config = {"layer": "conv2d", "in_channels": in_channels, "out_channels": out_channels,
                  "kernel_size": list(kernel), "stride": list(stride), "padding": list(padding),
                  "dilation": [1, 1], "groups": 1, "bias": bias, "mode": "train"}
        build = lambda: nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding,
                                  bias=bias)
        return LayerCase(name, config, build, {"input": shape}, plain_call)

    return [
        conv1d("conv1d", 3, 4, 3, 1, 1, 1, True, (2, 3, 7)),
        conv1d("conv1d_stride2_dilation2", 3, 4, 3, 2, 2, 2, True, (2, 3, 8)),
        conv2d("conv2d_k3x1", 1, 4, (3, 1), (1, 1), (1, 0), True, (2, 1, 6, 5)),
        conv2d("conv2d_3x3", 2, 3, (3, 3), (1, 1), (1, 1), True, (2, 2, 5, 6)),
        conv2d("conv2d_1x1", 4, 1, (1, 1), (1, 1), (0, 0), True, (2, 4, 3, 5)),
        conv2d("conv2d_7x7_stride2_no_bias", 3, 2, (7, 7), (2, 2), (3, 3), False, (1, 3, 11, 10)),
    ]


def batchnorm_cases() -> list[LayerCase]:
    def case(name, dims, channels, shape, mode, eps=1e-5, input_scale=1.0):
        layer = f"batchnorm{dims}d"
        config = {"layer": layer, "num_features": channels, "eps": eps, "momentum": 0.1,
                  "affine": True, "track_running_stats": True, "mode": mode}
        module_type = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
        return LayerCase(name, config, lambda: module_type(channels, eps=eps, momentum=0.1),
                         {"input": shape}, plain_call, input_scale=input_scale)

    cases = []
    for mode in ("train", "eval"):
        cases += [
            case(f"batchnorm1d_nc_{mode}", 1, 4, (6, 4), mode),
            case(f"batchnorm1d_ncl_{mode}", 1, 4, (3, 4, 5), mode),
            case(f"batchnorm2d_{mode}", 2, 3, (2, 3, 4, 5), mode),
            # Small activations (variance ~ 2.5e-3) so eps = 1e-3 changes the result by ~20 %.
            case(f"batchnorm2d_eps1e-3_{mode}", 2, 3, (2, 3, 4, 5), mode, eps=1e-3, input_scale=0.05),
        ]
    return cases


def layernorm_cases() -> list[LayerCase]:
    def case(name, affine):
        config = {"layer": "layernorm", "normalized_shape": [6], "eps": 1e-5,
                  "elementwise_affine": affine, "bias": affine, "mode": "train"}
        return LayerCase(name, config, lambda: nn.LayerNorm(6, eps=1e-5, elementwise_affine=affine),
                         {"input": (2, 3, 6)}, plain_call)

    return [case("layernorm", True), case("layernorm_no_affine", False)]


def attention_cases() -> list[LayerCase]:
    embed, heads = 8, 2
    config = {"layer": "multihead_attention", "embed_dim": embed, "num_heads": heads,
              "dropout": 0.0, "bias": True, "batch_first": True, "need_weights": False, "mode": "train"}

    def padding_mask(valid_lengths: list[int], length: int):
        # Stored as float: 1 = valid key, 0 = padded key (PyTorch's key_padding_mask is its negation).
        def make(generator):
            mask = torch.zeros(len(valid_lengths), length)
            for row, valid in enumerate(valid_lengths):
                mask[row, :valid] = 1.0
            return {"mask": mask}
        return make

    def build():
        return nn.MultiheadAttention(embed, heads, dropout=0.0, bias=True, batch_first=True)

    def self_call(module, inputs, constants):
        x = inputs["input"]
        return module(x, x, x, key_padding_mask=constants["mask"] == 0, need_weights=False)[0]

    def cross_call(module, inputs, constants):
        return module(inputs["input"], inputs["key"], inputs["value"],
                      key_padding_mask=constants["mask"] == 0, need_weights=False)[0]

    return [
        LayerCase("mha_self", dict(config, attention="self"), build, {"input": (3, 5, embed)},
                  self_call, padding_mask([5, 3, 1], 5)),
        LayerCase("mha_cross", dict(config, attention="cross"), build,
                  {"input": (3, 4, embed), "key": (3, 6, embed), "value": (3, 6, embed)},
                  cross_call, padding_mask([6, 4, 2], 6)),
    ]


def pooling_cases() -> list[LayerCase]:
    def functional(name, config, function, shape):
        return LayerCase(name, dict(config, mode="train"), nn.Identity, {"input": shape},
                         lambda module, inputs, constants: function(inputs["input"]))

    max_pool = {"layer": "max_pool2d", "dilation": [1, 1], "ceil_mode": True}
    avg_pool = {"layer": "avg_pool2d", "count_include_pad": True, "divisor_override": None}
    return [
        # H 8: ceil((8-3)/2)+1 = 4 windows, the last one hangs over the edge; W 7 fits exactly (3).
        functional("max_pool2d_3s2_ceil",
                   dict(max_pool, kernel_size=[3, 3], stride=[2, 2], padding=[0, 0]),
                   lambda x: F.max_pool2d(x, 3, 2, 0, ceil_mode=True), (2, 3, 8, 7)),
        # GoogLeNet inception branch pool: 3x3, stride 1, padding 1, ceil mode (keeps the size).
        functional("max_pool2d_3s1p1_ceil",
                   dict(max_pool, kernel_size=[3, 3], stride=[1, 1], padding=[1, 1]),
                   lambda x: F.max_pool2d(x, 3, 1, 1, ceil_mode=True), (1, 2, 5, 4)),
        # Ceil mode with a partial last window in H (8) and W (6): PyTorch divides by the clipped size.
        functional("avg_pool2d_3s2_ceil",
                   dict(avg_pool, kernel_size=[3, 3], stride=[2, 2], padding=[0, 0], ceil_mode=True),
                   lambda x: F.avg_pool2d(x, 3, 2, 0, ceil_mode=True), (2, 3, 8, 6)),
        functional("avg_pool2d_2s2",
                   dict(avg_pool, kernel_size=[2, 2], stride=[2, 2], padding=[0, 0], ceil_mode=False),
                   lambda x: F.avg_pool2d(x, 2, 2), (2, 3, 6, 4)),
        # Overlapping adaptive windows: rows [0,3), [2,5), [4,7) for 7 -> 3; width 5 -> 1.
        functional("adaptive_avg_pool2d_3x1", {"layer": "adaptive_avg_pool2d", "output_size": [3, 1]},
                   lambda x: F.adaptive_avg_pool2d(x, (3, 1)), (2, 3, 7, 5)),
        # CSTA's T+1 -> T pooling along time: 9 -> 8 rows, width kept.
        functional("adaptive_avg_pool2d_9to8", {"layer": "adaptive_avg_pool2d", "output_size": [8, 4]},
                   lambda x: F.adaptive_avg_pool2d(x, (8, 4)), (1, 2, 9, 4)),
        functional("interpolate_linear_10to7",
                   {"layer": "interpolate", "mode": "linear", "align_corners": False, "size": [7],
                    "axis": -1},
                   lambda x: F.interpolate(x, size=7, mode="linear", align_corners=False), (2, 3, 10)),
        functional("interpolate_linear_10to13",
                   {"layer": "interpolate", "mode": "linear", "align_corners": False, "size": [13],
                    "axis": -1},
                   lambda x: F.interpolate(x, size=13, mode="linear", align_corners=False), (2, 3, 10)),
    ]


ELEMENTWISE_OPS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": lambda x: F.gelu(x, approximate="none"),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda x: torch.softmax(x, dim=-1),
}


def write_ops_fixture() -> tuple[int, float]:
    """One input and one upstream shared by every op: output.<op> and grad.<op> per op."""
    generator = generator_for("ops")
    # Scale 3 reaches the tails of gelu, sigmoid and tanh.
    x = 3.0 * torch.randn(3, 4, 6, generator=generator)
    upstream = torch.randn(x.shape, generator=generator)
    tensors = {"input": x, "upstream": upstream}
    ratio = 0.0
    for name, op in ELEMENTWISE_OPS.items():
        results = {}
        for dtype in (torch.float64, torch.float32):
            leaf = x.detach().to(dtype).clone().requires_grad_()
            output = op(leaf)
            (output * upstream.to(dtype)).sum().backward()
            results[dtype] = (output, leaf.grad)
        tensors[f"output.{name}"], tensors[f"grad.{name}"] = results[torch.float64]
        for single, reference in zip(results[torch.float32], results[torch.float64]):
            ratio = max(ratio, error_ratio(single, reference, **LAYER_TOLERANCE))
    config = {"layer": "ops", "ops": list(ELEMENTWISE_OPS), "gelu_approximate": "none",
              "softmax_dim": -1, "mode": "train"}
    size = write_safetensors(FIXTURES / "layer_ops.safetensors", tensors, config, LAYER_TOLERANCE)
    return size, ratio


# --------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------

OPTIM_STEPS = 5
# Gradient scales per step, so Adam's moment estimates see changing magnitudes.
GRADIENT_SCALES = (1.0, 0.5, 2.0, 0.1, 1.0)


@dataclass
class OptimizerCase:
    name: str
    config: dict
    make: Callable[[list[torch.Tensor]], torch.optim.Optimizer] = field(repr=False)


def optimizer_cases() -> list[OptimizerCase]:
    def adam(name, weight_decay, decoupled):
        optimizer = "adamw" if decoupled else "adam"
        config = {"optimizer": optimizer, "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8,
                  "weight_decay": weight_decay, "amsgrad": False, "maximize": False}
        cls = torch.optim.AdamW if decoupled else torch.optim.Adam
        return OptimizerCase(name, config, lambda params: cls(
            params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=weight_decay, foreach=False))

    def sgd(name, momentum, weight_decay):
        config = {"optimizer": "sgd", "lr": 1e-2, "momentum": momentum, "dampening": 0.0,
                  "nesterov": False, "weight_decay": weight_decay, "maximize": False}
        return OptimizerCase(name, config, lambda params: torch.optim.SGD(
            params, lr=1e-2, momentum=momentum, dampening=0.0, weight_decay=weight_decay, foreach=False))

    return [
        adam("adam", 0.0, decoupled=False),
        adam("adam_wd1e-2", 1e-2, decoupled=False),
        adam("adamw_wd1e-2", 1e-2, decoupled=True),
        sgd("sgd_momentum", 0.9, 0.0),
        sgd("sgd_momentum_wd1e-2", 0.9, 1e-2),
        sgd("sgd", 0.0, 0.0),
    ]


def optimizer_trajectory(case: OptimizerCase, initial: dict[str, torch.Tensor],
                         gradients: list[dict[str, torch.Tensor]], dtype: torch.dtype):
    params = {name: value.to(dtype).clone().requires_grad_() for name, value in initial.items()}
    optimizer = case.make(list(params.values()))
    trajectory = []
    for step_gradients in gradients:
        for name, parameter in params.items():
            parameter.grad = step_gradients[name].to(dtype).clone()
        optimizer.step()
        trajectory.append({name: parameter.detach().clone() for name, parameter in params.items()})
    return trajectory


def write_optimizer_case(case: OptimizerCase) -> tuple[int, float]:
    generator = generator_for(case.name)
    initial = {"weight": torch.randn(3, 4, generator=generator),
               "bias": torch.randn(4, generator=generator)}
    gradients = [{name: scale * torch.randn(value.shape, generator=generator)
                  for name, value in initial.items()} for scale in GRADIENT_SCALES]

    single = optimizer_trajectory(case, initial, gradients, torch.float32)
    # Float64 run: how far PyTorch's own float32 result is from exact, against the stated tolerance.
    exact = optimizer_trajectory(case, initial, gradients, torch.float64)
    ratio = max(error_ratio(single[k][n], exact[k][n], **OPTIM_TOLERANCE)
                for k in range(OPTIM_STEPS) for n in initial)

    tensors = {f"init.{name}": value for name, value in initial.items()}
    for step in range(OPTIM_STEPS):
        for name in initial:
            tensors[f"grad{step + 1}.{name}"] = gradients[step][name]
            tensors[f"step{step + 1}.{name}"] = single[step][name]
    config = dict(case.config, steps=OPTIM_STEPS, param_names=list(initial))
    size = write_safetensors(FIXTURES / f"optim_{case.name}.safetensors", tensors, config,
                             OPTIM_TOLERANCE)
    return size, ratio


def write_clip_case(name: str, gradient_scale: float) -> tuple[int, float, float]:
    generator = generator_for(name)
    max_norm = 0.5
    gradients = {"weight": gradient_scale * torch.randn(3, 4, generator=generator),
                 "bias": gradient_scale * torch.randn(4, generator=generator)}
    params = {key: torch.zeros_like(value, requires_grad=True) for key, value in gradients.items()}
    for key, parameter in params.items():
        parameter.grad = gradients[key].clone()
    total_norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm=max_norm,
                                                norm_type=2.0, foreach=False)

    # Independent check in float64: the formula PyTorch documents.
    exact_norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in gradients.values()))
    coefficient = min(max_norm / (exact_norm + 1e-6), 1.0)
    ratio = error_ratio(total_norm.reshape(1), torch.tensor([exact_norm]), **OPTIM_TOLERANCE)
    for key, parameter in params.items():
        ratio = max(ratio, error_ratio(parameter.grad, gradients[key].double() * coefficient,
                                       **OPTIM_TOLERANCE))

    tensors = {"total_norm": total_norm.reshape(1)}
    for key in gradients:
        tensors[f"grad.{key}"] = gradients[key]
        tensors[f"clipped.{key}"] = params[key].grad
    config = {"operation": "clip_grad_norm", "max_norm": max_norm, "norm_type": 2.0,
              "clip_epsilon": 1e-6, "param_names": list(gradients)}
    size = write_safetensors(FIXTURES / f"optim_{name}.safetensors", tensors, config, OPTIM_TOLERANCE)
    return size, ratio, exact_norm


# --------------------------------------------------------------------------------------------
# Learning-rate schedules
# --------------------------------------------------------------------------------------------

MIN_LR = 1e-7


def warmup_cosine_factor(epoch: int, peak: float, warmup: int, epochs: int) -> float:
    """schedules.md: warm-up epoch e (from 0) uses peak (e+1)/W, then cosine down to 1e-7."""
    if epoch < warmup:
        lr = peak * (epoch + 1) / warmup
    else:
        lr = MIN_LR + (peak - MIN_LR) * (1 + math.cos(math.pi * (epoch - warmup) / (epochs - warmup))) / 2
    return lr / peak


def learning_rates(base_lr: float, make_scheduler, epochs: int) -> list[float]:
    """The learning rate PyTorch applies in each epoch (read before that epoch's optimizer step)."""
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return rates


def schedule_cases():
    """(file name, config, base lr, scheduler factory, epochs, independent closed form)."""
    lr_scheduler = torch.optim.lr_scheduler
    cases = []
    for model, peak, warmup in (("logonet", 1e-4, 10), ("csta", 3e-4, 3), ("videosage", 5e-4, 5)):
        epochs = 50
        config = {"kind": "warmup_cosine", "peak_lr": peak, "warmup_epochs": warmup, "epochs": epochs,
                  "min_lr": MIN_LR}
        factor = lambda e, peak=peak, warmup=warmup: warmup_cosine_factor(e, peak, warmup, 50)
        cases.append((f"{model}_report", config, peak,
                      lambda opt, factor=factor: lr_scheduler.LambdaLR(opt, factor), epochs,
                      lambda e, peak=peak, factor=factor: peak * factor(e)))
    cases.append(("fixed", {"kind": "fixed", "lr": 5e-5, "epochs": 30}, 5e-5,
                  lambda opt: lr_scheduler.LambdaLR(opt, lambda e: 1.0), 30, lambda e: 5e-5))
    cases.append(("step", {"kind": "step", "lr": 1e-3, "step_size": 10, "gamma": 0.5, "epochs": 40},
                  1e-3, lambda opt: lr_scheduler.StepLR(opt, step_size=10, gamma=0.5), 40,
                  lambda e: 1e-3 * 0.5 ** (e // 10)))
    cases.append(("exponential", {"kind": "exponential", "lr": 1e-3, "gamma": 0.95, "epochs": 40},
                  1e-3, lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.95), 40,
                  lambda e: 1e-3 * 0.95 ** e))
    # Past T_max PyTorch keeps following the cosine (period 2 T_max): up again, then down.
    cases.append(("cosine_annealing",
                  {"kind": "cosine_annealing", "lr": 1e-3, "t_max": 5, "eta_min": 0.0, "epochs": 30},
                  1e-3, lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.0), 30,
                  lambda e: 1e-3 * (1 + math.cos(math.pi * e / 5)) / 2))
    cases.append(("cosine_warm_restarts",
                  {"kind": "cosine_warm_restarts", "lr": 1e-3, "t_0": 5, "t_mult": 1, "eta_min": 0.0,
                   "epochs": 30},
                  1e-3, lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=1,
                                                                               eta_min=0.0), 30,
                  lambda e: 1e-3 * (1 + math.cos(math.pi * (e % 5) / 5)) / 2))
    return cases


def write_schedules() -> list[tuple[str, int, float]]:
    written = []
    for name, config, base_lr, make_scheduler, epochs, closed_form in schedule_cases():
        rates = learning_rates(base_lr, make_scheduler, epochs)
        ratio = max(abs(rate - closed_form(e)) / (SCHEDULE_TOLERANCE["atol"]
                                                  + SCHEDULE_TOLERANCE["rtol"] * abs(closed_form(e)))
                    for e, rate in enumerate(rates))
        document = {"name": name, "config": config, "tolerance": SCHEDULE_TOLERANCE, "lr": rates}
        size = write_json(FIXTURES / f"schedule_{name}.json", document)
        written.append((f"schedule_{name}.json", size, ratio))
    return written


# --------------------------------------------------------------------------------------------

def main() -> int:
    torch.use_deterministic_algorithms(True)
    failures = []
    total = 0

    def report(file_name: str, size: int, ratio: float, note: str = ""):
        nonlocal total
        total += size
        flag = "" if ratio <= 1.0 else "  <-- float32 PyTorch exceeds the tolerance"
        if ratio > 1.0:
            failures.append(file_name)
        print(f"{file_name:48s} {size:6d} B  error / tolerance {ratio:8.2e} {note}{flag}")

    layer_cases = (linear_cases() + conv_cases() + batchnorm_cases() + layernorm_cases()
                   + attention_cases() + pooling_cases())
    for case in layer_cases:
        size, ratio = write_layer_case(case)
        report(f"layer_{case.name}.safetensors", size, ratio)
    size, ratio = write_ops_fixture()
    report("layer_ops.safetensors", size, ratio)

    for case in optimizer_cases():
        size, ratio = write_optimizer_case(case)
        report(f"optim_{case.name}.safetensors", size, ratio, "(float32 vs float64 PyTorch)")
    for name, scale in (("clip_grad_norm", 1.0), ("clip_grad_norm_below", 0.05)):
        size, ratio, norm = write_clip_case(name, scale)
        report(f"optim_{name}.safetensors", size, ratio, f"(total norm {norm:.4f})")

    for file_name, size, ratio in write_schedules():
        report(file_name, size, ratio, "(PyTorch vs closed form)")

    print(f"total {total} bytes")
    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

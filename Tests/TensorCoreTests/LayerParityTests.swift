import Foundation
import Testing
@testable import TensorCore
import TestSupport

/// Layers, ops, optimizers and schedules against fixtures written by PyTorch (tools/reference/layers.py,
/// documented in tools/reference/README.md).
///
/// Tolerance: every tensor within 1e-5 of the reference relative to that tensor's largest magnitude
/// (max |ours - ref| <= 1e-5 max |ref|). The references are float64 results rounded to float32, so this
/// measures our float32 error alone; an elementwise relative bound would be dominated by entries that
/// cancel to near zero, where float32 sums cannot carry 5 significant digits.
typealias Fixture = SafeTensorsFixture

extension SafeTensorsFixture {
    init(_ name: String) throws { try self.init(name, in: Bundle.module) }

    func ints(_ key: String) -> [Int] { (config[key] as? [Int]) ?? [] }
    func int(_ key: String) -> Int { (config[key] as? Int) ?? 0 }
    func bool(_ key: String) -> Bool { (config[key] as? Bool) ?? false }
    func float(_ key: String) -> Float { Float((config[key] as? Double) ?? 0) }

    func expectClose(_ ours: Tensor?, _ key: String, tolerance: Float = 1e-5,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ref = try tensor(key)
        let ours = try #require(ours, "\(name): no value to compare with \(key)", sourceLocation: sourceLocation)
        #expect(ours.shape == ref.shape, "\(name) \(key): shape \(ours.shape) vs \(ref.shape)", sourceLocation: sourceLocation)
        let scale = ref.values.reduce(0) { Swift.max($0, abs($1)) }
        let err = zip(ours.values, ref.values).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
        #expect(err <= tolerance * Swift.max(scale, 1e-6), "\(name) \(key): max error \(err), scale \(scale)",
                sourceLocation: sourceLocation)
    }
}

@Suite("PyTorch parity: layers") struct LayerParityTests {
    static let layerCases = [
        "linear", "linear_no_bias", "conv1d", "conv1d_stride2_dilation2", "conv2d_k3x1", "conv2d_3x3", "conv2d_1x1",
        "conv2d_7x7_stride2_no_bias", "batchnorm1d_nc_train", "batchnorm1d_nc_eval", "batchnorm1d_ncl_train",
        "batchnorm1d_ncl_eval", "batchnorm2d_train", "batchnorm2d_eval", "batchnorm2d_eps1e-3_train",
        "batchnorm2d_eps1e-3_eval", "layernorm", "layernorm_no_affine", "mha_self", "mha_cross",
        "max_pool2d_3s2_ceil", "max_pool2d_3s1p1_ceil", "avg_pool2d_3s2_ceil", "avg_pool2d_2s2",
        "adaptive_avg_pool2d_3x1", "adaptive_avg_pool2d_9to8", "interpolate_linear_10to7", "interpolate_linear_10to13",
    ]

    @Test(arguments: layerCases) func layer(_ name: String) throws {
        let f = try Fixture("layer_" + name)
        let x = try f.tensor("input")
        x.requiresGrad = true
        var extraInputs: [String: Tensor] = [:]
        let rng = RandomSource(seed: 0)
        let module: (any Module)?
        let forward: () throws -> Tensor
        switch f.config["layer"] as? String {
        case "linear":
            let m = Linear(f.int("in_features"), f.int("out_features"), bias: f.bool("bias"), rng: rng)
            module = m; forward = { m(x) }
        case "conv1d":
            let m = Conv1d(f.int("in_channels"), f.int("out_channels"), kernel: f.ints("kernel_size")[0],
                           stride: f.ints("stride")[0], padding: f.ints("padding")[0], dilation: f.ints("dilation")[0],
                           bias: f.bool("bias"), rng: rng)
            module = m; forward = { m(x) }
        case "conv2d":
            let k = f.ints("kernel_size"), s = f.ints("stride"), p = f.ints("padding"), d = f.ints("dilation")
            let m = Conv2d(f.int("in_channels"), f.int("out_channels"), kernel: (k[0], k[1]), stride: (s[0], s[1]),
                           padding: (p[0], p[1]), dilation: (d[0], d[1]), bias: f.bool("bias"), rng: rng)
            module = m; forward = { m(x) }
        case "batchnorm1d", "batchnorm2d":
            let m = BatchNorm(f.int("num_features"), momentum: f.float("momentum"), eps: f.float("eps"))
            module = m; forward = { m(x) }
        case "layernorm":
            let m = LayerNorm(f.ints("normalized_shape")[0], eps: f.float("eps"), affine: f.bool("elementwise_affine"))
            module = m; forward = { m(x) }
        case "multihead_attention":
            let m = MultiheadAttention(embedDim: f.int("embed_dim"), heads: f.int("num_heads"), rng: rng)
            let keyMask = try f.tensor("mask")
            module = m
            if f.config["attention"] as? String == "cross" {
                let k = try f.tensor("key"), v = try f.tensor("value")
                k.requiresGrad = true; v.requiresGrad = true
                extraInputs = ["grad.key": k, "grad.value": v]
                forward = { m(query: x, key: k, value: v, keyMask: keyMask) }
            } else {
                forward = { m(query: x, key: x, value: x, keyMask: keyMask) }
            }
        case "max_pool2d", "avg_pool2d":
            let k = f.ints("kernel_size"), s = f.ints("stride"), p = f.ints("padding")
            let ceil = f.bool("ceil_mode"), isMax = f.config["layer"] as? String == "max_pool2d"
            module = nil
            forward = {
                isMax ? x.maxPool2d(kernel: (k[0], k[1]), stride: (s[0], s[1]), padding: (p[0], p[1]), ceilMode: ceil)
                      : x.avgPool2d(kernel: (k[0], k[1]), stride: (s[0], s[1]), padding: (p[0], p[1]), ceilMode: ceil)
            }
        case "adaptive_avg_pool2d":
            let size = f.ints("output_size")
            module = nil; forward = { x.adaptiveAvgPool2d(size[0], size[1]) }
        case "interpolate":
            let size = f.ints("size")[0]
            module = nil; forward = { x.interpolateLinear(axis: -1, length: size) }
        default:
            Issue.record("\(name): unknown layer \(f.config["layer"] ?? "nil")")
            return
        }
        if let module {
            try module.loadState(f.parameters)
            module.setTraining(f.config["mode"] as? String != "eval")
        }
        let y = try forward()
        try f.expectClose(y, "output")
        y.backward(seed: try f.tensor("upstream"))
        try f.expectClose(x.grad, "grad.input")
        for (key, t) in extraInputs { try f.expectClose(t.grad, key) }
        for (key, p) in module?.namedParameters() ?? [] { try f.expectClose(p.grad, "grad.param." + key) }
        if f.tensors["after.running_mean"] != nil, let bn = module as? BatchNorm {
            try f.expectClose(bn.runningMean, "after.running_mean")
            try f.expectClose(bn.runningVar, "after.running_var")
        }
    }

    @Test func elementwiseOps() throws {
        let f = try Fixture("layer_ops")
        let upstream = try f.tensor("upstream")
        let ops: [(String, (Tensor) -> Tensor)] = [("gelu", { $0.gelu() }), ("sigmoid", { $0.sigmoid() }),
                                                   ("tanh", { $0.tanh() }), ("softmax", { $0.softmax() })]
        for (op, apply) in ops {
            let x = try f.tensor("input")
            x.requiresGrad = true
            let y = apply(x)
            try f.expectClose(y, "output." + op)
            y.backward(seed: upstream)
            try f.expectClose(x.grad, "grad." + op)
        }
    }
}

@Suite("PyTorch parity: optimizers, clipping, schedules") struct OptimizerParityTests {
    @Test(arguments: ["adam", "adam_wd1e-2", "adamw_wd1e-2", "sgd_momentum", "sgd_momentum_wd1e-2", "sgd"])
    func optimizer(_ name: String) throws {
        let f = try Fixture("optim_" + name)
        let weight = try f.tensor("init.weight"), bias = try f.tensor("init.bias")
        let params = [weight, bias]
        let lr = f.float("lr"), wd = f.float("weight_decay")
        let optimizer: any Optimizer
        switch f.config["optimizer"] as? String {
        case "adam": optimizer = Adam(params, lr: lr, weightDecay: wd)
        case "adamw": optimizer = Adam.adamW(params, lr: lr, weightDecay: wd)
        case "sgd": optimizer = SGD(params, lr: lr, momentum: f.float("momentum"), weightDecay: wd)
        default: Issue.record("unknown optimizer"); return
        }
        for k in 1...5 {
            weight.grad = try f.tensor("grad\(k).weight")
            bias.grad = try f.tensor("grad\(k).bias")
            optimizer.step()
            // Optimizer fixtures are PyTorch's own float32 steps: 1e-6 relative.
            try f.expectClose(weight, "step\(k).weight", tolerance: 1e-6)
            try f.expectClose(bias, "step\(k).bias", tolerance: 1e-6)
        }
    }

    @Test(arguments: ["clip_grad_norm", "clip_grad_norm_below"]) func clipping(_ name: String) throws {
        let f = try Fixture("optim_" + name)
        let weight = Tensor(zeros: try f.tensor("grad.weight").shape), bias = Tensor(zeros: try f.tensor("grad.bias").shape)
        weight.grad = try f.tensor("grad.weight")
        bias.grad = try f.tensor("grad.bias")
        let norm = clipGradientNorm([weight, bias], maxNorm: 0.5)
        try f.expectClose(Tensor([norm], shape: [1]), "total_norm", tolerance: 1e-6)
        try f.expectClose(weight.grad, "clipped.weight", tolerance: 1e-6)
        try f.expectClose(bias.grad, "clipped.bias", tolerance: 1e-6)
    }

    struct ScheduleFile: Decodable {
        let name: String
        let lr: [Double]
        let config: [String: Double?]
    }

    @Test(arguments: [
        ("schedule_logonet_report", LearningRateSchedule.warmupCosine(peak: 1e-4, warmupEpochs: 10, totalEpochs: 50, minLearningRate: 1e-7)),
        ("schedule_csta_report", .warmupCosine(peak: 3e-4, warmupEpochs: 3, totalEpochs: 50, minLearningRate: 1e-7)),
        ("schedule_videosage_report", .warmupCosine(peak: 5e-4, warmupEpochs: 5, totalEpochs: 50, minLearningRate: 1e-7)),
        ("schedule_fixed", .fixed(lr: 5e-5)),
        ("schedule_step", .step(lr: 1e-3, stepSize: 10, gamma: 0.5)),
        ("schedule_exponential", .exponential(lr: 1e-3, gamma: 0.95)),
        ("schedule_cosine_annealing", .cosineAnnealing(lr: 1e-3, tMax: 5, etaMin: 0)),
        ("schedule_cosine_warm_restarts", .cosineWarmRestarts(lr: 1e-3, t0: 5, etaMin: 0)),
    ])
    func schedule(_ file: String, _ schedule: LearningRateSchedule) throws {
        let url = try #require(Bundle.module.url(forResource: file, withExtension: "json", subdirectory: "Fixtures"))
        let lrs = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])?["lr"] as? [Double])
        #expect(lrs.count >= 30)
        for (e, expected) in lrs.enumerated() {
            let ours = schedule.learningRate(epoch: e)
            #expect(abs(ours - expected) <= 1e-15 + 1e-9 * abs(expected), "\(file) epoch \(e): \(ours) vs \(expected)")
        }
    }
}

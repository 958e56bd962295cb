import Testing
@testable import TensorCore

/// Central finite differences against the analytic gradient. The loss is sum(f(inputs) * upstream)
/// accumulated in double precision from float32 outputs; every element of every input is perturbed.
/// Non-smooth ops are checked away from their kinks by the callers' choice of inputs.
func checkGradients(_ inputs: [Tensor], step h: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 1e-2,
                    seed: UInt64 = 7, sourceLocation: SourceLocation = #_sourceLocation,
                    _ f: ([Tensor]) -> Tensor) {
    for t in inputs { t.requiresGrad = true; t.grad = nil }
    var rng = SeededGenerator(seed: seed)
    let probe = GradMode.withNoGrad { f(inputs) }
    let upstream = Tensor.normal(probe.shape, rng: &rng)
    let output = f(inputs)
    output.backward(seed: upstream)
    let analytic = inputs.map { $0.grad?.values ?? [Float](repeating: 0, count: $0.count) }

    func loss() -> Double {
        let y = GradMode.withNoGrad { f(inputs) }
        return zip(y.values, upstream.values).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    for (k, t) in inputs.enumerated() {
        let p = t.storage.pointer
        for i in 0..<t.count {
            let saved = p[i]
            p[i] = saved + h
            let up = loss()
            p[i] = saved - h
            let down = loss()
            p[i] = saved
            let numeric = (up - down) / (2 * Double(h))
            let a = Double(analytic[k][i])
            #expect(abs(numeric - a) <= atol + rtol * abs(numeric),
                    "input \(k) element \(i): analytic \(a), numeric \(numeric)", sourceLocation: sourceLocation)
        }
    }
    for t in inputs { t.requiresGrad = false; t.grad = nil }
}

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.normal(shape, std: scale, rng: &rng)
}

/// Values bounded away from zero (for relu, clamp and division).
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let values = (0..<shape.reduce(1, *)).map { _ -> Float in
        let v = rng.uniform(0.3, 1.5)
        return rng.nextUnitFloat() < 0.5 ? -v : v
    }
    return Tensor(values, shape: shape)
}

func mask(_ rows: [[Float]]) -> Tensor {
    Tensor(rows.flatMap { $0 }, shape: [rows.count, rows[0].count])
}

func uniformTensor(_ shape: [Int], _ low: Float, _ high: Float, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, rng: &rng)
}

/// Broadcasting arithmetic and unary math, with their backward passes.
extension Tensor {
    func broadcastResult(_ other: Tensor, op: String) -> Tensor {
        guard let shape = broadcastShapes(self.shape, other.shape) else {
            fatalError("\(op): shapes \(self.shape) and \(other.shape) do not broadcast")
        }
        return Tensor.empty(shape)
    }

    /// Sum of a broadcast gradient back to this tensor's shape.
    func reducedGradient(_ g: Tensor) -> Tensor {
        if g.shape == shape { return g }
        let out = Tensor.empty(shape)
        sumToShapeKernel(g, into: out)
        return out
    }

    static func binary<F: BinaryFunction>(_ f: F.Type, _ a: Tensor, _ b: Tensor, op: String) -> Tensor {
        let out = a.broadcastResult(b, op: op)
        binaryKernel(f, a, b, into: out)
        return out
    }

    /// Gradient accumulation outside any graph: self + other, same shape.
    func adding(_ other: Tensor) -> Tensor {
        Tensor.binary(AddFunction.self, self, other, op: "add")
    }

    /// self += other in place (same shape), for accumulating parameter gradients.
    func accumulate(_ other: Tensor) {
        checkArgument(other.shape == shape, "accumulate: shape \(other.shape) into \(shape)")
        let p = storage.pointer, q = other.storage.pointer
        parallelChunks(count) { s, e in for i in s..<e { p[i] += q[i] } }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binary(AddFunction.self, a, b, op: "add").recorded(from: [a, b]) { g in
            [a.needsGrad ? a.reducedGradient(g) : nil, b.needsGrad ? b.reducedGradient(g) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binary(SubFunction.self, a, b, op: "sub").recorded(from: [a, b]) { g in
            [a.needsGrad ? a.reducedGradient(g) : nil, b.needsGrad ? b.reducedGradient(-g) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binary(MulFunction.self, a, b, op: "mul").recorded(from: [a, b]) { g in
            [a.needsGrad ? a.reducedGradient(g * b) : nil, b.needsGrad ? b.reducedGradient(g * a) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binary(DivFunction.self, a, b, op: "div").recorded(from: [a, b]) { g in
            [a.needsGrad ? a.reducedGradient(g / b) : nil,
             b.needsGrad ? b.reducedGradient(-(g * a) / (b * b)) : nil]
        }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(scalar: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a - Tensor(scalar: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a * Tensor(scalar: s) }
    public static func / (a: Tensor, s: Float) -> Tensor { a * Tensor(scalar: 1 / s) }
    public static func + (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) + a }
    public static func - (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) - a }
    public static func * (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) * a }

    public static prefix func - (a: Tensor) -> Tensor { a.unary(NegFunction.self) }

    func unary<F: UnaryFunction>(_ f: F.Type) -> Tensor {
        let out = Tensor.empty(shape)
        unaryKernel(f, self, into: out)
        return out.recorded(from: [self]) { [unowned out] g in
            let gx = Tensor.empty(self.shape)
            unaryBackwardKernel(f, x: self, y: out, grad: g, into: gx)
            return [gx]
        }
    }

    public func relu() -> Tensor { unary(ReluFunction.self) }
    public func gelu() -> Tensor { unary(GeluFunction.self) }
    public func sigmoid() -> Tensor { unary(SigmoidFunction.self) }
    public func tanh() -> Tensor { unary(TanhFunction.self) }
    public func exp() -> Tensor { unary(ExpFunction.self) }
    public func log() -> Tensor { unary(LogFunction.self) }
    public func sqrt() -> Tensor { unary(SqrtFunction.self) }
    public func squared() -> Tensor { self * self }
}

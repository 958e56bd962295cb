import Foundation

/// A unary function with its derivative written from the input `x` and/or the output `y`.
protocol UnaryFunction {
    static func apply(_ x: Float) -> Float
    static func derivative(x: Float, y: Float) -> Float
}

enum ReluFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { x > 0 ? x : 0 }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
}

/// Exact GELU, x * Phi(x), as PyTorch's default (erf to about 2e-7, see FastMath).
enum GeluFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float {
        0.5 * x * (1 + FastMath.erfAndGaussian(x * 0.707_106_781_186_547_5).erf)
    }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float {
        let (erf, gaussian) = FastMath.erfAndGaussian(x * 0.707_106_781_186_547_5)   // gaussian = e^(-x²/2)
        return 0.5 * (1 + erf) + x * gaussian * 0.398_942_280_401_432_7
    }
}

enum SigmoidFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float {
        // Split by sign so exp never overflows.
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { y * (1 - y) }
}

enum TanhFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 1 - y * y }
}

enum ExpFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { y }
}

enum LogFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 1 / x }
}

enum SqrtFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { sqrtf(x) }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { 0.5 / y }
}

enum NegFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { -x }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { -1 }
}

func unaryKernel<F: UnaryFunction>(_: F.Type, _ x: Tensor, into out: Tensor) {
    let px = x.storage.pointer, po = out.storage.pointer
    parallelChunks(x.count, grain: 8192) { s, e in for i in s..<e { po[i] = F.apply(px[i]) } }
}

/// gx = g * f'(x) with y = f(x).
func unaryBackwardKernel<F: UnaryFunction>(_: F.Type, x: Tensor, y: Tensor, grad g: Tensor, into gx: Tensor) {
    let px = x.storage.pointer, py = y.storage.pointer, pg = g.storage.pointer, po = gx.storage.pointer
    parallelChunks(x.count, grain: 8192) { s, e in
        for i in s..<e { po[i] = pg[i] * F.derivative(x: px[i], y: py[i]) }
    }
}

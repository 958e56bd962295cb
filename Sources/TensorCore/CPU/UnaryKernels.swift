import CKernels
import Foundation

/// A unary function with its derivative written from the input `x` and/or the output `y`. The bulk forms
/// run a contiguous range; by default they loop over the scalar ones, and a function whose loop is
/// compute-bound can hand it to a wide-vector kernel instead.
protocol UnaryFunction {
    static func apply(_ x: Float) -> Float
    static func derivative(x: Float, y: Float) -> Float
    static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int)
    static func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, grad g: UnsafePointer<Float>,
                         _ gx: UnsafeMutablePointer<Float>, count: Int)
}

extension UnaryFunction {
    @inline(__always) static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = apply(x[i]) }
    }
    @inline(__always) static func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, grad g: UnsafePointer<Float>,
                                            _ gx: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { gx[i] = g[i] * derivative(x: x[i], y: y[i]) }
    }
}

enum ReluFunction: UnaryFunction {
    @inline(__always) static func apply(_ x: Float) -> Float { x > 0 ? x : 0 }
    @inline(__always) static func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
}

/// Exact GELU, x * Phi(x), as PyTorch's default (erf to about 2e-7, see FastMath). The scalar forms serve
/// the fused kernels; the bulk forms run CKernels' copy of the same formulas at the CPU's widest vectors
/// (AVX-512 there is several times faster than the 4-wide loop Swift compiles for baseline x86-64).
enum GeluFunction: UnaryFunction {
    static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        ck_gelu_forward(x, y, count)
    }
    static func backward(x: UnsafePointer<Float>, y: UnsafePointer<Float>, grad g: UnsafePointer<Float>,
                         _ gx: UnsafeMutablePointer<Float>, count: Int) {
        ck_gelu_backward(x, g, gx, count)
    }
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
    parallelChunks(x.count, grain: 8192) { s, e in F.apply(px + s, po + s, count: e - s) }
}

/// gx = g * f'(x) with y = f(x).
func unaryBackwardKernel<F: UnaryFunction>(_: F.Type, x: Tensor, y: Tensor, grad g: Tensor, into gx: Tensor) {
    let px = x.storage.pointer, py = y.storage.pointer, pg = g.storage.pointer, po = gx.storage.pointer
    parallelChunks(x.count, grain: 8192) { s, e in F.backward(x: px + s, y: py + s, grad: pg + s, po + s, count: e - s) }
}

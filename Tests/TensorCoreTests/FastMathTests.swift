import CKernels
import Foundation
import Testing
@testable import TensorCore

/// The vectorisable exp and erf against the C library (double precision) over their useful ranges.
@Suite("FastMath") struct FastMathTests {
    private static let grid: [Float] = stride(from: -12.0, through: 12.0, by: 0.001).map { Float($0) }

    @Test func expMatchesTheLibraryToFloatPrecision() {
        var worst = 0.0
        for x in stride(from: -87.0, through: 88.0, by: 0.0137).map({ Float($0) }) {
            let exact = Foundation.exp(Double(x))
            worst = Swift.max(worst, abs(Double(FastMath.exp(x)) - exact) / exact)
        }
        #expect(worst < 5e-7, "largest relative error \(worst)")
        #expect(FastMath.exp(-200) < 1e-37 && FastMath.exp(-200) >= 0)
        #expect(FastMath.exp(0) == 1)
    }

    @Test func erfAndGaussianMatchTheLibrary() {
        var worstErf = 0.0, worstGaussian = 0.0
        for z in Self.grid {
            let (e, g) = FastMath.erfAndGaussian(z)
            worstErf = Swift.max(worstErf, abs(Double(e) - Foundation.erf(Double(z))))
            worstGaussian = Swift.max(worstGaussian, abs(Double(g) - Foundation.exp(-Double(z) * Double(z))))
        }
        #expect(worstErf < 5e-7, "erf: largest absolute error \(worstErf)")
        #expect(worstGaussian < 5e-7, "e^(-z²): largest absolute error \(worstGaussian)")
    }

    @Test func geluAndItsDerivativeMatchTheDoublePrecisionFormula() {
        var worstValue = 0.0, worstSlope = 0.0
        for x in Self.grid {
            let xd = Double(x)
            let cdf = 0.5 * (1 + Foundation.erf(xd / 2.0.squareRoot()))
            let pdf = Foundation.exp(-xd * xd / 2) / (2 * Double.pi).squareRoot()
            worstValue = Swift.max(worstValue, abs(Double(GeluFunction.apply(x)) - xd * cdf) / Swift.max(1, abs(xd)))
            worstSlope = Swift.max(worstSlope, abs(Double(GeluFunction.derivative(x: x, y: 0)) - (cdf + xd * pdf)))
        }
        #expect(worstValue < 1e-6, "gelu: largest error \(worstValue)")
        #expect(worstSlope < 2e-6, "gelu': largest error \(worstSlope)")
    }

    /// The wide-vector GELU kernels, at every instruction-set level this CPU runs, against the same
    /// double-precision formula, over a length that leaves a remainder after every vector width.
    @Test(arguments: [0, 1, 2]) func geluKernelsAtEachLevelMatchTheFormula(_ level: Int32) throws {
        try #require(level <= ck_kernel_level(), "this CPU does not run level \(level)")
        let x = Self.grid
        let g = x.indices.map { Float(($0 % 7) - 3) * 0.5 }
        var y = [Float](repeating: .nan, count: x.count), gx = [Float](repeating: .nan, count: x.count)
        ck_gelu_forward_level(level, x, &y, x.count)
        ck_gelu_backward_level(level, x, g, &gx, x.count)
        var worstValue = 0.0, worstGradient = 0.0
        for i in x.indices {
            let xd = Double(x[i])
            let cdf = 0.5 * (1 + Foundation.erf(xd / 2.0.squareRoot()))
            let pdf = Foundation.exp(-xd * xd / 2) / (2 * Double.pi).squareRoot()
            worstValue = Swift.max(worstValue, abs(Double(y[i]) - xd * cdf) / Swift.max(1, abs(xd)))
            worstGradient = Swift.max(worstGradient, abs(Double(gx[i]) - Double(g[i]) * (cdf + xd * pdf)))
        }
        #expect(worstValue < 1e-6, "level \(level) gelu: largest error \(worstValue)")
        #expect(worstGradient < 4e-6, "level \(level) gelu backward: largest error \(worstGradient)")
        #expect(Tensor(x, shape: [x.count]).gelu().values == y || level != ck_kernel_level())
    }
}

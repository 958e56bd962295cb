/// Branch-free float exp and erf that the compiler can vectorise (the C library's expf and erff are
/// scalar calls, which made GELU the largest non-matrix cost of the convolutional models). The fused
/// kernels use these; the standalone GELU runs `Sources/CKernels/Gelu.c`, the same formulas and constants
/// compiled for wider vectors (keep the two in step; both are tested against double precision).
enum FastMath {
    /// e^x with relative error below 2e-7 on [-87, 88]; inputs below -87 give ~0, above 88 saturate.
    @inline(__always) static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.3), 88.7)
        // x = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite split of ln2), e^r by its Taylor polynomial.
        // Adding 1.5 x 2^23 rounds to an integer in the low mantissa bits: n without a (checked, scalar)
        // float-to-int conversion.
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let r = (clamped - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187_045e-6
        var p: Float = 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n built in the exponent field, in two halves so n = 128 or -126 stays finite.
        let half = integer &>> 1
        let a = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let b = Float(bitPattern: UInt32(bitPattern: (integer &- half &+ 127) &<< 23))
        return p * a * b
    }

    /// erf(z) and e^(-z²) (which the GELU derivative reuses), by Abramowitz & Stegun 7.1.26
    /// (absolute error below 1.5e-7, plus float rounding).
    @inline(__always) static func erfAndGaussian(_ z: Float) -> (erf: Float, gaussian: Float) {
        let a = Swift.abs(z)
        let t = 1 / (1 + 0.327_591_1 * a)
        var poly: Float = 1.061_405_429
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        poly *= t
        let gaussian = exp(-z * z)
        let magnitude = 1 - poly * gaussian
        return (z < 0 ? -magnitude : magnitude, gaussian)
    }
}

// Exact widening of the narrow float formats to Float32, by bit manipulation. Every value of these
// formats (subnormals, signed zeros, infinities, NaN payloads) is representable in Float32, so the
// conversions are exact; no rounding ever happens here.

/// IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
@inline(__always)
func floatFromHalfBits(_ half: UInt16) -> Float {
    let sign = UInt32(half & 0x8000) << 16
    let exponent = UInt32(half >> 10) & 0x1F
    let mantissa = UInt32(half & 0x03FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa x 2^-24, exact in Float32 (which has 23 fraction bits and range to spare).
        let magnitude = Float(mantissa) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    case 0x1F:
        // Infinity (mantissa 0) or NaN, payload kept in the top mantissa bits.
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (mantissa << 13))
    }
}

/// bfloat16 is the upper half of a Float32.
@inline(__always)
func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// float8 E5M2 is the upper byte of a binary16 (same exponent layout, 2 mantissa bits).
@inline(__always)
func floatFromFloat8E5M2Bits(_ bits: UInt8) -> Float {
    floatFromHalfBits(UInt16(bits) << 8)
}

/// float8 E4M3 in the "fn" variant that PyTorch and safetensors use: 1 sign, 4 exponent (bias 7),
/// 3 mantissa bits, no infinities, NaN only for S.1111.111.
@inline(__always)
func floatFromFloat8E4M3FNBits(_ bits: UInt8) -> Float {
    let negative = bits & 0x80 != 0
    let exponent = Int((bits >> 3) & 0x0F)
    let mantissa = Float(bits & 0x07)
    let magnitude: Float
    if exponent == 0x0F && bits & 0x07 == 0x07 {
        magnitude = .nan
    } else if exponent == 0 {
        magnitude = mantissa * 0x1p-9            // subnormal: mantissa/8 x 2^(1-7)
    } else {
        magnitude = (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }
    return negative ? -magnitude : magnitude
}

import Foundation

extension SafeTensorsDType {
    /// Widens `count` little-endian elements of this dtype, starting at `bytes`, to Float32.
    /// F64 and the 64/32-bit integers round to nearest (ties to even); everything else is exact.
    func floats(from bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        checkArgument(bytes.count >= count * byteSize, "caller checked the byte range")
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch self {
            case .f32:
                widen(bytes, into: out, as: UInt32.self) { Float(bitPattern: $0) }
            case .f64:
                widen(bytes, into: out, as: UInt64.self) { Float(Double(bitPattern: $0)) }
            case .f16:
                widen(bytes, into: out, as: UInt16.self, floatFromHalfBits)
            case .bf16:
                widen(bytes, into: out, as: UInt16.self, floatFromBFloat16Bits)
            case .f8e4m3:
                widen(bytes, into: out, as: UInt8.self, floatFromFloat8E4M3FNBits)
            case .f8e5m2:
                widen(bytes, into: out, as: UInt8.self, floatFromFloat8E5M2Bits)
            case .i64:
                widen(bytes, into: out, as: UInt64.self) { Float(Int64(bitPattern: $0)) }
            case .i32:
                widen(bytes, into: out, as: UInt32.self) { Float(Int32(bitPattern: $0)) }
            case .i16:
                widen(bytes, into: out, as: UInt16.self) { Float(Int16(bitPattern: $0)) }
            case .i8:
                widen(bytes, into: out, as: UInt8.self) { Float(Int8(bitPattern: $0)) }
            case .u64:
                widen(bytes, into: out, as: UInt64.self) { Float($0) }
            case .u32:
                widen(bytes, into: out, as: UInt32.self) { Float($0) }
            case .u16:
                widen(bytes, into: out, as: UInt16.self) { Float($0) }
            case .u8:
                widen(bytes, into: out, as: UInt8.self) { Float($0) }
            case .bool:
                widen(bytes, into: out, as: UInt8.self) { $0 != 0 ? 1 : 0 }
            }
            initialized = count
        }
    }
}

/// Reads each element as its little-endian bit pattern (unaligned: tensors in a file need not be
/// aligned in memory) and stores its Float value. One pass, no allocation.
@inline(__always)
private func widen<Bits: FixedWidthInteger>(
    _ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableBufferPointer<Float>,
    as _: Bits.Type, _ convert: (Bits) -> Float
) {
    let stride = MemoryLayout<Bits>.size
    for index in 0..<out.count {
        out[index] = convert(Bits(littleEndian: bytes.loadUnaligned(fromByteOffset: index * stride, as: Bits.self)))
    }
}

import CZstd
import Foundation

/// A zstd failure: which input, and what libzstd (or the framing check) reported.
public struct ZstdError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        case notZstd      // the data does not start with a zstd frame
        case corrupt      // libzstd rejected the stream
        case truncated    // the stream ends in the middle of a frame
        case tooLarge     // the content (declared or produced) exceeds the caller's limit
        case compression  // compressing failed (out of memory, bad level)
    }
    public let source: String
    public let kind: Kind
    public let detail: String

    public var description: String { "\(source): \(detail)" }
}

/// zstd compression of whole buffers, on the system libzstd.
public enum Zstd {
    /// The four bytes every zstd frame starts with (0xFD2FB528, little-endian).
    public static let magicNumber: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    // zstd.h defines these as `(0ULL - 1)` / `(0ULL - 2)`, which Swift does not import.
    private static let contentSizeUnknown = UInt64.max
    private static let contentSizeError = UInt64.max - 1

    /// Whether `data` begins with the zstd frame magic number.
    public static func hasMagicNumber(_ data: Data) -> Bool {
        data.count >= magicNumber.count && data.prefix(magicNumber.count).elementsEqual(magicNumber)
    }

    /// Compresses `data` into one frame that records its content size and a content checksum,
    /// so that decompression detects corruption rather than returning wrong bytes.
    public static func compress(_ data: Data, level: Int32 = 3) throws -> Data {
        guard let context = ZSTD_createCCtx() else {
            throw ZstdError(source: "zstd", kind: .compression, detail: "cannot allocate a compression context")
        }
        defer { ZSTD_freeCCtx(context) }
        for (parameter, value) in [(ZSTD_c_compressionLevel, level), (ZSTD_c_checksumFlag, 1)] {
            let result = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(result) != 0 {
                throw ZstdError(source: "zstd", kind: .compression,
                                detail: "setting parameter \(parameter.rawValue) to \(value): \(errorName(result))")
            }
        }
        let bound = ZSTD_compressBound(data.count)
        var output = Data(count: bound)
        let written = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in
                ZSTD_compress2(context, out.baseAddress, out.count, input.baseAddress, input.count)
            }
        }
        if ZSTD_isError(written) != 0 {
            throw ZstdError(source: "zstd", kind: .compression, detail: "compression failed: \(errorName(written))")
        }
        output.count = written
        return output
    }

    /// Decompresses one or more concatenated zstd frames. The streaming decoder is used throughout, so
    /// frames that do not record their content size (as `zstd` writes when reading a pipe) work too;
    /// a recorded size is only a hint for the first allocation, never trusted blindly.
    ///
    /// `limit` caps the decompressed size: a frame that declares more is refused before anything is
    /// allocated, and a stream that does not declare its size is refused as soon as its output passes the
    /// limit (a few kB can expand to terabytes; the allocation would abort the process).
    public static func decompress(_ data: Data, source: String, limit: Int = Int.max) throws -> Data {
        guard hasMagicNumber(data) else {
            throw ZstdError(source: source, kind: .notZstd, detail: "not a zstd stream (missing the zstd magic number)")
        }
        guard let context = ZSTD_createDCtx() else {
            throw ZstdError(source: source, kind: .corrupt, detail: "cannot allocate a decompression context")
        }
        defer { ZSTD_freeDCtx(context) }

        let declared = data.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        if declared == contentSizeError {
            throw ZstdError(source: source, kind: .corrupt, detail: "corrupt zstd frame header")
        }
        if declared != contentSizeUnknown && declared > UInt64(limit) {
            throw ZstdError(source: source, kind: .tooLarge,
                            detail: "the zstd frame declares \(declared) bytes of content, more than the limit of \(limit) bytes")
        }
        // A hostile header may claim terabytes; cap the up-front allocation and grow on demand instead.
        let sizeHint = declared == contentSizeUnknown ? data.count * 2 : Int(min(declared, UInt64(data.count) * 64))
        var output = [UInt8](repeating: 0, count: min(max(sizeHint, 1 << 16), max(limit, 1)))
        var produced = 0

        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            while true {
                if produced == output.count {
                    guard output.count < limit else {
                        throw ZstdError(source: source, kind: .tooLarge,
                                        detail: "the zstd stream expands beyond the limit of \(limit) bytes (it does not declare its size)")
                    }
                    output.append(contentsOf: repeatElement(0, count: min(output.count, limit - output.count)))
                }
                let (remaining, outputFull): (Int, Bool) = try output.withUnsafeMutableBytes { out in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress! + produced, size: out.count - produced, pos: 0)
                    let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    if ZSTD_isError(result) != 0 {
                        throw ZstdError(source: source, kind: .corrupt,
                                        detail: "corrupt zstd stream at input byte \(inBuffer.pos): \(errorName(result))")
                    }
                    produced += outBuffer.pos
                    return (result, outBuffer.pos == outBuffer.size)
                }
                let inputConsumed = inBuffer.pos == inBuffer.size
                // `remaining == 0`: a frame is complete and fully flushed; more input may hold another frame.
                if remaining == 0 && inputConsumed { break }
                // The decoder wants more input than there is, and has no output left to flush.
                if inputConsumed && !outputFull {
                    throw ZstdError(source: source, kind: .truncated,
                                    detail: "zstd stream is truncated (ends inside a frame after \(input.count) bytes)")
                }
            }
        }
        return output.withUnsafeBufferPointer { Data(buffer: UnsafeBufferPointer(rebasing: $0[0..<produced])) }
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}

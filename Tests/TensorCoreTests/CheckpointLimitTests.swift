import CZstd
import Foundation
import Testing
@testable import TensorCore

/// Issue 17: a small compressed checkpoint that would expand beyond memory is refused before the
/// allocation, and mutated safetensors / zstd files end in an error or a valid load, never a crash.
@Suite struct CheckpointLimitTests {
    static func plain() throws -> Data {
        var random = SplitMix64(seed: 3)
        let records = ["a.weight": TensorRecord(shape: [8, 4], values: (0..<32).map { _ in Float.random(in: -1...1, using: &random) }),
                       "a.bias": TensorRecord(shape: [8], values: (0..<8).map { Float($0) })]
        return try SafeTensors.encode(records, metadata: ["model": "tiny"])
    }

    /// A frame that declares terabytes of content is refused from its header: the compressed bytes are
    /// real, only the declared size (frame header field) is patched.
    @Test func aDeclaredContentSizeBeyondTheLimitIsRefusedUpFront() throws {
        var compressed = [UInt8](try Zstd.compress(Data(count: 4096)))
        // Frame header descriptor (byte 4): its top two bits give the content-size field's width.
        let descriptor = compressed[4]
        let fieldBytes = [1, 2, 4, 8][Int(descriptor >> 6)]
        #expect(fieldBytes == 2 || fieldBytes == 4 || fieldBytes == 8)
        compressed[4] = descriptor | 0xC0                       // an 8-byte content size
        let singleSegment = descriptor & 0x20 != 0
        let sizeAt = 5 + (singleSegment ? 0 : 1)
        let oldSize = fieldBytes == 1 && singleSegment ? 1 : fieldBytes
        compressed.replaceSubrange(sizeAt..<(sizeAt + oldSize), with: withUnsafeBytes(of: UInt64(16 << 40).littleEndian) { Array($0) })
        let error = try #require(throws: SafeTensorsError.self) { try SafeTensors.decode(Data(compressed), source: "big.safetensors.zst") }
        #expect(error.kind == .tooLarge)
        #expect(error.description.hasPrefix("big.safetensors.zst: the zstd frame declares 17592186044416 bytes of content, more than the limit of"))
    }

    /// Without a declared size (a streamed frame), decompression stops at the limit.
    @Test func anUndeclaredStreamIsStoppedAtTheLimit() throws {
        // Fed through ZSTD_e_continue first, the compressor cannot know the size and leaves it out, as the
        // `zstd` command does when it reads a pipe.
        let input = [UInt8](repeating: 0, count: 4 << 20)
        var output = [UInt8](repeating: 0, count: 1 << 20)
        let context = ZSTD_createCCtx()
        defer { ZSTD_freeCCtx(context) }
        var written = 0
        input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                var outBuffer = ZSTD_outBuffer(dst: target.baseAddress, size: target.count, pos: 0)
                _ = ZSTD_compressStream2(context, &outBuffer, &inBuffer, ZSTD_e_continue)
                var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
                while ZSTD_compressStream2(context, &outBuffer, &empty, ZSTD_e_end) > 0 {}
                written = outBuffer.pos
            }
        }
        let compressed = Data(output[0..<written])
        #expect(compressed.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) } == UInt64.max)   // unknown
        let error = try #require(throws: ZstdError.self) { try Zstd.decompress(compressed, source: "x", limit: 1 << 20) }
        #expect(error.kind == .tooLarge && error.detail == "the zstd stream expands beyond the limit of 1048576 bytes (it does not declare its size)")
        #expect(try Zstd.decompress(compressed, source: "x", limit: 4 << 20).count == 4 << 20)
        // The header's float32 size is checked too: a valid file whose tensors exceed a small limit.
        let plain = try Self.plain()
        let widened = try #require(throws: SafeTensorsError.self) { try SafeTensors.decode(plain, source: "p", limit: 100) }
        #expect(widened.description == "p: the header's tensors need 160 bytes as float32, more than the limit of 100 bytes (a checkpoint may take at most a quarter of this machine's memory)")
    }

    /// safetensors and zstd readers are bounds-checked Swift over libzstd (itself continuously fuzzed
    /// upstream), so they run in-process: a crash here is a bug in our reader, and the test would show it.
    @Test func fuzzedCheckpointsEndInAnErrorOrAValidLoad() throws {
        let plain = [UInt8](try Self.plain())
        let compressed = [UInt8](try Zstd.compress(Data(plain)))
        var random = SplitMix64(seed: 17)
        var errors = 0, loads = 0
        for index in 0..<400 {
            var bytes = index % 2 == 0 ? plain : compressed
            switch index % 3 {
            case 0: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            case 1:
                for _ in 0..<Int.random(in: 1...6, using: &random) { bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random) }
            default:
                // The header length and the start of the JSON (or the frame header) are the sensitive parts.
                for _ in 0..<Int.random(in: 1...3, using: &random) { bytes[Int.random(in: 0..<min(24, bytes.count), using: &random)] = UInt8.random(in: 0...255, using: &random) }
            }
            do {
                let loaded = try SafeTensors.decode(Data(bytes), source: "mutation \(index)", limit: 1 << 20)
                for (_, record) in loaded.tensors { #expect(record.values.count == record.shape.reduce(1, *)) }
                loads += 1
            } catch is SafeTensorsError {
                errors += 1
            }
        }
        #expect(errors + loads == 400 && errors > 200, "errors \(errors), loads \(loads)")
    }
}


import CZstd
import Foundation
import Testing
@testable import TensorCore

// Fixtures come from tools/safetensors/make_fixtures.py (PyTorch + the `safetensors` package + the zstd CLI).

private func fixture(_ name: String, _ ext: String) throws -> URL {
    try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"),
                 "missing fixture \(name).\(ext)")
}

private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Equal shapes, dtypes and value bit patterns (so NaN compares equal to the same NaN).
private func expectSameTensors(_ actual: [String: TensorRecord], _ expected: [String: TensorRecord],
                               sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.keys.sorted() == expected.keys.sorted(), sourceLocation: sourceLocation)
    for (name, record) in expected {
        guard let loaded = actual[name] else { continue }
        #expect(loaded.shape == record.shape, "\(name)", sourceLocation: sourceLocation)
        #expect(loaded.sourceDType == record.sourceDType, "\(name)", sourceLocation: sourceLocation)
        #expect(bits(loaded.values) == bits(record.values), "\(name)", sourceLocation: sourceLocation)
    }
}

/// A fresh folder under the system temporary directory, removed by the caller.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Raw safetensors bytes from a header string and a data section, the header padded as the format asks.
private func rawFile(header: String, data: [UInt8] = []) -> Data {
    var headerBytes = Array(header.utf8)
    while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
    var bytes = withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Data($0) }
    bytes.append(contentsOf: headerBytes)
    bytes.append(contentsOf: data)
    return bytes
}

/// Decoding `data` fails with `kind`, and the message mentions every one of `phrases`.
private func expectFailure(_ data: Data, _ kind: SafeTensorsError.Kind, tensor: String? = nil, mentions phrases: [String],
                           sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try SafeTensors.decode(data, source: "case.safetensors")
        Issue.record("decoding succeeded, expected \(kind)", sourceLocation: sourceLocation)
    } catch let error as SafeTensorsError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.file == "case.safetensors", sourceLocation: sourceLocation)
        #expect(error.tensor == tensor, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("case.safetensors: "), sourceLocation: sourceLocation)
        for phrase in phrases {
            #expect(error.description.contains(phrase), "'\(phrase)' not in: \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

private func sampleTensors() -> [String: TensorRecord] {
    var generator = SystemRandomNumberGenerator()
    return [
        "encoder.layers.0.weight": TensorRecord(shape: [3, 4], values: (0..<12).map { _ in Float.random(in: -2...2, using: &generator) }),
        "encoder.layers.0.bias": TensorRecord(shape: [4], values: [0, -0.0, .infinity, -.greatestFiniteMagnitude]),
        "special": TensorRecord(shape: [2, 2], values: [.nan, .leastNonzeroMagnitude, -.leastNormalMagnitude, 0x1p-140]),
        "scalar": TensorRecord(shape: [], values: [42]),
        "empty": TensorRecord(shape: [0, 5], values: []),
        "name with \"quotes\", \\ and \u{1} ünï": TensorRecord(shape: [1], values: [7]),
    ]
}

// MARK: - Files written by PyTorch / the `safetensors` package

private struct ExpectedTensor: Decodable {
    let dtype: String
    let shape: [Int]
    let float32_bits: [UInt32]
}

@Test func loadsEveryDTypeWrittenByPythonAsPyTorchConvertsIt() throws {
    let (tensors, metadata) = try SafeTensors.load(from: fixture("safetensors_mixed", "safetensors"))
    let expected = try JSONDecoder().decode([String: ExpectedTensor].self,
                                            from: Data(contentsOf: fixture("safetensors_mixed_expected", "json")))
    let torchNames: [String: SafeTensorsDType] = [
        "float32": .f32, "float64": .f64, "float16": .f16, "bfloat16": .bf16, "float8_e4m3fn": .f8e4m3,
        "float8_e5m2": .f8e5m2, "int64": .i64, "int32": .i32, "int16": .i16, "int8": .i8, "uint8": .u8, "bool": .bool,
    ]
    #expect(metadata == ["format": "pt", "written_by": "tools/safetensors/make_fixtures.py"])
    #expect(Set(tensors.keys) == Set(expected.keys))
    for (name, reference) in expected {
        let record = try #require(tensors[name], "\(name) missing")
        #expect(record.shape == reference.shape, "\(name)")
        #expect(record.sourceDType == torchNames[reference.dtype], "\(name)")
        #expect(record.values.count == reference.float32_bits.count, "\(name)")
        for (index, (value, referenceBits)) in zip(record.values, reference.float32_bits).enumerated() {
            let referenceValue = Float(bitPattern: referenceBits)
            if referenceValue.isNaN {
                #expect(value.isNaN, "\(name)[\(index)]: \(value), PyTorch NaN")  // NaN payloads may differ
            } else {
                #expect(value.bitPattern == referenceBits, "\(name)[\(index)]: \(value), PyTorch \(referenceValue)")
            }
        }
    }
    // Spot checks that the fixture covers what it claims to.
    #expect(tensors["bn.num_batches_tracked"] == TensorRecord(shape: [], values: [12345], sourceDType: .i64))
    let half = try #require(tensors["f16"]).values
    #expect(half[2] == 0x1p-24 && half[11] == .infinity && half[12] == -.infinity && half[1].sign == .minus)
}

@Test func compressedFilesFromTheZstdToolLoadLikeThePlainOne() throws {
    let plain = try SafeTensors.load(from: fixture("safetensors_mixed", "safetensors"))
    // Written through a pipe: the frame does not record the content size, so streaming is required.
    let piped = try SafeTensors.load(from: fixture("safetensors_mixed.safetensors", "zst"))
    let twoFrames = try SafeTensors.load(from: fixture("safetensors_mixed_2frames.safetensors", "zst"))
    expectSameTensors(piped.tensors, plain.tensors)
    expectSameTensors(twoFrames.tensors, plain.tensors)
    #expect(piped.metadata == plain.metadata && twoFrames.metadata == plain.metadata)
}

@Test func writerReproducesPythonFileByteForByte() throws {
    let url = try fixture("safetensors_f32_python", "safetensors")
    let (tensors, metadata) = try SafeTensors.load(from: url)
    #expect(tensors.count == 5 && metadata == ["note": "say \"hi\"\n"])
    #expect(try SafeTensors.encode(tensors, metadata: metadata) == Data(contentsOf: url))
}

// MARK: - Exact narrow-float conversion

@Test func halfConversionIsExactForAllBitPatterns() {
    for pattern in 0...UInt16.max {
        let ours = floatFromHalfBits(pattern)
        let reference = Float(Float16(bitPattern: pattern))  // hardware/compiler-rt widening
        if reference.isNaN {
            #expect(ours.isNaN && ours.sign == reference.sign, "half 0x\(String(pattern, radix: 16))")
        } else {
            #expect(ours.bitPattern == reference.bitPattern, "half 0x\(String(pattern, radix: 16)): \(ours) vs \(reference)")
        }
    }
}

@Test func float8E5M2AgreesWithHalfPrecisionForAllBitPatterns() {
    for pattern in 0...UInt8.max {
        let reference = Float(Float16(bitPattern: UInt16(pattern) << 8))
        let ours = floatFromFloat8E5M2Bits(pattern)
        #expect(ours.bitPattern == reference.bitPattern || (ours.isNaN && reference.isNaN))
    }
}

@Test func float8E4M3FNHasNoInfinitiesAndTheRightExtremes() {
    let values = (0...UInt8.max).map(floatFromFloat8E4M3FNBits)
    #expect(values.filter(\.isNaN).count == 2)           // 0x7F and 0xFF only
    #expect(!values.contains { $0.isInfinite })
    #expect(values[0x7E] == 448 && values[0xFE] == -448)   // largest finite
    #expect(values[0x01] == 0x1p-9 && values[0x08] == 0x1p-6)  // smallest subnormal, smallest normal
}

@Test func integerAndDoubleConversionRoundToNearestEven() {
    func convert(_ dtype: SafeTensorsDType, _ rawBytes: [UInt8]) -> [Float] {
        rawBytes.withUnsafeBytes { dtype.floats(from: $0, count: rawBytes.count / dtype.byteSize) }
    }
    func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }
    let doubles: [Double] = [1 + 0x1p-24, 1 + 3 * 0x1p-24, 0.1, -1e300, 1e-50]
    #expect(convert(.f64, littleEndianBytes(doubles.map(\.bitPattern))) == [1, 1 + 0x1p-22, 0.1, -.infinity, 0])
    #expect(convert(.i64, littleEndianBytes([Int64(1 << 24) + 1, Int64(1 << 24) + 3, .min])) == [16_777_216, 16_777_220, -0x1p63])
    #expect(convert(.u64, littleEndianBytes([UInt64.max])) == [0x1p64])
    #expect(convert(.u32, littleEndianBytes([UInt32.max, 5])) == [0x1p32, 5])
    #expect(convert(.u16, littleEndianBytes([UInt16.max])) == [65535])
    #expect(convert(.bool, [0, 1, 2]) == [0, 1, 1])
}

// MARK: - Round trips

@Test func plainRoundTripKeepsValuesShapesAndMetadata() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("model.safetensors")
    let tensors = sampleTensors()
    let metadata = ["format": "pt", "epoch": "3", "note": "quotes \" and\nnewlines, ünïcødé"]
    try SafeTensors.save(tensors, metadata: metadata, to: url)

    let bytes = try Data(contentsOf: url)
    #expect(!Zstd.hasMagicNumber(bytes))
    let headerLength = bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    #expect((8 + headerLength) % 8 == 0, "data section must start 8-byte aligned")

    let loaded = try SafeTensors.load(from: url)
    expectSameTensors(loaded.tensors, tensors)
    #expect(loaded.metadata == metadata)
    // No metadata written when there is none.
    try SafeTensors.save(tensors, to: url)
    #expect(try SafeTensors.load(from: url).metadata.isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
}

@Test func compressedRoundTripIsZstdAndSmaller() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // Compressible: a smooth ramp repeated.
    var tensors = sampleTensors()
    tensors["ramp"] = TensorRecord(shape: [64, 1024], values: (0..<65536).map { Float($0 % 256) * 0.5 })
    let metadata = ["compressed": "yes"]
    let plainSize = try SafeTensors.encode(tensors, metadata: metadata).count

    let byName = folder.appendingPathComponent("model.safetensors.zst")
    try SafeTensors.save(tensors, metadata: metadata, to: byName)             // compressed because of the name
    let byFlag = folder.appendingPathComponent("model-flag.safetensors")
    try SafeTensors.save(tensors, metadata: metadata, to: byFlag, compress: true)
    let forcedPlain = folder.appendingPathComponent("plain.safetensors.zst")
    try SafeTensors.save(tensors, metadata: metadata, to: forcedPlain, compress: false)

    for url in [byName, byFlag] {
        let bytes = try Data(contentsOf: url)
        #expect(Array(bytes.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD], "zstd magic in \(url.lastPathComponent)")
        #expect(bytes.count * 10 < plainSize, "\(bytes.count) compressed vs \(plainSize) plain")
    }
    #expect(try Data(contentsOf: forcedPlain).count == plainSize)
    for url in [byName, byFlag, forcedPlain] {   // detected by content, whatever the name
        let loaded = try SafeTensors.load(from: url)
        expectSameTensors(loaded.tensors, tensors)
        #expect(loaded.metadata == metadata)
    }
}

@Test func zstdRoundTripsEmptyRandomAndLargeData() throws {
    var generator = SystemRandomNumberGenerator()
    let random = Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
    let zeros = Data(count: 8 << 20)  // compresses > 1000x: the output buffer must grow past the capped hint
    for (name, data) in [("empty", Data()), ("random", random), ("zeros", zeros)] {
        let compressed = try Zstd.compress(data, level: 3)
        #expect(try Zstd.decompress(compressed, source: name) == data, "\(name)")
    }
}

@Test func zstdStreamWithoutContentSizeGrowsItsBuffer() throws {
    // Compress in two steps so libzstd cannot record the content size in the frame header.
    let original = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 / 1000) })
    let context = try #require(ZSTD_createCCtx())
    defer { ZSTD_freeCCtx(context) }
    var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(original.count) + 1024)
    let written = original.withUnsafeBytes { input in
        compressed.withUnsafeMutableBytes { output in
            var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            _ = ZSTD_compressStream2(context, &outBuffer, &inBuffer, ZSTD_e_continue)
            var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            while ZSTD_compressStream2(context, &outBuffer, &empty, ZSTD_e_end) != 0 {}
            return outBuffer.pos
        }
    }
    let frame = Data(compressed.prefix(written))
    #expect(frame.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) } == UInt64.max, "size unknown")
    #expect(try Zstd.decompress(frame, source: "stream") == original)
}

// MARK: - Corrupt input: a specific error each time, never a crash

@Test func truncatedOrShortFilesAreRejected() throws {
    let valid = try SafeTensors.encode(sampleTensors(), metadata: ["a": "b"])
    expectFailure(Data([1, 2, 3]), .fileTooShort, mentions: ["3 bytes", "8-byte header length"])
    expectFailure(valid.prefix(40), .headerLengthBeyondFile, mentions: ["exceeds the 32 bytes"])
    expectFailure(valid.dropLast(5), .truncatedData, tensor: "special", mentions: ["truncated"])
    expectFailure(valid + Data([0, 0, 0, 0]), .trailingData, mentions: ["4 bytes after the last tensor"])
    var huge = valid
    huge.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    expectFailure(huge, .headerLengthBeyondFile, mentions: ["18446744073709551615"])
}

@Test func malformedHeadersAreRejected() {
    expectFailure(rawFile(header: "{not json"), .invalidHeader, mentions: ["not valid UTF-8 JSON"])
    expectFailure(rawFile(header: "[1, 2]"), .invalidHeader, mentions: ["not a JSON object"])
    var invalidUTF8 = rawFile(header: "{\"aaaa\":1}")
    invalidUTF8[10] = 0xFF
    expectFailure(invalidUTF8, .invalidHeader, mentions: ["not valid UTF-8 JSON"])
    expectFailure(rawFile(header: #"{"__metadata__":{"k":1}}"#), .invalidMetadata, mentions: ["must be strings"])
    expectFailure(rawFile(header: #"{"__metadata__":[]}"#), .invalidMetadata, mentions: ["not a JSON object"])
    expectFailure(rawFile(header: #"{"w":5}"#), .invalidField, tensor: "w", mentions: ["not a JSON object"])
}

@Test func badTensorEntriesNameTheTensorAndTheField() {
    let four = [UInt8](repeating: 0, count: 4)
    expectFailure(rawFile(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: four),
                  .missingField, tensor: "w", mentions: ["missing 'dtype'"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: four),
                  .missingField, tensor: "w", mentions: ["missing 'shape'"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: four),
                  .missingField, tensor: "w", mentions: ["missing 'data_offsets'"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,4]}}"#, data: four),
                  .unknownDType, tensor: "w", mentions: ["unknown dtype 'F128'"])
    expectFailure(rawFile(header: #"{"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}"#, data: four),
                  .invalidField, tensor: "w", mentions: ["'dtype' is not a string"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four),
                  .invalidField, tensor: "w", mentions: ["'shape' must hold non-negative integers", "-1"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: four),
                  .invalidField, tensor: "w", mentions: ["non-negative integers", "1.5"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}}"#, data: four),
                  .invalidField, tensor: "w", mentions: ["non-negative integers"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, data: four),
                  .invalidField, tensor: "w", mentions: ["'shape' is not a list"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: four),
                  .shapeOverflow, tensor: "w", mentions: ["more elements than Int can count"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}"#, data: four),
                  .shapeOverflow, tensor: "w", mentions: ["more bytes than Int can count"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: four),
                  .invalidField, tensor: "w", mentions: ["[begin, end] with begin <= end"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: four),
                  .invalidField, tensor: "w", mentions: ["[begin, end]"])
    expectFailure(rawFile(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four),
                  .offsetsMismatch, tensor: "w", mentions: ["span 4 bytes", "needs 8"])
}

@Test func badDataLayoutsAreRejected() {
    let twelve = [UInt8](repeating: 0, count: 12)
    expectFailure(rawFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: twelve),
                  .overlappingData, tensor: "b", mentions: ["overlap tensor 'a'"])
    expectFailure(rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#, data: twelve),
                  .gapInData, tensor: "b", mentions: ["bytes 4..<8 owned by no tensor"])
    expectFailure(rawFile(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: twelve),
                  .truncatedData, tensor: "a", mentions: ["only 12 bytes"])
    expectFailure(rawFile(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[1000000,1000004]}}"#, data: twelve),
                  .gapInData, tensor: "a", mentions: ["starts at byte 1000000"])
}

@Test func corruptOrTruncatedZstdStreamsAreRejected() throws {
    var generator = SystemRandomNumberGenerator()
    var tensors = sampleTensors()
    tensors["noise"] = TensorRecord(shape: [2048], values: (0..<2048).map { _ in Float.random(in: 0...1, using: &generator) })
    let compressed = try Zstd.compress(SafeTensors.encode(tensors))

    var corrupt = compressed
    for index in stride(from: 40, to: corrupt.count - 8, by: 97) { corrupt[index] ^= 0x5A }
    expectFailure(corrupt, .compression, mentions: ["corrupt zstd stream"])
    expectFailure(compressed.prefix(compressed.count / 2), .compression, mentions: ["truncated"])
    expectFailure(compressed.dropLast(1), .compression, mentions: ["truncated"])
    expectFailure(compressed + Data([1, 2, 3, 4, 5, 6, 7, 8]), .compression, mentions: ["corrupt zstd stream"])
    #expect(throws: ZstdError.self) { try Zstd.decompress(Data([1, 2, 3]), source: "x") }
}

@Test func everyTruncationFailsCleanly() throws {
    let plain = try Data(contentsOf: fixture("safetensors_mixed", "safetensors"))
    let compressed = try Data(contentsOf: fixture("safetensors_mixed.safetensors", "zst"))
    for file in [plain, compressed] {
        for length in 0..<file.count {
            #expect(throws: SafeTensorsError.self, "prefix of \(length) bytes") {
                try SafeTensors.decode(file.prefix(length), source: "prefix")
            }
        }
    }
}

@Test func randomByteFlipsNeverCrash() throws {
    let plain = try Data(contentsOf: fixture("safetensors_mixed", "safetensors"))
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<500 {
        var damaged = plain
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
        }
        do {
            _ = try SafeTensors.decode(damaged, source: "flipped")  // flips inside tensor data still decode
        } catch is SafeTensorsError {
        }
    }
}

// MARK: - Atomic save

@Test func failedSaveLeavesTheOldFileIntact() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("weights.safetensors")
    try SafeTensors.save(sampleTensors(), metadata: ["version": "1"], to: url)
    let before = try Data(contentsOf: url)

    var broken = sampleTensors()
    broken["bad"] = TensorRecord(shape: [2, 3], values: [1, 2, 3])
    do {
        try SafeTensors.save(broken, to: url)
        Issue.record("saving a record whose values do not match its shape succeeded")
    } catch let error as SafeTensorsError {
        #expect(error.kind == .invalidRecord && error.tensor == "bad")
        #expect(error.description.contains("shape [2, 3] needs 6 values but the record has 3"))
    }
    #expect(throws: SafeTensorsError.self) {
        try SafeTensors.save(["__metadata__": TensorRecord(shape: [], values: [1])], to: url)
    }
    #expect(try Data(contentsOf: url) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["weights.safetensors"])
}

@Test func failedRenameCleansUpTheTemporaryFile() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // A non-empty folder in the way: the rename fails after the temporary file was written and synced.
    let blocked = folder.appendingPathComponent("blocked.safetensors")
    try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: false)
    try Data([1]).write(to: blocked.appendingPathComponent("keep"))
    do {
        try SafeTensors.save(sampleTensors(), to: blocked)
        Issue.record("saving over a folder succeeded")
    } catch let error as SafeTensorsError {
        #expect(error.kind == .io && error.description.contains("renaming"), "\(error)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["blocked.safetensors"])

    let missingFolder = folder.appendingPathComponent("no/such/folder/w.safetensors")
    #expect(throws: SafeTensorsError.self) { try SafeTensors.save(sampleTensors(), to: missingFolder) }
    #expect(throws: SafeTensorsError.self) { try SafeTensors.load(from: missingFolder) }
}

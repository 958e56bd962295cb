import FileSupport
import Foundation

extension SafeTensors {
    /// Writes the tensors as F32 (keys sorted, header padded with spaces to a multiple of 8 bytes as the
    /// format requires), with `metadata` as `__metadata__` when it is not empty. Compressed with zstd
    /// when `compress` is true; by default when the name ends in `.zst`. The bytes go to a temporary
    /// file in the same folder, which is synced and then renamed over `url`: never a half-written file.
    public static func save(_ tensors: [String: TensorRecord], metadata: [String: String] = [:],
                            to url: URL, compress: Bool? = nil) throws {
        let file = url.path
        var bytes = try encode(tensors, metadata: metadata, source: file)
        if compress ?? (url.pathExtension == "zst") {
            do {
                bytes = try Zstd.compress(bytes)
            } catch let error as ZstdError {
                throw SafeTensorsError(file: file, kind: .compression, detail: error.detail)
            }
        }
        do {
            try AtomicFile.write(bytes, to: url)
        } catch let error as FileWriteError {
            throw SafeTensorsError(file: file, kind: .io, detail: error.reason)
        }
    }

    /// The uncompressed file contents for `tensors`. Throws `.invalidRecord`, naming the tensor, when a
    /// record's value count does not match its shape or a name is the reserved `__metadata__`.
    public static func encode(_ tensors: [String: TensorRecord], metadata: [String: String] = [:],
                              source: String = "<memory>") throws -> Data {
        // Byte order of the UTF-8 names, as the Rust `safetensors` writer sorts (Swift's `<` on String
        // follows Unicode canonical order instead, which can differ).
        let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var entries: [String] = []
        var offset = 0
        for name in names {
            let record = tensors[name]!
            try validate(record, name: name, file: source)
            let byteCount = record.values.count * MemoryLayout<Float>.size
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(record.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + byteCount)]}")
            offset += byteCount
        }
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.insert("\(jsonString(SafeTensorsHeader.metadataKey)):{\(fields.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        let unaligned = (headerLengthSize + header.count) % 8
        if unaligned != 0 { header += repeatElement(UInt8(ascii: " "), count: 8 - unaligned) }

        var bytes = Data(count: headerLengthSize + header.count + offset)
        bytes.withUnsafeMutableBytes { out in
            out.storeBytes(of: UInt64(header.count).littleEndian, as: UInt64.self)
            out.baseAddress!.advanced(by: headerLengthSize).copyMemory(from: header, byteCount: header.count)
            var position = headerLengthSize + header.count
            for name in names {
                let values = tensors[name]!.values
                #if _endian(little)
                values.withUnsafeBytes { source in
                    if let from = source.baseAddress { (out.baseAddress! + position).copyMemory(from: from, byteCount: source.count) }
                }
                position += values.count * MemoryLayout<Float>.size
                #else
                for value in values {
                    out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: position, as: UInt32.self)
                    position += MemoryLayout<Float>.size
                }
                #endif
            }
        }
        return bytes
    }

    private static func validate(_ record: TensorRecord, name: String, file: String) throws {
        func failure(_ detail: String) -> SafeTensorsError {
            SafeTensorsError(file: file, tensor: name, kind: .invalidRecord, detail: detail)
        }
        if name == SafeTensorsHeader.metadataKey { throw failure("'\(name)' is reserved for the metadata") }
        var elementCount = 1
        for dimension in record.shape {
            guard dimension >= 0 else { throw failure("negative dimension in shape \(record.shape)") }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            if overflow { throw failure("shape \(record.shape) has more elements than Int can count") }
            elementCount = product
        }
        if elementCount != record.values.count {
            throw failure("shape \(record.shape) needs \(elementCount) values but the record has \(record.values.count)")
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped; the rest UTF-8 as is.
    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

import Foundation

extension SafeTensors {
    /// Reads a `.safetensors` file, or a zstd-compressed one (recognised by the zstd magic number,
    /// whatever its name). Every dtype is widened to Float32.
    public static func load(from url: URL) throws -> (tensors: [String: TensorRecord], metadata: [String: String]) {
        let file = url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw SafeTensorsError(file: file, kind: .io, detail: "cannot read the file: \(error.localizedDescription)")
        }
        return try decode(bytes, source: file)
    }

    /// The same as `load(from:)` on bytes in memory; `source` names them in error messages.
    public static func decode(_ data: Data, source: String) throws -> (tensors: [String: TensorRecord], metadata: [String: String]) {
        // A plain file cannot start with the magic: read as its header length it is ~4.2e9, far beyond any real header.
        if Zstd.hasMagicNumber(data) {
            let plain: Data
            do {
                plain = try Zstd.decompress(data, source: source)
            } catch let error as ZstdError {
                throw SafeTensorsError(file: source, kind: .compression, detail: error.detail)
            }
            return try decodePlain(plain, file: source)
        }
        return try decodePlain(data, file: source)
    }

    private static func decodePlain(_ data: Data, file: String) throws -> (tensors: [String: TensorRecord], metadata: [String: String]) {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            guard bytes.count >= headerLengthSize else {
                throw SafeTensorsError(file: file, kind: .fileTooShort,
                                       detail: "file has \(bytes.count) bytes, fewer than the \(headerLengthSize)-byte header length")
            }
            let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
            let available = bytes.count - headerLengthSize
            guard headerLength <= UInt64(available) else {
                throw SafeTensorsError(file: file, kind: .headerLengthBeyondFile,
                                       detail: "header length \(headerLength) exceeds the \(available) bytes that follow it (truncated or not a safetensors file)")
            }
            let dataStart = headerLengthSize + Int(headerLength)
            let headerBytes = Data(bytes[headerLengthSize..<dataStart])
            let header = try SafeTensorsHeader.parse(headerBytes, file: file)
            let dataSection = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
            try header.checkLayout(dataSectionSize: dataSection.count, file: file)

            var tensors: [String: TensorRecord] = [:]
            tensors.reserveCapacity(header.entries.count)
            for entry in header.entries {
                let slice = UnsafeRawBufferPointer(rebasing: dataSection[entry.begin..<entry.end])
                tensors[entry.name] = TensorRecord(shape: entry.shape,
                                                   values: entry.dtype.floats(from: slice, count: entry.elementCount),
                                                   sourceDType: entry.dtype)
            }
            return (tensors, header.metadata)
        }
    }
}

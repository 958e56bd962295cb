import Foundation

extension SafeTensors {
    /// Reads a `.safetensors` file, or a zstd-compressed one (recognised by the zstd magic number,
    /// whatever its name). Every dtype is widened to Float32.
    /// The most bytes a checkpoint may take in memory once decompressed or widened to float32: a quarter
    /// of the physical memory (the compressed bytes, the plain bytes and the float32 copy coexist while
    /// loading, beside the model itself). The largest model here needs about 50 MB.
    public static let memoryLimit: Int = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)

    public static func load(from url: URL, limit: Int = SafeTensors.memoryLimit) throws -> (tensors: [String: TensorRecord], metadata: [String: String]) {
        let file = url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw SafeTensorsError(file: file, kind: .io, detail: "cannot read the file: \(error.localizedDescription)")
        }
        return try decode(bytes, source: file, limit: limit)
    }

    /// The same as `load(from:)` on bytes in memory; `source` names them in error messages.
    public static func decode(_ data: Data, source: String, limit: Int = SafeTensors.memoryLimit) throws
        -> (tensors: [String: TensorRecord], metadata: [String: String]) {
        // A plain file cannot start with the magic: read as its header length it is ~4.2e9, far beyond any real header.
        if Zstd.hasMagicNumber(data) {
            let plain: Data
            do {
                plain = try Zstd.decompress(data, source: source, limit: limit)
            } catch let error as ZstdError {
                throw SafeTensorsError(file: source, kind: error.kind == .tooLarge ? .tooLarge : .compression,
                                       detail: error.kind == .tooLarge
                                           ? "\(error.detail) (a checkpoint may take at most a quarter of this machine's memory)" : error.detail)
            }
            return try decodePlain(plain, file: source, limit: limit)
        }
        return try decodePlain(data, file: source, limit: limit)
    }

    private static func decodePlain(_ data: Data, file: String, limit: Int) throws -> (tensors: [String: TensorRecord], metadata: [String: String]) {
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
            // Widening to float32 allocates 4 bytes per element whatever the stored width (1-byte types
            // quadruple): refuse before allocating when the header's tensors need more than the limit.
            let widened = header.entries.reduce(0.0) { $0 + Double($1.elementCount) * 4 }
            if widened > Double(limit) {
                throw SafeTensorsError(file: file, kind: .tooLarge,
                                       detail: "the header's tensors need \(Int(widened)) bytes as float32, more than the limit of \(limit) bytes "
                                           + "(a checkpoint may take at most a quarter of this machine's memory)")
            }

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

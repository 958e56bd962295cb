import Foundation

/// One tensor's entry in a safetensors header, checked on its own (not yet against the data section).
struct SafeTensorsEntry {
    let name: String
    let dtype: SafeTensorsDType
    let shape: [Int]
    let elementCount: Int
    /// Byte range within the data section that follows the header.
    let begin: Int
    let end: Int
}

/// The JSON header of a safetensors file: `{"__metadata__": {str: str}, name: {dtype, shape, data_offsets}, ...}`.
struct SafeTensorsHeader {
    static let metadataKey = "__metadata__"

    let entries: [SafeTensorsEntry]
    let metadata: [String: String]

    static func parse(_ json: Data, file: String) throws -> SafeTensorsHeader {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: json)
        } catch {
            throw SafeTensorsError(file: file, kind: .invalidHeader,
                                   detail: "header is not valid UTF-8 JSON (\(describe(error)))")
        }
        guard case .object(let fields) = root else {
            throw SafeTensorsError(file: file, kind: .invalidHeader,
                                   detail: "header is not a JSON object but \(root.summary)")
        }
        var metadata: [String: String] = [:]
        var entries: [SafeTensorsEntry] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if name == metadataKey {
                metadata = try parseMetadata(value, file: file)
            } else {
                entries.append(try parseEntry(name: name, value, file: file))
            }
        }
        return SafeTensorsHeader(entries: entries, metadata: metadata)
    }

    private static func parseMetadata(_ value: JSONValue, file: String) throws -> [String: String] {
        guard case .object(let fields) = value else {
            throw SafeTensorsError(file: file, kind: .invalidMetadata,
                                   detail: "\(metadataKey) is not a JSON object but \(value.summary)")
        }
        return try fields.mapValues { field in
            guard case .string(let text) = field else {
                throw SafeTensorsError(file: file, kind: .invalidMetadata,
                                       detail: "\(metadataKey) values must be strings, found \(field.summary)")
            }
            return text
        }
    }

    private static func parseEntry(name: String, _ value: JSONValue, file: String) throws -> SafeTensorsEntry {
        func failure(_ kind: SafeTensorsError.Kind, _ detail: String) -> SafeTensorsError {
            SafeTensorsError(file: file, tensor: name, kind: kind, detail: detail)
        }
        guard case .object(let fields) = value else {
            throw failure(.invalidField, "entry is not a JSON object but \(value.summary)")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let value = fields[key] else { throw failure(.missingField, "missing '\(key)'") }
            return value
        }
        func nonNegativeIntegers(_ key: String) throws -> [Int] {
            let value = try field(key)
            guard case .array(let items) = value else {
                throw failure(.invalidField, "'\(key)' is not a list but \(value.summary)")
            }
            return try items.map { item in
                guard case .integer(let number) = item, number >= 0 else {
                    throw failure(.invalidField, "'\(key)' must hold non-negative integers, found \(item.summary) in \(value.summary)")
                }
                return number
            }
        }

        let dtypeValue = try field("dtype")
        guard case .string(let dtypeName) = dtypeValue else {
            throw failure(.invalidField, "'dtype' is not a string but \(dtypeValue.summary)")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw failure(.unknownDType, "unknown dtype '\(dtypeName)'")
        }

        let shape = try nonNegativeIntegers("shape")
        var elementCount = 1
        for dimension in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            if overflow { throw failure(.shapeOverflow, "shape \(shape) has more elements than Int can count") }
            elementCount = product
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw failure(.shapeOverflow, "shape \(shape) of \(dtypeName) needs more bytes than Int can count") }

        let offsets = try nonNegativeIntegers("data_offsets")
        guard offsets.count == 2, offsets[0] <= offsets[1] else {
            throw failure(.invalidField, "'data_offsets' must be [begin, end] with begin <= end, found \(offsets)")
        }
        guard offsets[1] - offsets[0] == byteCount else {
            throw failure(.offsetsMismatch,
                          "data_offsets \(offsets) span \(offsets[1] - offsets[0]) bytes but shape \(shape) of \(dtypeName) needs \(byteCount)")
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, elementCount: elementCount,
                                begin: offsets[0], end: offsets[1])
    }

    /// The tensors must tile the data section exactly, as the format requires: no overlaps, no holes,
    /// nothing missing at the end, nothing left over.
    func checkLayout(dataSectionSize: Int, file: String) throws {
        let ordered = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous: SafeTensorsEntry?
        for entry in ordered {
            if entry.begin < covered, let previous {
                throw SafeTensorsError(file: file, tensor: entry.name, kind: .overlappingData,
                                       detail: "bytes \(entry.begin)..<\(entry.end) overlap tensor '\(previous.name)' at \(previous.begin)..<\(previous.end)")
            }
            if entry.begin > covered {
                throw SafeTensorsError(file: file, tensor: entry.name, kind: .gapInData,
                                       detail: "starts at byte \(entry.begin) of the data section, leaving bytes \(covered)..<\(entry.begin) owned by no tensor")
            }
            if entry.end > dataSectionSize {
                throw SafeTensorsError(file: file, tensor: entry.name, kind: .truncatedData,
                                       detail: "needs bytes \(entry.begin)..<\(entry.end) of the data section, which has only \(dataSectionSize) bytes (file truncated?)")
            }
            covered = entry.end
            previous = entry
        }
        if covered < dataSectionSize {
            throw SafeTensorsError(file: file, kind: .trailingData,
                                   detail: "\(dataSectionSize - covered) bytes after the last tensor belong to no tensor")
        }
    }
}

/// Decoding errors print their whole coding path; the debug description is the useful part.
private func describe(_ error: any Error) -> String {
    if case DecodingError.dataCorrupted(let context) = error {
        let underlying = context.underlyingError.map { " \($0)" } ?? ""
        return context.debugDescription + underlying
    }
    return "\(error)"
}

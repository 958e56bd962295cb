/// Why a safetensors file could not be read or written: which file, which tensor (if one), what is wrong.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case io                       // the file could not be read, written, synced or renamed
        case fileTooShort             // fewer than the 8 bytes of the header length
        case headerLengthBeyondFile   // the declared header length runs past the end of the file
        case invalidHeader            // not UTF-8 JSON, or not a JSON object
        case invalidMetadata          // __metadata__ is not an object of strings
        case missingField             // a tensor entry lacks dtype, shape or data_offsets
        case invalidField             // a field has the wrong JSON type or an impossible value
        case unknownDType             // a dtype string this reader does not know
        case shapeOverflow            // the element count or byte size does not fit in Int
        case offsetsMismatch          // end - begin differs from element count x dtype size
        case overlappingData          // two tensors claim the same bytes
        case gapInData                // bytes between tensors that no tensor owns
        case truncatedData            // the data section is shorter than the offsets require
        case trailingData             // bytes after the last tensor
        case compression              // the zstd layer failed (corrupt or truncated stream)
        case tooLarge                 // the declared (decompressed or widened) size exceeds the memory limit
        case dtypeMismatch            // load: an integer tensor where the model has a float parameter
        case nonFiniteValue           // load: NaN or infinity in a weight
        case wrongModel               // load: the metadata names another model
        case invalidRecord            // save: a record whose values do not match its shape, or a reserved name
    }

    public let file: String
    public let tensor: String?
    public let kind: Kind
    public let detail: String

    public init(file: String, tensor: String? = nil, kind: Kind, detail: String) {
        self.file = file
        self.tensor = tensor
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        if let tensor { return "\(file): tensor '\(tensor)': \(detail)" }
        return "\(file): \(detail)"
    }
}

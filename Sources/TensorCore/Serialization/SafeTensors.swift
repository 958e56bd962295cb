/// Reading and writing the safetensors format (as PyTorch and Hugging Face write it), optionally
/// wrapped in zstd: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range, then the raw little-endian tensor bytes.
///
/// Reading: `SafeTensorsReader.swift`; writing: `SafeTensorsWriter.swift`.
public enum SafeTensors {
    static let headerLengthSize = 8
}

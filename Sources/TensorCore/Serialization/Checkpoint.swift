import Foundation

/// Saving and loading a module's state as safetensors with PyTorch key names (zstd when the name ends
/// in `.zst`). Writing is atomic; loading checks every key before changing anything.
extension Module {
    public func saveCheckpoint(to url: URL, metadata: [String: String] = [:]) throws {
        var records: [String: TensorRecord] = [:]
        for (key, tensor) in stateDict() {
            records[key] = TensorRecord(shape: tensor.shape, values: tensor.values)
        }
        try SafeTensors.save(records, metadata: metadata, to: url)
    }

    /// Loads a checkpoint; throws `StateDictError` naming missing, unexpected and mis-shaped keys.
    @discardableResult
    public func loadCheckpoint(from url: URL) throws -> [String: String] {
        let (tensors, metadata) = try SafeTensors.load(from: url)
        try loadState(tensors.mapValues { (shape: $0.shape, values: $0.values) })
        return metadata
    }
}

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
    ///
    /// Every load goes through these checks, before any parameter changes: when `expectedModel` is given,
    /// a checkpoint whose metadata names another model is refused (naming both); a tensor the model owns
    /// that is stored as integers (I32, U8, BOOL, ...) is refused (a float parameter is never an integer
    /// array: the file holds something else); NaN or infinity in a weight is refused, naming the tensor.
    /// Float tensors of another width (F64, F16, BF16, F8) are legitimate exports and load, widened or
    /// rounded to float32, with one line per dtype passed to `warn`.
    @discardableResult
    public func loadCheckpoint(from url: URL, expectedModel: String? = nil,
                               warn: (String) -> Void = { _ in }) throws -> [String: String] {
        let file = url.path
        let (tensors, metadata) = try SafeTensors.load(from: url)
        if let expectedModel, let recorded = metadata["model"], recorded != expectedModel {
            throw SafeTensorsError(file: file, kind: .wrongModel,
                                   detail: "the checkpoint's metadata names model '\(recorded)', not '\(expectedModel)' being loaded")
        }
        let own = Set(stateDict().map(\.0))
        var narrowed: [SafeTensorsDType: [String]] = [:]
        for name in tensors.keys.sorted() where own.contains(name) {
            let record = tensors[name]!
            switch record.sourceDType {
            case .f32: break
            case .f64, .f16, .bf16, .f8e4m3, .f8e5m2: narrowed[record.sourceDType, default: []].append(name)
            default:
                throw SafeTensorsError(file: file, tensor: name, kind: .dtypeMismatch,
                                       detail: "stored as \(record.sourceDType.rawValue), but the model's parameter is float32 (integer weights are not this model's)")
            }
            if let index = record.values.firstIndex(where: { !$0.isFinite }) {
                throw SafeTensorsError(file: file, tensor: name, kind: .nonFiniteValue,
                                       detail: "holds \(record.values[index]) at flat index \(index); a weight must be finite")
            }
        }
        try loadState(tensors.mapValues { (shape: $0.shape, values: $0.values) })
        for (dtype, names) in narrowed.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let how = dtype == .f64 ? "rounded to float32" : "widened to float32 exactly"
            warn("\(file): \(names.count) tensor(s) stored as \(dtype.rawValue), \(how) (e.g. '\(names[0])')")
        }
        return metadata
    }
}

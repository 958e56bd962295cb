/// A layer or model: named parameters and buffers with PyTorch `state_dict` keys, sub-modules, and a
/// train / eval mode. Conformers list only their own tensors and direct children; the walks below build
/// the dotted keys.
public protocol Module: AnyObject {
    /// Trainable tensors owned directly by this module, by local name (e.g. "weight").
    var ownParameters: [(String, Tensor)] { get }
    /// Non-trainable state owned directly (e.g. BatchNorm's running statistics).
    var ownBuffers: [(String, Tensor)] { get }
    /// Direct sub-modules by local name (e.g. "conv1", "0").
    var children: [(String, any Module)] { get }
    var isTraining: Bool { get set }
    /// Checks the values a state load is about to write, after every key and shape matched; throwing
    /// refuses the load before anything is written. For fixed tables a checkpoint carries but must not
    /// change (CSTA paper's positional encoding). Default: accepts everything.
    func validateState(_ entries: [String: (shape: [Int], values: [Float])]) throws
}

extension Module {
    public var ownParameters: [(String, Tensor)] { [] }
    public var ownBuffers: [(String, Tensor)] { [] }
    public var children: [(String, any Module)] { [] }
    public func validateState(_ entries: [String: (shape: [Int], values: [Float])]) throws {}

    /// Every trainable tensor by full key, in registration order.
    public func namedParameters() -> [(String, Tensor)] {
        var out = ownParameters
        for (name, child) in children {
            out += child.namedParameters().map { ("\(name).\($0.0)", $0.1) }
        }
        return out
    }

    public func namedBuffers() -> [(String, Tensor)] {
        var out = ownBuffers
        for (name, child) in children {
            out += child.namedBuffers().map { ("\(name).\($0.0)", $0.1) }
        }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Parameters and buffers by key: what a checkpoint holds.
    public func stateDict() -> [(String, Tensor)] { namedParameters() + namedBuffers() }

    /// Sets train (dropout active, batch statistics) or eval mode on this module and all below it.
    public func setTraining(_ on: Bool) {
        isTraining = on
        for (_, child) in children { child.setTraining(on) }
    }

    public func train() { setTraining(true) }
    public func eval() { setTraining(false) }

    public func zeroGrad() {
        for p in parameters() { p.grad = nil }
    }
}

/// Why a state could not be loaded: every problem at once, by key.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    public var missing: [String]
    public var unexpected: [String]
    public var misshaped: [String]

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        if !misshaped.isEmpty { parts.append("shape mismatches: \(misshaped.joined(separator: "; "))") }
        return "cannot load state: " + parts.joined(separator: "; ")
    }
}

extension Module {
    /// Copies values into this module's parameters and buffers from (shape, values) pairs by key.
    /// Nothing is written unless every key matches in name and shape. `num_batches_tracked` entries are
    /// accepted and ignored (this core does not use them).
    public func loadState(_ entries: [String: (shape: [Int], values: [Float])]) throws {
        let own = stateDict()
        let ownKeys = Set(own.map(\.0))
        var error = StateDictError(missing: [], unexpected: [], misshaped: [])
        for (key, tensor) in own {
            guard let entry = entries[key] else { error.missing.append(key); continue }
            if entry.shape != tensor.shape && !(entry.shape.reduce(1, *) == 1 && tensor.count == 1 && entry.shape.count <= 1 && tensor.rank <= 1) {
                error.misshaped.append("\(key): file \(entry.shape), model \(tensor.shape)")
            }
        }
        for key in entries.keys.sorted() where !ownKeys.contains(key) && !key.hasSuffix("num_batches_tracked") {
            error.unexpected.append(key)
        }
        guard error.missing.isEmpty && error.unexpected.isEmpty && error.misshaped.isEmpty else { throw error }
        try validateState(entries)
        for (key, tensor) in own { tensor.assign(entries[key]!.values) }
    }
}

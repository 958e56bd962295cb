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
    /// Extra state keys that name a tensor already listed under another key, (alias, key), both relative
    /// to this module: PyTorch writes a module registered under several names once per name (EDSNet's
    /// shared FC block). Written by `stateDict()`; on load they are optional and must equal their key.
    var stateAliases: [(alias: String, key: String)] { get }

    /// Checks the values a state load is about to write, after every key and shape matched; throwing
    /// refuses the load before anything is written. For fixed tables a checkpoint carries but must not
    /// change (CSTA paper's positional encoding). Default: accepts everything.
    func validateState(_ entries: [String: (shape: [Int], values: [Float])]) throws
}

extension Module {
    public var ownParameters: [(String, Tensor)] { [] }
    public var ownBuffers: [(String, Tensor)] { [] }
    public var children: [(String, any Module)] { [] }
    public var stateAliases: [(alias: String, key: String)] { [] }

    /// Every alias of this module and those below it, by full key.
    public func namedStateAliases() -> [(alias: String, key: String)] {
        var out = stateAliases
        for (name, child) in children {
            out += child.namedStateAliases().map { (alias: "\(name).\($0.alias)", key: "\(name).\($0.key)") }
        }
        return out
    }

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

    /// Parameters and buffers by key, then every alias with its key's tensor: what a checkpoint holds.
    public func stateDict() -> [(String, Tensor)] {
        let canonical = namedParameters() + namedBuffers()
        let aliases = namedStateAliases()
        if aliases.isEmpty { return canonical }
        let byKey = Dictionary(canonical, uniquingKeysWith: { first, _ in first })
        return canonical + aliases.map { alias in
            guard let tensor = byKey[alias.key] else { fatalError("state alias \(alias.alias) names no key \(alias.key)") }
            return (alias.alias, tensor)
        }
    }

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

    /// Every random stream held by this module and those below it (dropout, attention dropout, anchor
    /// sampling), each once. Found by reflection over stored properties, so a new layer's stream cannot
    /// be missed by a list kept elsewhere.
    public func randomSources() -> [RandomSource] {
        var seen = Set<ObjectIdentifier>(), out: [RandomSource] = []
        func visit(_ module: any Module) {
            var mirror: Mirror? = Mirror(reflecting: module)
            while let current = mirror {
                for child in current.children {
                    if let source = child.value as? RandomSource, seen.insert(ObjectIdentifier(source)).inserted { out.append(source) }
                }
                mirror = current.superclassMirror
            }
            for (_, child) in module.children { visit(child) }
        }
        visit(self)
        return out
    }
}

/// Why a state could not be loaded: every problem at once, by key.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    public var missing: [String]
    public var unexpected: [String]
    public var misshaped: [String]
    /// Alias keys whose values differ from the key they repeat.
    public var conflictingAliases: [String] = []

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        if !misshaped.isEmpty { parts.append("shape mismatches: \(misshaped.joined(separator: "; "))") }
        if !conflictingAliases.isEmpty {
            parts.append("aliases that differ from the tensor they repeat: \(conflictingAliases.joined(separator: "; "))")
        }
        return "cannot load state: " + parts.joined(separator: "; ")
    }
}

extension Module {
    /// Copies values into this module's parameters and buffers from (shape, values) pairs by key.
    /// Nothing is written unless every key matches in name and shape. `num_batches_tracked` entries are
    /// accepted and ignored (this core does not use them). Alias keys (`stateAliases`) may be present or
    /// not; where present they must hold exactly their key's values.
    public func loadState(_ entries: [String: (shape: [Int], values: [Float])]) throws {
        let own = namedParameters() + namedBuffers()
        let aliases = namedStateAliases()
        let ownKeys = Set(own.map(\.0))
        var error = StateDictError(missing: [], unexpected: [], misshaped: [])
        for (key, tensor) in own {
            guard let entry = entries[key] else { error.missing.append(key); continue }
            if entry.shape != tensor.shape && !(entry.shape.reduce(1, *) == 1 && tensor.count == 1 && entry.shape.count <= 1 && tensor.rank <= 1) {
                error.misshaped.append("\(key): file \(entry.shape), model \(tensor.shape)")
            }
        }
        let aliasKeys = Set(aliases.map(\.alias))
        for key in entries.keys.sorted() where !ownKeys.contains(key) && !aliasKeys.contains(key)
            && !key.hasSuffix("num_batches_tracked") {
            error.unexpected.append(key)
        }
        for (alias, key) in aliases {
            guard let copy = entries[alias], let original = entries[key] else { continue }
            if copy.shape != original.shape || copy.values != original.values {
                let difference = copy.values.count == original.values.count
                    ? zip(copy.values, original.values).map { Swift.abs($0 - $1) }.max() ?? 0 : .infinity
                error.conflictingAliases.append("\(alias) != \(key) (largest difference \(difference))")
            }
        }
        guard error.missing.isEmpty && error.unexpected.isEmpty && error.misshaped.isEmpty
            && error.conflictingAliases.isEmpty else { throw error }
        try validateState(entries)
        for (key, tensor) in own { tensor.assign(entries[key]!.values) }
    }
}

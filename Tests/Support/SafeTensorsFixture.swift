import Foundation
import TensorCore

/// A safetensors fixture written by a PyTorch reference script (tools/reference/layers.py,
/// make_model_fixtures.py): its tensors, and the JSON object stored under the metadata key `config`.
/// Shared by the test targets; each passes its own resource bundle.
public struct SafeTensorsFixture {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public let name: String
    public let tensors: [String: TensorRecord]
    public let config: [String: Any]

    /// `Fixtures/<name>.safetensors` in `bundle`.
    public init(_ name: String, in bundle: Bundle) throws {
        guard let url = bundle.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
            throw Missing(description: "fixture \(name).safetensors missing from \(bundle.bundlePath)")
        }
        self.name = name
        let loaded = try SafeTensors.load(from: url)
        tensors = loaded.tensors
        config = (try JSONSerialization.jsonObject(with: Data((loaded.metadata["config"] ?? "{}").utf8)) as? [String: Any]) ?? [:]
    }

    public func tensor(_ key: String) throws -> Tensor {
        guard let record = tensors[key] else { throw Missing(description: "fixture \(name) has no tensor \(key)") }
        return Tensor(record.values, shape: record.shape)
    }

    /// Every `param.<key>` entry, as a state to load.
    public var parameters: [String: (shape: [Int], values: [Float])] {
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for (key, record) in tensors where key.hasPrefix("param.") { out[String(key.dropFirst(6))] = (record.shape, record.values) }
        return out
    }
}

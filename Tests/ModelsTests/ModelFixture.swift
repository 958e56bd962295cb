import Foundation
import Testing
import TensorCore
@testable import Models

/// A parity fixture written by tools/reference/make_model_fixtures.py (see tools/reference/MODELS.md).
struct ModelFixture {
    let tensors: [String: TensorRecord]
    let config: [String: Any]

    init(_ name: String) throws {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"),
                               "fixture \(name).safetensors missing")
        let loaded = try SafeTensors.load(from: url)
        tensors = loaded.tensors
        let json = loaded.metadata["config"] ?? "{}"
        config = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
    }

    func tensor(_ key: String) throws -> Tensor {
        let r = try #require(tensors[key], "fixture has no tensor \(key)")
        return Tensor(r.values, shape: r.shape)
    }

    /// Every `param.<key>` entry as a state to load.
    var parameters: [String: (shape: [Int], values: [Float])] {
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for (k, v) in tensors where k.hasPrefix("param.") { out[String(k.dropFirst(6))] = (v.shape, v.values) }
        return out
    }
}

/// Largest |a - b|.
func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
}

/// Largest |a - b| relative to the largest |b| of the tensor (a per-tensor relative error that does not
/// blow up on entries that happen to be near zero).
func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    let scale = b.reduce(0) { Swift.max($0, abs($1)) }
    return maxAbsDifference(a, b) / Swift.max(scale, 1e-12)
}

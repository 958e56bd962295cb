import Foundation
import Testing
import TensorCore
import TestSupport
@testable import Models

/// A parity fixture written by tools/reference/make_model_fixtures.py (see tools/reference/MODELS.md).
typealias ModelFixture = SafeTensorsFixture

extension SafeTensorsFixture {
    init(_ name: String) throws { try self.init(name, in: Bundle.module) }
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

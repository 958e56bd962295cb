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

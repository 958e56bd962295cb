import Randomness
import Foundation
import Testing

/// Decodes a JSON fixture made by tools/eval/make_fixtures.py.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                           "fixture \(name).json missing; run tools/eval/make_fixtures.py")
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

func expectClose(_ actual: Double?, _ expected: Double?, tolerance: Double, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    switch (actual, expected) {
    case (nil, nil):
        break
    case let (a?, e?):
        #expect(abs(a - e) <= tolerance, "\(what): got \(a), expected \(e)", sourceLocation: sourceLocation)
    default:
        Issue.record("\(what): got \(String(describing: actual)), expected \(String(describing: expected))",
                     sourceLocation: sourceLocation)
    }
}

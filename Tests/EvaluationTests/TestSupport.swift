import Foundation
import Testing

/// Decodes a JSON fixture made by tools/eval/make_fixtures.py.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                           "fixture \(name).json missing; run tools/eval/make_fixtures.py")
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// SplitMix64: a small seeded generator so randomized tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
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

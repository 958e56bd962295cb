import Testing
import TestSupport

/// The tests' element-by-element comparison (`mismatches`): it finds every differing element and a length
/// mismatch (else the expectations built on it would pass whatever they compared), and describes a
/// failure in one line, however long the arrays.
@Suite("Mismatches") struct MismatchesTests {
    @Test func findsDifferingElementsAndLengths() {
        let a: [Float] = [1, 2, 3, 4, .nan]
        #expect(mismatches(a.dropLast(), [1, 2, 3, 4]).none)
        let moved = mismatches([1, 2, 3, 4] as [Float], [1, 2.5, 3, -4])
        #expect(!moved.none && moved.differing == 2 && moved.first == 1)
        #expect(moved.description == "2 of 4 elements differ, the first at 1")
        #expect(!mismatches([1, 2] as [Float], [1, 2, 3]).none)
        #expect(mismatches([1, 2] as [Float], [1, 2, 3]).description == "lengths differ: 2 against 3")
        // As `==` on Float does: NaN differs from itself, and -0 equals 0.
        #expect(!mismatches(a, a).none && mismatches([-0.0] as [Float], [0]).none)
    }

    /// What a failed `#expect(a == b)` of these two arrays had the test library describing for over 10
    /// minutes comes down to one line.
    @Test func describesLongArraysThatDifferEverywhereInOneLine() {
        let a = [UInt32](0..<2_000_000), b = a.map { $0 &+ 1 }
        #expect(mismatches(a, b).description == "2000000 of 2000000 elements differ, the first at 0")
    }
}

/// Largest |a - b|; infinity when the counts differ, so a comparison of mismatched tensors fails.
public func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
}

/// Largest |a - b| relative to the largest |b| of the tensor (a per-tensor relative error that does not
/// blow up on entries that happen to be near zero).
public func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    let scale = b.reduce(0) { Swift.max($0, abs($1)) }
    return maxAbsDifference(a, b) / Swift.max(scale, 1e-12)
}

/// How two arrays differ element by element (`==` on the elements), for an expectation:
/// `#expect(mismatches(a, b).none)`. Not `#expect(a == b)` for long computed arrays: when that fails, the
/// test library describes the two arrays' difference, which for long arrays differing in many places
/// takes it minutes (a failed comparison of two 2-million-element arrays was still being described
/// after 10 minutes); this says how many elements differ and where the first one is.
public struct Mismatches: CustomStringConvertible {
    public let lengths: (Int, Int)
    public let differing: Int
    public let first: Int?

    @usableFromInline init(lengths: (Int, Int), differing: Int, first: Int?) {
        self.lengths = lengths
        self.differing = differing
        self.first = first
    }

    public var none: Bool { lengths.0 == lengths.1 && differing == 0 }

    public var description: String {
        if lengths.0 != lengths.1 { return "lengths differ: \(lengths.0) against \(lengths.1)" }
        return differing == 0 ? "no element differs" : "\(differing) of \(lengths.0) elements differ, the first at \(first!)"
    }
}

/// Inlinable so that it is specialised for the element type where it is called (unspecialised, each
/// comparison went through the protocol: `MismatchesTests` took 0.64 s, against 0.01 s specialised).
@inlinable public func mismatches<T: Equatable>(_ a: [T], _ b: [T]) -> Mismatches {
    var differing = 0, first: Int?
    for i in 0..<Swift.min(a.count, b.count) where a[i] != b[i] {
        differing += 1
        if first == nil { first = i }
    }
    return Mismatches(lengths: (a.count, b.count), differing: differing, first: first)
}

@inlinable public func mismatches<T: Equatable>(_ a: some Collection<T>, _ b: some Collection<T>) -> Mismatches {
    mismatches(Array(a), Array(b))
}

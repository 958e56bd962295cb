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

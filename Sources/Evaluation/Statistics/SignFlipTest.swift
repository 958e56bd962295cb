import Randomness

/// The outcome of a paired sign-flip permutation test.
public struct SignFlipResult: Sendable, Equatable {
    /// Two-sided p-value of mean(d) = 0.
    public var pValue: Double
    /// Sign patterns the p-value is over: 2^n when exact, the random patterns plus the observed one
    /// otherwise.
    public var patterns: Int
    /// Whether every sign pattern was enumerated.
    public var exact: Bool
}

/// statistics.md's largest number of videos for which all 2^n sign patterns are enumerated.
public let signFlipExactLimit = 20
/// statistics.md's number of random sign patterns beyond that.
public let signFlipRandomPatterns = 100_000

/// Two-sided paired sign-flip permutation test of mean(d) = 0 on per-video differences `d`.
///
/// Under the null each d_v is as likely to have come out with the other sign (the two models'
/// values of a video are exchangeable), so the null distribution of mean(d) is that of
/// mean(s_v d_v) over sign patterns s. The p-value is the share of patterns whose |mean| is at least
/// the observed |mean|:
/// - n <= `exactLimit`: all 2^n patterns, the observed one among them, so p = count / 2^n. This is
///   `scipy.stats.permutation_test((d,), np.mean, permutation_type="samples", n_resamples=np.inf)`'s
///   two-sided p (scipy doubles the smaller one-sided p; the sign-flip null is symmetric, so for
///   the full enumeration that is the same count).
/// - otherwise `randomPatterns` patterns drawn independently and uniformly (64 signs per
///   `SeededGenerator` word, seeded by `seed`), and p = (1 + count) / (1 + randomPatterns): the
///   observed pattern is counted in as one more pattern, scipy's convention for random resamples
///   (its `adjustment = 1`, Phipson and Smyth 2010), which keeps p > 0 and the test valid at its
///   level. Unlike scipy's random case, the count is of |mean| >= |observed mean| over the drawn
///   patterns, as statistics.md defines it, not twice the smaller one-sided count; the two estimate
///   the same exact p.
///
/// "At least" allows a relative tolerance of 1e-10 of sum |d_v|: patterns that tie with the observed
/// one in exact arithmetic (repeated magnitudes, zeros, values like 0.1 + 0.2 against 0.3) come out a
/// few ulps apart in floating point, and whether they count must not depend on rounding. Every
/// pattern sum is a sum of at most n terms of magnitude <= |d_v|, so its rounding error is below
/// n ulps of sum |d_v| (about 1e-13 relative for 1,000 videos); sums that truly differ by less than
/// 1e-10 of the total are not differences a metric can carry. scipy's own tolerance (100 eps of
/// the observed statistic) is relative to the observed mean instead, which cannot absorb the
/// rounding when the observed mean is zero or small beside the values: for d = (5.2, -9.1, 0, 1.3,
/// 6.5, -2.6, -3.9, 2.6), whose mean is exactly 0 so that every pattern counts, scipy 1.17 gives
/// 0.96875 and this gives 1.
///
/// `d` must be finite; the caller leaves undefined videos out. With no values p is 1.
public func signFlipTest(_ d: [Double], seed: UInt64, exactLimit: Int = signFlipExactLimit,
                         randomPatterns: Int = signFlipRandomPatterns) -> SignFlipResult {
    precondition(d.allSatisfy(\.isFinite), "signFlipTest: differences must be finite")
    precondition(exactLimit <= 40, "signFlipTest: exact enumeration beyond 2^40 patterns is not feasible")
    if d.count <= exactLimit { return exactSignFlipTest(d) }
    return randomSignFlipTest(d, seed: seed, patterns: randomPatterns)
}

/// The tolerance of "at least the observed |sum|" (see `signFlipTest`).
func signFlipThreshold(_ d: [Double], observedSum: Double) -> Double {
    let scale = d.reduce(0) { $0 + abs($1) }
    return abs(observedSum) - 1e-10 * scale
}

/// All 2^n patterns. Comparing |sum| instead of |mean| is the same test (n is fixed) without a
/// division per pattern. The values are split in two halves whose 2^(n/2) partial sums are tabled
/// once; each pattern's sum is then one addition of two table entries, so 2^20 patterns take about a
/// millisecond, and every pattern's sum is computed the same way with at most n roundings (a Gray-code
/// walk that updates one running sum would be as fast but accumulate rounding over 2^n updates).
func exactSignFlipTest(_ d: [Double]) -> SignFlipResult {
    let n = d.count
    precondition(n <= 40, "exactSignFlipTest: 2^\(n) patterns")
    let lowCount = n / 2
    let low = signedPartialSums(Array(d[0..<lowCount]))
    let high = signedPartialSums(Array(d[lowCount...]))
    // Pattern 0 (every sign +) is the observed one; taking its sum from the tables means it compares
    // equal to itself exactly.
    let threshold = signFlipThreshold(d, observedSum: high[0] + low[0])
    var count = 0
    for h in high {
        for l in low where abs(h + l) >= threshold { count += 1 }
    }
    let patterns = 1 << n
    return SignFlipResult(pValue: Double(count) / Double(patterns), patterns: patterns, exact: true)
}

/// sums[mask] = sum over i of (bit i of mask set ? -values[i] : values[i]), for every mask < 2^count.
private func signedPartialSums(_ values: [Double]) -> [Double] {
    var sums = [Double](repeating: 0, count: 1 << values.count)
    sums[0] = values.reduce(0, +)
    for mask in 1..<sums.count {
        let lowest = mask.trailingZeroBitCount
        // Flipping the lowest set bit from its + sign: at most `count` such steps from mask 0.
        sums[mask] = sums[mask & (mask - 1)] - 2 * values[lowest]
    }
    return sums
}

/// Random sign patterns. Each pattern takes ceil(n / 64) words from the generator, bit i of the
/// pattern's word i / 64 flipping value i. The observed sum is the same summation with no bit set,
/// so the all-plus pattern reproduces it exactly.
func randomSignFlipTest(_ d: [Double], seed: UInt64, patterns: Int) -> SignFlipResult {
    precondition(patterns > 0, "randomSignFlipTest: patterns must be positive")
    var generator = SeededGenerator(seed: seed)
    let count = d.withUnsafeBufferPointer { values -> Int in
        let threshold = signFlipThreshold(d, observedSum: signedSum(values, generator: nil))
        var count = 0
        for _ in 0..<patterns where abs(signedSum(values, generator: &generator)) >= threshold { count += 1 }
        return count
    }
    return SignFlipResult(pValue: Double(1 + count) / Double(1 + patterns), patterns: 1 + patterns, exact: false)
}

/// The sum of the values with value i's sign flipped where bit i % 64 of the (i / 64)-th word drawn
/// from `generator` is set; no word and no flip without a generator. Four accumulators break the
/// chain of dependent additions; the bit goes straight into the sign bit, so there is no branch for
/// the predictor to miss half the time and negation is exact.
@inline(__always)
private func signedSum(_ values: UnsafeBufferPointer<Double>, generator: UnsafeMutablePointer<SeededGenerator>?) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var start = 0
    while start < values.count {
        let word = generator?.pointee.next() ?? 0
        let end = min(start + 64, values.count)
        var i = start
        var bits = word
        while i + 4 <= end {
            s0 += Double(bitPattern: values[i].bitPattern ^ ((bits & 1) << 63))
            s1 += Double(bitPattern: values[i + 1].bitPattern ^ ((bits & 2) << 62))
            s2 += Double(bitPattern: values[i + 2].bitPattern ^ ((bits & 4) << 61))
            s3 += Double(bitPattern: values[i + 3].bitPattern ^ ((bits & 8) << 60))
            bits >>= 4
            i += 4
        }
        while i < end {
            s0 += Double(bitPattern: values[i].bitPattern ^ ((bits & 1) << 63))
            bits >>= 1
            i += 1
        }
        start = end
    }
    return (s0 + s1) + (s2 + s3)
}

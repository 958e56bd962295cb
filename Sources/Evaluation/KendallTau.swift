/// Kendall's tau-b with tie correction in both variables, equal to `scipy.stats.kendalltau(x, y)`'s
/// statistic (its default variant "b").
///
/// O(n log n) (Knight 1966): sort the pairs by (x, y), count tie groups in x and jointly in (x, y),
/// then count the discordant pairs as the inversions of the y sequence with a merge sort. Pairs tied
/// in x are ordered by y, so they never count as inversions.
///
/// Returns nil when tau-b is undefined: fewer than 2 values, or every pair tied in x or in y
/// (scipy gives NaN there). Inputs must have equal lengths and be finite.
public func kendallTauB(_ x: [Double], _ y: [Double]) -> Double? {
    preconditionPaired(x, y, "kendallTauB")
    let n = x.count
    guard n >= 2 else { return nil }

    // The pairs themselves are sorted, not their indices: every comparison reads one contiguous array
    // instead of two through an index (a validation pass's metrics ran at about half the time).
    var pairs = (0..<n).map { SIMD2(x[$0], y[$0]) }
    pairs.sort { $0.x < $1.x || ($0.x == $1.x && $0.y < $1.y) }
    let tiedInX = tiedPairCount(n) { pairs[$0].x == pairs[$1].x }
    let tiedInBoth = tiedPairCount(n) { pairs[$0] == pairs[$1] }

    var ySequence = pairs.map { $0.y }
    let discordant = sortCountingInversions(&ySequence)
    let tiedInY = tiedPairCount(ySequence.count) { ySequence[$0] == ySequence[$1] }

    let totalPairs = n * (n - 1) / 2
    guard tiedInX < totalPairs && tiedInY < totalPairs else { return nil }
    let concordantMinusDiscordant = totalPairs - tiedInX - tiedInY + tiedInBoth - 2 * discordant
    let tau = Double(concordantMinusDiscordant)
        / Double(totalPairs - tiedInX).squareRoot()
        / Double(totalPairs - tiedInY).squareRoot()
    return min(1, max(-1, tau))
}

/// Sum of t(t-1)/2 over the runs of consecutive equal elements of a sorted sequence of `count`
/// elements, where `equal(i, i + 1)` says whether neighbours i and i+1 are equal.
private func tiedPairCount(_ count: Int, _ equal: (Int, Int) -> Bool) -> Int {
    var pairs = 0
    var runLength = 1
    for index in 1..<max(count, 1) {
        if equal(index - 1, index) {
            runLength += 1
        } else {
            pairs += runLength * (runLength - 1) / 2
            runLength = 1
        }
    }
    return pairs + runLength * (runLength - 1) / 2
}

/// Sorts `values` ascending (bottom-up merge sort) and returns the number of pairs i < j with
/// values[i] > values[j] strictly; equal values are not inversions.
private func sortCountingInversions(_ values: inout [Double]) -> Int {
    let n = values.count
    var scratch = values
    var inversions = 0
    var sortedIsScratch = false
    values.withUnsafeMutableBufferPointer { first in
        scratch.withUnsafeMutableBufferPointer { second in
            // Each pass merges runs of `width` from one buffer into the other; no per-pass copy.
            var source = first, target = second
            var width = 1
            while width < n {
                var left = 0
                while left < n {
                    let middle = min(left + width, n)
                    let right = min(left + 2 * width, n)
                    var i = left, j = middle, out = left
                    while i < middle && j < right {
                        if source[j] < source[i] {
                            // source[j] jumps ahead of every element still waiting in the left half.
                            inversions += middle - i
                            target[out] = source[j]
                            j += 1
                        } else {
                            target[out] = source[i]
                            i += 1
                        }
                        out += 1
                    }
                    while i < middle { target[out] = source[i]; i += 1; out += 1 }
                    while j < right { target[out] = source[j]; j += 1; out += 1 }
                    left = right
                }
                swap(&source, &target)
                sortedIsScratch.toggle()
                width *= 2
            }
        }
    }
    if sortedIsScratch { values = scratch }
    return inversions
}

/// MR.HiSum's keyshot F1: score each shot, pick shots with the 0/1 knapsack under a 15% budget, and
/// compare the frames of the picked shots with the ground-truth summary.

/// Each shot's score: the mean of the frame scores over `start ... end` INCLUSIVE of `end`.
///
/// MR.HiSum's `generate_summary` averages `frame_scores[start:end+1]` with half-open change points,
/// so a shot's score also includes the first frame of the next shot. For the last shot `end == n`,
/// and numpy's slice stops at the array's end: the mean covers `start ..< n` only. We reproduce that
/// by clamping the inclusive end to n - 1.
public func shotScores(frameScores: [Double], shots: [Shot]) -> [Double] {
    shots.map { shot in
        let last = min(shot.end, frameScores.count - 1)
        precondition(shot.start >= 0 && shot.start <= last,
                     "shotScores: shot [\(shot.start), \(shot.end)) outside \(frameScores.count) frames")
        var sum = 0.0
        for frame in shot.start...last { sum += frameScores[frame] }
        return sum / Double(last - shot.start + 1)
    }
}

/// The machine summary: a 0/1 mark per frame, set on the frames `start ..< end` of every shot the
/// knapsack picks, with capacity floor(proportion x n) frames and weight `end - start` per shot.
public func keyshotSummary(frameScores: [Double], shots: [Shot], proportion: Double = 0.15) -> [Bool] {
    let frameCount = frameScores.count
    let capacity = Int((Double(frameCount) * proportion).rounded(.down))
    let picked = knapsackSelection(values: shotScores(frameScores: frameScores, shots: shots),
                                   weights: shots.map(\.length), capacity: capacity)
    var summary = [Bool](repeating: false, count: frameCount)
    for index in picked {
        for frame in shots[index].start..<shots[index].end { summary[frame] = true }
    }
    return summary
}

/// F = 2PR / (P + R) x 100 of a machine summary against a ground-truth summary of the same length;
/// P = overlap / |machine|, R = overlap / |ground truth| (each 0 when its denominator is 0), and F is
/// 0 when P + R = 0.
///
/// MR.HiSum divides by `sum(S + 1e-8)` instead, i.e. |S| + n x 1e-8, to dodge division by zero; that
/// changes F by about n x 1e-8 / |S| relative, far below anything reported, so we use the exact ratio.
public func summaryF1(machine: [Bool], groundTruth: [Bool]) -> Double {
    precondition(machine.count == groundTruth.count,
                 "summaryF1: machine summary has \(machine.count) frames, ground truth \(groundTruth.count)")
    var overlap = 0, selected = 0, relevant = 0
    for (m, g) in zip(machine, groundTruth) {
        if m { selected += 1 }
        if g { relevant += 1 }
        if m && g { overlap += 1 }
    }
    let precision = selected > 0 ? Double(overlap) / Double(selected) : 0
    let recall = relevant > 0 ? Double(overlap) / Double(relevant) : 0
    guard precision + recall > 0 else { return 0 }
    return 2 * precision * recall / (precision + recall) * 100
}

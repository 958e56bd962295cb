/// MR.HiSum's highlight-detection metric: average precision of the predicted clip scores against the
/// top clips by ground-truth score.

/// Average precision as `sklearn.metrics.average_precision_score(labels, scores)`:
/// AP = sum over distinct score thresholds (descending) of (R_k - R_{k-1}) x P_k, where tied scores
/// form one threshold and so enter together. Returns nil when no label is positive (AP undefined).
public func averagePrecision(labels: [Bool], scores: [Double]) -> Double? {
    precondition(labels.count == scores.count,
                 "averagePrecision: \(labels.count) labels but \(scores.count) scores")
    precondition(scores.allSatisfy(\.isFinite), "averagePrecision: scores must be finite")
    let positives = labels.lazy.filter { $0 }.count
    guard positives > 0 else { return nil }

    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var truePositives = 0, seen = 0
    var previousRecall = 0.0, sum = 0.0
    var position = 0
    while position < order.count {
        // Take the whole group of equal scores before reading off precision and recall.
        let threshold = scores[order[position]]
        while position < order.count && scores[order[position]] == threshold {
            if labels[order[position]] { truePositives += 1 }
            seen += 1
            position += 1
        }
        let recall = Double(truePositives) / Double(positives)
        let precision = Double(truePositives) / Double(seen)
        sum += (recall - previousRecall) * precision
        previousRecall = recall
    }
    return sum
}

/// Means of consecutive clips of `clipLength` frames (the last clip may be shorter), summed left to
/// right. MR.HiSum's clips are 5 frames = 5 seconds at its 1 frame per second.
public func clipMeans(_ frameScores: [Double], clipLength: Int) -> [Double] {
    precondition(clipLength > 0, "clipMeans: clip length must be positive, got \(clipLength)")
    return stride(from: 0, to: frameScores.count, by: clipLength).map { start in
        let end = min(start + clipLength, frameScores.count)
        var sum = 0.0
        for frame in start..<end { sum += frameScores[frame] }
        return sum / Double(end - start)
    }
}

/// Marks the `count` clips with the highest score as positive; of equal scores the earlier clip
/// ranks first (MR.HiSum leaves this to an unstable argsort; we make it deterministic).
public func topClipLabels(_ clipScores: [Double], count: Int) -> [Bool] {
    let ranking = clipScores.indices.sorted {
        clipScores[$0] > clipScores[$1] || (clipScores[$0] == clipScores[$1] && $0 < $1)
    }
    var labels = [Bool](repeating: false, count: clipScores.count)
    for index in ranking.prefix(max(count, 0)) { labels[index] = true }
    return labels
}

/// The two highlight cut-offs MR.HiSum reports.
public enum HighlightCutoff: Sendable, CaseIterable {
    /// The top half of the clips: floor(c / 2) positives (mAP@50).
    case top50
    /// The top 15% of the clips: floor(0.15 c) positives (mAP@15).
    case top15

    public func positiveCount(clipCount: Int) -> Int {
        switch self {
        case .top50: return clipCount / 2
        case .top15: return Int((Double(clipCount) * 0.15).rounded(.down))
        }
    }
}

/// One video's AP for mAP@50 or mAP@15: clip both score sequences, label the top clips by
/// ground-truth mean, and rank the clips by predicted mean. Nil when no clip is positive (short
/// videos). MR.HiSum passes the predicted clip means through a softmax first; that preserves their
/// order, so AP is unchanged and we skip it.
public func highlightAveragePrecision(prediction: [Double], gtscore: [Double],
                                      cutoff: HighlightCutoff, clipLength: Int = 5) -> Double? {
    precondition(prediction.count == gtscore.count,
                 "highlightAveragePrecision: \(prediction.count) predictions but \(gtscore.count) gtscores")
    let truthClips = clipMeans(gtscore, clipLength: clipLength)
    let labels = topClipLabels(truthClips, count: cutoff.positiveCount(clipCount: truthClips.count))
    return averagePrecision(labels: labels, scores: clipMeans(prediction, clipLength: clipLength))
}

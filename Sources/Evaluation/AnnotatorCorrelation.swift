/// The `annotators` rank-correlation protocol (Otani et al., CVPR 2019, on TVSum): the prediction is
/// compared with each annotator's own frame scores, not with their mean.
///
/// Where: at the picks. The predicted frame scores (step 1 of the eccv16 convention) are constant on
/// picks[i] ..< picks[i+1], so at the picks they are the step scores themselves, and the annotators'
/// 1-5 frame scores are read at the same frames. Comparing at every original frame instead would pair
/// each step score with ~15 frames: runs of ties that pull tau-b towards 0 for reasons of frame rate,
/// not of ranking, and 15x the work; comparing at the picks keeps one value per feature row, which is
/// what the model actually scores (evaluation.md, "Rank correlation").

/// Per-annotator tau-b and rho of one video and their means.
public struct AnnotatorCorrelation: Sendable, Equatable {
    /// Kendall tau-b per annotator (nil where undefined: an annotator or the prediction constant at the picks).
    public let tau: [Double?]
    /// Spearman rho per annotator (nil where undefined).
    public let rho: [Double?]

    /// Mean over the annotators where the value is defined; nil when it is defined for none.
    public var meanTau: Double? { Self.mean(tau) }
    public var meanRho: Double? { Self.mean(rho) }

    static func mean(_ values: [Double?]) -> Double? {
        let defined = values.compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }
}

/// Problems with annotator scores passed to the protocol.
public enum AnnotatorError: Error, Equatable, Sendable, CustomStringConvertible {
    case noAnnotators(video: String)
    case tooFewAnnotators(video: String, count: Int)
    case frameCountMismatch(video: String, annotator: Int, frames: Int, expected: Int)
    case pickOutOfRange(video: String, index: Int, pick: Int, frames: Int)
    case stepCountMismatch(video: String, scores: Int, picks: Int)

    public var description: String {
        switch self {
        case let .noAnnotators(video):
            return "video '\(video)': no annotator scores"
        case let .tooFewAnnotators(video, count):
            return "video '\(video)': \(count) annotator(s); leave-one-out agreement needs at least 2"
        case let .frameCountMismatch(video, annotator, frames, expected):
            return "video '\(video)': annotator \(annotator) scores \(frames) frames, the video has \(expected)"
        case let .pickOutOfRange(video, index, pick, frames):
            return "video '\(video)': picks[\(index)] = \(pick) outside the annotators' 0..<\(frames) frames"
        case let .stepCountMismatch(video, scores, picks):
            return "video '\(video)': \(scores) step scores but \(picks) picks"
        }
    }
}

/// Each annotator's frame scores read at the picks (one row per annotator); checks every row has
/// `frameCount` values and every pick lies inside it.
public func annotatorScoresAtPicks(_ annotators: [[Double]], picks: [Int], frameCount: Int,
                                   video: String = "") throws -> [[Double]] {
    guard !annotators.isEmpty else { throw AnnotatorError.noAnnotators(video: video) }
    for (index, row) in annotators.enumerated() where row.count != frameCount {
        throw AnnotatorError.frameCountMismatch(video: video, annotator: index, frames: row.count, expected: frameCount)
    }
    if let bad = picks.firstIndex(where: { $0 < 0 || $0 >= frameCount }) {
        throw AnnotatorError.pickOutOfRange(video: video, index: bad, pick: picks[bad], frames: frameCount)
    }
    return annotators.map { row in picks.map { row[$0] } }
}

/// tau-b and rho of the step scores against each annotator at the picks.
public func annotatorCorrelation(stepScores: [Double], picks: [Int], annotators: [[Double]], frameCount: Int,
                                 video: String = "") throws -> AnnotatorCorrelation {
    guard stepScores.count == picks.count else {
        throw AnnotatorError.stepCountMismatch(video: video, scores: stepScores.count, picks: picks.count)
    }
    let sampled = try annotatorScoresAtPicks(annotators, picks: picks, frameCount: frameCount, video: video)
    return annotatorCorrelation(stepScores: stepScores, atPicks: sampled)
}

/// tau-b and rho of the step scores against annotator rows already read at the picks
/// (`annotatorScoresAtPicks`), one value per row.
public func annotatorCorrelation(stepScores: [Double], atPicks sampled: [[Double]]) -> AnnotatorCorrelation {
    AnnotatorCorrelation(tau: sampled.map { kendallTauB(stepScores, $0) },
                         rho: sampled.map { spearmanRho(stepScores, $0) })
}

/// The leave-one-annotator-out human agreement: each annotator against the mean of the others, at the
/// picks, with the same tau-b and rho. It is the reference a model's `annotators` value is read
/// against (how well one person predicts the rest).
public func humanAgreement(picks: [Int], annotators: [[Double]], frameCount: Int,
                           video: String = "") throws -> AnnotatorCorrelation {
    let sampled = try annotatorScoresAtPicks(annotators, picks: picks, frameCount: frameCount, video: video)
    return try humanAgreement(atPicks: sampled, video: video)
}

/// The leave-one-annotator-out agreement of annotator rows already read at the picks.
public func humanAgreement(atPicks sampled: [[Double]], video: String = "") throws -> AnnotatorCorrelation {
    guard sampled.count >= 2 else { throw AnnotatorError.tooFewAnnotators(video: video, count: sampled.count) }
    let steps = sampled[0].count
    let total = (0..<steps).map { j in sampled.reduce(0) { $0 + $1[j] } }
    let others = Double(sampled.count - 1)
    var taus: [Double?] = [], rhos: [Double?] = []
    for row in sampled {
        // The mean of the others from the total, so the whole is O(annotators x picks).
        let rest = zip(total, row).map { ($0 - $1) / others }
        taus.append(kendallTauB(row, rest))
        rhos.append(spearmanRho(row, rest))
    }
    return AnnotatorCorrelation(tau: taus, rho: rhos)
}

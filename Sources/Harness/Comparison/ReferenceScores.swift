import Evaluation
import Foundation
import Randomness
import TensorCore
import VideoData

/// A reference predictor's metrics on a run's test videos (statistics.md "Reference points"), stored in
/// run.json so `bench report` can rebuild the reference rows from run folders alone.
public struct ReferenceEvaluation: Codable, Sendable, Equatable {
    /// `random` or `oracle`.
    public var name: String
    public var description: String
    /// Per test video; for `random`, each metric is the mean over the draws that define it.
    public var videos: [VideoMetrics]
}

/// The reference rows a run scores beside its model: `random` on every data set, `oracle` (the
/// generator's noiseless interest) on the synthetic one.
enum ReferenceScores {
    /// Seeds the random draws; fixed so every run, model and machine draws the same scores for a video.
    static let randomSeed: UInt64 = 0x5EED_0F_2A_4D_0E

    static func evaluate(_ videos: [Video], layout: DatasetLayout, source: DataSource,
                         eccv16: ECCV16Protocol? = nil, annotators: AnnotatorTargets? = nil) throws -> [ReferenceEvaluation] {
        // As for the model: F1 only when every video of the split has its keyshot summary (MR.HiSum) or
        // its user summaries (eccv16, scored as the model is).
        let withSummary = videos.allSatisfy { $0.gtSummary != nil }
        let eccv16F1 = layout == .eccv16 && videos.allSatisfy { !($0.userSummaries?.isEmpty ?? true) } ? eccv16 : nil
        var references = [ReferenceEvaluation(
            name: "random",
            description: "uniform random frame scores, mean over \(randomReferenceDraws) seeded draws per video",
            // 100 draws of every metric per video: spread over the threads (each video's draws are its own).
            videos: try Threading.concurrentMap(videos) {
                try random($0, layout: layout, withSummary: withSummary, eccv16: eccv16F1, annotators: annotators)
            })]
        // The stored interest is the MR.HiSum stand-in's; the eccv16 stand-in has none.
        if source.synthetic && layout == .mrHiSum {
            let directory = source.dataFile.deletingLastPathComponent()
            let oracle = try videos.map { video -> VideoMetrics in
                let interest = try SyntheticMRHiSum.interest(of: video.key, in: directory)
                return evaluateVideo(Evaluator.evaluationInput(video: video, prediction: interest, layout: layout, withSummary: withSummary))
            }
            references.append(ReferenceEvaluation(name: "oracle", description: "the synthetic generator's stored noiseless interest",
                                                  videos: oracle))
        }
        return references
    }

    /// One video's metrics averaged over the random draws (a metric's mean over the draws that define it).
    static func random(_ video: Video, layout: DatasetLayout, withSummary: Bool, eccv16: ECCV16Protocol? = nil,
                       annotators: AnnotatorTargets? = nil) throws -> VideoMetrics {
        let seed = SplitMix64.derive(randomSeed, stableHash(video.key))
        var sums = [Double](repeating: 0, count: 6), counts = [Int](repeating: 0, count: 6)
        for draw in 0..<randomReferenceDraws {
            let scores = uniformRandomScores(frames: video.length, seed: seed, draw: draw)
            var m = evaluateVideo(Evaluator.evaluationInput(video: video, prediction: scores, layout: layout, withSummary: withSummary))
            if layout == .eccv16 {
                // As the evaluator does for the model: no mAP on eccv16 data, F1 against the user summaries.
                m.map50 = nil
                m.map15 = nil
                m.f1 = try eccv16.map { try Evaluator.eccv16Scored(video: video, prediction: scores, protocol: $0).f1.value }
            }
            // Under the `annotators` protocol, as the model's tau and rho.
            if let annotators { m = annotators.applied(to: m, stepScores: scores) }
            for (i, value) in [m.mse, m.kendallTau, m.spearmanRho, m.f1, m.map50, m.map15].enumerated() {
                if let value { sums[i] += value; counts[i] += 1 }
            }
        }
        func mean(_ i: Int) -> Double? { counts[i] > 0 ? sums[i] / Double(counts[i]) : nil }
        return VideoMetrics(name: video.key, frames: video.length, mse: mean(0)!, kendallTau: mean(1), spearmanRho: mean(2),
                            f1: mean(3), map50: mean(4), map15: mean(5))
    }

    /// The leave-one-annotator-out human agreement of each test video (`annotators` protocol only): how
    /// well one person's scores rank the others' mean, the ceiling a model's value is read against.
    static func humanAgreement(_ videos: [Video], annotators: AnnotatorTargets?) throws -> [HumanAgreement]? {
        guard let annotators else { return nil }
        return try videos.map { try annotators.agreement(video: $0.key) }
    }

    /// FNV-1a of the key: a seed that identifies the video, the same in every process.
    static func stableHash(_ key: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }
}

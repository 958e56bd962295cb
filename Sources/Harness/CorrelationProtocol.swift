import Evaluation
import Foundation
import VideoData

/// Which targets a run's Kendall tau-b and Spearman rho are computed against (evaluation.md "Rank
/// correlation"). The name is recorded in run.json and the summary; runs of different protocols are
/// never compared with each other.
public enum CorrelationProtocol: String, Codable, Sendable, CaseIterable {
    /// Against the file's `gtscore` per video (MR.HiSum's, and what VideoSAGE's code reports on TVSum).
    case gtscore
    /// Against each TVSum annotator's own frame scores at the picks, mean over annotators, then over
    /// videos (Otani et al., CVPR 2019), with the leave-one-annotator-out human agreement beside it.
    case annotators

    public var explanation: String {
        switch self {
        case .gtscore: return "tau-b and rho against each video's gtscore, mean over videos"
        case .annotators: return "tau-b and rho against each annotator's frame scores at the picks, mean over annotators, then over videos (Otani et al., CVPR 2019)"
        }
    }
}

/// The `annotators` protocol's targets: every video's annotator scores read at its picks, checked
/// once (frame counts, unknown videos) when the data is opened, before anything is written.
public struct AnnotatorTargets: Sendable {
    /// The annotation file (`ydata-anno.tsv`).
    public let file: String
    /// Where the h5 groups' video ids came from: the mapping file, or "video_name in <h5>".
    public let mappingFrom: String
    private let annotations: TVSumAnnotations
    private let mapping: [String: String]
    /// Per h5 group: one row per annotator, the scores at the video's picks.
    private var atPicks: [String: [[Double]]] = [:]

    /// Reads the annotation file and links every group of `groups` to its video id (from the mapping
    /// file, else the h5's `video_name`); a group without a link or an id without annotations is an error.
    public static func load(annotations url: URL, mappingFile: URL?, h5 dataFile: URL, groups: [String]) throws -> AnnotatorTargets {
        let annotations = try TVSumAnnotations.read(url)
        let mapping = try AnnotationMapping.resolve(h5: dataFile, mappingFile: mappingFile, groups: groups, annotations: annotations)
        return AnnotatorTargets(file: url.path, mappingFrom: mappingFile?.path ?? "video_name in \(dataFile.path)",
                                annotations: annotations, mapping: mapping)
    }

    /// Reads `video`'s annotators at its picks (each row checked against the video's n_frames). At least
    /// two annotators are needed for the leave-one-out agreement.
    public mutating func add(_ video: Video) throws {
        guard atPicks[video.key] == nil else { return }
        guard let id = mapping[video.key] else {
            throw ECCV16DataError.unknownAnnotatedVideo(file: mappingFrom, video: video.key, reason: "no video id for this h5 group")
        }
        let rows = try annotations.annotators(videoID: id, group: video.key, frameCount: video.frameCount)
        guard rows.count >= 2 else {
            throw ECCV16DataError.unusableAnnotations(file: file, video: "\(id) (h5 group \(video.key))",
                                                      reason: "\(rows.count) annotator; the protocol needs at least 2")
        }
        do {
            atPicks[video.key] = try annotatorScoresAtPicks(rows, picks: video.picks, frameCount: video.frameCount, video: video.key)
        } catch let error as AnnotatorError {
            throw ECCV16DataError.unusableAnnotations(file: file, video: "\(id) (h5 group \(video.key))", reason: "\(error)")
        }
    }

    public var videoCount: Int { atPicks.count }

    private func rows(_ key: String) -> [[Double]] {
        guard let rows = atPicks[key] else { preconditionFailure("annotators: video \(key) was not checked when the data was opened") }
        return rows
    }

    /// The model's tau-b and rho for one video: the means over its annotators (nil where undefined for all).
    /// A (near-)constant prediction ranks nothing: skipped, with the threshold the `gtscore` protocol uses.
    public func correlation(stepScores: [Double], video key: String) -> (tau: Double?, rho: Double?) {
        let rows = rows(key)
        guard stepScores.count >= 2, populationStandardDeviation(stepScores) >= EvaluationOptions().constantThreshold else { return (nil, nil) }
        let c = annotatorCorrelation(stepScores: stepScores, atPicks: rows)
        return (c.meanTau, c.meanRho)
    }

    /// One video's leave-one-annotator-out human agreement.
    public func agreement(video key: String) throws -> HumanAgreement {
        let rows = rows(key)
        let c = try humanAgreement(atPicks: rows, video: key)
        return HumanAgreement(name: key, annotators: rows.count, kendallTau: c.meanTau, spearmanRho: c.meanRho)
    }

    /// `metrics` with tau and rho replaced by this protocol's values for `stepScores`.
    func applied(to metrics: VideoMetrics, stepScores: [Double]) -> VideoMetrics {
        var m = metrics
        (m.kendallTau, m.spearmanRho) = correlation(stepScores: stepScores, video: metrics.name)
        return m
    }
}

/// One test video's leave-one-annotator-out agreement (each annotator against the mean of the others,
/// mean over annotators), stored in run.json as the reference the `annotators` values are read against.
public struct HumanAgreement: Codable, Sendable, Equatable {
    public var name: String
    public var annotators: Int
    public var kendallTau: Double?
    public var spearmanRho: Double?
}

/// run.json's record of the rank-correlation protocol (`evaluation_protocol.correlation`).
public struct CorrelationInfo: Codable, Sendable, Equatable {
    public var name: CorrelationProtocol
    public var description: String
    /// The annotation file and where the video ids came from (`annotators` only).
    public var annotations: String?
    public var mappingFrom: String?

    init(_ name: CorrelationProtocol, targets: AnnotatorTargets?) {
        self.name = name
        description = name.explanation
        annotations = targets?.file
        mappingFrom = targets?.mappingFrom
    }
}

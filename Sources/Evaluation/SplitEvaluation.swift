/// Every metric of evaluation.md for one split: per video, and aggregated with skipped counts.

/// What the evaluator needs from one video: the model's per-frame prediction, the ground truth, the
/// shots (MR.HiSum `change_points`, half-open) and, when the data set has one, the keyshot summary.
public struct VideoEvaluationInput: Sendable {
    public var name: String
    public var prediction: [Double]
    public var gtscore: [Double]
    public var shots: [Shot]
    /// 0/1 per frame; without it the video gets no F1.
    public var gtSummary: [Double]?

    /// Inlinable so that callers get it specialised for their element types: unspecialised, the two
    /// conversions went through generic witnesses per element and cost a third of a small model's
    /// validation metrics.
    @inlinable
    public init<P: BinaryFloatingPoint, G: BinaryFloatingPoint>(
        name: String, prediction: [P], gtscore: [G], shots: [Shot], gtSummary: [Double]? = nil
    ) {
        self.name = name
        self.prediction = prediction.map { Double($0) }
        self.gtscore = gtscore.map { Double($0) }
        self.shots = shots
        self.gtSummary = gtSummary
    }
}

/// Knobs of the protocol; the defaults are MR.HiSum's.
public struct EvaluationOptions: Codable, Sendable, Equatable {
    /// Knapsack budget as a fraction of the frames.
    public var summaryProportion: Double = 0.15
    /// Frames per highlight clip (5 = 5 seconds at MR.HiSum's 1 frame per second).
    public var clipLength: Int = 5
    /// Inputs with a smaller population standard deviation count as constant: no tau/rho.
    public var constantThreshold: Double = 1e-8

    public init() {}
}

/// One video's metrics; nil where the video was skipped for that metric.
public struct VideoMetrics: Codable, Sendable, Equatable {
    public var name: String
    public var frames: Int
    public var mse: Double
    public var kendallTau: Double?
    public var spearmanRho: Double?
    public var f1: Double?
    public var map50: Double?
    public var map15: Double?

    public init(name: String, frames: Int, mse: Double, kendallTau: Double?, spearmanRho: Double?,
                f1: Double?, map50: Double?, map15: Double?) {
        self.name = name
        self.frames = frames
        self.mse = mse
        self.kendallTau = kendallTau
        self.spearmanRho = spearmanRho
        self.f1 = f1
        self.map50 = map50
        self.map15 = map15
    }
}

/// A metric over the videos of a split: the mean over the videos that have a value, and how many
/// had one and how many were skipped. `mean` is nil when every video was skipped.
public struct MetricSummary: Codable, Sendable, Equatable {
    public var mean: Double?
    public var evaluated: Int
    public var skipped: Int

    public init(_ perVideo: [Double?]) {
        let values = perVideo.compactMap { $0 }
        evaluated = values.count
        skipped = perVideo.count - values.count
        mean = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}

/// The evaluation of one split, as it goes into run.json.
public struct SplitEvaluation: Codable, Sendable, Equatable {
    public var videos: [VideoMetrics]
    /// Valid frames over all videos.
    public var frames: Int
    /// Frame-weighted: the squared error summed over all valid frames of the split divided by
    /// `frames` (not the mean of the per-video MSEs).
    public var mse: Double
    public var kendallTau: MetricSummary
    public var spearmanRho: MetricSummary
    public var f1: MetricSummary
    public var map50: MetricSummary
    public var map15: MetricSummary

    /// Validates every video (throwing an `EvaluationError` that names the video and the place)
    /// and computes all metrics.
    /// Every input is validated first (the first bad one, in order, is the error); then each video's
    /// metrics are computed through `perform(count, body)`, which must call `body(i)` once for every i in
    /// 0..<count, in any order and on any threads (the harness spreads them over its threads; each
    /// video's metrics depend on that video alone, and the split's sums run in video order afterwards).
    public init(evaluating inputs: [VideoEvaluationInput], options: EvaluationOptions = .init(),
                perform: (_ count: Int, _ body: (Int) -> Void) -> Void = { count, body in for i in 0..<count { body(i) } }) throws {
        guard !inputs.isEmpty else { throw EvaluationError.emptySplit }
        for input in inputs { try input.validate() }
        var computed = [VideoMetrics?](repeating: nil, count: inputs.count)
        computed.withUnsafeMutableBufferPointer { slots in
            perform(inputs.count) { i in slots[i] = evaluateVideo(inputs[i], options: options) }
        }
        let metrics = computed.map { $0! }
        var squaredErrorSum = 0.0
        var frameTotal = 0
        for videoMetrics in metrics {
            squaredErrorSum += videoMetrics.mse * Double(videoMetrics.frames)
            frameTotal += videoMetrics.frames
        }
        videos = metrics
        frames = frameTotal
        mse = squaredErrorSum / Double(frameTotal)
        kendallTau = MetricSummary(metrics.map(\.kendallTau))
        spearmanRho = MetricSummary(metrics.map(\.spearmanRho))
        f1 = MetricSummary(metrics.map(\.f1))
        map50 = MetricSummary(metrics.map(\.map50))
        map15 = MetricSummary(metrics.map(\.map15))
    }
}

/// All metrics of one validated video.
public func evaluateVideo(_ input: VideoEvaluationInput, options: EvaluationOptions = .init()) -> VideoMetrics {
    let prediction = input.prediction, gtscore = input.gtscore
    var squaredError = 0.0
    for (p, g) in zip(prediction, gtscore) { squaredError += (p - g) * (p - g) }

    // Rank correlation is undefined for constant inputs; skip rather than report 0 or NaN.
    let ranked = prediction.count >= 2
        && populationStandardDeviation(prediction) >= options.constantThreshold
        && populationStandardDeviation(gtscore) >= options.constantThreshold

    var f1: Double?
    if let gtSummary = input.gtSummary {
        let machine = keyshotSummary(frameScores: prediction, shots: input.shots,
                                     proportion: options.summaryProportion)
        f1 = summaryF1(machine: machine, groundTruth: gtSummary.map { $0 == 1 })
    }

    return VideoMetrics(
        name: input.name,
        frames: prediction.count,
        mse: squaredError / Double(prediction.count),
        kendallTau: ranked ? kendallTauB(prediction, gtscore) : nil,
        spearmanRho: ranked ? spearmanRho(prediction, gtscore) : nil,
        f1: f1,
        map50: highlightAveragePrecision(prediction: prediction, gtscore: gtscore,
                                         cutoff: .top50, clipLength: options.clipLength),
        map15: highlightAveragePrecision(prediction: prediction, gtscore: gtscore,
                                         cutoff: .top15, clipLength: options.clipLength))
}

extension VideoEvaluationInput {
    /// Checks what the metrics rely on: one finite prediction and gtscore per frame, a 0/1 summary of
    /// the same length, and shots that are sorted, disjoint, non-empty and inside the video.
    public func validate() throws(EvaluationError) {
        let n = gtscore.count
        guard n > 0 else { throw .emptyVideo(video: name) }
        guard prediction.count == n else {
            throw .lengthMismatch(video: name, array: "prediction", expected: n, actual: prediction.count)
        }
        for (array, values) in [("prediction", prediction), ("gtscore", gtscore)] {
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw .nonFiniteValue(video: name, array: array, index: index, value: values[index])
            }
        }
        if let gtSummary {
            guard gtSummary.count == n else {
                throw .lengthMismatch(video: name, array: "gt_summary", expected: n, actual: gtSummary.count)
            }
            if let index = gtSummary.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw .invalidSummaryValue(video: name, index: index, value: gtSummary[index])
            }
            guard !shots.isEmpty else { throw .missingShots(video: name) }
        }
        var previousEnd = 0
        for (index, shot) in shots.enumerated() {
            if shot.start < 0 || shot.end > n {
                throw .invalidShot(video: name, index: index, shot: shot, reason: "leaves the video's \(n) frames")
            }
            if shot.end <= shot.start {
                throw .invalidShot(video: name, index: index, shot: shot, reason: "is empty or reversed")
            }
            if shot.start < previousEnd {
                throw .invalidShot(video: name, index: index, shot: shot,
                                   reason: "starts before the previous shot ends (\(previousEnd))")
            }
            previousEnd = shot.end
        }
    }
}

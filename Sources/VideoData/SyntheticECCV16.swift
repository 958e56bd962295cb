import Evaluation
import FileSupport
import Foundation
import Randomness

/// Settings of the synthetic eccv16 stand-in (TVSum-like or SumMe-like). Never TVSum or SumMe data.
public struct SyntheticECCV16Config: Codable, Equatable, Sendable {
    public var like: ECCV16Set
    public var seed: UInt64 = 20_160_913
    public var videoCount: Int
    /// Video durations in seconds, drawn uniformly.
    public var minSeconds: Int
    public var maxSeconds: Int
    public var framesPerSecond = 30
    /// A feature row every `pickStep` frames (the eccv16 files' 2 fps).
    public var pickStep = 15
    public var featureWidth = 1024
    /// Shot lengths in feature rows (1 row = 0.5 s at the defaults: shots of 2-8 s, as KTS gives).
    public var shotSteps: ClosedRange<Int> = 4...16
    /// TVSum-like: annotators rating every frame 1-5 (`ydata-anno.tsv`), from whom the user summaries
    /// are made. SumMe-like: the number of users is drawn from this range per video.
    public var annotators: ClosedRange<Int>
    /// TVSum's annotators rated 2-second segments: their scores are constant over this many frames.
    public var ratingFrames = 60
    /// Spread of one annotator's view of the interest (in units of the 0-1 interest).
    public var annotatorNoise = 0.25
    public var summaryProportion = 0.15
    public var folds = 5

    public init(like: ECCV16Set) {
        self.like = like
        switch like {
        case .tvsum:
            videoCount = 50; minSeconds = 120; maxSeconds = 600; annotators = 20...20
        case .summe:
            videoCount = 25; minSeconds = 60; maxSeconds = 390; annotators = 15...18
        }
    }

    func validate() throws {
        func fail(_ reason: String) -> DataError { .invalidConfiguration(reason: reason) }
        if videoCount < folds || folds < 2 { throw fail("need at least \(folds) videos for \(folds) folds (and 2 folds or more)") }
        if minSeconds < 4 || maxSeconds < minSeconds { throw fail("durations \(minSeconds)...\(maxSeconds) s: need 4 <= min <= max") }
        if framesPerSecond < 1 || pickStep < 1 || featureWidth < 1 { throw fail("frame rate, pick step and feature width must be positive") }
        if shotSteps.lowerBound < 1 || shotSteps.lowerBound * pickStep > minSeconds * framesPerSecond {
            throw fail("shot lengths \(shotSteps) rows must be positive and fit the shortest video")
        }
        if annotators.lowerBound < 2 { throw fail("need at least 2 annotators or users per video") }
        if ratingFrames < 1 || !(0...1).contains(summaryProportion) { throw fail("rating run and proportion out of range") }
    }
}

/// What a generation wrote.
public struct SyntheticECCV16Summary: Sendable, CustomStringConvertible {
    public let like: ECCV16Set
    public let directory: URL
    public let dataFile: URL
    public let splitFile: URL
    /// `ydata-anno.tsv` (TVSum-like only).
    public let annotationsFile: URL?
    public let videoCount: Int
    public let frameCount: Int
    public let stepCount: Int
    public let seconds: Double

    public var description: String {
        String(format: "synthetic %@-like eccv16 set (not %@ data): %d videos, %d frames, %d feature rows in %@, written in %.1f s",
               like.rawValue, like == .tvsum ? "TVSum" : "SumMe", videoCount, frameCount, stepCount, directory.path, seconds)
    }
}

/// Writes a synthetic data set in exactly the eccv16 layout that `ECCV16Dataset` reads: one group per
/// video with `features` (n_steps, width) at the picks, `gtscore`, `user_summary` (users, n_frames),
/// `change_points` (inclusive), `n_frame_per_seg`, `n_frames`, `picks`, `n_steps`, `gtsummary`,
/// `video_name`; the 5-split JSON with disjoint test folds; for TVSum-like sets `ydata-anno.tsv`.
///
/// The content comes from the MR.HiSum generator's model (`SyntheticVideoMaker`), run at the picks
/// (one latent per feature row: features cost n_steps, not n_frames). Frames between picks share their
/// pick's interest. TVSum-like: each annotator rates 2-second runs 1-5 from their own noisy view of
/// the interest, and each user summary is that annotator's 15% keyshot summary over the shots (how
/// TVSum's user summaries were made). SumMe-like: each user marks whole seconds of their own
/// noisy top interest up to their own 5-15% budget, not aligned to shots (SumMe's free-form picks).
public enum SyntheticECCV16 {
    public static let annotationsFileName = "ydata-anno.tsv"
    public static let settingsFileName = "synthetic.json"
    public static let markerAttribute = "synthetic"
    static let categories = ["VT", "VU", "GA", "MS", "PK", "PR", "FM", "BK", "BT", "DS"]

    public static func dataFileName(_ like: ECCV16Set) -> String { "synthetic_eccv16_\(like.rawValue).h5" }
    public static func splitFileName(_ like: ECCV16Set) -> String { "synthetic_eccv16_\(like.rawValue)_splits.json" }

    /// Generates into a temporary sibling of `directory`, renamed into place when complete.
    @discardableResult
    public static func generate(_ config: SyntheticECCV16Config, to directory: URL,
                                overwrite: Bool = false) throws -> SyntheticECCV16Summary {
        try config.validate()
        let manager = FileManager.default
        if manager.fileExists(atPath: directory.path) && !overwrite { throw DataError.destinationExists(path: directory.path) }
        let started = Date()
        try manager.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = AtomicFile.temporarySibling(of: directory)
        try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
        do {
            let (frames, steps) = try write(config, into: temporary)
            try AtomicFile.publish(temporary, to: directory, overwrite: overwrite)
            return SyntheticECCV16Summary(
                like: config.like, directory: directory,
                dataFile: directory.appendingPathComponent(dataFileName(config.like)),
                splitFile: directory.appendingPathComponent(splitFileName(config.like)),
                annotationsFile: config.like == .tvsum ? directory.appendingPathComponent(annotationsFileName) : nil,
                videoCount: config.videoCount, frameCount: frames, stepCount: steps,
                seconds: Date().timeIntervalSince(started))
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
    }

    /// The MR.HiSum content model at the picks: lengths and shots in feature rows.
    static func makerConfig(_ config: SyntheticECCV16Config) -> SyntheticConfig {
        var maker = SyntheticConfig()
        maker.seed = SplitMix64.derive(config.seed, config.like == .tvsum ? 0x7F5_0001 : 0x5E3_0002)
        let stepsPerSecond = Double(config.framesPerSecond) / Double(config.pickStep)
        maker.minLength = max(2, Int((Double(config.minSeconds) * stepsPerSecond).rounded(.up)))
        maker.maxLength = max(maker.minLength, Int((Double(config.maxSeconds) * stepsPerSecond).rounded(.down)))
        maker.featureWidth = config.featureWidth
        maker.shotLength = config.shotSteps
        return maker
    }

    private static func write(_ config: SyntheticECCV16Config, into directory: URL) throws -> (frames: Int, steps: Int) {
        let maker = SyntheticVideoMaker(config: makerConfig(config))
        let keys = (1...config.videoCount).map { "video_\($0)" }
        var totalFrames = 0, totalSteps = 0
        var annotationRows: [(id: String, category: String, scores: [Int])] = []
        try VideoDatasets.wrapped {
            let data = try HDF5File.create(directory.appendingPathComponent(dataFileName(config.like)))
            let root = try data.root()
            try root.setAttribute(markerAttribute, string:
                "synthetic \(config.like.rawValue)-like stand-in written by bench (VideoData.SyntheticECCV16), seed \(config.seed); not \(config.like == .tvsum ? "TVSum" : "SumMe") data")
            for (index, key) in keys.enumerated() {
                var random = SeededGenerator(seed: SplitMix64.derive(config.seed, 0xECC_0000 + UInt64(index)))
                let made = maker.make(videoIndex: index)
                let steps = made.interest.count
                // The last pick leaves 1-15 frames after it, as in the real files.
                let frameCount = (steps - 1) * config.pickStep + random.int(in: 1...config.pickStep)
                let picks = (0..<steps).map { $0 * config.pickStep }
                // Shots in rows -> frames; the last one runs to the video's last frame.
                let shots = made.shots.map { shot in
                    Shot(start: shot.start * config.pickStep,
                         end: shot.end == steps ? frameCount : shot.end * config.pickStep)
                }
                let interest = made.interest.map(Double.init)
                let name = config.like == .tvsum ? youtubeLikeID(&random) : "synthetic clip \(index + 1)"

                let users: [[Bool]]
                let gtscore: [Float]
                switch config.like {
                case .tvsum:
                    let ratings = (0..<config.annotators.lowerBound).map { _ in
                        annotatorRatings(interest: interest, picks: picks, frameCount: frameCount, config: config, random: &random)
                    }
                    users = ratings.map { row in
                        userSummary(frameScores: row.map(Double.init), shots: shots, proportion: config.summaryProportion)
                    }
                    let category = categories[index % categories.count]
                    annotationRows += ratings.map { (id: name, category: category, scores: $0) }
                    // As TVSum's gtscore: the annotators' mean at the picks, scaled from 1-5 to 0-1.
                    gtscore = picks.map { pick in
                        Float((ratings.reduce(0.0) { $0 + Double($1[pick]) } / Double(ratings.count) - 1) / 4)
                    }
                case .summe:
                    let count = random.int(in: config.annotators)
                    users = (0..<count).map { _ in
                        freeFormSummary(interest: interest, picks: picks, frameCount: frameCount, config: config, random: &random)
                    }
                    // As SumMe's gtscore: the fraction of users who kept each pick.
                    gtscore = picks.map { pick in Float(users.reduce(0) { $0 + ($1[pick] ? 1 : 0) }) / Float(users.count) }
                }
                let gtFrames = try eccv16KeyshotSummary(stepScores: gtscore.map(Double.init), picks: picks, shots: shots,
                                                        frameCount: frameCount, proportion: config.summaryProportion, video: key)

                let group = try root.createGroup(key)
                try group.write(made.features, shape: [steps, config.featureWidth], to: "features")
                try group.write(gtscore, shape: [steps], to: "gtscore")
                try group.write(users.flatMap { $0.map { $0 ? Float(1) : 0 } }, shape: [users.count, frameCount], to: "user_summary")
                try group.write(shots.flatMap { [Int64($0.start), Int64($0.end - 1)] }, shape: [shots.count, 2], to: "change_points")
                try group.write(shots.map { Int64($0.length) }, shape: [shots.count], to: "n_frame_per_seg")
                try group.write([Int64(frameCount)], shape: [], to: "n_frames")
                try group.write(picks.map(Int64.init), shape: [steps], to: "picks")
                try group.write([Int64(steps)], shape: [], to: "n_steps")
                try group.write(picks.map { gtFrames[$0] ? Float(1) : 0 }, shape: [steps], to: "gtsummary")
                try group.writeString(name, to: "video_name")
                totalFrames += frameCount
                totalSteps += steps
            }
            try data.close()
        }
        var order = keys
        var random = SeededGenerator(seed: SplitMix64.derive(config.seed, 0x5B_17))
        random.shuffle(&order)
        // Fold k tests every `folds`-th video of the shuffled order: disjoint test folds covering all.
        let folds = (0..<config.folds).map { k -> DatasetSplit in
            let test = order.enumerated().filter { $0.offset % config.folds == k }.map(\.element)
            let tested = Set(test)
            return DatasetSplit(train: order.filter { !tested.contains($0) }, val: [], test: test)
        }
        try SplitFile.writeFolds(folds, to: directory.appendingPathComponent(splitFileName(config.like)))
        if config.like == .tvsum {
            try TVSumAnnotations.write(annotationRows, to: directory.appendingPathComponent(annotationsFileName))
        }
        try AtomicFile.write(try JSONCoding.encoder.encode(config), to: directory.appendingPathComponent(settingsFileName))
        return (totalFrames, totalSteps)
    }

    /// One TVSum-like annotator: a 1-5 rating per `ratingFrames` run of frames from the interest of
    /// the run's picks plus the annotator's own noise (and a small per-annotator bias).
    static func annotatorRatings(interest: [Double], picks: [Int], frameCount: Int, config: SyntheticECCV16Config,
                                 random: inout SeededGenerator) -> [Int] {
        let bias = 0.1 * random.normal()
        var ratings = [Int](repeating: 1, count: frameCount)
        var start = 0
        while start < frameCount {
            let end = min(frameCount, start + config.ratingFrames)
            let first = start / config.pickStep, last = min(picks.count - 1, (end - 1) / config.pickStep)
            let seen = interest[first...last].reduce(0, +) / Double(last - first + 1)
            let value = seen + bias + config.annotatorNoise * random.normal()
            let rating = min(5, max(1, Int((1 + 4 * value).rounded())))
            for f in start..<end { ratings[f] = rating }
            start = end
        }
        return ratings
    }

    /// A user summary from one annotator's frame scores: the 15% keyshot summary over the shots.
    static func userSummary(frameScores: [Double], shots: [Shot], proportion: Double) -> [Bool] {
        let values = shotScores(frameScores: frameScores, shots: shots.map { Shot(start: $0.start, end: $0.end - 1) })
        let capacity = Int((Double(frameScores.count) * proportion).rounded(.down))
        var summary = [Bool](repeating: false, count: frameScores.count)
        for index in knapsackSelection(values: values, weights: shots.map(\.length), capacity: capacity) {
            for f in shots[index].start..<shots[index].end { summary[f] = true }
        }
        return summary
    }

    /// A SumMe-like user: whole seconds (2 picks) of the user's own noisy interest, best first, up to a
    /// budget of 5-15% of the frames.
    static func freeFormSummary(interest: [Double], picks: [Int], frameCount: Int, config: SyntheticECCV16Config,
                                random: inout SeededGenerator) -> [Bool] {
        let stepsPerSecond = max(1, config.framesPerSecond / config.pickStep)
        let seconds = stride(from: 0, to: picks.count, by: stepsPerSecond).map { first -> (Int, Double) in
            let last = min(picks.count, first + stepsPerSecond)
            let seen = interest[first..<last].reduce(0, +) / Double(last - first)
            return (first, seen + 2 * config.annotatorNoise * random.normal())
        }
        // At least one second, so every user keeps something (a 5% budget of a 20 s clip is under a second).
        var budget = max(stepsPerSecond * config.pickStep, Int(Double(frameCount) * (0.05 + 0.1 * random.uniform())))
        var summary = [Bool](repeating: false, count: frameCount)
        for (first, _) in seconds.sorted(by: { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) {
            let start = picks[first]
            let end = first + stepsPerSecond < picks.count ? picks[first + stepsPerSecond] : frameCount
            guard end - start <= budget else { continue }
            for f in start..<end { summary[f] = true }
            budget -= end - start
        }
        return summary
    }

    private static func youtubeLikeID(_ random: inout SeededGenerator) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<11).map { _ in alphabet[random.int(in: 0...(alphabet.count - 1))] })
    }
}

import FileSupport
import Randomness
import Evaluation
import Foundation

/// Settings of the synthetic MR.HiSum stand-in. The defaults are the embedded default set.
public struct SyntheticConfig: Codable, Equatable, Sendable {
    public var seed: UInt64 = 20_231_201
    public var trainCount = 128
    public var valCount = 16
    public var testCount = 16
    /// Video lengths in frames (1 frame = 1 second), drawn uniformly. Longer than the 100 heat-map
    /// bins, so every video has tied gtscore runs as real MR.HiSum does; short enough that the default
    /// set's training cost (about 128 x 130 = 16.6k frames per epoch) stays small.
    public var minLength = 110
    public var maxLength = 150
    public var featureWidth = 1024
    public var latentDimension = 32
    public var themeCount = 8
    public var shotLength: ClosedRange<Int> = 3...12
    public var burstsPerFrame = 1.0 / 40.0
    public var burstStrength = 0.7
    public var driftStep = 0.09
    public var featureScale = 0.5
    public var featureNoise = 0.05
    /// Weight of the global part of the interest (the local part gets 1 - this).
    public var globalWeight = 0.5
    /// Standard deviation of the noise added to the interest before binning into gtscore.
    public var interestNoise = 0.08
    public var heatmapBins = 100
    public var summaryProportion = 0.15

    public init() {}

    /// The default set: 160 videos (128 / 16 / 16), 110 to 150 s, 1024-d features.
    public static let `default` = SyntheticConfig()

    /// MR.HiSum's canonical split sizes and its typical lengths (about 19 GB of features).
    public static var canonical: SyntheticConfig {
        var config = SyntheticConfig()
        config.trainCount = 27_892
        config.valCount = 2_000
        config.testCount = 2_000
        config.minLength = 120
        config.maxLength = 500
        return config
    }

    public var videoCount: Int { trainCount + valCount + testCount }

    func validate() throws {
        func fail(_ reason: String) -> DataError { .invalidConfiguration(reason: reason) }
        if trainCount < 0 || valCount < 0 || testCount < 0 || videoCount == 0 { throw fail("video counts must be >= 0 and not all 0") }
        if minLength < 2 || maxLength < minLength { throw fail("lengths \(minLength)...\(maxLength): need 2 <= min <= max") }
        if featureWidth < 1 || latentDimension < 2 || themeCount < 1 { throw fail("feature width, latent dimension and theme count must be positive") }
        if shotLength.lowerBound < 1 || shotLength.lowerBound > minLength { throw fail("shot lengths \(shotLength) must start between 1 and the minimum video length") }
        if heatmapBins < 1 { throw fail("heat-map bins must be positive") }
        if !(0...1).contains(globalWeight) || !(0...1).contains(summaryProportion) { throw fail("weights and proportions must lie in [0, 1]") }
    }
}

/// What a generation wrote.
public struct SyntheticSummary: Sendable, CustomStringConvertible {
    public let directory: URL
    public let dataFile: URL
    public let splitFile: URL
    public let metadataFile: URL
    /// `synthetic_interest.h5`: the noiseless interest per video (`interest` (n,) float32).
    public let interestFile: URL
    public let videoCount: Int
    public let frameCount: Int
    public let bytes: Int
    public let seconds: Double

    public var description: String {
        String(format: "synthetic MR.HiSum set (not MR.HiSum data): %d videos, %d frames, %.1f MB in %@, written in %.1f s",
               videoCount, frameCount, Double(bytes) / 1e6, directory.path, seconds)
    }
}

/// Writes a synthetic data set in exactly the MR.HiSum layout: `mr_hisum.h5`, `mr_hisum_split.json`,
/// `metadata.csv`, plus `synthetic_interest.h5` (the noiseless interest) and `synthetic.json` (the
/// settings). Deterministic: the same settings give the same bytes.
public enum SyntheticMRHiSum {
    public static let dataFileName = "mr_hisum.h5"
    public static let splitFileName = "mr_hisum_split.json"
    public static let metadataFileName = "metadata.csv"
    public static let interestFileName = "synthetic_interest.h5"
    public static let settingsFileName = "synthetic.json"
    /// Root attribute of `mr_hisum.h5` that marks the file as synthetic.
    public static let markerAttribute = "synthetic"

    /// Generates into a temporary sibling of `directory` and renames it into place when complete, so a
    /// failed or interrupted run leaves nothing behind. An existing `directory` is kept unless
    /// `overwrite` is set (and then replaced only once the new set is complete).
    @discardableResult
    public static func generate(_ config: SyntheticConfig = .default, to directory: URL,
                                overwrite: Bool = false) throws -> SyntheticSummary {
        try generate(config, to: directory, overwrite: overwrite, failAfterVideos: nil)
    }

    /// `failAfterVideos` makes the run fail part-way, so tests can check that nothing half-written stays.
    @discardableResult
    static func generate(_ config: SyntheticConfig, to directory: URL, overwrite: Bool,
                         failAfterVideos: Int?) throws -> SyntheticSummary {
        try config.validate()
        let manager = FileManager.default
        if manager.fileExists(atPath: directory.path) && !overwrite {
            throw DataError.destinationExists(path: directory.path)
        }
        let started = Date()
        try manager.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = AtomicFile.temporarySibling(of: directory)
        try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
        do {
            let frames = try write(config, into: temporary, failAfterVideos: failAfterVideos)
            try AtomicFile.publish(temporary, to: directory, overwrite: overwrite)
            let bytes = try manager.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.fileSizeKey])
                .reduce(0) { $0 + ((try? $1.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) }
            return SyntheticSummary(
                directory: directory, dataFile: directory.appendingPathComponent(dataFileName),
                splitFile: directory.appendingPathComponent(splitFileName),
                metadataFile: directory.appendingPathComponent(metadataFileName),
                interestFile: directory.appendingPathComponent(interestFileName),
                videoCount: config.videoCount, frameCount: frames, bytes: bytes,
                seconds: Date().timeIntervalSince(started))
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
    }

    private static func write(_ config: SyntheticConfig, into directory: URL, failAfterVideos: Int?) throws -> Int {
        let maker = SyntheticVideoMaker(config: config)
        let keys = (1...config.videoCount).map { "video_\($0)" }
        var frames = 0
        var metadata: [VideoMetadata] = []
        var random = SeededGenerator(seed: SplitMix64.derive(config.seed, 0x3E7A_0000))
        try VideoDatasets.wrapped {
            let data = try HDF5File.create(directory.appendingPathComponent(dataFileName))
            let truth = try HDF5File.create(directory.appendingPathComponent(interestFileName))
            let dataRoot = try data.root(), truthRoot = try truth.root()
            try dataRoot.setAttribute(markerAttribute, string:
                "synthetic stand-in written by bench (VideoData.SyntheticMRHiSum), seed \(config.seed); not MR.HiSum data")
            for (index, key) in keys.enumerated() {
                if let failAfterVideos, index == failAfterVideos {
                    throw DataError.invalidConfiguration(reason: "generation stopped after \(index) videos (requested failure)")
                }
                let video = maker.make(videoIndex: index)
                let n = video.interest.count
                let group = try dataRoot.createGroup(key)
                try group.write(video.features, shape: [n, config.featureWidth], to: "features")
                try group.write(video.gtscore, shape: [n], to: "gtscore")
                try group.write(video.shots.flatMap { [Int64($0.start), Int64($0.end)] }, shape: [video.shots.count, 2],
                                to: "change_points")
                let summary = Evaluation.keyshotSummary(
                    frameScores: video.gtscore.map { Double($0) },
                    shots: video.shots,
                    proportion: config.summaryProportion).map { $0 ? Float(1) : 0 }
                try group.write(summary, shape: [n], to: "gt_summary")
                try truthRoot.createGroup(key).write(video.interest, shape: [n], to: "interest")
                frames += n
                metadata.append(VideoMetadata(
                    videoID: key, yt8mFile: "synthetic", randomID: randomText(4, &random),
                    youtubeID: randomText(11, &random), duration: Double(n),
                    views: 50_000 + random.int(in: 0...2_000_000), labels: [video.theme]))
            }
            try data.close()
            try truth.close()
        }
        var order = keys
        random.shuffle(&order)
        let split = DatasetSplit(train: Array(order[0..<config.trainCount]),
                                 val: Array(order[config.trainCount..<(config.trainCount + config.valCount)]),
                                 test: Array(order[(config.trainCount + config.valCount)...]))
        try SplitFile.writeMRHiSum(split, to: directory.appendingPathComponent(splitFileName))
        try MetadataFile.write(metadata, to: directory.appendingPathComponent(metadataFileName))
        try AtomicFile.write(try JSONCoding.encoder.encode(config), to: directory.appendingPathComponent(settingsFileName))
        return frames
    }

    private static func randomText(_ length: Int, _ random: inout SeededGenerator) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<length).map { _ in alphabet[random.int(in: 0...(alphabet.count - 1))] })
    }

    /// Reads the stored noiseless interest of one video.
    public static func interest(of key: String, in directory: URL) throws -> [Float] {
        let url = directory.appendingPathComponent(interestFileName)
        let file = try DataFile.open(url)
        let root = try VideoDatasets.wrapped { try file.root() }
        return try DataFile.group(key, in: root, file: url.path).finiteFloats("interest")
    }
}

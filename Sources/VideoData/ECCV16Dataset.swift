import Foundation

/// Reader for the eccv16 TVSum/SumMe files: `features` (n_steps, F) subsampled at `picks`, `gtscore`
/// (n_steps,), `n_frames`, `change_points` (m, 2) with inclusive ends in original frames (converted to
/// half-open), optional `user_summary` (users, n_frames) and `gtsummary` (n_steps,).
public final class ECCV16Dataset: VideoDataset {
    public let fileURL: URL
    public let split: DatasetSplit
    public let featureWidth: Int
    public var layout: DatasetLayout { .eccv16 }
    private let file: HDF5File
    private let root: HDF5Group

    public init(file url: URL, split: DatasetSplit, expectedFeatureWidth: Int? = nil) throws {
        (file, root, featureWidth) = try DataFile.openForSplit(url, split: split, expectedFeatureWidth: expectedFeatureWidth)
        fileURL = url
        self.split = split
    }

    /// `splitIndex` chooses one of the file's splits (the published files have five).
    public convenience init(file url: URL, splitFile: URL, splitIndex: Int, expectedFeatureWidth: Int? = nil) throws {
        try self.init(file: url, split: SplitFile.read(splitFile, index: splitIndex),
                      expectedFeatureWidth: expectedFeatureWidth)
    }

    public func length(of key: String) throws -> Int {
        try DataFile.group(key, in: root, file: fileURL.path).featureShape(expectedWidth: featureWidth > 0 ? featureWidth : nil).rows
    }

    public func video(_ key: String) throws -> Video {
        let path = fileURL.path
        let reader = try DataFile.group(key, in: root, file: path)
        let (rows, width) = try reader.featureShape(expectedWidth: featureWidth > 0 ? featureWidth : nil)
        let gtscore = try reader.gtscore(rows: rows)
        var warnings: [DataWarning] = []
        let features = try reader.features(warnings: &warnings)
        if let warning = reader.gtscoreRangeWarning(gtscore) { warnings.append(warning) }

        let frameCountValues = try reader.ints("n_frames")
        guard frameCountValues.count == 1, let frameCount = frameCountValues.first, frameCount >= rows else {
            throw DataError.badShape(file: path, video: key, dataset: "n_frames", shape: try reader.shape("n_frames"),
                                     expected: "one integer, at least the \(rows) feature rows")
        }
        let picks = try reader.ints("picks")
        guard picks.count == rows else {
            throw DataError.badShape(file: path, video: key, dataset: "picks", shape: try reader.shape("picks"),
                                     expected: "(\(rows),)")
        }
        let picksIncrease = zip(picks, picks.dropFirst()).allSatisfy { $0 < $1 }
        guard picksIncrease, let firstPick = picks.first, firstPick >= 0, let lastPick = picks.last,
              lastPick < frameCount else {
            throw DataError.badShape(file: path, video: key, dataset: "picks", shape: [rows],
                                     expected: "increasing frame indices in 0..<\(frameCount)")
        }
        let changePoints = try ChangePoints.segments(
            rows: reader.ints("change_points"), shape: reader.shape("change_points"),
            inclusiveEnds: true, frameCount: frameCount, mustTile: false, file: path, video: key)
        let summaryName = ["gtsummary", "gt_summary"].first(where: reader.has)
        let gtSummary = try summaryName.map { try reader.summary($0, length: rows) }

        var userSummaries: [[Float]]?
        if reader.has("user_summary") {
            let shape = try reader.shape("user_summary")
            guard shape.count == 2, shape[1] == frameCount else {
                throw DataError.badShape(file: path, video: key, dataset: "user_summary", shape: shape,
                                         expected: "(users, \(frameCount))")
            }
            let flat = try reader.finiteFloats("user_summary")
            userSummaries = (0..<shape[0]).map { Array(flat[($0 * frameCount)..<(($0 + 1) * frameCount)]) }
        }
        return Video(key: key, featureWidth: width, features: features, gtscore: gtscore, changePoints: changePoints,
                     frameCount: frameCount, picks: picks, gtSummary: gtSummary, userSummaries: userSummaries, warnings: warnings)
    }
}

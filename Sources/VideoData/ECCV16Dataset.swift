import Foundation
import Evaluation

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
        try Self.checkCoverage(changePoints, frameCount: frameCount, file: path, video: key)
        if reader.has("n_frame_per_seg") {
            try Self.checkFramesPerSegment(reader.ints("n_frame_per_seg"), shape: reader.shape("n_frame_per_seg"),
                                           changePoints: changePoints, file: path, video: key)
        }
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
            // F1 counts overlapping frames of 0/1 rows; any other value would be counted silently wrong.
            if let bad = flat.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw ECCV16DataError.userSummaryValue(file: path, video: key, user: bad / frameCount,
                                                       frame: bad % frameCount, value: flat[bad])
            }
        }
        return Video(key: key, featureWidth: width, features: features, gtscore: gtscore, changePoints: changePoints,
                     frameCount: frameCount, picks: picks, gtSummary: gtSummary, userSummaries: userSummaries, warnings: warnings)
    }

    /// The eccv16 convention scores every frame and the 15% budget is of n_frames, so the shots must
    /// tile the video: a gap would be frames no summary can contain, an overlap frames counted twice.
    static func checkCoverage(_ shots: [Shot], frameCount: Int, file: String, video: String) throws {
        var expectedStart = 0
        for (row, shot) in shots.enumerated() {
            if shot.start != expectedStart {
                throw ECCV16DataError.changePointsNotCovering(
                    file: file, video: video, row: row,
                    reason: "starts at frame \(shot.start), expected \(expectedStart) (right after the previous shot)")
            }
            expectedStart = shot.end
        }
        if expectedStart != frameCount {
            throw ECCV16DataError.changePointsNotCovering(
                file: file, video: video, row: shots.count - 1,
                reason: "ends at frame \(expectedStart - 1), but the video's last frame is \(frameCount - 1)")
        }
    }

    /// `n_frame_per_seg` is the knapsack's weights; it must be each shot's inclusive length end - start + 1.
    static func checkFramesPerSegment(_ values: [Int], shape: [Int], changePoints: [Shot], file: String,
                                      video: String) throws {
        guard values.count == changePoints.count, shape.count == 1 || (shape.count == 2 && shape.contains(1)) else {
            throw ECCV16DataError.framesPerSegmentMismatch(
                file: file, video: video, row: nil,
                reason: "has shape \(shape), expected (\(changePoints.count),): one value per change point")
        }
        for (row, (value, shot)) in zip(values, changePoints).enumerated() where value != shot.length {
            throw ECCV16DataError.framesPerSegmentMismatch(
                file: file, video: video, row: row,
                reason: "is \(value), but change point [\(shot.start), \(shot.end - 1)] holds \(shot.length) frames")
        }
    }
}

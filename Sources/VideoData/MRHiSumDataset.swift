import Foundation

/// Reader for MR.HiSum's `mr_hisum.h5` (see data.md): per video `features` (n, F), `gtscore` (n,) of
/// any float type, `change_points` (m, 2) half-open, and `gt_summary` or `gtsummary` (n,) 0/1.
public final class MRHiSumDataset: VideoDataset {
    public let fileURL: URL
    public let split: DatasetSplit
    public let featureWidth: Int
    public var layout: DatasetLayout { .mrHiSum }
    private let file: HDF5File
    private let root: HDF5Group
    private let expectedFeatureWidth: Int?

    /// Opens the file and checks that every split key has a group. Videos are read later, one at a time.
    public init(file url: URL, split: DatasetSplit, expectedFeatureWidth: Int? = nil) throws {
        (file, root, featureWidth) = try DataFile.openForSplit(url, split: split, expectedFeatureWidth: expectedFeatureWidth)
        fileURL = url
        self.split = split
        self.expectedFeatureWidth = expectedFeatureWidth
    }

    public convenience init(file url: URL, splitFile: URL, expectedFeatureWidth: Int? = nil) throws {
        try self.init(file: url, split: SplitFile.read(splitFile), expectedFeatureWidth: expectedFeatureWidth)
    }

    public func length(of key: String) throws -> Int {
        try DataFile.group(key, in: root, file: fileURL.path).featureShape(expectedWidth: featureWidth > 0 ? featureWidth : nil).rows
    }

    public func video(_ key: String) throws -> Video {
        let reader = try DataFile.group(key, in: root, file: fileURL.path)
        let (rows, width) = try reader.featureShape(expectedWidth: featureWidth > 0 ? featureWidth : nil)
        let gtscore = try reader.gtscore(rows: rows)
        let features = try reader.finiteFloats("features")
        let changePoints = try ChangePoints.segments(
            rows: reader.ints("change_points"), shape: reader.shape("change_points"),
            inclusiveEnds: false, frameCount: rows, file: fileURL.path, video: key)
        // The upstream README spells it `gtsummary`, the upstream code `gt_summary`.
        let summaryName = ["gt_summary", "gtsummary"].first(where: reader.has)
        let gtSummary = try summaryName.map { try reader.vector($0, length: rows) }
        return Video(key: key, featureWidth: width, features: features, gtscore: gtscore,
                     changePoints: changePoints, gtSummary: gtSummary)
    }
}

import Foundation

/// Reader for MR.HiSum's `mr_hisum.h5` (see data.md): per video `features` (n, F), `gtscore` (n,) of
/// any float type, `change_points` (m, 2) half-open tiling the video, and `gt_summary` or `gtsummary` (n,) 0/1.
/// Every per-video rule lives in this reader (and `VideoGroupReader`, `ChangePoints`), so `bench data
/// inspect` and every run, which both read videos through it, apply the same rules.
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
        var warnings: [DataWarning] = []
        let features = try reader.features(warnings: &warnings)
        if let warning = reader.gtscoreRangeWarning(gtscore) { warnings.append(warning) }
        // MR.HiSum's evaluation builds the machine summary shot by shot and compares it frame by frame with
        // gt_summary (upstream `generate_summary` concatenates the shots), so its shots must tile the video.
        let changePoints = try ChangePoints.segments(
            rows: reader.ints("change_points"), shape: reader.shape("change_points"),
            inclusiveEnds: false, frameCount: rows, mustTile: true, file: fileURL.path, video: key)
        // The upstream README spells it `gtsummary`, the upstream code `gt_summary`.
        let summaryName = ["gt_summary", "gtsummary"].first(where: reader.has)
        let gtSummary = try summaryName.map { try reader.summary($0, length: rows) }
        if gtSummary == nil {
            // F1 compares with the stored summary; it is never rebuilt from gtscore behind the user's back.
            warnings.append(DataWarning(kind: DataWarning.missingSummaryKind, video: key))
        }
        return Video(key: key, featureWidth: width, features: features, gtscore: gtscore,
                     changePoints: changePoints, gtSummary: gtSummary, warnings: warnings)
    }
}

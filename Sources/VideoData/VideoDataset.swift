import Foundation

/// Which file layout a data set uses.
public enum DatasetLayout: String, Sendable {
    /// `mr_hisum.h5`: 1 fps features, half-open change points, `gt_summary`/`gtsummary`.
    case mrHiSum = "MR.HiSum"
    /// `eccv16_dataset_{tvsum,summe}_google_pool5.h5`: subsampled features with `picks`, `n_frames`,
    /// inclusive change points, `user_summary`.
    case eccv16 = "eccv16 (TVSum/SumMe)"
}

/// A data set of videos read on demand: only metadata is read when it is opened, and each `video(_:)`
/// call reads one video's arrays. HDF5 is not thread-safe: read one data set from one thread.
public protocol VideoDataset: AnyObject {
    var fileURL: URL { get }
    var layout: DatasetLayout { get }
    var split: DatasetSplit { get }
    /// The width of every video's feature rows.
    var featureWidth: Int { get }
    /// The number of feature rows of a video, from the stored shape (no data read).
    func length(of key: String) throws -> Int
    /// Reads and validates one video.
    func video(_ key: String) throws -> Video
}

public enum VideoDatasets {
    /// Opens an h5 data set, telling the layouts apart by what the first video group holds (`picks`
    /// and `n_frames` mean eccv16). `splitIndex` picks one of the eccv16 sets' five splits.
    /// `expectedFeatureWidth` is the model's input width; videos of another width are an error.
    public static func open(_ url: URL, splitFile: URL, splitIndex: Int = 0,
                            expectedFeatureWidth: Int? = nil) throws -> any VideoDataset {
        switch try detectLayout(url) {
        case .mrHiSum:
            return try MRHiSumDataset(file: url, split: SplitFile.read(splitFile, index: splitIndex),
                                      expectedFeatureWidth: expectedFeatureWidth)
        case .eccv16:
            return try ECCV16Dataset(file: url, split: SplitFile.read(splitFile, index: splitIndex),
                                     expectedFeatureWidth: expectedFeatureWidth)
        }
    }

    public static func detectLayout(_ url: URL) throws -> DatasetLayout {
        let file = try DataFile.open(url)
        let root = try wrapped { try file.root() }
        let names = try wrapped { try root.memberNames() }
        guard let first = names.first(where: { root.isGroup($0) }) else { return .mrHiSum }
        let group = try wrapped { try root.group(first) }
        return group.isDataset("picks") && group.isDataset("n_frames") ? .eccv16 : .mrHiSum
    }

    /// The `synthetic` root attribute the stand-in generators write (`SyntheticMRHiSum`,
    /// `SyntheticECCV16`), or nil for a real file.
    public static func syntheticMarker(_ url: URL) throws -> String? {
        let file = try DataFile.open(url)
        return try wrapped { try file.root().stringAttribute(SyntheticMRHiSum.markerAttribute) }
    }

    static func wrapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as HDF5Error { throw DataError.hdf5(error) }
    }
}

/// Keeps every video read in memory, for data sets small enough to fit (the synthetic default).
public final class CachedVideoDataset: VideoDataset {
    public let base: any VideoDataset
    private var cache: [String: Video] = [:]

    public init(_ base: any VideoDataset) { self.base = base }

    public var fileURL: URL { base.fileURL }
    public var layout: DatasetLayout { base.layout }
    public var split: DatasetSplit { base.split }
    public var featureWidth: Int { base.featureWidth }
    public var cachedCount: Int { cache.count }

    public func length(of key: String) throws -> Int {
        if let video = cache[key] { return video.length }
        return try base.length(of: key)
    }

    public func video(_ key: String) throws -> Video {
        if let video = cache[key] { return video }
        let video = try base.video(key)
        cache[key] = video
        return video
    }
}

import Foundation
import VideoData

/// Where a run's videos come from: a user's h5 + split, or the synthetic stand-in (generated on first
/// use into a cache folder, atomically).
public struct DataSource: Sendable {
    public var dataFile: URL
    public var splitFile: URL
    public var splitIndex: Int
    public var synthetic: Bool

    public init(dataFile: URL, splitFile: URL, splitIndex: Int = 0, synthetic: Bool) {
        self.dataFile = dataFile
        self.splitFile = splitFile
        self.splitIndex = splitIndex
        self.synthetic = synthetic
    }

    /// `$BENCH_CACHE`, else `~/.cache/bench`.
    public static var cacheRoot: URL {
        if let custom = ProcessInfo.processInfo.environment["BENCH_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/bench")
    }

    /// The default synthetic set for a seed, generated if it is not in the cache yet.
    public static func synthetic(seed: UInt64 = SyntheticConfig.default.seed, cacheRoot: URL = DataSource.cacheRoot,
                                 log: (String) -> Void = { _ in }) throws -> DataSource {
        var config = SyntheticConfig.default
        config.seed = seed
        let directory = cacheRoot.appendingPathComponent("synthetic-\(seed)")
        let dataFile = directory.appendingPathComponent(SyntheticMRHiSum.dataFileName)
        if !FileManager.default.fileExists(atPath: dataFile.path) {
            log("generating the synthetic set (seed \(seed)) into \(directory.path) ...")
            do {
                log("\(try SyntheticMRHiSum.generate(config, to: directory))")
            } catch DataError.destinationExists {
                // Another process finished generating it first; its copy is complete (renamed into place).
            }
        }
        return DataSource(dataFile: dataFile, splitFile: directory.appendingPathComponent(SyntheticMRHiSum.splitFileName),
                          synthetic: true)
    }

    /// `--data` / `--split` from the command line; the split defaults to `mr_hisum_split.json` beside the data.
    public static func user(data: String, split: String?, splitIndex: Int) -> DataSource {
        let dataFile = URL(fileURLWithPath: data)
        let splitFile = split.map { URL(fileURLWithPath: $0) }
            ?? dataFile.deletingLastPathComponent().appendingPathComponent(SyntheticMRHiSum.splitFileName)
        return DataSource(dataFile: dataFile, splitFile: splitFile, splitIndex: splitIndex, synthetic: false)
    }
}

/// A data set opened and checked before any training starts: every video of every split is read and
/// validated, so a bad file fails at once with the reader's message (file, video, what is wrong).
public struct PreparedData {
    public let source: DataSource
    public let dataset: any VideoDataset
    public let info: DataInfo
    /// What the check found legitimate but unusual (one line per kind, naming the file and videos);
    /// printed before training and recorded in run.json.
    public let warnings: [String]

    /// Small sets are kept in memory after the check (the default synthetic set is a few tens of MB);
    /// larger ones are read again on demand.
    public static let cacheLimitBytes = 2 << 30

    public static func open(_ source: DataSource, expectedFeatureWidth: Int?) throws -> PreparedData {
        let opened = try VideoDatasets.open(source.dataFile, splitFile: source.splitFile, splitIndex: source.splitIndex,
                                            expectedFeatureWidth: expectedFeatureWidth)
        let split = opened.split
        guard !split.train.isEmpty else { throw HarnessError.emptySplit(part: "train", dataset: source.dataFile.path) }
        guard !split.test.isEmpty else { throw HarnessError.emptySplit(part: "test", dataset: source.dataFile.path) }
        // The split rule `bench data inspect` applies too.
        try split.checkUsable(layout: opened.layout, file: source.splitFile.path)
        var totalRows = 0
        for key in split.allKeys { totalRows += try opened.length(of: key) }
        let keep = totalRows * opened.featureWidth * 4 <= cacheLimitBytes
        let dataset: any VideoDataset = keep ? CachedVideoDataset(opened) : opened
        var trainFrames = 0
        var found: [DataWarning] = []
        let train = Set(split.train)
        for key in split.allKeys {
            let video = try dataset.video(key)
            if train.contains(key) { trainFrames += video.length }
            found += video.warnings
        }
        let (hash, method) = try ContentHash.of(source.dataFile)
        let info = DataInfo(path: source.dataFile.path, splitPath: source.splitFile.path, splitIndex: source.splitIndex,
                            layout: opened.layout.rawValue, synthetic: source.synthetic, contentHash: hash, hashMethod: method,
                            featureWidth: opened.featureWidth, trainVideos: split.train.count, valVideos: split.val.count,
                            testVideos: split.test.count, trainFrames: trainFrames)
        return PreparedData(source: source, dataset: dataset, info: info,
                            warnings: DataWarning.lines(found, file: source.dataFile.path))
    }
}

/// A 64-bit FNV-1a hash of a file's bytes, to tell data sets apart in run records (not for security).
/// Files over 1 GiB are hashed from their size and 16 spread 1 MiB samples, which is said in the record.
public enum ContentHash {
    public static func of(_ url: URL) throws -> (hash: String, method: String) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ data: Data) {
            for byte in data {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
        }
        let chunk = 1 << 20
        if size <= 1 << 30 {
            try handle.seek(toOffset: 0)
            while let data = try handle.read(upToCount: chunk), !data.isEmpty { mix(data) }
            return (String(format: "fnv1a64:%016llx", hash), "FNV-1a 64 of all \(size) bytes")
        }
        withUnsafeBytes(of: size.littleEndian) { mix(Data($0)) }
        for i in 0..<16 {
            try handle.seek(toOffset: (size - UInt64(chunk)) * UInt64(i) / 15)
            mix(try handle.read(upToCount: chunk) ?? Data())
        }
        return (String(format: "fnv1a64:%016llx", hash), "FNV-1a 64 of the size and 16 samples of 1 MiB (file of \(size) bytes)")
    }
}

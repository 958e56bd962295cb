import Evaluation
import Foundation
import VideoData

/// Where a run's videos come from: a user's h5 + split, or the synthetic stand-in (generated on first
/// use into a cache folder, atomically).
public struct DataSource: Sendable {
    public var dataFile: URL
    public var splitFile: URL
    public var splitIndex: Int
    public var synthetic: Bool
    /// `--dataset`: which eccv16 set the file is (else from its name).
    public var eccv16Set: ECCV16Set?
    /// `--f1-reduction`: overrides the set's own F1 reduction.
    public var f1Reduction: F1Reduction?
    /// `--correlation`: what tau and rho are computed against.
    public var correlation: CorrelationProtocol = .gtscore
    /// `--annotations` (TVSum's `ydata-anno.tsv`) and `--annotation-map` (h5 group -> video id; default:
    /// the h5's `video_name`s), read by the `annotators` protocol.
    public var annotationsFile: URL?
    public var annotationMap: URL?

    public init(dataFile: URL, splitFile: URL, splitIndex: Int = 0, synthetic: Bool, eccv16Set: ECCV16Set? = nil,
                f1Reduction: F1Reduction? = nil) {
        self.dataFile = dataFile
        self.splitFile = splitFile
        self.splitIndex = splitIndex
        self.synthetic = synthetic
        self.eccv16Set = eccv16Set
        self.f1Reduction = f1Reduction
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
    public private(set) var source: DataSource
    public private(set) var dataset: any VideoDataset
    public private(set) var info: DataInfo
    /// What the check found legitimate but unusual (one line per kind, naming the file and videos);
    /// printed before training and recorded in run.json.
    public let warnings: [String]
    /// The F1 protocol of eccv16 data (nil for MR.HiSum).
    public var eccv16: ECCV16Protocol? = nil
    /// The `annotators` protocol's targets for every video read so far (nil under `gtscore`).
    public var annotators: AnnotatorTargets? = nil
    /// How the run that uses this data chooses its epoch (set by `selecting`; nil until then).
    public var selection: SelectionInfo? = nil
    /// The number of folds when a session runs every fold of a split file (`--splits all`).
    public var folds: Int? = nil

    /// Small sets are kept in memory after the check (the default synthetic set is a few tens of MB);
    /// larger ones are read again on demand.
    public static let cacheLimitBytes = 2 << 30

    public static func open(_ source: DataSource, expectedFeatureWidth: Int?) throws -> PreparedData {
        let opened = try VideoDatasets.open(source.dataFile, splitFile: source.splitFile, splitIndex: source.splitIndex,
                                            expectedFeatureWidth: expectedFeatureWidth)
        // Resolved before any video is read: an eccv16 file of unknown set fails at once, naming the file.
        var eccv16: ECCV16Protocol?
        if opened.layout == .eccv16 {
            eccv16 = try ECCV16Protocol.resolve(dataFile: source.dataFile, dataset: source.eccv16Set, f1Reduction: source.f1Reduction)
        } else if source.eccv16Set != nil || source.f1Reduction != nil {
            let option = source.eccv16Set != nil ? "--dataset" : "--f1-reduction"
            throw HarnessError.invalidArgument("\(option) applies to eccv16 (TVSum/SumMe) files, but \(source.dataFile.path) is \(opened.layout.rawValue)")
        }
        let split = opened.split
        var annotators = try Self.annotatorTargets(source, layout: opened.layout, eccv16: eccv16, groups: split.allKeys)
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
            try annotators?.add(video)
        }
        let (hash, method) = try ContentHash.of(source.dataFile)
        // A stand-in written by `bench data synth` and given with --data is still a stand-in: its numbers
        // are labelled synthetic, never TVSum, SumMe or MR.HiSum results.
        let marked = try VideoDatasets.syntheticMarker(source.dataFile) != nil
        let info = DataInfo(path: source.dataFile.path, splitPath: source.splitFile.path, splitIndex: source.splitIndex,
                            layout: opened.layout.rawValue, synthetic: source.synthetic || marked, contentHash: hash, hashMethod: method,
                            featureWidth: opened.featureWidth, trainVideos: split.train.count, valVideos: split.val.count,
                            testVideos: split.test.count, trainFrames: trainFrames)
        return PreparedData(source: source, dataset: dataset, info: info,
                            warnings: DataWarning.lines(found, file: source.dataFile.path), eccv16: eccv16, annotators: annotators)
    }

    /// The `annotators` protocol's targets, read and linked to every group of the split file; nil under
    /// `gtscore`. The protocol is TVSum's (per-annotator frame scores): refused for MR.HiSum and SumMe.
    static func annotatorTargets(_ source: DataSource, layout: DatasetLayout, eccv16: ECCV16Protocol?,
                                 groups: [String]) throws -> AnnotatorTargets? {
        guard source.correlation == .annotators else {
            if source.annotationsFile != nil || source.annotationMap != nil {
                throw HarnessError.invalidArgument("--annotations and --annotation-map are read by --correlation annotators only (this run's protocol is \(source.correlation.rawValue))")
            }
            return nil
        }
        guard layout == .eccv16 else {
            throw HarnessError.invalidArgument("--correlation annotators needs an eccv16 TVSum file, but \(source.dataFile.path) is \(layout.rawValue)")
        }
        if eccv16?.dataset == .summe {
            throw HarnessError.invalidArgument("--correlation annotators is TVSum's protocol (per-annotator frame scores), but \(source.dataFile.path) is SumMe (\(eccv16!.datasetFrom)); SumMe has only binary user summaries")
        }
        guard let file = source.annotationsFile else {
            throw HarnessError.invalidArgument("--correlation annotators needs --annotations (TVSum's ydata-anno.tsv)")
        }
        return try AnnotatorTargets.load(annotations: file, mappingFile: source.annotationMap, h5: source.dataFile, groups: groups)
    }

    /// The same checked data through another fold of its split file (`--splits all`). The fold's videos
    /// are read (from the cache when the set is kept in memory) and checked as `open` checks them.
    public func fold(_ index: Int, split: DatasetSplit, of count: Int) throws -> PreparedData {
        let file = source.splitFile.path
        guard !split.train.isEmpty else { throw HarnessError.emptySplit(part: "train (fold \(index))", dataset: file) }
        guard !split.test.isEmpty else { throw HarnessError.emptySplit(part: "test (fold \(index))", dataset: file) }
        try split.checkUsable(layout: dataset.layout, file: file)
        let view = SplitView(dataset, split: split)
        var found: [DataWarning] = []
        var annotators = self.annotators
        for key in split.allKeys {
            let video = try view.video(key)
            found += video.warnings
            try annotators?.add(video)
        }
        var data = PreparedData(source: source, dataset: view, info: info, warnings: DataWarning.lines(found, file: source.dataFile.path),
                                eccv16: eccv16, annotators: annotators, selection: nil, folds: count)
        data.source.splitIndex = index
        data.info.splitIndex = index
        try data.recount()
        return data
    }

    /// The data a run with `selection` trains and chooses its epoch on (`SelectionInfo.apply`), with
    /// the choice recorded.
    public func selecting(_ selection: ModelSelection, seed: UInt64) throws -> PreparedData {
        let (split, info) = try SelectionInfo.apply(selection, to: dataset.split, seed: seed, fold: source.splitIndex,
                                                    file: source.splitFile.path)
        var data = self
        data.selection = info
        if split != dataset.split { data.dataset = SplitView(dataset, split: split) }
        try data.recount()
        return data
    }

    /// The video counts and train frames of `info` for the current split.
    private mutating func recount() throws {
        let split = dataset.split
        info.trainVideos = split.train.count
        info.valVideos = split.val.count
        info.testVideos = split.test.count
        info.trainFrames = try split.train.reduce(0) { $0 + (try dataset.length(of: $1)) }
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
            // Over the raw bytes: Data's own iterator costs about a second per 100 MB.
            data.withUnsafeBytes { bytes in
                for byte in bytes {
                    hash ^= UInt64(byte)
                    hash = hash &* 0x100_0000_01b3
                }
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

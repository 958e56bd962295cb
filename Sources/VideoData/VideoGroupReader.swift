import Foundation

/// Reads the data sets of one video group, turning each problem into a `DataError` that names the
/// file and the video.
struct VideoGroupReader {
    let file: String
    let video: String
    let group: HDF5Group

    func has(_ name: String) -> Bool { group.isDataset(name) }

    func dataset(_ name: String) throws -> HDF5Dataset {
        guard group.isDataset(name) else { throw DataError.missingDataset(file: file, video: video, dataset: name) }
        return try wrap { try group.dataset(name) }
    }

    func shape(_ name: String) throws -> [Int] {
        let set = try dataset(name)
        return try wrap { try set.shape() }
    }

    /// Refuses a data set whose declared extents need more memory than one video may take, before the
    /// read allocates it (`elementBytes`: the width of the type it is read into).
    func checkFits(_ name: String, shape: [Int], elementBytes: Int) throws {
        let bytes = DataLimits.bytes(shape, elementBytes: elementBytes)
        if bytes > Double(DataLimits.videoBytes) {
            throw DataError.tooLarge(file: file, video: video, dataset: name, shape: shape, bytes: bytes, limit: DataLimits.videoBytes)
        }
    }

    /// Reads a numeric data set as Float and checks every value is finite.
    func finiteFloats(_ name: String) throws -> [Float] {
        let set = try dataset(name)
        try checkFits(name, shape: try wrap { try set.shape() }, elementBytes: MemoryLayout<Float>.size)
        let values = try wrap { try set.readFloats() }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw DataError.nonFinite(file: file, video: video, dataset: name, index: index, value: values[index])
        }
        return values
    }

    func ints(_ name: String) throws -> [Int] {
        let set = try dataset(name)
        try checkFits(name, shape: try wrap { try set.shape() }, elementBytes: MemoryLayout<Int64>.size)
        return try wrap { try set.readInts() }
    }

    /// Reads a 1-D data set of the given length.
    func vector(_ name: String, length: Int) throws -> [Float] {
        let shape = try shape(name)
        guard shape == [length] else {
            throw DataError.badShape(file: file, video: video, dataset: name, shape: shape, expected: "(\(length),)")
        }
        return try finiteFloats(name)
    }

    /// Checks `features` is (n, width) with n > 0 and (when given) the expected width; returns n and width.
    func featureShape(expectedWidth: Int?) throws -> (rows: Int, width: Int) {
        let shape = try shape("features")
        guard shape.count == 2 else { throw DataError.featuresNotMatrix(file: file, video: video, shape: shape) }
        if let expectedWidth, shape[1] != expectedWidth {
            throw DataError.featureWidthMismatch(file: file, video: video, width: shape[1], expected: expectedWidth)
        }
        if shape[0] == 0 { throw DataError.emptyVideo(file: file, video: video) }
        // Checked here, from the shape alone, so that `length(of:)` refuses a gigantic video up front.
        try checkFits("features", shape: shape, elementBytes: MemoryLayout<Float>.size)
        return (shape[0], shape[1])
    }

    /// Reads `features` (shape already checked by `featureShape`): stored integers are refused (raw
    /// quantised values would train silently on the wrong scale); float16 and float64 are legitimate and
    /// read as float32, with a warning.
    func features(warnings: inout [DataWarning]) throws -> [Float] {
        let set = try dataset("features")
        let type = try wrap { try set.elementTypeName() }
        guard type.hasPrefix("float") else { throw DataError.nonFloatFeatures(file: file, video: video, dtype: type) }
        if type != "float32" {
            warnings.append(DataWarning(kind: "`features` stored as \(type) (read as float32)", video: video))
        }
        return try finiteFloats("features")
    }

    /// Reads a keyshot summary (`gt_summary` / `gtsummary`) of `length` values, each 0 or 1.
    func summary(_ name: String, length: Int) throws -> [Float] {
        let values = try vector(name, length: length)
        if let index = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw DataError.badSummaryValue(file: file, video: video, dataset: name, index: index, value: values[index])
        }
        return values
    }

    /// gtscore is normalised to [0, 1] in MR.HiSum; other ranges are legitimate for other sources but
    /// make MSE incomparable, so they are reported.
    func gtscoreRangeWarning(_ gtscore: [Float]) -> DataWarning? {
        guard let low = gtscore.min(), let high = gtscore.max(), low < 0 || high > 1 else { return nil }
        return DataWarning(kind: "`gtscore` outside [0, 1] (MSE is not comparable with MR.HiSum results)", video: video,
                           detail: "range [\(low), \(high)]")
    }

    /// Reads `gtscore` and checks it has one value per feature row.
    func gtscore(rows: Int) throws -> [Float] {
        let shape = try shape("gtscore")
        guard shape.count == 1 else {
            throw DataError.badShape(file: file, video: video, dataset: "gtscore", shape: shape, expected: "1-D")
        }
        guard shape[0] == rows else {
            throw DataError.lengthMismatch(file: file, video: video, featureRows: rows, gtscoreLength: shape[0])
        }
        return try finiteFloats("gtscore")
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as HDF5Error { throw DataError.hdf5(error) }
    }
}

/// Opening an h5 data file with the checks every reader shares.
enum DataFile {
    /// Opens read-only, distinguishing a missing file from one that is not HDF5.
    static func open(_ url: URL) throws -> HDF5File {
        guard FileManager.default.fileExists(atPath: url.path) else { throw DataError.missingFile(file: url.path) }
        guard HDF5File.isHDF5(url) else { throw DataError.notHDF5(file: url.path) }
        do { return try HDF5File.open(url) } catch let error as HDF5Error { throw DataError.hdf5(error) }
    }

    /// Checks every split key names a group in the file (cheap: link lookups only).
    static func checkGroups(of split: DatasetSplit, in root: HDF5Group, file: String) throws {
        for part in DatasetSplit.Part.allCases {
            for key in split.keys(part) where !root.isGroup(key) {
                throw DataError.missingGroup(file: file, video: key, split: part.rawValue)
            }
        }
    }

    /// Opens a data file for a split: the split's keys disjoint, the file an HDF5 file with a group for
    /// every key, and the feature width read from the first video's stored shape (checked against
    /// `expectedFeatureWidth` when given).
    static func openForSplit(_ url: URL, split: DatasetSplit, expectedFeatureWidth: Int?) throws
        -> (file: HDF5File, root: HDF5Group, featureWidth: Int) {
        try split.checkDisjoint(file: url.path)
        let opened = try open(url)
        let root = try VideoDatasets.wrapped { try opened.root() }
        try checkGroups(of: split, in: root, file: url.path)
        guard let first = split.allKeys.first else { return (opened, root, expectedFeatureWidth ?? 0) }
        let width = try group(first, in: root, file: url.path).featureShape(expectedWidth: expectedFeatureWidth).width
        return (opened, root, width)
    }

    static func group(_ key: String, in root: HDF5Group, file: String) throws -> VideoGroupReader {
        guard root.isGroup(key) else { throw DataError.unknownVideo(file: file, video: key) }
        do {
            return VideoGroupReader(file: file, video: key, group: try root.group(key))
        } catch let error as HDF5Error { throw DataError.hdf5(error) }
    }
}

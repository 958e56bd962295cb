import Foundation

/// A problem with input data. Every case names the file, and where it concerns one video, the video
/// (its group name), so a user can find and fix it.
public enum DataError: Error, CustomStringConvertible, Sendable {
    case missingFile(file: String)
    case notHDF5(file: String)
    /// A key listed in the split file has no group in the h5 file.
    case missingGroup(file: String, video: String, split: String)
    /// A video group lacks a required data set (`features`, `gtscore`, ...).
    case missingDataset(file: String, video: String, dataset: String)
    case featuresNotMatrix(file: String, video: String, shape: [Int])
    case featureWidthMismatch(file: String, video: String, width: Int, expected: Int)
    /// A data set has the wrong shape for this video (e.g. `gtscore` not 1-D, `change_points` not (m, 2)).
    case badShape(file: String, video: String, dataset: String, shape: [Int], expected: String)
    case lengthMismatch(file: String, video: String, featureRows: Int, gtscoreLength: Int)
    case nonFinite(file: String, video: String, dataset: String, index: Int, value: Float)
    case emptyVideo(file: String, video: String)
    case changePointsNotSorted(file: String, video: String, row: Int, start: Int, end: Int)
    case changePointsOverlap(file: String, video: String, row: Int, start: Int, previousEnd: Int)
    case changePointsOutOfRange(file: String, video: String, row: Int, start: Int, end: Int, frameCount: Int)
    /// MR.HiSum's shots tile the video; frames `from..<to` belong to no shot (`row` is the shot after the gap,
    /// or the last one when the gap is at the end).
    case changePointsGap(file: String, video: String, row: Int, from: Int, to: Int, frameCount: Int)
    /// `features` stored as integers (e.g. the raw uint8/int8 quantised values): the models need floats.
    case nonFloatFeatures(file: String, video: String, dtype: String)
    /// A keyshot summary value other than 0 or 1.
    case badSummaryValue(file: String, video: String, dataset: String, index: Int, value: Float)
    /// A data set whose declared extents need more memory than the machine can give one video.
    case tooLarge(file: String, video: String, dataset: String, shape: [Int], bytes: Double, limit: Int)
    /// An MR.HiSum split with no validation videos: no epoch can be chosen.
    case noValidationVideos(file: String)
    /// A key appears in more than one split (or twice in one).
    case duplicateKey(file: String, video: String, splits: [String])
    case badSplitFile(file: String, reason: String)
    case badMetadata(file: String, line: Int, reason: String)
    case unknownVideo(file: String, video: String)
    /// The generator or a writer refused to replace an existing data set or file.
    case destinationExists(path: String)
    case invalidConfiguration(reason: String)
    case hdf5(HDF5Error)

    public var description: String {
        switch self {
        case let .missingFile(file):
            return "\(file): no such file"
        case let .notHDF5(file):
            return "\(file): not an HDF5 file"
        case let .missingGroup(file, video, split):
            return "\(file): the \(split) split lists \(video), but the file has no group \(video)"
        case let .missingDataset(file, video, dataset):
            return "\(file), video \(video): no `\(dataset)` data set"
        case let .featuresNotMatrix(file, video, shape):
            return "\(file), video \(video): `features` has shape \(shape), expected 2-D (frames, width)"
        case let .featureWidthMismatch(file, video, width, expected):
            return "\(file), video \(video): `features` are \(width) wide, the model expects \(expected)"
        case let .badShape(file, video, dataset, shape, expected):
            return "\(file), video \(video): `\(dataset)` has shape \(shape), expected \(expected)"
        case let .lengthMismatch(file, video, rows, length):
            return "\(file), video \(video): `gtscore` has \(length) values but `features` has \(rows) rows"
        case let .nonFinite(file, video, dataset, index, value):
            return "\(file), video \(video): `\(dataset)` holds \(value) at flat index \(index)"
        case let .emptyVideo(file, video):
            return "\(file), video \(video): empty video (0 frames)"
        case let .changePointsNotSorted(file, video, row, start, end):
            return "\(file), video \(video): change point row \(row) [\(start), \(end)) is not in increasing order"
        case let .changePointsOverlap(file, video, row, start, previousEnd):
            return "\(file), video \(video): change point row \(row) starts at \(start), before the previous shot ends at \(previousEnd)"
        case let .changePointsOutOfRange(file, video, row, start, end, frameCount):
            return "\(file), video \(video): change point row \(row) [\(start), \(end)) leaves the range 0..<\(frameCount)"
        case let .changePointsGap(file, video, row, from, to, frameCount):
            return "\(file), video \(video): frames \(from)..<\(to) belong to no shot (change point row \(row)); "
                + "MR.HiSum's shots must tile the video: the first starts at 0, each starts where the previous ends, the last ends at \(frameCount)"
        case let .nonFloatFeatures(file, video, dtype):
            return "\(file), video \(video): `features` are stored as \(dtype), not as floats; MR.HiSum features are float32 "
                + "de-quantised from the uint8 grid as q * 4/255 - 2: de-quantise them before training"
        case let .badSummaryValue(file, video, dataset, index, value):
            return "\(file), video \(video): `\(dataset)` holds \(value) at index \(index); a keyshot summary holds only 0 and 1"
        case let .tooLarge(file, video, dataset, shape, bytes, limit):
            return "\(file), video \(video): `\(dataset)` declares shape \(shape), \(DataLimits.bytesText(bytes)) in memory, "
                + "more than the \(DataLimits.bytesText(Double(limit))) one video may take on this machine (half its memory); "
                + "videos are read one at a time, so each must fit"
        case let .noValidationVideos(file):
            return "\(file): the split has no validation videos (\"val_keys\" is missing or empty), so no epoch can be chosen "
                + "(a run selects its checkpoint by validation Spearman); add a \"val_keys\" list, e.g. by moving some train keys "
                + "into it (MR.HiSum's canonical split has 2,000)"
        case let .duplicateKey(file, video, splits):
            return "\(file): video \(video) appears in more than one split place (\(splits.joined(separator: ", ")))"
        case let .badSplitFile(file, reason):
            return "\(file): bad split file: \(reason)"
        case let .badMetadata(file, line, reason):
            return "\(file), line \(line): \(reason)"
        case let .unknownVideo(file, video):
            return "\(file): no video \(video) in this data set's splits"
        case let .destinationExists(path):
            return "\(path) already exists; refusing to overwrite it (ask for overwrite explicitly)"
        case let .invalidConfiguration(reason):
            return "invalid configuration: \(reason)"
        case let .hdf5(error):
            return error.description
        }
    }
}

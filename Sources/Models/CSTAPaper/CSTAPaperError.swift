/// What the paper variant of CSTA refuses, in words that name the video, the file or the value.
public enum CSTAPaperError: Error, CustomStringConvertible, Equatable {
    case videoTooShort(video: String, length: Int)
    case videoTooLong(video: String, length: Int)
    case positionalTable(row: Int, column: Int, difference: Float)
    case trunkWeights(path: String, reason: String)

    public var description: String {
        switch self {
        case let .videoTooShort(video, length):
            return "csta (paper): video '\(video)' has \(length) frames, fewer than the \(CSTAPaper.minimumLength) it needs "
                + "(GoogLeNet's pools shrink the \(length + 1) rows of its image, CLS row included, below one row at the third max pool)"
        case let .videoTooLong(video, length):
            return "csta (paper): video '\(video)' has \(length) frames, more than the \(CSTAPaper.maximumLength) it can take "
                + "(its positional-encoding table has \(FixedPositionalEncoding.rows) rows and the CLS row takes one)"
        case let .positionalTable(row, column, difference):
            return "csta (paper): the checkpoint's Positional_encoding_op.pe is not the fixed sinusoidal table "
                + "(row \(row), column \(column) differs by \(difference), more than \(FixedPositionalEncoding.tolerance))"
        case let .trunkWeights(path, reason):
            return "csta (paper): cannot load torchvision GoogLeNet weights from \(path): \(reason)"
        }
    }
}

/// Why a split could not be evaluated. Every case names the video and the place in it, so a bad data
/// set or a model emitting NaN is found without a debugger.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptySplit
    case emptyVideo(video: String)
    case lengthMismatch(video: String, array: String, expected: Int, actual: Int)
    case nonFiniteValue(video: String, array: String, index: Int, value: Double)
    case invalidSummaryValue(video: String, index: Int, value: Double)
    case invalidShot(video: String, index: Int, shot: Shot, reason: String)
    case missingShots(video: String)

    public var description: String {
        switch self {
        case .emptySplit:
            return "cannot evaluate a split with no videos"
        case .emptyVideo(let video):
            return "video '\(video)': no frames"
        case .lengthMismatch(let video, let array, let expected, let actual):
            return "video '\(video)': \(array) has \(actual) values, expected \(expected) (one per frame)"
        case .nonFiniteValue(let video, let array, let index, let value):
            return "video '\(video)': \(array)[\(index)] is \(value), expected a finite number"
        case .invalidSummaryValue(let video, let index, let value):
            return "video '\(video)': gt_summary[\(index)] is \(value), expected 0 or 1"
        case .invalidShot(let video, let index, let shot, let reason):
            return "video '\(video)': change point \(index) [\(shot.start), \(shot.end)) \(reason)"
        case .missingShots(let video):
            return "video '\(video)': has gt_summary but no change points, so F1 cannot be computed"
        }
    }
}

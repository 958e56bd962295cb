/// Why a model's or a pair's statistics could not be computed. Each case names the model (or pair) and
/// the metric, so a comparison assembled from many run folders says which one is at fault.
public enum StatisticsError: Error, Equatable, Sendable, CustomStringConvertible {
    case noRuns(model: String, metric: String)
    case nonFiniteRunValue(model: String, metric: String, seed: Int, value: Double)
    case infiniteVideoValue(model: String, metric: String, seed: Int, video: Int)
    case videoCountMismatch(model: String, metric: String, seed: Int, expected: Int, actual: Int)
    case weightCountMismatch(model: String, metric: String, expected: Int, actual: Int)
    case invalidWeight(model: String, metric: String, video: Int, weight: Double)
    case weightsDiffer(metric: String, a: String, b: String)
    case noCommonVideos(metric: String, a: String, b: String)

    public var description: String {
        switch self {
        case .noRuns(let model, let metric):
            return "\(model), \(metric): no runs"
        case .nonFiniteRunValue(let model, let metric, let seed, let value):
            return "\(model), \(metric): seed \(seed)'s run value is \(value), expected a finite number"
        case .infiniteVideoValue(let model, let metric, let seed, let video):
            return "\(model), \(metric): seed \(seed), video \(video) is infinite (NaN or nil mark a skipped video)"
        case .videoCountMismatch(let model, let metric, let seed, let expected, let actual):
            return "\(model), \(metric): seed \(seed) has \(actual) per-video values, expected \(expected) (the same test videos for every seed and model)"
        case .weightCountMismatch(let model, let metric, let expected, let actual):
            return "\(model), \(metric): \(actual) video weights for \(expected) videos"
        case .invalidWeight(let model, let metric, let video, let weight):
            return "\(model), \(metric): video \(video) has weight \(weight), expected a positive finite number"
        case .weightsDiffer(let metric, let a, let b):
            return "\(metric): \(a) and \(b) weight the videos differently (weights are a property of the video, e.g. its frames)"
        case .noCommonVideos(let metric, let a, let b):
            return "\(metric): no video has a value for both \(a) and \(b)"
        }
    }
}

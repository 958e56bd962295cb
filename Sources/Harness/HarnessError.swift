/// Problems the harness reports to the user; each says what and where.
public enum HarnessError: Error, CustomStringConvertible, Equatable {
    case noSchedule(model: String, variant: String)
    case invalidSchedule(String)
    case unsupportedLoss(model: String, loss: String)
    case emptySplit(part: String, dataset: String)
    case persistentNonFinite(epoch: Int, consecutiveSkips: Int)
    case missingRun(path: String)
    case badRunRecord(path: String, reason: String)
    case badThresholds(path: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .noSchedule(model, variant):
            return "no published '\(variant)' schedule for model '\(model)' (see schedules.md)"
        case let .invalidSchedule(what):
            return "invalid schedule: \(what)"
        case let .unsupportedLoss(model, loss):
            return "model '\(model)': the schedule's loss '\(loss)' is not trained by this harness yet (only masked_mse)"
        case let .emptySplit(part, dataset):
            return "\(dataset): the \(part) split has no videos"
        case let .persistentNonFinite(epoch, skips):
            return "training stopped in epoch \(epoch + 1): \(skips) steps in a row had a non-finite loss or gradient"
        case let .missingRun(path):
            return "\(path): no run.json or summary.json here"
        case let .badRunRecord(path, reason):
            return "\(path): cannot read the run record: \(reason)"
        case let .badThresholds(path, reason):
            return "\(path): bad thresholds file: \(reason)"
        case let .invalidArgument(what):
            return what
        }
    }
}

import ArgumentParser
import Evaluation
import Foundation
import Harness
import Models
import VideoData

extension ModelVariant: ExpressibleByArgument {}
extension ModelSize: ExpressibleByArgument {}
extension ECCV16Set: ExpressibleByArgument {}
extension F1Reduction: ExpressibleByArgument {}
extension ModelSelection: ExpressibleByArgument {}
extension CorrelationProtocol: ExpressibleByArgument {}

/// Where the videos come from.
struct DataOptions: ParsableArguments {
    @Option(help: "An MR.HiSum or eccv16 (TVSum/SumMe) h5 file. Default: the synthetic stand-in from the cache.")
    var data: String?

    @Option(help: "The split JSON (default: mr_hisum_split.json beside --data).")
    var split: String?

    @Option(parsing: .unconditional, help: "Which split of a 5-split eccv16 split file (from 0).")
    var splitIndex: Int = 0

    @Option(help: "Seed of the synthetic set used when --data is not given.")
    var syntheticSeed: UInt64 = SyntheticConfig.default.seed

    @Option(help: "Which eccv16 set --data is: tvsum (F1 mean over users) or summe (max over users). Default: from the file name; a name with neither is an error.")
    var dataset: ECCV16Set?

    @Option(help: "Override the eccv16 F1 reduction over users: mean (TVSum's convention) or max (SumMe's). Recorded in run.json.")
    var f1Reduction: F1Reduction?

    @Option(help: "What tau and rho are computed against: gtscore (each video's gtscore) or annotators (TVSum: each annotator of --annotations at the picks, mean over annotators, then videos; the leave-one-out human agreement is a reference row). Default: annotators when --annotations is given, else gtscore. Recorded in run.json and the summary.")
    var correlation: CorrelationProtocol?

    @Option(help: "TVSum's ydata-anno.tsv (video id, category, 1-5 score per frame) for --correlation annotators.")
    var annotations: String?

    @Option(help: "Links the h5's groups to the --annotations video ids: one 'group<TAB>video_id' line per video. Default: each group's video_name.")
    var annotationMap: String?

    func validate() throws {
        try NumericOption.atLeast(splitIndex, 0, "--split-index")
        if data == nil, let option = annotations != nil ? "--annotations" : (annotationMap != nil ? "--annotation-map" : nil) {
            throw HarnessError.invalidArgument("\(option) needs --data with an eccv16 TVSum file; the default synthetic set is MR.HiSum-format")
        }
        if data == nil, correlation == .annotators {
            throw HarnessError.invalidArgument("--correlation annotators needs --data with an eccv16 TVSum file and --annotations")
        }
        if data == nil, let option = dataset != nil ? "--dataset" : (f1Reduction != nil ? "--f1-reduction" : nil) {
            throw HarnessError.invalidArgument("\(option) needs --data with an eccv16 (TVSum/SumMe) file; the default synthetic set is MR.HiSum-format")
        }
    }

    func source(progress: ProgressReporter) throws -> DataSource {
        if let data {
            var source = DataSource.user(data: data, split: split, splitIndex: splitIndex)
            source.eccv16Set = dataset
            source.f1Reduction = f1Reduction
            source.correlation = correlation ?? (annotations != nil ? .annotators : .gtscore)
            source.annotationsFile = annotations.map { URL(fileURLWithPath: $0) }
            source.annotationMap = annotationMap.map { URL(fileURLWithPath: $0) }
            return source
        }
        if split != nil { throw ValidationError("--split needs --data") }
        return try DataSource.synthetic(seed: syntheticSeed, log: progress.log)
    }
}

/// The evaluation protocol of `bench all` / `bench model` (evaluation.md "TVSum and SumMe").
struct ProtocolOptions: ParsableArguments {
    @Option(help: "'all': run every fold of the split file (the eccv16 5-split files), each fold a run in split-<k>/, the comparison pooled over folds. A list such as 0,2: only those folds of that protocol (a sweep runs one per task). Default: the one split --split-index names.")
    var splits: String?

    @Option(help: "How the tested epoch is chosen: val (default; the split's val keys, or a seeded 20% of each fold's train keys, at least 2 videos, when it has none) or test (on the test fold, as the published TVSum/SumMe codes do; marked 'selected on test (optimistic)').")
    var selection: ModelSelection = .val

    /// Whether every fold (or the folds `foldSubset` lists) runs.
    func allSplits(data: DataOptions) throws -> Bool {
        guard let splits else { return false }
        _ = try foldSubset()
        if data.data == nil { throw HarnessError.invalidArgument("--splits \(splits) needs --data and a split file with several folds (an eccv16 5-split file)") }
        // --split-index names one fold; with every fold running it would be silently ignored.
        if data.splitIndex != 0 { throw HarnessError.invalidArgument("give --split-index \(data.splitIndex) or --splits \(splits), not both") }
        return true
    }

    /// The folds of `--splits 0,2`; nil for `all` or no --splits.
    func foldSubset() throws -> [Int]? {
        guard let splits, splits != "all" else { return nil }
        let list = splits.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ ($0 ?? -1) >= 0 }) else {
            throw HarnessError.invalidArgument("--splits '\(splits)': give 'all' or a list of fold indices from 0 such as 0,2 (one split on its own: --split-index N)")
        }
        let folds = list.map { $0! }
        guard Set(folds).count == folds.count else { throw HarnessError.invalidArgument("--splits '\(splits)' lists a fold twice") }
        return folds
    }
}

/// What to build and how to run it.
struct RunOptions: ParsableArguments {
    @Option(help: "Model variant: report (the seed report's architecture and schedule) or paper (the authors').")
    var variant: ModelVariant = .report

    @Option(help: "Model widths: paper (published) or small (hidden widths / 4, for CPUs and CI).")
    var size: ModelSize = .paper

    @Option(help: "Seed for initialisation, dropout and batch order.")
    var seed: UInt64?

    @Option(help: "Several seeds: N (seeds 0..N-1) or a list such as 0,3,7. Each (model, seed) is its own run, and the comparison has statistics over them.")
    var seeds: String?

    /// The seeds to run: --seeds, else --seed, else 0.
    func seedList() throws -> [UInt64] {
        guard let seeds else { return [seed ?? 0] }
        if seed != nil { throw ValidationError("give --seed or --seeds, not both") }
        return try Self.parseSeeds(seeds)
    }

    /// `--seeds N` (seeds 0..N-1) or a list such as 0,3,7 (`bench sweep` reads it too).
    static func parseSeeds(_ seeds: String) throws -> [UInt64] {
        let text = seeds.trimmingCharacters(in: .whitespaces)
        if !text.contains(","), let count = Int(text) {
            guard (1...1000).contains(count) else { throw ValidationError("--seeds \(count): give 1 to 1000 seeds") }
            return (0..<UInt64(count)).map { $0 }
        }
        let list = text.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--seeds '\(seeds)' is neither a count nor a comma-separated list of non-negative integers")
        }
        let values = list.map { $0! }
        guard Set(values).count == values.count else { throw ValidationError("--seeds '\(seeds)' lists a seed twice") }
        return values
    }

    @Option(parsing: .unconditional, help: "Threads for matrix products and parallel loops (default: this machine's cores). A run is reproducible for the same seed and thread count.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Results root; each run makes a new folder in it.")
    var out: String = "results"

    @Flag(help: "Print the machine-readable summary (JSON) on stdout.")
    var json = false

    @Flag(help: "Only errors on stderr.")
    var quiet = false

    func validate() throws {
        try ThreadLimit.check(threads)
    }
}

/// Numeric options are parsed unconditionally (`--epochs -1` reads -1 as the value, not as a flag) and
/// then checked here, so the message names the option and the rule instead of "Missing value". The
/// errors are the harness's own (exit status 1, like every other refused input), not ArgumentParser's
/// usage errors (status 64).
enum NumericOption {
    static func atLeast(_ value: Int?, _ minimum: Int, _ option: String) throws {
        if let value, value < minimum { throw HarnessError.invalidArgument("\(option) must be at least \(minimum), got \(value)") }
    }

    static func finite(_ value: Double?, _ option: String, _ rule: String, _ valid: (Double) -> Bool) throws {
        guard let value else { return }
        guard value.isFinite else { throw HarnessError.invalidArgument("\(option) must be a finite number, got \(value)") }
        guard valid(value) else { throw HarnessError.invalidArgument("\(option) must be \(rule), got \(value)") }
    }
}

/// Overrides of published schedule values; each one is recorded in run.json as an override.
struct ScheduleOverrideOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Override the number of epochs (recorded as an override).")
    var epochs: Int?
    @Option(parsing: .unconditional, help: "Override the batch size in videos.")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Override gradient accumulation steps.")
    var gradientAccumulation: Int?
    @Option(parsing: .unconditional, help: "Override the peak learning rate.")
    var lr: Double?
    @Option(parsing: .unconditional, help: "Override the weight decay.")
    var weightDecay: Double?
    @Option(parsing: .unconditional, help: "Override the gradient clipping norm.")
    var clip: Double?
    @Option(parsing: .unconditional, help: "Override the dropout probability.")
    var dropout: Double?
    @Option(parsing: .unconditional, help: "Override early-stopping patience (epochs without a better validation Spearman).")
    var patience: Int?
    @Option(help: "Profile: 'ci' caps epochs at 3 and patience at 2 to keep CI short (recorded as overrides).")
    var profile: String?
    @Option(name: .customLong("option"), help: "A model option key=value (repeatable), e.g. --option kernel=5.")
    var modelOptions: [String] = []

    func validate() throws {
        try NumericOption.atLeast(epochs, 1, "--epochs")
        try NumericOption.atLeast(batchSize, 1, "--batch-size")
        try NumericOption.atLeast(gradientAccumulation, 1, "--gradient-accumulation")
        try NumericOption.atLeast(patience, 1, "--patience")
        try NumericOption.finite(lr, "--lr", "positive") { $0 > 0 }
        try NumericOption.finite(weightDecay, "--weight-decay", "at least 0") { $0 >= 0 }
        try NumericOption.finite(clip, "--clip", "positive") { $0 > 0 }
        try NumericOption.finite(dropout, "--dropout", "in [0, 1)") { $0 >= 0 && $0 < 1 }
    }

    func overrides() throws -> ScheduleOverrides {
        var o = ScheduleOverrides(epochs: epochs, batchSize: batchSize, gradientAccumulation: gradientAccumulation,
                                  learningRate: lr, weightDecay: weightDecay, gradientClip: clip, dropout: dropout,
                                  earlyStoppingPatience: patience)
        switch profile {
        case nil: break
        case "ci":
            o.epochs = o.epochs ?? 3
            o.earlyStoppingPatience = o.earlyStoppingPatience ?? 2
        case let other?:
            throw ValidationError("unknown --profile '\(other)' (known: ci)")
        }
        return o
    }

    func options() throws -> [String: String] { try Self.parseOptions(modelOptions) }

    /// `key=value` items as a dictionary; a malformed or repeated key is an error.
    static func parseOptions(_ items: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("--option '\(item)' is not key=value") }
            guard out[parts[0]] == nil else { throw ValidationError("--option \(parts[0]) is given twice") }
            out[parts[0]] = parts[1]
        }
        return out
    }
}

func printJSON(_ data: Data) {
    print(String(decoding: data, as: UTF8.self))
}

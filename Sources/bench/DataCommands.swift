import ArgumentParser
import Foundation
import Evaluation
import Harness
import VideoData

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write a synthetic MR.HiSum-format set, or validate and summarise a data set.",
        subcommands: [SynthCommand.self, InspectCommand.self])
}

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic data set in the MR.HiSum layout (h5 + split JSON + metadata CSV). Not MR.HiSum data.",
        discussion: "Example: bench data synth --out /tmp/synth --train 27892 --val 2000 --test 2000 --max-length 500")

    @Option(help: "Destination folder (must not exist).") var out: String
    @Option(help: "Generator seed.") var seed: UInt64 = SyntheticConfig.default.seed
    @Option(help: "Training videos.") var train: Int = SyntheticConfig.default.trainCount
    @Option(help: "Validation videos.") var val: Int = SyntheticConfig.default.valCount
    @Option(help: "Test videos.") var test: Int = SyntheticConfig.default.testCount
    @Option(help: "Shortest video in frames (1 frame = 1 s).") var minLength: Int = SyntheticConfig.default.minLength
    @Option(help: "Longest video in frames.") var maxLength: Int = SyntheticConfig.default.maxLength
    @Option(help: "Feature width.") var featureWidth: Int = SyntheticConfig.default.featureWidth
    @Option(help: "File layout: mrhisum, or eccv16 (the TVSum/SumMe files; --train/--val/--test/--min-length/--max-length then do not apply).")
    var layout: String = "mrhisum"
    @Option(help: "With --layout eccv16: tvsum (50 videos of 2-10 min, 20 annotators, ydata-anno.tsv) or summe (25 videos, 15-18 users).")
    var like: String?

    func run() throws {
        switch layout {
        case "mrhisum":
            guard like == nil else { throw ValidationError("--like applies to --layout eccv16 only") }
        case "eccv16":
            guard let like, let set = ECCV16Set(rawValue: like) else {
                throw ValidationError("--layout eccv16 needs --like tvsum or --like summe")
            }
            var config = SyntheticECCV16Config(like: set)
            config.seed = seed
            config.featureWidth = featureWidth
            print(try SyntheticECCV16.generate(config, to: URL(fileURLWithPath: out)))
            return
        default:
            throw ValidationError("--layout must be mrhisum or eccv16, not \(layout)")
        }
        var config = SyntheticConfig.default
        config.seed = seed
        config.trainCount = train
        config.valCount = val
        config.testCount = test
        config.minLength = minLength
        config.maxLength = maxLength
        config.featureWidth = featureWidth
        print(try SyntheticMRHiSum.generate(config, to: URL(fileURLWithPath: out)))
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Validate and summarise a data set: videos, length distribution, tie rate, problems found.",
        discussion: "Exits non-zero when problems are found.")

    @Argument(help: "The h5 file.") var path: String
    @Option(help: "The split JSON (default: mr_hisum_split.json beside the file).") var split: String?
    @Option(parsing: .unconditional, help: "Which split of a 5-split eccv16 split file.") var splitIndex: Int = 0
    @Option(parsing: .unconditional, help: "Expected feature width.") var featureWidth: Int?

    func validate() throws {
        try NumericOption.atLeast(splitIndex, 0, "--split-index")
        try NumericOption.atLeast(featureWidth, 1, "--feature-width")
    }

    func run() throws {
        let report = try DatasetInspector.inspect(URL(fileURLWithPath: path), splitFile: split.map { URL(fileURLWithPath: $0) },
                                                  splitIndex: splitIndex, expectedFeatureWidth: featureWidth)
        print(report)
        if !report.isValid { throw ExitCode.failure }
    }
}

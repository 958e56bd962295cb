import ArgumentParser
import Foundation
import Harness
import Models

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compare a results folder against CI thresholds; exit non-zero naming every regression.",
        discussion: """
        A regression is a model's rank correlation below its floor, its test MSE above its ceiling, its training \
        throughput below its floor, or a model with thresholds that has no completed run. This is what CI runs.
        """)

    @Option(help: "A results folder (of bench all, bench model or bench report).")
    var results: String
    @Option(help: "The thresholds file.")
    var thresholds: String = "baselines/ci-thresholds.json"

    func run() throws {
        let summary = try Summary.load(resultsFolder: URL(fileURLWithPath: results))
        let limits = try ThresholdFile.read(URL(fileURLWithPath: thresholds))
        // A model is known when it is registered or when the results hold runs of it (results of a
        // fork with other models can still be checked); anything else is a typo, not a missing run.
        try ThresholdCheck.validate(limits, path: thresholds, knownModels: ModelRegistry.standard.names
                                        + Set(summary.rows.map(\.model)).subtracting(ModelRegistry.standard.names).sorted())
        let regressions = ThresholdCheck.check(summary, against: limits)
        if regressions.isEmpty {
            print("ok: \(summary.rows.count) runs within the thresholds of \(thresholds) (\(limits.models.count) models)")
            return
        }
        for r in regressions { print("REGRESSION \(r)") }
        print("\(regressions.count) regression(s) against \(thresholds)")
        throw ExitCode.failure
    }
}

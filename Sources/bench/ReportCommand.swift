import ArgumentParser
import FileSupport
import Foundation
import Harness

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Merge runs (from several machines or seeds) into one comparison, or derive CI thresholds from them.",
        discussion: """
        bench report results/A results/B  writes results/<date>-<time>-report/ with summary.md/.csv/.json and charts.
        bench report --derive-thresholds baselines/ci-thresholds.json results/seed1 results/seed2 results/seed3
        derives floors and ceilings from several seeds' runs of the same set-up (see baselines/README.md).
        """)

    @Argument(help: "Run folders (each with summary.json or run.json files).")
    var runs: [String]
    @Option(help: "Results root for the merged comparison.")
    var out: String = "results"
    @Option(help: "Instead of merging, write thresholds derived from these runs (one per seed) to this file.")
    var deriveThresholds: String?
    @Option(help: "Absolute margin below the lowest observed rho / tau.") var qualityMargin: Double = 0.05
    @Option(help: "Margin in standard deviations (the larger margin wins).") var spreadFactor: Double = 3
    @Option(help: "Relative margin above the highest observed test MSE.") var mseMargin: Double = 0.25
    @Option(help: "Throughput floor as a fraction of the median recorded rate.") var throughputFraction: Double = 0.3
    @Flag(help: "Print the merged summary as JSON on stdout.") var json = false

    func run() throws {
        let folders = runs.map { URL(fileURLWithPath: $0) }
        if let deriveThresholds {
            guard !FileManager.default.fileExists(atPath: deriveThresholds) else {
                throw ValidationError("\(deriveThresholds) already exists; bench report never replaces a file: remove it or name another")
            }
            let summaries = try folders.map { ($0.lastPathComponent, try Summary.load(resultsFolder: $0)) }
            let file = try ThresholdCheck.derive(from: summaries, qualityMargin: qualityMargin, spreadFactor: spreadFactor,
                                                 mseRelativeMargin: mseMargin, throughputFraction: throughputFraction)
            let url = URL(fileURLWithPath: deriveThresholds)
            try AtomicFile.write(try file.encoded(), to: url)
            print("thresholds for \(file.models.count) models written to \(url.path)")
            return
        }
        let (merged, folder) = try RunMerge.report(folders, root: URL(fileURLWithPath: out))
        if json { printJSON(try JSONCoding.encoder.encode(merged)) } else { print("comparison of \(merged.rows.count) runs written to \(folder.path)") }
    }
}

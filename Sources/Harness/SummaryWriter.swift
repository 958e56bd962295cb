import Evaluation
import FileSupport
import Foundation

/// Writes the comparison of a summary: `summary.md` (beside the report's published table, each labelled
/// with its data), `summary.csv`, `summary.json` and the SVG charts.
public enum SummaryWriter {
    public static func write(_ summary: Summary, to folder: URL, report: ReportTable? = ReportTable.findDefault()) throws {
        try AtomicFile.write(try JSONCoding.encoder.encode(summary), to: folder.appendingPathComponent("summary.json"))
        try AtomicFile.write(Data(csv(summary).utf8), to: folder.appendingPathComponent("summary.csv"))
        try AtomicFile.write(Data(markdown(summary, report: report).utf8), to: folder.appendingPathComponent("summary.md"))
        for (name, svg) in Charts.all(summary) {
            try AtomicFile.write(Data(svg.utf8), to: folder.appendingPathComponent(name))
        }
    }

    static func f(_ x: Double?, _ digits: Int = 4) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "n/a" }

    static func metric(_ m: MetricSummary?) -> String {
        guard let m else { return "n/a" }
        return f(m.mean) + (m.skipped > 0 ? " (\(m.skipped) skipped)" : "")
    }

    /// " (seed s)" when the summary holds several seeds.
    static func seedLabel(_ summary: Summary, _ row: SummaryRow) -> String {
        (Set(summary.rows.map(\.seed)).count > 1 ? " (seed \(row.seed))" : "")
            + (row.splitIndex.map { " (split \($0))" } ?? "")
            + (row.selection == ModelSelection.test.rawValue ? " [\(ModelSelection.optimisticLabel)]" : "")
    }

    static func megabytes(_ bytes: Int?) -> String { bytes.map { String(format: "%.1f", Double($0) / 1_048_576) } ?? "n/a" }

    public static func dataLabel(_ summary: Summary) -> String {
        if summary.datasets.isEmpty { return "no data" }
        return summary.datasets.map { d in
            (d.synthetic ? d.standInLabel : "\(d.layout) data") + ": \(d.path), "
                + "\(d.trainVideos)/\(d.valVideos)/\(d.testVideos) train/val/test videos, \(d.contentHash)"
        }.joined(separator: "; ")
    }

    public static func markdown(_ summary: Summary, report: ReportTable?) -> String {
        var lines = ["# Comparison", "", "Runs: \(summary.runIds.joined(separator: ", "))", "",
                     "## Our results", "", "Data: \(dataLabel(summary))", "",
                     "Test split, the checkpoint with the best validation Spearman; metrics are means over videos "
                     + "(videos skipped for an undefined value are counted). MSE is over real frames only.", "",
                     "| model | variant | size | status | params | epochs (chosen) | test MSE | Kendall tau | Spearman rho | F1 | mAP@50 | mAP@15 |",
                     "|---|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|"]
        for r in summary.rows {
            lines.append("| \(r.model)\(seedLabel(summary, r)) | \(r.variant) | \(r.size) | \(r.status) | \(r.parameters) | \(r.epochsRun) (\(r.chosenEpoch.map { "\($0 + 1)" } ?? "-")) | "
                         + "\(f(r.testMse)) | \(metric(r.kendallTau)) | \(metric(r.spearmanRho)) | \(metric(r.f1)) | \(metric(r.map50)) | \(metric(r.map15)) |")
        }
        if let correlation = summary.correlation {
            lines += ["", "Rank correlation protocol: `\(correlation.name.rawValue)`: \(correlation.description)"
                      + (correlation.annotations.map { "; annotations \($0), video ids from \(correlation.mappingFrom ?? "?")" } ?? "") + "."]
        }
        if summary.rows.contains(where: { $0.selection == ModelSelection.test.rawValue }) {
            lines += ["", "Rows marked [\(ModelSelection.optimisticLabel)] chose their epoch on the test fold itself, as the "
                      + "published TVSum/SumMe codes do: their test numbers are optimistic and not comparable with validation-selected ones."]
        }
        if let coverage = summary.testCoverage, !coverage.isEmpty {
            // One line when every model and seed saw the same folds (the usual case), else one per run group.
            let sentences = Set(coverage.map(\.sentence))
            lines += [""] + (sentences.count == 1
                ? ["Test coverage over the folds: \(coverage[0].sentence)."]
                : coverage.map { "Test coverage over the folds, \($0.model) seed \($0.seed): \($0.sentence)." })
        }
        if let spread = summary.foldSpread, !spread.isEmpty {
            lines += ["", "Spread over the folds (sample sd of the fold means, averaged over seeds): "
                      + Set(spread.map(\.model)).sorted().map { model in
                          model + ": " + spread.filter { $0.model == model && $0.sdFolds != nil }
                              .map { "\($0.metric) \(f($0.sdFolds))" }.joined(separator: ", ") + " (\(spread.first { $0.model == model }!.folds) folds)"
                      }.joined(separator: "; ") + "."]
        }
        if let statistics = summary.statistics { lines += StatisticsReport.markdown(statistics) }
        if let optimism = summary.selectionOptimism {
            lines += ["", "## Optimism of choosing the epoch on the test fold", "",
                      "Each model run with both selections: the test-selected mean, the validation-selected mean, and their paired "
                      + "difference over the same test videos (test - val, 95% paired bootstrap interval, Holm-adjusted p). "
                      + "Positive flatters the rank metrics and F1; negative flatters the MSE.", "",
                      "| model | metric | selected on val | selected on test | optimism [95% CI] | p (Holm) |", "|---|---|---:|---:|---|---:|"]
            for o in optimism {
                lines.append("| \(o.model) | \(o.metric) | \(f(o.selectedOnValidation)) | \(f(o.selectedOnTest)) | "
                             + "\(f(o.optimism)) [\(f(o.ci95.lower)), \(f(o.ci95.upper))] | \(String(format: "%.4g", o.pHolm)) |")
            }
        }
        lines += ["", "## Speed and memory (this machine)", "",
                  "| model | train frames/s | inference frames/s | ms/step | GFLOP/s | of sgemm peak | peak tensor MiB | peak RSS MiB | non-finite steps skipped | wall s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in summary.rows {
            lines.append("| \(r.model) | \(f(r.trainFramesPerSecond, 1)) | \(f(r.inferenceFramesPerSecond, 1)) | \(f(r.msPerStep, 1)) | "
                         + "\(f(r.achievedGflops, 2)) | \(r.fractionOfSgemmPeak.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a") | "
                         + "\(megabytes(r.peakTensorBytes)) | \(megabytes(r.peakResidentBytes)) | \(r.skippedNonFiniteSteps) | \(f(r.wallSeconds, 0)) |")
        }
        if let report {
            lines += ["", "## The report's published table (for reference)", "",
                      "Data: \(report.dataset) (\(report.source)). \(report.note).",
                      summary.isSynthetic ? "Our numbers above come from the synthetic stand-in and are NOT comparable to these MR.HiSum numbers." : "",
                      "", "| model | test loss (padded mean) | Kendall tau | Spearman rho | params |", "|---|---:|---:|---:|---:|"]
            for name in report.models.keys.sorted() {
                let row = report.models[name]!
                lines.append("| \(name) | \(f(row.testLoss)) | \(f(row.kendallTau)) | \(f(row.spearmanRho)) | \(row.params) |")
            }
        }
        lines += ["", "Charts: loss-vs-rank.svg (mean test MSE against mean Spearman per model, 95% intervals as error bars), "
                  + "val-rho.svg (validation Spearman per epoch, mean over seeds with the range as a band), "
                  + "throughput.svg, memory.svg.", ""]
        return lines.joined(separator: "\n")
    }

    public static func csv(_ summary: Summary) -> String {
        let header = ["model", "variant", "size", "seed", "run_id", "status", "parameters", "epochs_run", "chosen_epoch", "test_mse",
                      "kendall_tau", "kendall_tau_skipped", "spearman_rho", "spearman_rho_skipped", "f1", "f1_skipped",
                      "map50", "map50_skipped", "map15", "map15_skipped", "train_frames_per_second", "inference_frames_per_second",
                      "ms_per_step", "achieved_gflops", "fraction_of_sgemm_peak", "peak_tensor_bytes", "peak_resident_bytes",
                      "skipped_nonfinite_steps", "wall_seconds", "synthetic_data"]
        func v(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        func i(_ x: Int?) -> String { x.map { "\($0)" } ?? "" }
        let rows = summary.rows.map { r -> String in
            var fields = [r.model, r.variant, r.size, "\(r.seed)", r.runId, r.status, "\(r.parameters)", "\(r.epochsRun)",
                          i(r.chosenEpoch), v(r.testMse)]
            for m in [r.kendallTau, r.spearmanRho, r.f1, r.map50, r.map15] { fields += [v(m?.mean), i(m?.skipped)] }
            fields += [v(r.trainFramesPerSecond), v(r.inferenceFramesPerSecond), v(r.msPerStep), v(r.achievedGflops),
                       v(r.fractionOfSgemmPeak), i(r.peakTensorBytes), i(r.peakResidentBytes), "\(r.skippedNonFiniteSteps)",
                       v(r.wallSeconds), summary.isSynthetic ? "1" : "0"]
            return fields.joined(separator: ",")
        }
        return ([header.joined(separator: ",")] + rows).joined(separator: "\n") + "\n"
    }
}

import Evaluation
import Foundation

/// The statistics sections of summary.md: per model mean +- sd over seeds with the bootstrap interval,
/// the verdict table per metric, the reference rows, the ranking by test rho with the groups no verdict
/// separates, and a plain sentence on the study's claim.
enum StatisticsReport {
    static let metricTitles: [(String, String)] = [
        ("test_mse", "test MSE"), ("kendall_tau", "Kendall tau"), ("spearman_rho", "Spearman rho"), ("f1", "F1"),
        ("map50", "mAP@50"), ("map15", "mAP@15"),
    ]

    static func f(_ x: Double?, _ digits: Int = 4) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "n/a" }

    static func markdown(_ stats: ComparisonStatistics) -> [String] {
        let models = orderedModels(stats)
        guard !models.isEmpty else { return [] }
        func row(_ model: String, _ metric: String) -> ModelStatistics? {
            stats.models.first { $0.model == model && $0.metric == metric }
        }
        var lines = ["", "## Over seeds and test videos", "",
                     "Mean over runs +- standard deviation over seeds, and the 95% bootstrap interval of the mean "
                     + "(\(stats.bootstrapReplicates) resamples of the test videos, the same resample for every seed; "
                     + "resampling seed \(stats.resamplingSeed)). F1 also as performance over random (PoR = 100 x F1 / F1 of `random`).", "",
                     "| model | runs (seeds) | " + metricTitles.map(\.1).joined(separator: " | ") + " | F1 PoR |",
                     "|---|---|" + String(repeating: "---|", count: metricTitles.count + 1)]
        let randomF1 = stats.references.first { $0.name == "random" && $0.metric == "f1" }?.mean
        for model in models {
            let any = stats.models.first { $0.model == model }!
            var cells = ["\(model)", "\(any.runs) (\(any.seeds))"]
            for (metric, _) in metricTitles {
                guard let r = row(model, metric) else { cells.append("n/a"); continue }
                let sd = r.sdSeeds.map { " +- " + f($0) } ?? ""
                let ci = r.ci95.map { " [\(f($0.lower)), \(f($0.upper))]" } ?? ""
                cells.append(f(r.mean) + sd + ci)
            }
            let f1 = row(model, "f1")?.mean
            cells.append(f1.flatMap { v in randomF1.flatMap { $0 > 0 ? f(100 * v / $0, 1) : nil } } ?? "n/a")
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        if !stats.references.isEmpty {
            lines += ["", "Reference points on the same test videos (`random`: uniform scores, mean of 100 seeded draws per video; "
                      + "`oracle`: the synthetic generator's noiseless interest; `human`: each annotator against the mean of the "
                      + "others, mean over annotators, the `annotators` protocol's ceiling):", "",
                      "| reference | " + metricTitles.map(\.1).joined(separator: " | ") + " |",
                      "|---|" + String(repeating: "---:|", count: metricTitles.count)]
            var names: [String] = []
            for r in stats.references where !names.contains(r.name) { names.append(r.name) }
            for name in names {
                let cells = metricTitles.map { metric, _ in f(stats.references.first { $0.name == name && $0.metric == metric }?.mean) }
                lines.append("| \(name) | " + cells.joined(separator: " | ") + " |")
            }
        }
        if !stats.pairs.isEmpty {
            lines += ["", "## Which differences are real", "",
                      "Paired per-video differences a - b (each video's value averaged over a model's seeds), their 95% paired "
                      + "bootstrap interval, a two-sided sign-flip permutation test (exact up to 20 videos, else 100,000 seeded "
                      + "patterns), Holm's adjustment over the pairs of each metric, and the fraction of shared seeds in which a "
                      + "is better than b. The verdict is about values: for test MSE, \"a < b\" means a has the lower error.", ""]
            for (metric, title) in metricTitles {
                let pairs = stats.pairs.filter { $0.metric == metric }
                guard !pairs.isEmpty else { continue }
                lines += ["### \(title)", "", "| a | b | videos (skipped) | mean a - b [95% CI] | p | p (Holm) | verdict | a better in seeds |",
                          "|---|---|---|---|---:|---:|---|---:|"]
                for p in pairs {
                    lines.append("| \(p.a) | \(p.b) | \(p.videos) (\(p.skipped)) | \(f(p.meanDifference)) [\(f(p.ci95.lower)), \(f(p.ci95.upper))] | "
                                 + "\(String(format: "%.4g", p.pValue)) | \(String(format: "%.4g", p.pHolm)) | \(p.verdict) | "
                                 + "\(p.seedAgreement.map { String(format: "%.0f%%", $0 * 100) } ?? "n/a") |")
                }
                lines.append("")
            }
        }
        lines += ranking(stats, models: models)
        return lines
    }

    static func orderedModels(_ stats: ComparisonStatistics) -> [String] {
        var out: [String] = []
        for m in stats.models where !out.contains(m.model) { out.append(m.model) }
        return out
    }

    /// Whether a verdict separates two models on a metric.
    static func separated(_ stats: ComparisonStatistics, _ metric: String, _ x: String, _ y: String) -> Bool {
        stats.pairs.contains { $0.metric == metric && (($0.a == x && $0.b == y) || ($0.a == y && $0.b == x))
            && $0.verdict != "not distinguishable" }
    }

    /// The ranking by mean test rho, models grouped while no verdict separates neighbours, and the
    /// study's claim in words: is the lowest-MSE model also the best ranker, and which differences are real.
    static func ranking(_ stats: ComparisonStatistics, models: [String]) -> [String] {
        func mean(_ model: String, _ metric: String) -> Double? { stats.models.first { $0.model == model && $0.metric == metric }?.mean }
        let byRho = models.filter { mean($0, "spearman_rho") != nil }.sorted { mean($0, "spearman_rho")! > mean($1, "spearman_rho")! }
        guard !byRho.isEmpty else { return [] }
        var groups: [[String]] = [[byRho[0]]]
        for model in byRho.dropFirst() {
            if groups[groups.count - 1].contains(where: { separated(stats, "spearman_rho", $0, model) }) {
                groups.append([model])
            } else {
                groups[groups.count - 1].append(model)
            }
        }
        var lines = ["## Ranking by test Spearman rho", "",
                     "Best first; models in one group are not separated by any verdict on rho: "
                     + groups.map { "{" + $0.joined(separator: ", ") + "}" }.joined(separator: " > ") + ".", ""]
        let byMSE = models.filter { mean($0, "test_mse") != nil }.sorted { mean($0, "test_mse")! < mean($1, "test_mse")! }
        if let lowest = byMSE.first, let best = byRho.first {
            var sentence = "The study's claim, on these runs: the lowest test MSE belongs to \(lowest), the best rho to \(best). "
            if lowest == best {
                sentence += "Here the lowest-MSE model is also the best ranker"
            } else {
                sentence += separated(stats, "spearman_rho", best, lowest)
                    ? "\(best) ranks frames better than \(lowest), and the difference in rho is real (Holm-adjusted p < 0.05)"
                    : "but the verdict cannot tell their rho apart at this many seeds and videos"
            }
            sentence += "; the MSE order (\(byMSE.joined(separator: " < "))) " + (byMSE == byRho ? "is" : "is not")
                + " the rho order (\(byRho.joined(separator: " > "))). "
            let real = stats.pairs.filter { $0.verdict != "not distinguishable" }
            sentence += real.isEmpty ? "No difference between models is distinguishable on any metric."
                : "Real differences: " + real.map { "\($0.verdict) on \($0.metric)" }.joined(separator: "; ") + "."
            lines += [sentence, ""]
        }
        return lines
    }
}

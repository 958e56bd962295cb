import Evaluation
import Foundation
import Randomness

/// statistics.md from run records alone: per-model rows (mean, sd over seeds, range, bootstrap
/// interval over test videos), every pair's paired test with Holm per metric and a verdict, and the
/// reference rows. A comparison made in one process and one assembled by `bench report` from the same
/// run folders get identical numbers: everything here depends on the records and the fixed seed only.
public enum ComparisonBuilder {
    /// The bootstrap and Monte Carlo seed of every comparison (recorded in summary.json).
    public static let resamplingSeed: UInt64 = 20_240_617
    public static let qualityMetrics = ["test_mse", "kendall_tau", "spearman_rho", "f1", "map50", "map15"]
    /// Reported per model (mean, sd, range; no interval: they have no per-video values) but not tested.
    public static let measurementMetrics = ["train_frames_per_second", "inference_frames_per_second", "peak_resident_bytes"]

    /// A model's label in a comparison: its name, or name/variant(/size) when the comparison holds
    /// several variants (sizes) of it.
    static func labels(_ records: [RunRecord]) -> [String: String] {
        var variantsByName: [String: Set<String>] = [:], sizesByName: [String: Set<String>] = [:]
        for r in records {
            variantsByName[r.model.name, default: []].insert(r.model.variant)
            sizesByName[r.model.name, default: []].insert(r.model.size)
        }
        var out: [String: String] = [:]
        for r in records {
            var label = r.model.name
            if variantsByName[r.model.name]!.count > 1 { label += "/\(r.model.variant)" }
            if sizesByName[r.model.name]!.count > 1 { label += "/\(r.model.size)" }
            // A model whose epoch was chosen on the test fold is its own row, marked in every table, so
            // beside the same model selected on validation videos the pair's difference is the optimism.
            if r.evaluationProtocol?.selectedOnTest == true { label += " [\(ModelSelection.optimisticLabel)]" }
            out[key(r)] = label
        }
        return out
    }

    static func key(_ r: RunRecord) -> String {
        "\(r.model.name)|\(r.model.variant)|\(r.model.size)" + (r.evaluationProtocol?.selectedOnTest == true ? "|test" : "")
    }

    static func runValue(_ metric: String, _ r: RunRecord) -> Double? {
        switch metric {
        case "test_mse": return r.test?.mse
        case "kendall_tau": return r.test?.kendallTau.mean
        case "spearman_rho": return r.test?.spearmanRho.mean
        case "f1": return r.test?.f1.mean
        case "map50": return r.test?.map50.mean
        case "map15": return r.test?.map15.mean
        case "train_frames_per_second": return r.performance?.trainFramesPerSecond
        case "inference_frames_per_second": return r.performance?.inferenceFramesPerSecond
        case "peak_resident_bytes": return r.performance.map { Double($0.peakResidentBytes) }
        default: return nil
        }
    }

    static func videoValue(_ metric: String, _ v: VideoMetrics) -> Double? {
        switch metric {
        case "test_mse": return v.mse
        case "kendall_tau": return v.kendallTau
        case "spearman_rho": return v.spearmanRho
        case "f1": return v.f1
        case "map50": return v.map50
        case "map15": return v.map15
        default: return nil
        }
    }

    /// The statistics of the completed, tested runs among `records`.
    public static func statistics(_ records: [RunRecord], replicates: Int = defaultBootstrapReplicates) throws -> ComparisonStatistics {
        let labels = labels(records)
        // A canonical order (label, seed, split), so the same runs found in any order, in one process or
        // by `bench report`, give the same rows and pairs (a before b alphabetically).
        let tested = records.filter { $0.status == .completed && $0.test != nil }.sorted {
            (labels[key($0)]!, $0.seed, $0.data.splitIndex, $0.runId) < (labels[key($1)]!, $1.seed, $1.data.splitIndex, $1.runId)
        }
        // tau and rho against gtscore and against the annotators are different quantities: no pair of them.
        let protocols = Dictionary(grouping: tested, by: \.correlationProtocol)
        if protocols.count > 1 {
            let listed = protocols.keys.sorted { $0.rawValue < $1.rawValue }.map { name in
                "\(name.rawValue) (\(protocols[name]!.map(\.runId).sorted().joined(separator: ", ")))"
            }
            throw HarnessError.invalidArgument("the runs use different rank-correlation protocols: \(listed.joined(separator: " and ")); "
                                               + "compare each protocol's runs in a report of their own")
        }
        // One video order for every model and seed: each video's name, sorted; frames from its first run.
        var frames: [String: Int] = [:]
        for r in tested { for v in r.test!.videos where frames[v.name] == nil { frames[v.name] = v.frames } }
        let videoNames = frames.keys.sorted()
        let weights = videoNames.map { Double(frames[$0]!) }
        var order: [String] = []
        for r in tested where !order.contains(labels[key(r)]!) { order.append(labels[key(r)]!) }
        let byLabel = Dictionary(grouping: tested) { labels[key($0)]! }

        func observations(_ metric: String, _ runs: [RunRecord]) -> MetricObservations {
            let values = runs.compactMap { r in runValue(metric, r).map { RunValue(seed: Int(truncatingIfNeeded: r.seed), value: $0) } }
            guard qualityMetrics.contains(metric) else { return MetricObservations(runs: values) }
            // Per seed, each video's value from the run that tested it (with folds, one run per video).
            var bySeed: [Int: [Double?]] = [:]
            for r in runs {
                let seed = Int(truncatingIfNeeded: r.seed)
                var row = bySeed[seed] ?? [Double?](repeating: nil, count: videoNames.count)
                let index = Dictionary(uniqueKeysWithValues: r.test!.videos.map { ($0.name, $0) })
                for (i, name) in videoNames.enumerated() { if let v = index[name] { row[i] = videoValue(metric, v) } }
                bySeed[seed] = row
            }
            return MetricObservations(runs: values, videoValues: bySeed, videoWeights: metric == "test_mse" ? weights : nil)
        }

        var models: [ModelStatistics] = []
        var tests: [PairTest] = []
        for metric in qualityMetrics + measurementMetrics {
            var observed: [(name: String, observations: MetricObservations)] = []
            for label in order {
                let runs = byLabel[label]!
                let o = observations(metric, runs)
                guard !o.runs.isEmpty else { continue }
                let first = runs[0]
                models.append(try summarizeModel(model: label, variant: first.model.variant, size: first.model.size, metric: metric,
                                                 observations: o, replicates: replicates, seed: resamplingSeed))
                observed.append((label, o))
            }
            if let direction = MetricDirection(metric: metric), observed.count >= 2 {
                tests += try compareAllPairs(metric: metric, direction: direction, models: observed, replicates: replicates,
                                             seed: resamplingSeed)
            }
        }
        return ComparisonStatistics(bootstrapReplicates: replicates, resamplingSeed: resamplingSeed, models: models,
                                    pairs: adjustByHolm(tests), references: references(tested))
    }

    /// Each reference's mean per metric over the distinct test videos of the runs (a video's reference
    /// values do not depend on the model or seed, so the first run that scored it gives them).
    static func references(_ records: [RunRecord]) -> [ReferenceRow] {
        var videosByReference: [String: [String: VideoMetrics]] = [:], names: [String] = []
        for r in records {
            for reference in r.references ?? [] {
                if videosByReference[reference.name] == nil { names.append(reference.name) }
                for v in reference.videos where videosByReference[reference.name]?[v.name] == nil {
                    videosByReference[reference.name, default: [:]][v.name] = v
                }
            }
        }
        var rows: [ReferenceRow] = []
        for name in names {
            let videos = videosByReference[name]!.keys.sorted().map { videosByReference[name]![$0]! }
            for metric in qualityMetrics {
                if metric == "test_mse" {
                    let total = videos.reduce(0) { $0 + $1.frames }
                    rows.append(ReferenceRow(name: name, metric: metric,
                                             mean: videos.reduce(0) { $0 + $1.mse * Double($1.frames) } / Double(total)))
                } else {
                    let values = videos.compactMap { videoValue(metric, $0) }
                    if !values.isEmpty { rows.append(ReferenceRow(name: name, metric: metric, mean: values.reduce(0, +) / Double(values.count))) }
                }
            }
        }
        // The `annotators` protocol's leave-one-out human agreement: tau and rho only (it predicts no scores).
        var human: [String: HumanAgreement] = [:]
        for r in records { for v in r.humanAgreement ?? [] where human[v.name] == nil { human[v.name] = v } }
        if !human.isEmpty {
            let videos = human.keys.sorted().map { human[$0]! }
            for (metric, values) in [("kendall_tau", videos.compactMap(\.kendallTau)), ("spearman_rho", videos.compactMap(\.spearmanRho))]
            where !values.isEmpty {
                rows.append(ReferenceRow(name: humanReferenceName, metric: metric, mean: values.reduce(0, +) / Double(values.count)))
            }
        }
        return rows
    }

    public static let humanReferenceName = "human"
}

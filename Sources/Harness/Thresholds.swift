import FileSupport
import Foundation

/// CI limits for one model (baselines/ci-thresholds.json): floors for rank correlation, a ceiling for
/// the test MSE, and a floor for training throughput as a fraction of the recorded rate. Each limit
/// carries the values it was derived from and the margin it allows.
public struct MetricLimit: Codable, Sendable, Equatable {
    /// Fail when the value is below this (quality floors, throughput).
    public var floor: Double?
    /// Fail when the value is above this (losses).
    public var ceiling: Double?
    /// The values observed over the seeds the limit was derived from.
    public var observed: [Double]
    /// How far from the worst observed value the limit sits.
    public var margin: Double
}

public struct ThresholdFile: Codable, Sendable {
    public var schema = "bench.thresholds"
    public var schemaVersion = 1
    /// What results these limits apply to (the data set, size, variant).
    public var appliesTo: String
    public var method: String
    public var derivedFrom: [String]
    /// model -> metric -> limit. Metrics: spearman_rho, kendall_tau, test_mse, train_frames_per_second.
    public var models: [String: [String: MetricLimit]]

    public static func read(_ url: URL) throws -> ThresholdFile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw HarnessError.badThresholds(path: url.path, reason: "no such file")
        }
        do {
            let file = try JSONCoding.decoder.decode(ThresholdFile.self, from: data)
            guard file.schema == "bench.thresholds", file.schemaVersion == 1 else {
                throw HarnessError.badThresholds(path: url.path, reason: "schema \(file.schema) version \(file.schemaVersion) is not understood")
            }
            for (model, limits) in file.models {
                for (metric, limit) in limits {
                    guard ThresholdCheck.metricNames.contains(metric) else {
                        throw HarnessError.badThresholds(path: url.path, reason: "\(model): unknown metric '\(metric)'")
                    }
                    guard limit.floor != nil || limit.ceiling != nil else {
                        throw HarnessError.badThresholds(path: url.path, reason: "\(model).\(metric): neither floor nor ceiling")
                    }
                }
            }
            return file
        } catch let error as HarnessError {
            throw error
        } catch {
            throw HarnessError.badThresholds(path: url.path, reason: "\(error)")
        }
    }

    public func encoded() throws -> Data { try JSONCoding.encoder.encode(self) }
}

/// One metric that broke its limit.
public struct Regression: Sendable, Equatable, CustomStringConvertible {
    public var model: String
    public var metric: String
    public var value: Double?
    public var limit: String

    public var description: String {
        "\(model): \(metric) " + (value.map { String(format: "%.6g", $0) } ?? "missing") + " breaks \(limit)"
    }
}

public enum ThresholdCheck {
    public static let metricNames: Set<String> = ["spearman_rho", "kendall_tau", "test_mse", "train_frames_per_second"]

    static func value(_ metric: String, _ row: SummaryRow) -> Double? {
        switch metric {
        case "spearman_rho": return row.spearmanRho?.mean
        case "kendall_tau": return row.kendallTau?.mean
        case "test_mse": return row.testMse
        case "train_frames_per_second": return row.trainFramesPerSecond
        default: return nil
        }
    }

    /// Every regression of `summary` against `thresholds` (empty = pass). A model with limits but no
    /// completed run in the results is a regression too. With several runs of a model (seeds), a limit
    /// applies to the mean over them, and every one of them must have completed.
    public static func check(_ summary: Summary, against thresholds: ThresholdFile) -> [Regression] {
        var regressions: [Regression] = []
        for model in thresholds.models.keys.sorted() {
            let limits = thresholds.models[model]!
            let rows = summary.rows.filter { $0.model == model }
            guard !rows.isEmpty else {
                regressions.append(Regression(model: model, metric: "run", value: nil, limit: "no run of this model in the results"))
                continue
            }
            if let unfinished = rows.first(where: { $0.status != RunStatus.completed.rawValue }) {
                let which = rows.count > 1 ? " (seed \(unfinished.seed))" : ""
                regressions.append(Regression(model: model, metric: "status", value: nil,
                                              limit: "the run\(which) is \(unfinished.status), not completed"))
                continue
            }
            for metric in limits.keys.sorted() {
                let limit = limits[metric]!
                let values = rows.compactMap { value(metric, $0) }
                guard values.count == rows.count else {
                    regressions.append(Regression(model: model, metric: metric, value: nil, limit: "a value is required"))
                    continue
                }
                let v = values.reduce(0, +) / Double(values.count)
                let over = rows.count > 1 ? " (mean of \(rows.count) runs)" : ""
                if let floor = limit.floor, v < floor {
                    regressions.append(Regression(model: model, metric: metric, value: v, limit: String(format: "floor %.6g", floor) + over))
                }
                if let ceiling = limit.ceiling, v > ceiling {
                    regressions.append(Regression(model: model, metric: metric, value: v, limit: String(format: "ceiling %.6g", ceiling) + over))
                }
            }
        }
        return regressions
    }

    /// A thresholds file that can gate something: at least one model, each with at least one limit of a
    /// known metric, and every model known to `knownModels` (the registry's names). A gate that checks
    /// nothing must fail, not pass.
    public static func validate(_ thresholds: ThresholdFile, path: String, knownModels: [String]) throws {
        func bad(_ reason: String) -> HarnessError { .badThresholds(path: path, reason: reason) }
        guard !thresholds.models.isEmpty else { throw bad("it names no models, so it would check nothing") }
        for model in thresholds.models.keys.sorted() {
            guard knownModels.contains(model) else {
                throw bad("model '\(model)' is not a registered model (known: \(knownModels.joined(separator: ", ")))")
            }
            let limits = thresholds.models[model]!
            guard !limits.isEmpty else { throw bad("model '\(model)' has no limits, so it would check nothing") }
            for (metric, limit) in limits.sorted(by: { $0.key < $1.key }) {
                guard metricNames.contains(metric) else {
                    throw bad("model '\(model)': unknown metric '\(metric)' (known: \(metricNames.sorted().joined(separator: ", ")))")
                }
                guard limit.floor != nil || limit.ceiling != nil else { throw bad("model '\(model)', \(metric): neither a floor nor a ceiling") }
            }
        }
    }

    /// Limits from several seeds' summaries of the same set-up. Quality: floor = min - max(margin,
    /// spreadFactor x std), ceiling = max + the same (MSE in relative terms); throughput floor =
    /// throughputFraction x the median (CI machines differ and are shared, so only a collapse counts).
    public static func derive(from summaries: [(name: String, summary: Summary)], qualityMargin: Double = 0.05,
                              spreadFactor: Double = 3, mseRelativeMargin: Double = 0.25,
                              throughputFraction: Double = 0.3) throws -> ThresholdFile {
        // Each run counts once: the same run (run id, model, seed) reached through two folders would
        // pass for two seeds and shrink the spread the margins are made from.
        var seen: [String: String] = [:], seeds: Set<UInt64> = []
        for (name, summary) in summaries {
            for row in summary.rows {
                let identity = "\(row.runId) \(row.model)/\(row.variant)/\(row.size) seed \(row.seed)"
                if let first = seen[identity] {
                    throw HarnessError.invalidArgument("run \(identity) appears twice (\(first) and \(name)): thresholds need distinct seeds")
                }
                seen[identity] = name
                seeds.insert(row.seed)
            }
        }
        guard seeds.count >= 2 else {
            throw HarnessError.invalidArgument("deriving thresholds needs runs of at least 2 distinct seeds, got \(seeds.count)")
        }
        var values: [String: [String: [Double]]] = [:]
        for (name, summary) in summaries {
            for row in summary.rows {
                guard row.status == RunStatus.completed.rawValue else {
                    throw HarnessError.invalidArgument("\(name): \(row.model) did not complete (\(row.status)); thresholds need completed runs")
                }
                for metric in metricNames {
                    if let v = value(metric, row) { values[row.model, default: [:]][metric, default: []].append(v) }
                }
            }
        }
        var models: [String: [String: MetricLimit]] = [:]
        for (model, metrics) in values {
            for (metric, observed) in metrics where observed.count >= 2 {
                let mean = observed.reduce(0, +) / Double(observed.count)
                let std = (observed.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(observed.count - 1)).squareRoot()
                var limit = MetricLimit(floor: nil, ceiling: nil, observed: observed, margin: 0)
                switch metric {
                case "test_mse":
                    limit.margin = max(mseRelativeMargin * observed.max()!, spreadFactor * std)
                    limit.ceiling = observed.max()! + limit.margin
                case "train_frames_per_second":
                    let median = observed.sorted()[observed.count / 2]
                    limit.floor = throughputFraction * median
                    limit.margin = median - limit.floor!
                default:
                    limit.margin = max(qualityMargin, spreadFactor * std)
                    limit.floor = observed.min()! - limit.margin
                }
                models[model, default: [:]][metric] = limit
            }
        }
        let sizes = Set(summaries.flatMap { $0.summary.rows.map { "\($0.variant)/\($0.size)" } }).sorted()
        let data = Set(summaries.flatMap { $0.summary.datasets.map { ($0.synthetic ? "synthetic " : "") + $0.contentHash } }).sorted()
        return ThresholdFile(
            appliesTo: "variant/size \(sizes.joined(separator: ", ")) on data \(data.joined(separator: ", "))",
            method: "from \(seeds.count) seeds: rho/tau floor = min - max(\(qualityMargin), \(spreadFactor) x std); "
                + "test MSE ceiling = max + max(\(mseRelativeMargin) x max, \(spreadFactor) x std); "
                + "train frames/s floor = \(throughputFraction) x median",
            derivedFrom: summaries.map(\.name), models: models)
    }
}

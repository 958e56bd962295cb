import Evaluation
import Foundation

/// Small hand-written SVG charts (no dependencies): a scatter, a line chart and bar charts.
public enum Charts {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    static let width = 560.0, height = 360.0
    static let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0

    public static func all(_ summary: Summary) -> [(String, String)] {
        let label = summary.isSynthetic ? " (synthetic data)" : ""
        let rows = summary.rows
        let models = modelOrder(rows)
        return [
            ("loss-vs-rank.svg", scatter(title: "Test MSE against test Spearman rho" + label, xLabel: "test MSE (masked)",
                                         yLabel: "test Spearman rho", points: lossRankPoints(summary, models: models))),
            ("val-rho.svg", lines(title: "Validation Spearman rho per epoch" + label, xLabel: "epoch",
                                  yLabel: "val Spearman rho (mean over seeds, band: range)",
                                  series: models.map { model in (model, band(rows.filter { $0.model == model }.map(\.valSpearmanRhoByEpoch))) })),
            ("throughput.svg", bars(title: "Training and inference throughput", yLabel: "frames / s",
                                    groups: models.map { m in (m, [mean(rows, m, \.trainFramesPerSecond), mean(rows, m, \.inferenceFramesPerSecond)]) },
                                    seriesNames: ["train", "inference"])),
            ("memory.svg", bars(title: "Peak memory", yLabel: "MiB",
                                groups: models.map { m in
                                    (m, [mean(rows, m, { $0.peakTensorBytes.map { Double($0) / 1_048_576 } }),
                                         mean(rows, m, { $0.peakResidentBytes.map { Double($0) / 1_048_576 } })])
                                },
                                seriesNames: ["peak tensor bytes", "peak resident set"])),
        ]
    }

    /// Models in the order they first appear.
    static func modelOrder(_ rows: [SummaryRow]) -> [String] {
        var out: [String] = []
        for r in rows where !out.contains(r.model) { out.append(r.model) }
        return out
    }

    static func mean(_ rows: [SummaryRow], _ model: String, _ value: (SummaryRow) -> Double?) -> Double {
        let values = rows.filter { $0.model == model }.compactMap(value)
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// Each model's mean test MSE and rho over its runs, with the 95% intervals of the statistics when
    /// the summary has them (the bootstrap over test videos), as error bars.
    static func lossRankPoints(_ summary: Summary, models: [String]) -> [ScatterPoint] {
        models.compactMap { model in
            let rows = summary.rows.filter { $0.model == model }
            let mse = rows.compactMap(\.testMse), rho = rows.compactMap { $0.spearmanRho?.mean }
            guard !mse.isEmpty, !rho.isEmpty else { return nil }
            let stats = summary.statistics?.models ?? []
            func interval(_ metric: String) -> ConfidenceInterval? {
                stats.first { $0.model.split(separator: "/").first.map(String.init) == model && $0.metric == metric }?.ci95
            }
            return ScatterPoint(name: model, x: mse.reduce(0, +) / Double(mse.count), y: rho.reduce(0, +) / Double(rho.count),
                                xInterval: interval("test_mse").map { ($0.lower, $0.upper) },
                                yInterval: interval("spearman_rho").map { ($0.lower, $0.upper) })
        }
    }

    /// Per epoch, the mean over the seeds that reached it, and the lowest and highest of them.
    static func band(_ runs: [[Double?]]) -> [(mean: Double, low: Double, high: Double)?] {
        let epochs = runs.map(\.count).max() ?? 0
        return (0..<epochs).map { e in
            let values = runs.compactMap { e < $0.count ? $0[e] : nil }
            guard !values.isEmpty else { return nil }
            return (values.reduce(0, +) / Double(values.count), values.min()!, values.max()!)
        }
    }

    /// Round tick values covering `range`: steps of 1, 2 or 5 times a power of ten, about five ticks.
    static func ticks(_ range: (Double, Double), count: Int = 5, minimumStep: Double = 0) -> [Double] {
        let span = range.1 - range.0
        guard span > 0, span.isFinite else { return [range.0] }
        let raw = max(span / Double(count), minimumStep)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = (range.0 / step).rounded(.up) * step
        return stride(from: first, through: range.1 + step * 1e-9, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
    }

    /// The range widened to the nearest round ticks outside it, so the axis starts and ends on a label.
    static func rounded(_ range: (Double, Double)) -> (Double, Double) {
        let t = ticks(range)
        guard t.count >= 2 else { return range }
        let step = t[1] - t[0]
        return ((range.0 / step).rounded(.down) * step, (range.1 / step).rounded(.up) * step)
    }

    static func tickLabel(_ value: Double, step: Double) -> String {
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(min(decimals, 6))f", value)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func n(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A range with a little room around the data (a single value gets a unit-wide range around it).
    static func padded(_ values: [Double], includeZero: Bool = false) -> (Double, Double) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if includeZero { low = min(low, 0); high = max(high, 0) }
        if high - low < 1e-12 { return (low - 0.5, high + 0.5) }
        let pad = (high - low) * 0.08
        return (includeZero && low == 0 ? 0 : low - pad, high + pad)
    }

    /// `integralX`: the x axis counts something whole (epochs), so its ticks are at least 1 apart.
    static func frame(title: String, xLabel: String, yLabel: String, x: (Double, Double)?, y: (Double, Double), body: String,
                      legend: [String] = [], integralX: Bool = false) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(n(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        s += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotW))\" height=\"\(n(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        let yTicks = ticks(y), yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for value in yTicks {
            let py = top + plotH - (value - y.0) / (y.1 - y.0) * plotH
            s += "<line x1=\"\(n(left))\" x2=\"\(n(left + plotW))\" y1=\"\(n(py))\" y2=\"\(n(py))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(py + 4))\" text-anchor=\"end\">\(tickLabel(value, step: yStep))</text>\n"
        }
        if let x {
            let xTicks = ticks(x, minimumStep: integralX ? 1 : 0), xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
            for value in xTicks {
                let px = left + (value - x.0) / (x.1 - x.0) * plotW
                s += "<text x=\"\(n(px))\" y=\"\(n(top + plotH + 16))\" text-anchor=\"middle\">\(tickLabel(value, step: xStep))</text>\n"
            }
        }
        s += "<text x=\"\(n(left + plotW / 2))\" y=\"\(n(height - 10))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(n(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        s += body
        for (i, name) in legend.enumerated() {
            let ly = top + 14 + Double(i) * 14
            s += "<rect x=\"\(n(left + plotW - 150))\" y=\"\(n(ly - 9))\" width=\"10\" height=\"10\" fill=\"\(palette[i % palette.count])\"/>"
            s += "<text x=\"\(n(left + plotW - 135))\" y=\"\(n(ly))\">\(escape(name))</text>\n"
        }
        return s + "</svg>\n"
    }

    public struct ScatterPoint {
        public var name: String
        public var x: Double
        public var y: Double
        public var xInterval: (Double, Double)?
        public var yInterval: (Double, Double)?
    }

    /// Points with optional error bars in both directions; names sit right of a point, or left of it
    /// in the right third of the plot, so no label runs off the chart.
    public static func scatter(title: String, xLabel: String, yLabel: String, points: [ScatterPoint]) -> String {
        let xs = points.flatMap { [$0.x] + ($0.xInterval.map { [$0.0, $0.1] } ?? []) }
        let ys = points.flatMap { [$0.y] + ($0.yInterval.map { [$0.0, $0.1] } ?? []) }
        let x = rounded(padded(xs)), y = rounded(padded(ys))
        let plotW = width - left - right, plotH = height - top - bottom
        func sx(_ v: Double) -> Double { left + (v - x.0) / (x.1 - x.0) * plotW }
        func sy(_ v: Double) -> Double { top + plotH - (v - y.0) / (y.1 - y.0) * plotH }
        var body = ""
        for (i, p) in points.enumerated() {
            let color = palette[i % palette.count]
            if let (lo, hi) = p.xInterval {
                body += "<line x1=\"\(n(sx(lo)))\" x2=\"\(n(sx(hi)))\" y1=\"\(n(sy(p.y)))\" y2=\"\(n(sy(p.y)))\" stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
            }
            if let (lo, hi) = p.yInterval {
                body += "<line x1=\"\(n(sx(p.x)))\" x2=\"\(n(sx(p.x)))\" y1=\"\(n(sy(lo)))\" y2=\"\(n(sy(hi)))\" stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
            }
            let px = sx(p.x), py = sy(p.y)
            body += "<circle cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"5\" fill=\"\(color)\"/>"
            let onRight = px > left + plotW * 2 / 3
            body += "<text x=\"\(n(onRight ? px - 8 : px + 8))\" y=\"\(n(py - 6))\" text-anchor=\"\(onRight ? "end" : "start")\">\(escape(p.name))</text>\n"
        }
        return frame(title: title, xLabel: xLabel, yLabel: yLabel, x: x, y: y, body: body)
    }

    /// One line per series (the mean), with a shaded band between its low and high values.
    public static func lines(title: String, xLabel: String, yLabel: String, series: [(String, [(mean: Double, low: Double, high: Double)?])]) -> String {
        let values = series.flatMap { $0.1.compactMap { $0 }.flatMap { [$0.low, $0.high] } }
        let longest = max(1, series.map(\.1.count).max() ?? 1)
        let x = rounded((1.0, Double(max(longest, 2)))), y = rounded(padded(values))
        let plotW = width - left - right, plotH = height - top - bottom
        func sx(_ e: Int) -> Double { left + (Double(e + 1) - x.0) / (x.1 - x.0) * plotW }
        func sy(_ v: Double) -> Double { top + plotH - (v - y.0) / (y.1 - y.0) * plotH }
        var body = ""
        for (i, (_, points)) in series.enumerated() {
            let color = palette[i % palette.count]
            let present = points.enumerated().compactMap { e, p in p.map { (e, $0) } }
            guard !present.isEmpty else { continue }
            if present.contains(where: { $0.1.high > $0.1.low }) {
                let upper = present.map { "\(n(sx($0.0))),\(n(sy($0.1.high)))" }
                let lower = present.reversed().map { "\(n(sx($0.0))),\(n(sy($0.1.low)))" }
                body += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            let path = present.map { "\(n(sx($0.0))),\(n(sy($0.1.mean)))" }.joined(separator: " ")
            body += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
        }
        return frame(title: title, xLabel: xLabel, yLabel: yLabel, x: x, y: y, body: body, legend: series.map(\.0), integralX: true)
    }

    public static func bars(title: String, yLabel: String, groups: [(String, [Double])], seriesNames: [String]) -> String {
        let y = rounded((0.0, padded(groups.flatMap(\.1), includeZero: true).1))
        let plotW = width - left - right, plotH = height - top - bottom
        let groupWidth = plotW / Double(max(groups.count, 1))
        let barWidth = groupWidth * 0.8 / Double(max(seriesNames.count, 1))
        var body = ""
        for (g, (name, values)) in groups.enumerated() {
            let x0 = left + Double(g) * groupWidth + groupWidth * 0.1
            for (k, value) in values.enumerated() {
                let h = (value - y.0) / (y.1 - y.0) * plotH
                body += "<rect x=\"\(n(x0 + Double(k) * barWidth))\" y=\"\(n(top + plotH - h))\" width=\"\(n(barWidth - 2))\" height=\"\(n(h))\" fill=\"\(palette[k % palette.count])\"><title>\(escape(name)) \(escape(seriesNames[k])): \(String(format: "%.4g", value))</title></rect>\n"
            }
            body += "<text x=\"\(n(x0 + groupWidth * 0.4))\" y=\"\(n(top + plotH + 16))\" text-anchor=\"middle\">\(escape(name))</text>\n"
        }
        return frame(title: title, xLabel: "", yLabel: yLabel, x: nil, y: y, body: body, legend: seriesNames)
    }
}

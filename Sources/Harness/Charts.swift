import Foundation

/// Small hand-written SVG charts (no dependencies): a scatter, a line chart and bar charts.
public enum Charts {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    static let width = 560.0, height = 360.0
    static let left = 70.0, right = 20.0, top = 40.0, bottom = 50.0

    public static func all(_ summary: Summary) -> [(String, String)] {
        let label = summary.isSynthetic ? " (synthetic data)" : ""
        let rows = summary.rows
        return [
            ("loss-vs-rank.svg", scatter(title: "Test MSE against test Spearman rho" + label, xLabel: "test MSE (masked)",
                                         yLabel: "test Spearman rho",
                                         points: rows.compactMap { r in r.testMse.flatMap { x in r.spearmanRho?.mean.map { (r.model, x, $0) } } })),
            ("val-rho.svg", lines(title: "Validation Spearman rho per epoch" + label, xLabel: "epoch", yLabel: "val Spearman rho",
                                  series: rows.map { ($0.model, $0.valSpearmanRhoByEpoch) })),
            ("throughput.svg", bars(title: "Training and inference throughput", yLabel: "frames / s",
                                    groups: rows.map { ($0.model, [$0.trainFramesPerSecond ?? 0, $0.inferenceFramesPerSecond ?? 0]) },
                                    seriesNames: ["train", "inference"])),
            ("memory.svg", bars(title: "Peak memory", yLabel: "MiB",
                                groups: rows.map { ($0.model, [Double($0.peakTensorBytes ?? 0) / 1_048_576, Double($0.peakResidentBytes ?? 0) / 1_048_576]) },
                                seriesNames: ["peak tensor bytes", "peak resident set"])),
        ]
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

    static func frame(title: String, xLabel: String, yLabel: String, x: (Double, Double)?, y: (Double, Double), body: String,
                      legend: [String] = []) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(n(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        s += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(plotW))\" height=\"\(n(plotH))\" fill=\"none\" stroke=\"#444\"/>\n"
        for k in 0...4 {
            let value = y.0 + (y.1 - y.0) * Double(k) / 4
            let py = top + plotH - plotH * Double(k) / 4
            s += "<line x1=\"\(n(left))\" x2=\"\(n(left + plotW))\" y1=\"\(n(py))\" y2=\"\(n(py))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(py + 4))\" text-anchor=\"end\">\(String(format: "%.3g", value))</text>\n"
            if let x {
                let xv = x.0 + (x.1 - x.0) * Double(k) / 4
                let px = left + plotW * Double(k) / 4
                s += "<text x=\"\(n(px))\" y=\"\(n(top + plotH + 16))\" text-anchor=\"middle\">\(String(format: "%.3g", xv))</text>\n"
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

    public static func scatter(title: String, xLabel: String, yLabel: String, points: [(String, Double, Double)]) -> String {
        let x = padded(points.map(\.1)), y = padded(points.map(\.2))
        let plotW = width - left - right, plotH = height - top - bottom
        var body = ""
        for (i, (name, px, py)) in points.enumerated() {
            let sx = left + (px - x.0) / (x.1 - x.0) * plotW, sy = top + plotH - (py - y.0) / (y.1 - y.0) * plotH
            body += "<circle cx=\"\(n(sx))\" cy=\"\(n(sy))\" r=\"5\" fill=\"\(palette[i % palette.count])\"/>"
            body += "<text x=\"\(n(sx + 8))\" y=\"\(n(sy + 4))\">\(escape(name))</text>\n"
        }
        return frame(title: title, xLabel: xLabel, yLabel: yLabel, x: x, y: y, body: body)
    }

    public static func lines(title: String, xLabel: String, yLabel: String, series: [(String, [Double?])]) -> String {
        let values = series.flatMap { $0.1.compactMap { $0 } }
        let longest = max(1, series.map(\.1.count).max() ?? 1)
        let x = (1.0, Double(max(longest, 2))), y = padded(values)
        let plotW = width - left - right, plotH = height - top - bottom
        var body = ""
        for (i, (_, points)) in series.enumerated() {
            let coordinates = points.enumerated().compactMap { e, v in
                v.map { (left + (Double(e + 1) - x.0) / (x.1 - x.0) * plotW, top + plotH - ($0 - y.0) / (y.1 - y.0) * plotH) }
            }
            guard !coordinates.isEmpty else { continue }
            let path = coordinates.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
            body += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(palette[i % palette.count])\" stroke-width=\"2\"/>\n"
        }
        return frame(title: title, xLabel: xLabel, yLabel: yLabel, x: x, y: y, body: body, legend: series.map(\.0))
    }

    public static func bars(title: String, yLabel: String, groups: [(String, [Double])], seriesNames: [String]) -> String {
        let y = (0.0, padded(groups.flatMap(\.1), includeZero: true).1)
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

import Foundation
import TensorCore

/// PGL-SUM's fixed sinusoidal encoding as the official CSTA code registers it
/// (`Positional_encoding_op.pe`, a buffer of max_len 5000 rows): row p, column 2i holds
/// sin(p * f_i) and column 2i + 1 holds cos(p * f_i), f_i = exp(2i * -ln(10000) / D).
final class FixedPositionalEncoding: Module {
    static let rows = 5000
    /// How far a loaded table may lie from the computed one. The official table is float32 arithmetic
    /// (f_i and p * f_i rounded to float32, then sin / cos): one ulp of f_i moves the argument at
    /// p = 4999 by up to 3e-4, so tables computed by different float32 libraries differ by that much,
    /// while any other table (another length, frequency or layout) differs by order 1.
    static let tolerance: Float = 1e-3

    let pe: Tensor
    var isTraining = true

    init(width: Int) {
        pe = Tensor(Self.table(rows: Self.rows, width: width), shape: [Self.rows, width])
    }

    var ownBuffers: [(String, Tensor)] { [("pe", pe)] }

    /// The table in float32, step by step as the official code computes it in PyTorch.
    static func table(rows: Int, width: Int) -> [Float] {
        let scale = Float(-Foundation.log(10000.0) / Double(width))
        let frequencies = stride(from: 0, to: width, by: 2).map { Foundation.exp(Float($0) * scale) }
        var out = [Float](repeating: 0, count: rows * width)
        for p in 0..<rows {
            for (i, f) in frequencies.enumerated() {
                let angle = Float(p) * f
                out[p * width + 2 * i] = Foundation.sin(angle)
                if 2 * i + 1 < width { out[p * width + 2 * i + 1] = Foundation.cos(angle) }
            }
        }
        return out
    }

    /// The first `count` rows, (count, D).
    func rows(_ count: Int) -> Tensor { pe.slice(axis: 0, start: 0, length: count) }

    /// The largest difference of a loaded table from the computed one, with its position.
    func largestDifference(from values: [Float]) -> (row: Int, column: Int, difference: Float) {
        let width = pe.shape[1]
        let expected = Self.table(rows: Self.rows, width: width)
        var worst = (row: 0, column: 0, difference: Float(0))
        for (i, (a, b)) in zip(values, expected).enumerated() where !(abs(a - b) <= worst.difference) {
            worst = (i / width, i % width, abs(a - b))
        }
        return worst
    }
}

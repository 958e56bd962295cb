import TensorCore

/// DSNet's ROI pooling (`pooling=roi`): per anchor scale s, AvgPool1d(s, stride 1, padding s // 2,
/// count_include_pad) over time, which gives T + 1 rows for an even s; the official code drops the last.
enum ROIPooling {
    /// features (T, H) -> (T, scales, H).
    static func pool(_ features: Tensor, scales: [Int]) -> Tensor {
        let t = features.shape[0], h = features.shape[1]
        let pooled = scales.map { s in
            features.avgPool1d(axis: 0, kernel: s, stride: 1, padding: s / 2, countIncludePad: true)
                .slice(axis: 0, start: 0, length: t).reshaped([t, 1, h])
        }
        return pooled.count == 1 ? pooled[0] : Tensor.concat(pooled, axis: 1)
    }
}

/// EDSNet's FFT pooling (`pooling=fft`, `anchor_based/poolings.py`, `Pooling.fft`) at scale s: frame i
/// reads rows max(0, i - s/2 + 1) ... min(i + s/2, T - 1) (i-1 ... i+2 for s = 4), zero-padded at the
/// end to s rows; Re(FFT) over those s rows; the classification feature is the mean of Re(FFT) over
/// the window (which is the window's first row: kept, it is what the official code computes) and the
/// location feature is the flattened s x H spectrum through `fc.0` = Linear(s H -> H) and GELU.
final class FFTPooling: Module {
    let scale: Int
    let linear: Linear
    var isTraining = true

    init(scale: Int, hidden: Int, rng: RandomSource) {
        self.scale = scale
        linear = paperLinear(scale * hidden, hidden, rng: rng)
    }

    var children: [(String, any Module)] { [("fc.0", linear)] }

    /// Row indices of every frame's window, -1 for the zero rows that pad it to `scale`.
    static func windowRows(length t: Int, scale s: Int) -> [Int] {
        var rows: [Int] = []
        rows.reserveCapacity(t * s)
        for i in 0..<t {
            let start = Swift.max(0, i - s / 2 + 1), end = Swift.min(i + s / 2, t - 1)
            let real = start <= end ? Array(start...end) : []
            rows += real.prefix(s) + [Int](repeating: -1, count: Swift.max(0, s - real.count))
        }
        return rows
    }

    /// features (T, H) -> (classification (T, H), location (T, H)).
    func callAsFunction(_ features: Tensor) -> (classification: Tensor, location: Tensor) {
        let t = features.shape[0], h = features.shape[1]
        let windows = features.gatherRows(Self.windowRows(length: t, scale: scale)).reshaped([t, scale, h])
        let spectrum = windows.realPartOfDFT(axes: [1])
        let coarse = spectrum.mean(axis: 1)
        let fine = linear(spectrum.reshaped([t, scale * h])).gelu()
        return (coarse, fine)
    }
}

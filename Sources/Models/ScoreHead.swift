import TensorCore

/// The score head shared by the `report` variants of CSTA, VideoSAGE and EDSNet:
/// Linear W->h1, ReLU, Dropout, Linear h1->h2, ReLU, Dropout, Linear h2->1, Sigmoid.
/// The children carry the indices of the reference's `nn.Sequential` ("0", "3", "6"), so the state dict
/// keys are `score_net.0.weight` and so on.
final class ScoreHead: Module {
    let first: Linear, second: Linear, last: Linear
    let dropout: Dropout
    var isTraining = true

    init(width: Int, hidden: [Int], dropout p: Float, rng: RandomSource, dropoutRNG: RandomSource) {
        checkArgument(hidden.count == 2, "score head: needs two hidden widths, got \(hidden)")
        first = Linear(width, hidden[0], rng: rng)
        second = Linear(hidden[0], hidden[1], rng: rng)
        last = Linear(hidden[1], 1, rng: rng)
        dropout = Dropout(p, rng: dropoutRNG)
    }

    var children: [(String, any Module)] { [("0", first), ("3", second), ("6", last), ("dropout", dropout)] }

    /// h (B, T, W) -> scores (B, T) in (0, 1); or the packed rows (R, W) of `packed` sequences -> (R),
    /// with the dropout masks the padded batch would draw.
    func callAsFunction(_ h: Tensor, packed: PackedSequences? = nil) -> Tensor {
        let a = dropout(reluOf: first(h), packed: packed)
        let b = dropout(reluOf: second(a), packed: packed)
        let s = last(b).sigmoid()
        return s.reshaped(Array(s.shape.dropLast()))
    }

    /// FLOPs per frame of the three products.
    var flopsPerFrame: Double {
        Double(2 * (first.weight.count + second.weight.count + last.weight.count))
    }
}

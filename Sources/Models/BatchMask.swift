import TensorCore

/// Stops with a message naming the model and the shapes when features and mask do not fit.
func requireFeaturesAndMask(model: String, features: Tensor, mask: Tensor, inputDim: Int) {
    checkArgument(features.rank == 3 && features.shape[2] == inputDim,
                 "\(model): features must be (B, T, \(inputDim)), got \(features.shape)")
    checkArgument(mask.shape == [features.shape[0], features.shape[1]],
                 "\(model): mask must be (B, T) = \(Array(features.shape.prefix(2))), got \(mask.shape)")
}

/// The number of real frames in each row of a (B, T) validity mask.
func realFrameCounts(_ mask: Tensor) -> [Int] {
    let (b, t) = (mask.shape[0], mask.shape[1])
    let flags = mask.values
    return (0..<b).map { video in flags[(video * t)..<((video + 1) * t)].reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
}

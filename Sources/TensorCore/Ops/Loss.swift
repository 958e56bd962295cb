extension Tensor {
    /// Mean of (prediction - target)^2 over the positions where mask is 1 (padding never counts).
    public static func maskedMSE(_ prediction: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        checkArgument(prediction.shape == target.shape && prediction.shape == mask.shape,
                     "maskedMSE: prediction \(prediction.shape), target \(target.shape), mask \(mask.shape) differ")
        let valid = mask.values.reduce(0, +)
        checkArgument(valid > 0, "maskedMSE: the mask selects no position")
        let d = (prediction - target) * mask
        return (d * d).sum() * (1 / valid)
    }
}

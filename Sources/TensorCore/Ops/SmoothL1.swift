/// PyTorch's `smooth_l1_loss` with mean reduction.
extension Tensor {
    /// mean over elements of 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere, d = prediction -
    /// target (beta 1: PyTorch's default, DSNet's location loss). An empty input gives NaN, the 0 / 0
    /// PyTorch's mean returns too. Gradient: clamp(d / beta, -1, 1) / n to the prediction, negated to the target.
    public static func smoothL1Loss(_ prediction: Tensor, _ target: Tensor, beta: Float = 1) -> Tensor {
        checkArgument(prediction.shape == target.shape,
                      "smoothL1Loss: prediction \(prediction.shape) and target \(target.shape) differ")
        checkArgument(beta > 0, "smoothL1Loss: beta \(beta) must be positive")
        let n = prediction.count
        let pp = prediction.storage.pointer, pt = target.storage.pointer
        var sum = 0.0
        for i in 0..<n {
            let d = pp[i] - pt[i], a = Swift.abs(d)
            sum += Double(a < beta ? 0.5 * d * d / beta : a - 0.5 * beta)
        }
        let out = Tensor(scalar: Float(sum / Double(n)))
        return out.recorded(from: [prediction, target]) { g in
            let scale = g.item / Float(n)
            let gp = Tensor.empty(prediction.shape)
            let pg = gp.storage.pointer
            for i in 0..<n { pg[i] = Swift.min(Swift.max((pp[i] - pt[i]) / beta, -1), 1) * scale }
            var gt: Tensor? = nil
            if target.needsGrad {
                let t = Tensor.empty(target.shape)
                for i in 0..<n { t.storage.pointer[i] = -pg[i] }
                gt = t
            }
            return [prediction.needsGrad ? gp : nil, gt]
        }
    }
}

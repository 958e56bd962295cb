import Foundation

extension Tensor {
    /// PyTorch's `BCEWithLogitsLoss` (mean reduction) over the positions where mask is 1: the mean of
    /// max(z, 0) - z y + log(1 + exp(-|z|)) over real frames, the form that never overflows exp for large
    /// |z|. Targets may be soft (any value in [0, 1], e.g. a continuous gtscore). Gradients: (sigmoid(z) - y)
    /// / n for the logits and -z / n for the targets, zero at masked positions; the mask takes none.
    public static func bceWithLogits(_ logits: Tensor, _ target: Tensor, mask: Tensor) -> Tensor {
        checkArgument(logits.shape == target.shape && logits.shape == mask.shape,
                      "bceWithLogits: logits \(logits.shape), target \(target.shape), mask \(mask.shape) differ")
        let n = logits.count
        let pz = logits.storage.pointer, py = target.storage.pointer, pm = mask.storage.pointer
        var valid = 0.0, total = 0.0
        for i in 0..<n where pm[i] != 0 {
            let z = Double(pz[i]), y = Double(py[i])
            valid += Double(pm[i])
            total += Double(pm[i]) * (Swift.max(z, 0) - z * y + Foundation.log1p(Foundation.exp(-abs(z))))
        }
        checkArgument(valid > 0, "bceWithLogits: the mask selects no position")
        let out = Tensor(scalar: Float(total / valid))
        return out.recorded(from: [logits, target]) { g in
            let scale = g.item / Float(valid)
            // Pointers re-read from the tensors the closure holds, so none outlives its buffer.
            let pz = logits.storage.pointer, py = target.storage.pointer, pm = mask.storage.pointer
            var gz: Tensor? = nil, gy: Tensor? = nil
            if logits.needsGrad {
                let t = Tensor(zeros: logits.shape)
                let pt = t.storage.pointer
                for i in 0..<n where pm[i] != 0 {
                    // sigmoid(z) for either sign of z without overflow.
                    let z = pz[i], e = Foundation.exp(-abs(z))
                    let s = z >= 0 ? 1 / (1 + e) : e / (1 + e)
                    pt[i] = scale * pm[i] * (s - py[i])
                }
                gz = t
            }
            if target.needsGrad {
                let t = Tensor(zeros: target.shape)
                let pt = t.storage.pointer
                for i in 0..<n where pm[i] != 0 { pt[i] = -scale * pm[i] * pz[i] }
                gy = t
            }
            return [gz, gy]
        }
    }
}

import TensorCore

extension VideoSAGEPaper {
    /// BCE-with-logits of the summed logits against the continuous gtscore (soft targets), mean over the
    /// real frames: the official `bce_logit` loss.
    public func trainingLoss(_ batch: ModelBatch) -> Tensor {
        Tensor.bceWithLogits(frameLogits(batch.features, mask: batch.mask), batch.gtscore, mask: batch.mask)
    }

    /// sigmoid(logits): the official evaluation applies the sigmoid to the logits before the knapsack.
    public func frameScores(_ batch: ModelBatch) -> Tensor {
        self(batch.features, mask: batch.mask)
    }

    /// Matrix-product FLOPs per frame of one forward pass over one video of `length` frames, as the ops run
    /// them: EdgeConv's first layer as per-node products (4 c1^2 per node) and its second layer per edge,
    /// so the count depends on the length through the clipped windows at the video's ends. (PyTorch
    /// Geometric runs the first layer per edge too: 2 * 2c1 * c1 more per edge.)
    public func forwardFlopsPerFrame(length: Int) -> Double {
        guard length > 0 else { return 0 }
        let graphs = graphs(lengths: [length])
        var total = 2 * Double(config.inputDim) * Double(config.channel1) * Double(length)
        for (s, g) in graphs.enumerated() {
            total += edgeConvs[s].forwardFlops(graph: g) + layer21.forwardFlops(graph: g) + scoreConvs[s].forwardFlops(graph: g)
        }
        return total / Double(length)
    }
}

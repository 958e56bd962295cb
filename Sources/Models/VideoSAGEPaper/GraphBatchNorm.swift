import TensorCore

/// PyTorch Geometric's `BatchNorm`: a `torch.nn.BatchNorm1d` registered as `module`, so its keys read
/// `batchNN.module.weight`, `.module.running_mean`, ... Over the nodes (N, C) of a graph.
final class GraphBatchNorm: Module {
    let module: BatchNorm
    var isTraining = true

    init(_ channels: Int) { module = BatchNorm(channels) }

    var children: [(String, any Module)] { [("module", module)] }

    func callAsFunction(_ x: Tensor) -> Tensor { module(x) }
}

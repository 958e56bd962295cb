/// Graph convolutions over a `TemporalGraph` with PyTorch Geometric's parameter names and initialisation
/// (its `Linear` draws weight and bias from U(-1/sqrt(in), 1/sqrt(in)), as PyTorch's).

/// `EdgeConv(Sequential(Linear(2C, M), ReLU(), Linear(M, O)), aggr="max")`: keys `nn.0.*`, `nn.2.*`.
public final class EdgeConv: Module {
    /// The MLP as PyTorch Geometric registers it: a Sequential whose entries 0 and 2 are the Linears.
    public final class MLP: Module {
        public let first: Linear, second: Linear
        public var isTraining = true

        init(first: Linear, second: Linear) {
            self.first = first
            self.second = second
        }

        public var children: [(String, any Module)] { [("0", first), ("2", second)] }
    }

    public let nn: MLP
    public var isTraining = true

    public init(inChannels: Int, hidden: Int, outChannels: Int, rng: RandomSource) {
        nn = MLP(first: Linear(2 * inChannels, hidden, rng: rng), second: Linear(hidden, outChannels, rng: rng))
    }

    public var children: [(String, any Module)] { [("nn", nn)] }

    /// x (N, C) -> (N, O) over `graph`.
    public func callAsFunction(_ x: Tensor, graph: TemporalGraph) -> Tensor {
        x.edgeConvMax(graph: graph, weight1: nn.first.weight, bias1: nn.first.bias!, weight2: nn.second.weight,
                      bias2: nn.second.bias!)
    }

    /// Multiply-add FLOPs (as 2) of one forward pass over `graph` as the op runs it: the per-node products
    /// against the stacked (2M, C) matrix and the second layer over every edge.
    public func forwardFlops(graph: TemporalGraph) -> Double {
        let (c, m, o) = (Double(nn.first.weight.shape[1] / 2), Double(nn.first.weight.shape[0]), Double(nn.second.weight.shape[0]))
        return 2 * Double(graph.nodes) * c * 2 * m + 2 * Double(graph.edgeCount) * m * o
    }
}

/// `SAGEConv(C, O)` with its defaults (mean aggregation, root weight): keys `lin_l.weight`, `lin_l.bias`,
/// `lin_r.weight` (lin_r has no bias).
public final class SAGEConv: Module {
    public let linL: Linear, linR: Linear
    public var isTraining = true

    public init(inChannels: Int, outChannels: Int, rng: RandomSource) {
        linL = Linear(inChannels, outChannels, rng: rng)
        linR = Linear(inChannels, outChannels, bias: false, rng: rng)
    }

    public var children: [(String, any Module)] { [("lin_l", linL), ("lin_r", linR)] }

    public func callAsFunction(_ x: Tensor, graph: TemporalGraph) -> Tensor {
        x.sageConvMean(graph: graph, weightL: linL.weight, biasL: linL.bias!, weightR: linR.weight)
    }

    /// Multiply-add FLOPs (as 2) of one forward pass: both products over every node.
    public func forwardFlops(graph: TemporalGraph) -> Double {
        2 * Double(graph.nodes) * Double(linL.weight.shape[1]) * 2 * Double(linL.weight.shape[0])
    }
}

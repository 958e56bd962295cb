import Testing
@testable import TensorCore

@Suite("Sequential and activation layers") struct SequentialTests {
    /// nn.Sequential(Linear, ReLU, Dropout, Linear, Sigmoid): parameters keep PyTorch's indices.
    func scoreHead(_ rng: RandomSource) -> Sequential {
        Sequential(Linear(4, 3, rng: rng), Activation(.relu), Dropout(0.5, rng: rng), Linear(3, 1, rng: rng), Activation(.sigmoid))
    }

    @Test func keysSkipStatelessLayersButKeepTheirIndex() {
        let head = scoreHead(RandomSource(seed: 1))
        #expect(head.namedParameters().map(\.0) == ["0.weight", "0.bias", "3.weight", "3.bias"])
        #expect(head.parameterCount == 4 * 3 + 3 + 3 + 1)
    }

    @Test func appliesLayersInOrder() {
        let rng = RandomSource(seed: 2)
        let head = scoreHead(rng)
        head.eval()
        let x = randomTensor([2, 5, 4], seed: 3)
        let first = head[0] as! Linear, last = head[3] as! Linear
        let expected = last(first(x).relu()).sigmoid()
        let got = head(x)
        #expect(got.shape == [2, 5, 1])
        for (a, b) in zip(got.values, expected.values) { #expect(a == b) }
    }

    @Test func modeReachesEveryLayer() {
        let head = scoreHead(RandomSource(seed: 4))
        head.eval()
        #expect(head.layers.allSatisfy { !$0.isTraining })
        head.train()
        #expect(head.layers.allSatisfy { $0.isTraining })
    }

    @Test(arguments: Activation.Kind.allCases) func activationMatchesTheTensorOp(_ kind: Activation.Kind) {
        let x = randomTensor([3, 4], seed: 5, scale: 3)
        let expected: Tensor
        switch kind {
        case .relu: expected = x.relu()
        case .gelu: expected = x.gelu()
        case .sigmoid: expected = x.sigmoid()
        case .tanh: expected = x.tanh()
        }
        #expect(Activation(kind)(x).values == expected.values)
    }

    @Test func gradientsFlowThroughTheChain() {
        let chain = Sequential(Activation(.tanh), Activation(.gelu), Activation(.sigmoid))
        checkGradients([randomTensor([2, 4], seed: 6)]) { chain($0[0]) }
    }
}

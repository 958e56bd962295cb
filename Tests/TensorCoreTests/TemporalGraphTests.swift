import Foundation
import Testing
@testable import TensorCore

/// The temporal graph band, EdgeConv (max) and SAGEConv (mean) over it, and BCE-with-logits: values
/// against independent computations from an explicit edge list (built here the way GraVi-T's
/// `generate_temporal_graphs.py` builds it), and gradients against finite differences.
@Suite("Temporal graph, EdgeConv, SAGEConv, BCE-with-logits")
struct TemporalGraphTests {
    /// GraVi-T's rule for one video of n frames: edge i -> j for |i - j| <= tau, attribute sign(i - j);
    /// the forward stream keeps attribute <= 0, backward >= 0, undirected all. Videos are a disjoint union.
    static func officialEdges(segments: [Int], tau: Int, stream: TemporalGraph.Stream) -> Set<[Int]> {
        var edges = Set<[Int]>()
        var start = 0
        for n in segments {
            for i in 0..<n {
                for j in 0..<n where abs(i - j) <= tau {
                    let sign = (i - j).signum()
                    let keep = stream == .forward ? sign <= 0 : stream == .backward ? sign >= 0 : true
                    if keep { edges.insert([start + i, start + j]) }
                }
            }
            start += n
        }
        return edges
    }

    @Test(arguments: TemporalGraph.Stream.allCases)
    func bandHoldsExactlyTheOfficialEdges(_ stream: TemporalGraph.Stream) {
        for (segments, tau) in [([9], 2), ([7, 1, 3, 12], 3), ([4], 10), ([1], 5)] {
            let graph = TemporalGraph(segments: segments, radius: tau, stream: stream)
            let list = graph.edgeList()
            #expect(Set(list.map { [$0.source, $0.target] }) == Self.officialEdges(segments: segments, tau: tau, stream: stream),
                    "\(stream) segments \(segments) tau \(tau)")
            #expect(graph.edgeCount == list.count && graph.nodes == segments.reduce(0, +))
            // The per-edge layout: target-major, sources ascending, rows numbered consecutively.
            for (row, edge) in list.enumerated() {
                #expect(graph.edgeStart(of: edge.target) + edge.source - graph.sources(of: edge.target).lowerBound == row)
            }
            // targets(of:) reads the same band the other way.
            for i in 0..<graph.nodes {
                #expect(Set(graph.targets(of: i)) == Set(list.filter { $0.source == i }.map(\.target)), "targets of \(i)")
            }
        }
    }

    /// EdgeConv from its definition, per edge in double precision: max over (i -> j) of
    /// W2 relu(W1 [h_j, h_i - h_j] + b1) + b2.
    static func edgeConvReference(_ x: Tensor, _ graph: TemporalGraph, _ w1: Tensor, _ b1: Tensor, _ w2: Tensor,
                                  _ b2: Tensor) -> [Float] {
        let (n, c, m, o) = (x.shape[0], x.shape[1], w1.shape[0], w2.shape[0])
        let (xv, w1v, b1v, w2v, b2v) = (x.values, w1.values, b1.values, w2.values, b2.values)
        var out = [Double](repeating: -.infinity, count: n * o)
        for (i, j) in graph.edgeList() {
            let input = (0..<c).map { Double(xv[j * c + $0]) } + (0..<c).map { Double(xv[i * c + $0] - xv[j * c + $0]) }
            let hidden = (0..<m).map { r in
                Swift.max(0, (0..<(2 * c)).reduce(Double(b1v[r])) { $0 + Double(w1v[r * 2 * c + $1]) * input[$1] })
            }
            for k in 0..<o {
                let value = (0..<m).reduce(Double(b2v[k])) { $0 + Double(w2v[k * m + $1]) * hidden[$1] }
                out[j * o + k] = Swift.max(out[j * o + k], value)
            }
        }
        return out.map { Float($0) }
    }

    @Test(arguments: TemporalGraph.Stream.allCases)
    func edgeConvMatchesItsDefinition(_ stream: TemporalGraph.Stream) {
        // Two videos (one shorter than the radius), channel counts with a vector part and a tail.
        let graph = TemporalGraph(segments: [13, 3], radius: 5, stream: stream)
        let (c, m, o) = (19, 21, 18)
        let x = randomTensor([graph.nodes, c], seed: 1), w1 = randomTensor([m, 2 * c], seed: 2, scale: 0.3)
        let b1 = randomTensor([m], seed: 3), w2 = randomTensor([o, m], seed: 4, scale: 0.3), b2 = randomTensor([o], seed: 5)
        let ours = x.edgeConvMax(graph: graph, weight1: w1, bias1: b1, weight2: w2, bias2: b2)
        #expect(ours.shape == [graph.nodes, o])
        let expected = Self.edgeConvReference(x, graph, w1, b1, w2, b2)
        let scale = expected.map(abs).max() ?? 1
        #expect(zip(ours.values, expected).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
    }

    /// Gradients of every input. The max and the ReLU have kinks; these inputs keep every perturbation of
    /// h on one side of them (the check fails loudly if one crosses).
    @Test(arguments: TemporalGraph.Stream.allCases)
    func edgeConvGradients(_ stream: TemporalGraph.Stream) {
        let graph = TemporalGraph(segments: [6, 2], radius: 2, stream: stream)
        let (c, m, o) = (3, 5, 4)
        checkGradients([randomTensor([graph.nodes, c], seed: 11), randomTensor([m, 2 * c], seed: 12, scale: 0.5),
                        randomTensor([m], seed: 13), randomTensor([o, m], seed: 14, scale: 0.5), randomTensor([o], seed: 15)],
                       step: 1e-3, atol: 1e-3) {
            $0[0].edgeConvMax(graph: graph, weight1: $0[1], bias1: $0[2], weight2: $0[3], bias2: $0[4])
        }
    }

    /// The max sends each (node, channel) gradient to one edge only: with the second layer the identity
    /// and no hidden bias, the gradient of the winning edge's ReLU input gets the whole upstream value.
    @Test func edgeConvMaxGradientGoesToTheWinningEdge() {
        // One channel, x = [0, 3, 1]: undirected radius 1. W1 = [0 | 1] makes each edge's hidden value
        // relu(h_i - h_j); node 0 wins from source 1 (3), node 1 from itself (0 beats -2, -3... all relu'd
        // to 0: a tie broken to the first edge, source 0), node 2 from source 1 (2).
        let graph = TemporalGraph(length: 3, radius: 1, stream: .undirected)
        let x = Tensor([0, 3, 1], shape: [3, 1])
        x.requiresGrad = true
        let w1 = Tensor([0, 1], shape: [1, 2]), b1 = Tensor([0], shape: [1])
        let w2 = Tensor([1], shape: [1, 1]), b2 = Tensor([0], shape: [1])
        let y = x.edgeConvMax(graph: graph, weight1: w1, bias1: b1, weight2: w2, bias2: b2)
        #expect(y.values == [3, 0, 2])
        y.backward(seed: Tensor([1, 10, 100], shape: [3, 1]))
        // d y0 / d x = (-1 at x0, +1 at x1); y1's winner (source 0) sits at relu's flat side: zero;
        // d y2 / d x = (+1 at x1, -1 at x2).
        #expect(x.grad?.values == [-1, 1 + 100, -100])
    }

    @Test(arguments: TemporalGraph.Stream.allCases)
    func sageConvMatchesTheEdgeListMean(_ stream: TemporalGraph.Stream) {
        let graph = TemporalGraph(segments: [11, 4, 1], radius: 5, stream: stream)
        let (c, o) = (17, 9)
        let x = randomTensor([graph.nodes, c], seed: 21), wl = randomTensor([o, c], seed: 22)
        let bl = randomTensor([o], seed: 23), wr = randomTensor([o, c], seed: 24)
        let list = graph.edgeList()
        // The core's edge-list aggregation (an independent implementation) followed by the two Linears.
        let mean = x.aggregateNeighbours(sources: list.map(\.source), targets: list.map(\.target), nodes: graph.nodes,
                                         reduction: .mean)
        let expected = mean.linear(weight: wl, bias: bl) + x.linear(weight: wr, bias: nil)
        let ours = x.sageConvMean(graph: graph, weightL: wl, biasL: bl, weightR: wr)
        #expect(ours.shape == [graph.nodes, o])
        #expect(zip(ours.values, expected.values).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test(arguments: TemporalGraph.Stream.allCases)
    func sageConvGradients(_ stream: TemporalGraph.Stream) {
        let graph = TemporalGraph(segments: [7, 3], radius: 3, stream: stream)
        checkGradients([randomTensor([graph.nodes, 4], seed: 31), randomTensor([3, 4], seed: 32), randomTensor([3], seed: 33),
                        randomTensor([3, 4], seed: 34)]) {
            $0[0].sageConvMean(graph: graph, weightL: $0[1], biasL: $0[2], weightR: $0[3])
        }
        // One output channel: the score layers' shape.
        checkGradients([randomTensor([graph.nodes, 5], seed: 35), randomTensor([1, 5], seed: 36), randomTensor([1], seed: 37),
                        randomTensor([1, 5], seed: 38)]) {
            $0[0].sageConvMean(graph: graph, weightL: $0[1], biasL: $0[2], weightR: $0[3])
        }
    }

    @Test func bceWithLogitsValuesAreStableAndMasked() {
        // Logits far beyond exp's float range on both sides, soft targets, one masked position that would
        // dominate the mean if it counted.
        let z: [Float] = [-120, -3, -0.5, 0, 0.7, 4, 95, 1e4]
        let y: [Float] = [0.2, 0, 0.5, 0.3, 1, 0.75, 0.9, 0]
        let m: [Float] = [1, 1, 1, 1, 1, 1, 1, 0]
        let loss = Tensor.bceWithLogits(Tensor(z, shape: [2, 4]), Tensor(y, shape: [2, 4]), mask: Tensor(m, shape: [2, 4]))
        var expected = 0.0
        for i in 0..<7 {
            // -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))] with log sigmoid written safely for each sign.
            let zi = Double(z[i]), yi = Double(y[i])
            let logSigmoid = zi >= 0 ? -log1p(exp(-zi)) : zi - log1p(exp(zi))
            let logOneMinus = zi >= 0 ? -zi - log1p(exp(-zi)) : -log1p(exp(zi))
            expected -= yi * logSigmoid + (1 - yi) * logOneMinus
        }
        expected /= 7
        #expect(loss.item.isFinite)
        #expect(abs(Double(loss.item) - expected) <= 1e-6 * expected, "loss \(loss.item), expected \(expected)")
    }

    @Test func bceWithLogitsGradients() {
        let mask = Tensor([1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1], shape: [2, 6])
        checkGradients([randomTensor([2, 6], seed: 41, scale: 3), uniformTensor([2, 6], 0, 1, seed: 42)]) {
            Tensor.bceWithLogits($0[0], $0[1], mask: mask)
        }
    }
}

/// The temporal graph of GraVi-T's SPELL (VideoSAGE as published) over the frames of one or more videos,
/// held as a band: an edge i -> j joins every pair of frames of the same video with |i - j| <= radius
/// (self-loops included), and its sign(i - j) picks the stream it belongs to. Messages go from the source
/// i to the target j, so a node aggregates over its in-edges' sources:
///
/// - `forward`: edges with sign(i - j) <= 0, a node gathers from itself and up to `radius` earlier frames;
/// - `backward`: sign(i - j) >= 0, from itself and up to `radius` later frames;
/// - `undirected`: every edge, from `radius` frames either side.
///
/// Several videos form a disjoint union (PyTorch Geometric's batching of graphs): their frames are
/// concatenated in order (`segments` holds each video's length) and no edge crosses a video. Nothing
/// T x T and no edge list is ever built: a target's sources are the contiguous frame range
/// `sources(of:)`, and its in-edges are numbered consecutively from `edgeStart(of:)` in source order,
/// which is the layout the per-edge kernels (EdgeConv's messages) use for their rows.
public struct TemporalGraph: Sendable, Equatable {
    public enum Stream: String, Sendable, CaseIterable, Codable {
        case forward, backward, undirected

        /// The source offsets i - j this stream admits, before clipping to the video.
        public func offsets(radius: Int) -> ClosedRange<Int> {
            switch self {
            case .forward: return -radius...0
            case .backward: return 0...radius
            case .undirected: return -radius...radius
            }
        }
    }

    public let segments: [Int]
    public let radius: Int
    public let stream: Stream
    /// Total frames (nodes) over all segments.
    public let nodes: Int
    /// First and last source of each target, clipped to the target's video.
    let firstSource: [Int32], lastSource: [Int32]
    /// Prefix sums of the in-degrees: target j's in-edges are rows edgeOffsets[j]..<edgeOffsets[j + 1].
    let edgeOffsets: [Int]

    public init(segments: [Int], radius: Int, stream: Stream) {
        checkArgument(radius >= 0, "TemporalGraph: radius must be >= 0, got \(radius)")
        checkArgument(segments.allSatisfy { $0 >= 0 }, "TemporalGraph: negative segment length in \(segments)")
        self.segments = segments
        self.radius = radius
        self.stream = stream
        let nodes = segments.reduce(0, +)
        self.nodes = nodes
        let range = stream.offsets(radius: radius)
        var first = [Int32](repeating: 0, count: nodes), last = [Int32](repeating: 0, count: nodes)
        var offsets = [Int](repeating: 0, count: nodes + 1)
        var start = 0
        for length in segments {
            for j in start..<(start + length) {
                let lo = Swift.max(start, j + range.lowerBound), hi = Swift.min(start + length - 1, j + range.upperBound)
                first[j] = Int32(lo)
                last[j] = Int32(hi)
                offsets[j + 1] = offsets[j] + (hi - lo + 1)
            }
            start += length
        }
        firstSource = first
        lastSource = last
        edgeOffsets = offsets
    }

    /// One video of `length` frames.
    public init(length: Int, radius: Int, stream: Stream) {
        self.init(segments: [length], radius: radius, stream: stream)
    }

    /// Number of edges (self-loops included).
    public var edgeCount: Int { edgeOffsets[nodes] }

    /// The frames that send a message to `target` (its in-edges' sources), in increasing order.
    public func sources(of target: Int) -> ClosedRange<Int> { Int(firstSource[target])...Int(lastSource[target]) }

    public func inDegree(_ target: Int) -> Int { edgeOffsets[target + 1] - edgeOffsets[target] }

    /// The row of edge source -> target in the per-edge layout (target-major, sources ascending).
    public func edgeStart(of target: Int) -> Int { edgeOffsets[target] }

    /// The targets `source` sends to: the same band read the other way (i - j in the stream's offsets).
    public func targets(of source: Int) -> ClosedRange<Int> {
        // Within a video, source i reaches j when firstSource[j] <= i <= lastSource[j]; both bounds grow
        // with j, so the targets are contiguous. Start from the band and trim to the video's frames.
        let range = stream.offsets(radius: radius)
        var lo = source - range.upperBound, hi = source - range.lowerBound
        lo = Swift.max(lo, 0)
        hi = Swift.min(hi, nodes - 1)
        while lo <= hi && !(Int(firstSource[lo]) <= source && source <= Int(lastSource[lo])) { lo += 1 }
        while hi >= lo && !(Int(firstSource[hi]) <= source && source <= Int(lastSource[hi])) { hi -= 1 }
        return lo...hi
    }

    /// The explicit edge list (source, target), target-major: for tests and references only; the kernels
    /// never build it.
    public func edgeList() -> [(source: Int, target: Int)] {
        (0..<nodes).flatMap { j in sources(of: j).map { (source: $0, target: j) } }
    }
}

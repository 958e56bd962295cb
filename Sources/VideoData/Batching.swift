import Randomness

/// A batch of videos padded to the longest one, as plain arrays (the data layer's view; `ModelBatch` pads
/// straight into tensors and is tested equal to it). Everything is row-major:
/// `features[(b * maxLength + t) * featureWidth + f]`, `mask[b * maxLength + t]` (1 real frame, 0 padding),
/// `gtscore[b * maxLength + t]` (0 at padding).
public struct VideoBatch: Sendable {
    public let keys: [String]
    public let lengths: [Int]
    public let maxLength: Int
    public let featureWidth: Int
    public let features: [Float]
    public let mask: [Float]
    public let gtscore: [Float]

    public var count: Int { keys.count }

    /// Pads `videos` (all of one feature width) to the longest of them.
    public init(videos: [Video]) {
        precondition(!videos.isEmpty, "a batch needs at least one video")
        let width = videos[0].featureWidth
        precondition(videos.allSatisfy { $0.featureWidth == width }, "videos of one batch share a feature width")
        let longest = videos.map(\.length).max()!
        var features = [Float](repeating: 0, count: videos.count * longest * width)
        var mask = [Float](repeating: 0, count: videos.count * longest)
        var gtscore = [Float](repeating: 0, count: videos.count * longest)
        for (b, video) in videos.enumerated() {
            let rowStart = b * longest
            features.withUnsafeMutableBufferPointer { destination in
                video.features.withUnsafeBufferPointer { source in
                    let offset = rowStart * width
                    for i in 0..<source.count { destination[offset + i] = source[i] }
                }
            }
            for t in 0..<video.length {
                mask[rowStart + t] = 1
                gtscore[rowStart + t] = video.gtscore[t]
            }
        }
        keys = videos.map(\.key)
        lengths = videos.map(\.length)
        maxLength = longest
        featureWidth = width
        self.features = features
        self.mask = mask
        self.gtscore = gtscore
    }
}

/// Groups a list of videos into batches for each epoch and reads each batch's videos on demand.
///
/// With `shuffle`, the order is a seeded permutation that differs per epoch (seed and epoch decide it,
/// nothing else). With `bucketByLength`, videos are sorted by length (ties in shuffled order) before
/// being cut into batches, so little of a batch is padding; the batch order is then shuffled.
public final class BatchLoader {
    public let dataset: any VideoDataset
    public let keys: [String]
    public let batchSize: Int
    public let shuffle: Bool
    public let bucketByLength: Bool
    public let seed: UInt64
    private let lengths: [String: Int]

    public init(dataset: any VideoDataset, keys: [String], batchSize: Int, shuffle: Bool, seed: UInt64 = 0,
                bucketByLength: Bool = false) throws {
        guard batchSize > 0 else { throw DataError.invalidConfiguration(reason: "batch size \(batchSize) must be positive") }
        self.dataset = dataset
        self.keys = keys
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.bucketByLength = bucketByLength
        self.seed = seed
        var lengths: [String: Int] = [:]
        if bucketByLength {
            for key in keys { lengths[key] = try dataset.length(of: key) }
        }
        self.lengths = lengths
    }

    public var batchCount: Int { (keys.count + batchSize - 1) / batchSize }

    /// The keys of each batch of `epoch`, in the order they are served. The last batch may be smaller.
    public func plan(epoch: Int) -> [[String]] {
        var random = SeededGenerator(seed: SplitMix64.derive(seed, UInt64(epoch)))
        var order = keys
        if shuffle { random.shuffle(&order) }
        if bucketByLength {
            // Stable sort keeps the shuffled order among equal lengths.
            order = order.enumerated().sorted { a, b in
                let (la, lb) = (lengths[a.element]!, lengths[b.element]!)
                return la != lb ? la < lb : a.offset < b.offset
            }.map(\.element)
        }
        var batches = stride(from: 0, to: order.count, by: batchSize).map {
            Array(order[$0..<min($0 + batchSize, order.count)])
        }
        if bucketByLength && shuffle { random.shuffle(&batches) }
        return batches
    }

    /// Reads and pads one batch.
    public func load(_ batchKeys: [String]) throws -> VideoBatch {
        VideoBatch(videos: try batchKeys.map { try dataset.video($0) })
    }

    /// Reads the batches of `epoch` one at a time (only one batch is in memory at once).
    public func forEachBatch(epoch: Int, _ body: (VideoBatch) throws -> Void) throws {
        for batchKeys in plan(epoch: epoch) { try body(try load(batchKeys)) }
    }
}

import Randomness

/// Groups a list of videos into batches for each epoch (the keys; `ModelBatch` lays a batch out).
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
}

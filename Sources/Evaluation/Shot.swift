/// One shot of a video: the half-open frame range `start ..< end`, as MR.HiSum's `change_points` rows.
public struct Shot: Codable, Sendable, Hashable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// The knapsack weight of the shot (MR.HiSum's `n_frame_per_seg`).
    public var length: Int { end - start }
}

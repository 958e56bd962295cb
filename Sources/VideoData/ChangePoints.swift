import Evaluation
/// Turns a stored `change_points` array into validated half-open shots.
enum ChangePoints {
    /// `rows` is the flattened (m, 2) array. With `inclusiveEnds` (eccv16) each end is the shot's last
    /// frame and becomes `end + 1`. Shots must lie in `0..<frameCount`, be non-empty, start in
    /// increasing order and not overlap. With `mustTile` (MR.HiSum) they must also cover the video without
    /// gaps, from 0 to `frameCount`; without it (eccv16) frames between shots belong to no shot.
    /// Checked after the order and overlap rules, so a shuffled list is reported as such, not as a gap.
    static func segments(rows: [Int], shape: [Int], inclusiveEnds: Bool, frameCount: Int, mustTile: Bool,
                         file: String, video: String) throws -> [Shot] {
        guard shape.count == 2, shape[1] == 2, shape[0] >= 1 else {
            throw DataError.badShape(file: file, video: video, dataset: "change_points", shape: shape,
                                     expected: "(shots, 2) with at least one shot")
        }
        var segments: [Shot] = []
        segments.reserveCapacity(shape[0])
        for row in 0..<shape[0] {
            let start = rows[2 * row]
            let end = rows[2 * row + 1] + (inclusiveEnds ? 1 : 0)
            if start < 0 || end > frameCount || start >= frameCount || end <= 0 {
                throw DataError.changePointsOutOfRange(file: file, video: video, row: row, start: start, end: end,
                                                       frameCount: frameCount)
            }
            if end <= start {
                throw DataError.changePointsNotSorted(file: file, video: video, row: row, start: start, end: end)
            }
            if let previous = segments.last {
                if start <= previous.start {
                    throw DataError.changePointsNotSorted(file: file, video: video, row: row, start: start, end: end)
                }
                if start < previous.end {
                    throw DataError.changePointsOverlap(file: file, video: video, row: row, start: start,
                                                        previousEnd: previous.end)
                }
            }
            segments.append(Shot(start: start, end: end))
        }
        if mustTile {
            var covered = 0
            for (row, shot) in segments.enumerated() {
                if shot.start != covered {
                    throw DataError.changePointsGap(file: file, video: video, row: row, from: covered, to: shot.start,
                                                    frameCount: frameCount)
                }
                covered = shot.end
            }
            if covered != frameCount {
                throw DataError.changePointsGap(file: file, video: video, row: segments.count - 1, from: covered, to: frameCount,
                                                frameCount: frameCount)
            }
        }
        return segments
    }
}

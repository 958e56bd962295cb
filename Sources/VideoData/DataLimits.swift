import Foundation

/// How much memory one video may take when it is read. Data sets are read on demand, one video at a
/// time, so the whole file may be larger than memory; but each video's arrays are allocated whole, so a
/// data set whose declared extents exceed what the machine can hold is refused before any allocation
/// (otherwise the allocation aborts the process).
public enum DataLimits {
    /// Half the physical memory: the model's activations need the rest.
    public static let videoBytes: Int = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)

    /// The bytes `shape` needs at `elementBytes` per value, as a Double so that absurd shapes do not
    /// overflow (an HDF5 extent may be up to 2^64 per dimension).
    static func bytes(_ shape: [Int], elementBytes: Int) -> Double {
        shape.reduce(Double(elementBytes)) { $0 * Double($1) }
    }

    /// "8.2 TB", "512.0 MB": decimal units, as disks and most tools print them.
    public static func bytesText(_ bytes: Double) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes, unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(Int(value)) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}

/// Something legitimate but unusual about a video (features stored as float64, gtscore outside [0, 1]):
/// read as usual, and reported once per kind by `bench data inspect` and in run.json.
public struct DataWarning: Sendable, Equatable {
    /// What is unusual, the same text for every video it concerns (the grouping key).
    public var kind: String
    public var video: String
    /// This video's particulars, e.g. its gtscore range.
    public var detail: String?

    public init(kind: String, video: String, detail: String? = nil) {
        self.kind = kind
        self.video = video
        self.detail = detail
    }

    /// An MR.HiSum video without `gt_summary` / `gtsummary`.
    public static let missingSummaryKind = "no `gt_summary` (F1 is reported as unavailable for a split holding such a video)"

    /// One line per kind: `<file>: <kind> in N videos: video_2 (detail), video_5 ...`.
    public static func lines(_ warnings: [DataWarning], file: String) -> [String] {
        var order: [String] = []
        var byKind: [String: [DataWarning]] = [:]
        for warning in warnings {
            if byKind[warning.kind] == nil { order.append(warning.kind) }
            byKind[warning.kind, default: []].append(warning)
        }
        return order.map { kind in
            let items = byKind[kind]!
            let shown = items.prefix(3).map { item in item.detail.map { "\(item.video) (\($0))" } ?? item.video }
            let more = items.count > 3 ? ", ... and \(items.count - 3) more" : ""
            let count = items.count == 1 ? "1 video" : "\(items.count) videos"
            return "\(file): \(kind) in \(count): \(shown.joined(separator: ", "))\(more)"
        }
    }
}

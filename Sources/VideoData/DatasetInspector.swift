import Foundation

/// What `bench data inspect` prints: a data set's size, shape and problems.
public struct InspectionReport: Sendable, CustomStringConvertible {
    public var dataFile: String
    public var layout: DatasetLayout
    /// The file's synthetic marker, when it is a generated stand-in.
    public var syntheticNote: String?
    public var splitSource: String
    public var splitSizes: [(part: String, count: Int)]
    public var featureWidth: Int
    /// Videos read successfully.
    public var videosRead: Int
    public var lengths: [Int]
    public var frames: Int
    /// Fraction of frames whose gtscore equals the previous frame's (within a video).
    public var tieRate: Double
    public var meanTieRun: Double
    public var gtscoreRange: ClosedRange<Float>?
    public var shotsPerVideo: Double
    public var meanShotLength: Double
    public var summaryFraction: Double?
    public var metadataRows: Int?
    /// Legitimate but unusual (one line per kind); they do not make the set invalid.
    public var warnings: [String] = []
    public var problems: [String]

    public var isValid: Bool { problems.isEmpty }

    public var description: String {
        var lines: [String] = []
        lines.append("data set: \(dataFile)")
        lines.append("layout: \(layout.rawValue)")
        if let syntheticNote { lines.append("SYNTHETIC: \(syntheticNote)") }
        lines.append("splits (\(splitSource)): " + splitSizes.map { "\($0.part) \($0.count)" }.joined(separator: ", "))
        lines.append("videos read: \(videosRead), frames: \(frames), feature width: \(featureWidth)")
        if !lengths.isEmpty {
            let sorted = lengths.sorted()
            func quantile(_ q: Double) -> Int { sorted[Int((q * Double(sorted.count - 1)).rounded())] }
            let mean = Double(frames) / Double(lengths.count)
            lines.append(String(format: "length (frames): min %d, p25 %d, median %d, mean %.1f, p75 %d, max %d",
                                sorted.first!, quantile(0.25), quantile(0.5), mean, quantile(0.75), sorted.last!))
            lines.append("length histogram:")
            for (range, count) in histogram(sorted) {
                let bar = String(repeating: "#", count: Int((Double(count) / Double(sorted.count) * 40).rounded(.up)))
                lines.append(String(format: "  %5d-%-5d %6d %@", range.lowerBound, range.upperBound, count, bar))
            }
            lines.append(String(format: "gtscore ties: %.1f%% of frames equal the previous frame (mean tie run %.2f frames)",
                                tieRate * 100, meanTieRun))
            if let gtscoreRange {
                lines.append(String(format: "gtscore range: [%.4f, %.4f]", gtscoreRange.lowerBound, gtscoreRange.upperBound))
            }
            lines.append(String(format: "shots: %.1f per video, mean %.2f frames", shotsPerVideo, meanShotLength))
            if let summaryFraction {
                lines.append(String(format: "gt_summary: %.1f%% of frames selected", summaryFraction * 100))
            }
        }
        if let metadataRows { lines.append("metadata.csv: \(metadataRows) rows") }
        for warning in warnings { lines.append("WARNING: \(warning)") }
        if problems.isEmpty {
            lines.append("problems: none")
        } else {
            lines.append("problems (\(problems.count)):")
            lines += problems.prefix(50).map { "  - \($0)" }
            if problems.count > 50 { lines.append("  ... and \(problems.count - 50) more") }
        }
        return lines.joined(separator: "\n")
    }

    private func histogram(_ sorted: [Int]) -> [(ClosedRange<Int>, Int)] {
        let low = sorted.first!, high = sorted.last!
        let span = high - low + 1
        let width = (span + 7) / 8
        let binCount = (span + width - 1) / width
        return (0..<binCount).map { b in
            let range = (low + b * width)...min(low + (b + 1) * width - 1, high)
            return (range, sorted.filter { range.contains($0) }.count)
        }
    }
}

/// Validates and summarises a data set, one video at a time, collecting every problem instead of
/// stopping at the first (only a missing or non-HDF5 file stops it). It holds no rules of its own: each
/// video goes through the reader a run uses (`VideoDataset.video`) and the split through
/// `DatasetSplit.checkUsable`, so inspect and `bench model` accept and refuse exactly the same data.
public enum DatasetInspector {
    /// `splitFile` defaults to `mr_hisum_split.json` beside the data file; without one, every group is
    /// inspected. `metadata.csv` beside the data file is checked when present.
    public static func inspect(_ url: URL, splitFile: URL? = nil, splitIndex: Int = 0,
                               expectedFeatureWidth: Int? = nil) throws -> InspectionReport {
        let file = try DataFile.open(url)
        let root = try VideoDatasets.wrapped { try file.root() }
        let layout = try VideoDatasets.detectLayout(url)
        var problems: [String] = []

        let besideSplit = url.deletingLastPathComponent().appendingPathComponent(SyntheticMRHiSum.splitFileName)
        let splitURL = splitFile ?? (FileManager.default.fileExists(atPath: besideSplit.path) ? besideSplit : nil)
        let groups = try VideoDatasets.wrapped { try root.memberNames() }.filter { root.isGroup($0) }
        var split = DatasetSplit(train: [], val: [], test: groups)
        var splitSource = "no split file: all \(groups.count) groups"
        if let splitURL {
            do {
                split = try SplitFile.read(splitURL, index: splitIndex)
                splitSource = splitURL.lastPathComponent
                // The same split rule a run applies (PreparedData.open).
                try split.checkUsable(layout: layout, file: splitURL.path)
            } catch {
                problems.append("\(error)")
            }
        }
        var keys: [String] = []
        for part in DatasetSplit.Part.allCases {
            for key in split.keys(part) {
                if root.isGroup(key) { keys.append(key) } else {
                    problems.append("\(DataError.missingGroup(file: url.path, video: key, split: part.rawValue))")
                }
            }
        }
        if splitURL != nil {
            let listed = Set(split.allKeys)
            let unlisted = groups.filter { !listed.contains($0) }
            if !unlisted.isEmpty { problems.append("\(unlisted.count) groups are in no split (e.g. \(unlisted[0]))") }
        }

        var width = expectedFeatureWidth ?? 0
        if expectedFeatureWidth == nil {
            for key in keys {
                if let shape = try? DataFile.group(key, in: root, file: url.path).shape("features"), shape.count == 2 {
                    width = shape[1]
                    break
                }
            }
        }
        // Readers read any group on request; an empty split skips their all-or-nothing key check.
        let noSplit = DatasetSplit(train: [], val: [], test: [])
        let knownWidth = width > 0 ? width : nil
        let dataset: any VideoDataset = layout == .eccv16
            ? try ECCV16Dataset(file: url, split: noSplit, expectedFeatureWidth: knownWidth)
            : try MRHiSumDataset(file: url, split: noSplit, expectedFeatureWidth: knownWidth)

        var lengths: [Int] = []
        var warnings: [DataWarning] = []
        var ties = 0, tieRuns = 0, tiedFrames = 0, shots = 0, shotFrames = 0
        var selected = 0, summarised = 0
        var low = Float.infinity, high = -Float.infinity
        for key in keys {
            do {
                let video = try dataset.video(key)
                lengths.append(video.length)
                var run = 0
                for t in 1..<max(video.length, 1) {
                    if video.gtscore[t] == video.gtscore[t - 1] {
                        ties += 1
                        run += 1
                    } else if run > 0 {
                        tieRuns += 1
                        tiedFrames += run + 1
                        run = 0
                    }
                }
                if run > 0 { tieRuns += 1; tiedFrames += run + 1 }
                low = min(low, video.gtscore.min()!)
                high = max(high, video.gtscore.max()!)
                shots += video.changePoints.count
                shotFrames += video.changePoints.reduce(0) { $0 + $1.length }
                warnings += video.warnings
                if let summary = video.gtSummary {
                    selected += summary.filter { $0 > 0.5 }.count
                    summarised += summary.count
                }
            } catch {
                problems.append("\(error)")
            }
        }
        let frames = lengths.reduce(0, +)

        var metadataRows: Int?
        let metadataURL = url.deletingLastPathComponent().appendingPathComponent(SyntheticMRHiSum.metadataFileName)
        if layout == .mrHiSum, FileManager.default.fileExists(atPath: metadataURL.path) {
            do { metadataRows = try MetadataFile.read(metadataURL).count } catch { problems.append("\(error)") }
        }

        return InspectionReport(
            dataFile: url.path, layout: layout,
            syntheticNote: try? root.stringAttribute(SyntheticMRHiSum.markerAttribute),
            splitSource: splitSource,
            splitSizes: DatasetSplit.Part.allCases.map { ($0.rawValue, split.keys($0).count) },
            featureWidth: width, videosRead: lengths.count, lengths: lengths, frames: frames,
            tieRate: frames > 0 ? Double(ties) / Double(frames) : 0,
            meanTieRun: tieRuns > 0 ? Double(tiedFrames) / Double(tieRuns) : 0,
            gtscoreRange: lengths.isEmpty ? nil : low...high,
            shotsPerVideo: lengths.isEmpty ? 0 : Double(shots) / Double(lengths.count),
            meanShotLength: shots > 0 ? Double(shotFrames) / Double(shots) : 0,
            summaryFraction: summarised > 0 ? Double(selected) / Double(summarised) : nil,
            metadataRows: metadataRows, warnings: DataWarning.lines(warnings, file: url.path), problems: problems)
    }
}

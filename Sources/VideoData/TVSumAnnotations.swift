import FileSupport
import Foundation

/// TVSum's per-annotator frame scores, `ydata-anno.tsv`: one line per (video, annotator),
/// `video_id <TAB> category <TAB> s1,s2,...,sn` with each s an integer 1-5 for one frame at the
/// original frame rate. TVSum has 50 videos x 20 annotators. The ids are YouTube ids; the eccv16 h5
/// names its groups `video_1` ..., so `AnnotationMapping` links the two.
public struct TVSumAnnotations: Sendable {
    public let file: String
    /// Video ids in the order of their first line.
    public let videoIDs: [String]
    public let categories: [String: String]
    /// Per video id, one row of frame scores per annotator, in file order.
    public let scores: [String: [[Double]]]

    public init(file: String, videoIDs: [String], categories: [String: String], scores: [String: [[Double]]]) {
        self.file = file
        self.videoIDs = videoIDs
        self.categories = categories
        self.scores = scores
    }

    public static func read(_ url: URL) throws -> TVSumAnnotations {
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else { throw DataError.missingFile(file: file) }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ECCV16DataError.badAnnotationLine(file: file, line: 0, reason: "not readable as UTF-8 text")
        }
        var ids: [String] = [], categories: [String: String] = [:], scores: [String: [[Double]]] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = offset + 1
            let trimmed = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            if trimmed.allSatisfy(\.isWhitespace) { continue }
            let fields = trimmed.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3 else {
                throw ECCV16DataError.badAnnotationLine(
                    file: file, line: line, reason: "\(fields.count) tab-separated fields, expected 3 (video id, category, scores)")
            }
            let id = String(fields[0]), category = String(fields[1])
            guard !id.isEmpty else { throw ECCV16DataError.badAnnotationLine(file: file, line: line, reason: "empty video id") }
            var row: [Double] = []
            for (index, item) in fields[2].split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                guard let value = Int(item.trimmingCharacters(in: .whitespaces)), (1...5).contains(value) else {
                    throw ECCV16DataError.badAnnotationLine(
                        file: file, line: line, reason: "video \(id), frame \(index): score '\(item)' is not an integer 1-5")
                }
                row.append(Double(value))
            }
            if let first = scores[id]?.first, first.count != row.count {
                throw ECCV16DataError.annotationFrameCount(file: file, video: id, annotator: scores[id]!.count,
                                                           frames: row.count, expected: first.count)
            }
            if scores[id] == nil { ids.append(id); categories[id] = category }
            scores[id, default: []].append(row)
        }
        return TVSumAnnotations(file: file, videoIDs: ids, categories: categories, scores: scores)
    }

    /// Writes the file in TVSum's format (the synthetic generator uses it).
    public static func write(_ rows: [(id: String, category: String, scores: [Int])], to url: URL) throws {
        var text = ""
        for row in rows {
            text += row.id + "\t" + row.category + "\t" + row.scores.map(String.init).joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    /// The annotators' rows for the h5 group `group` (id `videoID`), checked against the video's frame count.
    public func annotators(videoID: String, group: String, frameCount: Int) throws -> [[Double]] {
        guard let rows = scores[videoID] else {
            throw ECCV16DataError.unknownAnnotatedVideo(
                file: file, video: videoID, reason: "no annotations for this id (h5 group \(group))")
        }
        for (index, row) in rows.enumerated() where row.count != frameCount {
            throw ECCV16DataError.annotationFrameCount(file: file, video: "\(videoID) (h5 group \(group))",
                                                       annotator: index, frames: row.count, expected: frameCount)
        }
        return rows
    }
}

/// How the h5's groups (`video_1` ...) map to the annotation file's video ids.
public enum AnnotationMapping {
    /// From each group's `video_name` data set (group -> id); groups without one are left out.
    public static func fromVideoNames(in url: URL) throws -> [String: String] {
        let file = try DataFile.open(url)
        let root = try VideoDatasets.wrapped { try file.root() }
        var mapping: [String: String] = [:]
        for name in try VideoDatasets.wrapped({ try root.memberNames() }) where root.isGroup(name) {
            let reader = try DataFile.group(name, in: root, file: url.path)
            guard reader.has("video_name") else { continue }
            let set = try reader.dataset("video_name")
            let value = try VideoDatasets.wrapped { try set.readString() }
            mapping[name] = value.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return mapping
    }

    /// An explicit mapping file: one `group <TAB or comma> video_id` per line; `#` starts a comment. Or
    /// TVSum's own `ydata-tvsum50-info.tsv` (a header line with a `video_id` column): the released eccv16
    /// TVSum h5 has no `video_name`, and its groups `video_1` ... `video_50` are that table's rows in order.
    public static func read(_ url: URL) throws -> [String: String] {
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else { throw DataError.missingFile(file: file) }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ECCV16DataError.badMapping(file: file, line: 0, reason: "not readable as UTF-8 text")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let header = lines.first, let column = header.split(separator: "\t", omittingEmptySubsequences: false)
            .firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "video_id" }) {
            return try infoTable(lines.dropFirst(), idColumn: column, file: file)
        }
        var mapping: [String: String] = [:]
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if content.allSatisfy(\.isWhitespace) { continue }
            let fields = content.split(whereSeparator: { $0 == "\t" || $0 == "," })
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ECCV16DataError.badMapping(file: file, line: offset + 1, reason: "expected `group<TAB>video_id`")
            }
            if mapping[fields[0]] != nil {
                throw ECCV16DataError.badMapping(file: file, line: offset + 1, reason: "group \(fields[0]) mapped twice")
            }
            mapping[fields[0]] = fields[1]
        }
        return mapping
    }

    /// `ydata-tvsum50-info.tsv`'s rows after the header: row i (from 0) is group `video_<i+1>`.
    static func infoTable(_ rows: ArraySlice<Substring>, idColumn: Int, file: String) throws -> [String: String] {
        var mapping: [String: String] = [:], seen = Set<String>()
        for (offset, raw) in rows.enumerated() where !raw.allSatisfy(\.isWhitespace) {
            let fields = raw.split(separator: "\t", omittingEmptySubsequences: false)
            let line = offset + 2
            guard idColumn < fields.count else {
                throw ECCV16DataError.badMapping(file: file, line: line, reason: "\(fields.count) tab-separated fields, but the header puts video_id in column \(idColumn + 1)")
            }
            let id = fields[idColumn].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !id.isEmpty else { throw ECCV16DataError.badMapping(file: file, line: line, reason: "empty video_id") }
            guard seen.insert(id).inserted else { throw ECCV16DataError.badMapping(file: file, line: line, reason: "video_id \(id) listed twice") }
            mapping["video_\(mapping.count + 1)"] = id
        }
        return mapping
    }

    /// The mapping to use: an explicit file when given, else the h5's `video_name`s. Every group of
    /// `groups` must map to an id the annotations hold, so a missing link is an error before any training.
    public static func resolve(h5 url: URL, mappingFile: URL?, groups: [String],
                               annotations: TVSumAnnotations) throws -> [String: String] {
        let mapping = try mappingFile.map(read) ?? fromVideoNames(in: url)
        let source = mappingFile?.path ?? url.path
        for group in groups {
            guard let id = mapping[group] else {
                throw ECCV16DataError.unknownAnnotatedVideo(
                    file: source, video: group,
                    reason: mappingFile == nil ? "no `video_name` to find its annotations (give a mapping file)"
                                               : "not in the mapping file")
            }
            guard annotations.scores[id] != nil else {
                throw ECCV16DataError.unknownAnnotatedVideo(
                    file: annotations.file, video: id, reason: "mapped from h5 group \(group), but the annotations have no such video")
            }
        }
        return mapping
    }
}
